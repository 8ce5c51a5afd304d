"""The role home pages and the audit log: pages that read across the domains."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required
from dashboards import audit as audit_log
from dashboards import plain_words, worklist
from dashboards.forms import WhoWhatWhenForm
from procurement.core import access
from procurement.core.db import db
from procurement.notifications import services as notifications
from procurement.parties.auth import page_actor, require

bp = Blueprint("dashboards", __name__, template_folder="templates")


@bp.route("/")
def home() -> Any:
    """Signed in, each role's worklist: what needs the person, most urgent first."""
    if not current_user.is_authenticated:
        return render_template("dashboards/landing.html")
    found = worklist.worklists(db.session, page_actor(), attempts=current_app.config["LOCKOUT_ATTEMPTS"],
                               minutes=current_app.config["LOCKOUT_MINUTES"])
    actor = page_actor()
    return render_template("dashboards/home.html", worklists=found, date_text=worklist.date_text,
                           news=notifications.latest_unread(db.session, actor),
                           unread=notifications.unread_count(db.session, actor))


@bp.route("/admin/audit")
@login_required
def audit() -> Any:
    """The audit log in words, filtered by who, what and when; the chain of digests checked."""
    require(access.can_view_audit_log(current_user))
    form = WhoWhatWhenForm(request.args, who=audit_log.who_choices(db.session), what=plain_words.what_choices())
    valid = form.validate()
    page = (form.page.data or 1) if valid else 1
    wanted = audit_log.AuditFilter(form.who.data or "", form.what.data or "", form.start.data, form.end.data)
    found, total = audit_log.audit_page(db.session, page_actor(), wanted, page) if valid else ([], 0)
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    chain_whole, chain = audit_log.chain_status(db.session)
    return render_template("dashboards/audit.html", form=form if form.errors else None, filter_form=form,
                           entries=found, total=total, page=page, page_size=audit_log.PAGE_SIZE, args=args,
                           filtered=bool(args), chain=chain, chain_whole=chain_whole,
                           technical=audit_log.technical), 200 if valid else 400
