"""The agency's pages of the Procurement Act notices: the list (by kind and state), one notice
(its lifecycle, its body as a summary and as JSON, its problems by field, the platform's reasons,
submit again, withdraw, the copy of a contract over £5m), and making a UK1 or a UK2."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from opendata.uk_notices import services
from opendata.uk_notices.models import KIND_NAMES, NoticeKind, NoticeState, UkNotice
from procurement.core.clock import to_london, today
from procurement.core.db import db
from procurement.core.errors import Conflict, InvalidInput
from procurement.core.http import send_stored, undone_if_refused
from procurement.core.storage import file_store
from procurement.parties.auth import page_actor, require
from procurement.parties.forms import ConfirmForm
from tenders.award.views import run_posted
from tenders.models import Tender, TenderStatus

bp = Blueprint("uk_notices", __name__, template_folder="templates")

STATE_WORDS = {NoticeState.draft: ("Draft", "govuk-tag--grey"), NoticeState.submitted: ("Submitted", "govuk-tag--blue"),
               NoticeState.published: ("Published", "govuk-tag--green"), NoticeState.rejected: ("Rejected", "govuk-tag--red"),
               NoticeState.withdrawn: ("Withdrawn", "govuk-tag--grey")}


def _posted(notice_id: int, act: Any, done: str) -> Any:
    """One act from a posted form, back to the notice; refusals shown as messages, nothing kept."""
    return run_posted(redirect(url_for("uk_notices.notice", notice_id=notice_id)), act, done, also=(Conflict,))


def _choice(name: str, allowed: list[str]) -> str:
    value = request.args.get(name, "").strip()
    if value and value not in allowed:
        abort(400, description=f"Unknown {name}: choose one from the list")
    return value


@bp.route("/agency/notices")
@login_required
def index() -> Any:
    require(services.can_manage_notices(current_user))
    wanted = services.NoticeFilter(kind=_choice("kind", [k.value for k in NoticeKind]),
                                   state=_choice("state", [s.value for s in NoticeState]))
    found = services.list_notices(db.session, page_actor(), wanted)
    tenders = {t.id: t for t in db.session.scalars(select(Tender).where(Tender.id.in_({n.tender_id for n in found if n.tender_id})))}
    return render_template("uk_notices/index.html", notices=found, tenders=tenders, wanted=wanted, kinds=KIND_NAMES,
                           states=STATE_WORDS, configured=services.platform_configured(), service_only=services.SERVICE_ONLY,
                           overdue={n.id for n in services.overdue_contract_details(db.session, today())},
                           authorities=services.pipeline_authorities(db.session),
                           drafts=list(db.session.scalars(select(Tender).where(Tender.status == TenderStatus.draft)
                                                          .order_by(Tender.reference))),
                           button=ConfirmForm())


# The lifecycle in words (the audit page has its own, dashboards.plain_words: a sibling face).
HISTORY_WORDS = {"notice.created": "Made", "notice.submitted": "Submitted to Find a Tender",
                 "notice.published": "Published", "notice.rejected": "Rejected by Find a Tender",
                 "notice.send_failed": "Sending failed (tried again with the same key)", "notice.withdrawn": "Withdrawn",
                 "notice.contract_copy_attached": "Copy of the contract attached"}


def _when(text: Any) -> str:
    try:
        moment = to_london(datetime.fromisoformat(str(text).replace("Z", "+00:00")))
    except ValueError:
        return str(text)
    return f"{moment:%-d %B %Y at %H:%M}" if moment else str(text)


def _pounds(value: Any) -> str:
    amount = (value or {}).get("amount") if isinstance(value, dict) else None
    return f"£{amount:,.2f}" if isinstance(amount, (int, float)) else "–"


def _summary(notice: UkNotice) -> list[tuple[str, str]]:
    """The body in words: what a reader of the notice looks for first."""
    body, rows = notice.body or {}, []
    tender = body.get("tender") or {}
    if tender.get("title"):
        rows.append(("Title", tender["title"]))
    if tender.get("value"):
        rows.append(("Estimated value", f"{_pounds(tender['value'])} ex VAT"))
    if (tender.get("tenderPeriod") or {}).get("endDate"):
        rows.append(("Deadline for bids", _when(tender["tenderPeriod"]["endDate"])))
    for award in body.get("awards", []):
        suppliers = ", ".join(s.get("name", "") for s in award.get("suppliers", []))
        rows.append((award.get("title", "Award"), f"{suppliers}: {_pounds(award.get('value'))}"))
    for contract in body.get("contracts", []):
        rows.append((contract.get("title", "Contract"), f"{_pounds(contract.get('value'))}, "
                                                        f"signed {_when(contract.get('dateSigned', ''))}"))
    if tender.get("statusDetails"):
        rows.append(("Why it ended", tender["statusDetails"]))
    if notice.kind is NoticeKind.UK1:
        for lot in tender.get("lots", []):
            rows.append((lot.get("title", ""), _pounds(lot.get("value"))))
        if not tender.get("lots"):
            rows.append(("Planned procurements over £2m", "None in its tenders or its demand on the board"))
    rows.append(("Release", f"{body.get('id', '')} (tag {', '.join(body.get('tag', []))})"))
    return rows


@bp.route("/agency/notices/<int:notice_id>")
@login_required
def notice(notice_id: int) -> Any:
    require(services.can_manage_notices(current_user))
    found = services.get_notice(db.session, page_actor(), notice_id)
    editable = found.state in services.EDITABLE
    tender = db.session.get(Tender, found.tender_id) if found.tender_id else None
    return render_template(
        "uk_notices/notice.html", notice=found, tender=tender, state=STATE_WORDS[found.state], problems=services.problems(found),
        summary=_summary(found), body_json=json.dumps(found.body, indent=2, ensure_ascii=False),
        history=[(e, HISTORY_WORDS.get(e.action, e.action)) for e in services.history(db.session, found)], may_submit=editable, may_withdraw=editable,
        needs_copy=services.needs_contract_copy(db.session, found), may_attach=editable and found.kind is NoticeKind.UK7,
        has_copy=bool(found.contract_copy_path), configured=services.platform_configured(), service_only=services.SERVICE_ONLY,
        overdue=found.due_on is not None and found.due_on < today() and found.state is not NoticeState.published,
        is_rejected=found.state is NoticeState.rejected, is_published=found.state is NoticeState.published,
        is_submitted=found.state is NoticeState.submitted, button=ConfirmForm())


@bp.route("/agency/notices/<int:notice_id>/submit", methods=["POST"])
@login_required
def submit(notice_id: int) -> Any:
    require(services.can_manage_notices(current_user))
    actor = page_actor()

    def act() -> None:
        services.submit(db.session, actor, services.get_notice(db.session, actor, notice_id, lock=True))

    done = "Notice submitted to Find a Tender" if services.platform_configured() else services.SERVICE_ONLY
    return _posted(notice_id, act, done)


@bp.route("/agency/notices/<int:notice_id>/withdraw", methods=["POST"])
@login_required
def withdraw(notice_id: int) -> Any:
    require(services.can_manage_notices(current_user))
    actor, reason = page_actor(), request.form.get("reason", "")[:500]

    def act() -> None:
        services.withdraw(db.session, actor, services.get_notice(db.session, actor, notice_id, lock=True), reason)

    return _posted(notice_id, act, "Notice withdrawn")


@bp.route("/agency/notices/<int:notice_id>/contract-copy", methods=["POST"])
@login_required
def attach_copy(notice_id: int) -> Any:
    require(services.can_manage_notices(current_user))
    actor, upload = page_actor(), request.files.get("contract_copy")

    def act() -> None:
        if upload is None or not upload.filename:
            raise InvalidInput("Choose the copy of the contract", field_errors={"contract_copy": ["Choose a PDF file"]})
        content = upload.stream.read(services.MAX_COPY_BYTES + 1)
        services.attach_contract_copy(db.session, actor, services.get_notice(db.session, actor, notice_id, lock=True),
                                      upload.filename, content)

    return _posted(notice_id, act, "Copy of the contract attached")


@bp.route("/agency/notices/<int:notice_id>/contract-copy")
@login_required
def contract_copy(notice_id: int) -> Any:
    require(services.can_manage_notices(current_user))
    found = services.get_notice(db.session, page_actor(), notice_id)
    if not found.contract_copy_path:
        abort(404)
    return send_stored(file_store(), found.contract_copy_path, download_name=found.contract_copy_name,
                       size=found.contract_copy_size, mimetype="application/pdf")


@bp.route("/notices/contract-copies/<int:notice_id>")
def public_contract_copy(notice_id: int) -> Any:
    """The copy of a contract over £5m that a published contract details notice (UK7) links to."""
    found = services.public_contract_copy(db.session, notice_id)
    if found is None:
        abort(404)
    return send_stored(file_store(), found.contract_copy_path, download_name=found.contract_copy_name,
                       size=found.contract_copy_size, mimetype="application/pdf")


@bp.route("/agency/notices/new/<any(pipeline, engagement):kind>", methods=["POST"])
@login_required
def create(kind: str) -> Any:
    require(services.can_manage_notices(current_user))
    actor = page_actor()
    back = redirect(url_for("uk_notices.index"))
    if not ConfirmForm().validate_on_submit():
        flash("The form expired: try again", "error")
        return back
    field = "organisation_id" if kind == "pipeline" else "tender_id"
    raw = request.form.get(field, "")
    if not raw.isdecimal() or len(raw) > 9:
        flash("Choose an authority" if kind == "pipeline" else "Choose a draft tender", "error")
        return back
    try:
        with undone_if_refused():
            made = (services.create_pipeline(db.session, actor, int(raw)) if kind == "pipeline"
                    else services.create_engagement(db.session, actor, int(raw)))
    except InvalidInput as error:
        flash(error.message, "error")
        return back
    flash(f"{made.kind_name} drafted: check it and submit it", "success")
    return redirect(url_for("uk_notices.notice", notice_id=made.id))


# For other packages' templates, registered as globals by the composition root --------------

def notices_for_tender(tender_id: int) -> list[dict[str, Any]]:
    """A tender's notices as its agency page lists them (label, tag, where published)."""
    out = []
    for n in services.notices_of_tender(db.session, tender_id):
        label, tag = STATE_WORDS[n.state]
        out.append({"id": n.id, "kind": n.kind.value, "name": n.kind_name, "state": label, "tag": tag,
                    "platform_notice_id": n.platform_notice_id, "platform_link": n.platform_link,
                    "service_only": n.service_only, "note": n.note, "due_on": n.due_on, "reasons": n.reasons})
    return out


def public_notices_for_tender(tender_id: int) -> list[dict[str, Any]]:
    """A tender's published notices as the public reads them."""
    return [{"kind": n.kind.value, "name": n.kind_name, "published_at": n.published_at,
             "platform_notice_id": n.platform_notice_id, "platform_link": n.platform_link, "service_only": n.service_only}
            for n in services.published_on_platform(db.session, tender_id)]


def overdue_notices() -> list[UkNotice]:
    """Contract details notices past due, for the agency's dashboard."""
    return services.overdue_contract_details(db.session, today())


SERVICE_ONLY = services.SERVICE_ONLY
