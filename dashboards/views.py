"""The role home pages and the audit log: pages that read across the domains."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from dashboards import worklist
from dashboards.audit import audit_subjects
from procurement.core import access
from procurement.core.audit import AuditEvent
from procurement.core.db import db
from procurement.parties.auth import page_actor, require

bp = Blueprint("dashboards", __name__, template_folder="templates")


@bp.route("/")
def home() -> Any:
    """Signed in, each role's worklist: what needs the person, most urgent first."""
    if not current_user.is_authenticated:
        return render_template("dashboards/landing.html")
    found = worklist.worklists(db.session, page_actor(), attempts=current_app.config["LOCKOUT_ATTEMPTS"],
                               minutes=current_app.config["LOCKOUT_MINUTES"])
    return render_template("dashboards/home.html", worklists=found, date_text=worklist.date_text)


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
