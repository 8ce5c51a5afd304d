"""The role home pages and the audit log: pages that read across the domains."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from dashboards.audit import audit_subjects
from procurement.core import access
from procurement.core.audit import AuditEvent
from procurement.core.db import db
from procurement.parties.auth import page_actor, require
from procurement.parties.models import Role
from procurement.parties.services import platform_counts
from tenders.forming.pooling import lines_to_answer

bp = Blueprint("dashboards", __name__, template_folder="templates")


@bp.route("/")
def home() -> Any:
    if not current_user.is_authenticated:
        return render_template("dashboards/landing.html")
    roles = {role.value for role in current_user.roles}
    organisations = [m.organisation for m in current_user.memberships if m.role is Role.buyer]
    suppliers = [m.supplier for m in current_user.memberships if m.role is Role.supplier]
    counts = platform_counts(db.session) if access.can_view_platform_overview(current_user) else {}
    pending = 0
    if access.can_raise_requirements(current_user):
        pending = len(lines_to_answer(db.session, page_actor()))
    return render_template(
        "dashboards/home.html", roles=roles, organisations=organisations,
        suppliers=suppliers, counts=counts, pending_lines=pending,
    )


@bp.route("/admin/audit")
@login_required
def audit() -> Any:
    require(access.can_view_audit_log(current_user))
    page = max(1, request.args.get("page", 1, type=int) or 1)
    events = list(
        db.session.scalars(
            select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(50).offset((page - 1) * 50)
        )
    )
    return render_template("dashboards/audit.html", events=events, page=page,
                           subjects=audit_subjects(db.session, events))
