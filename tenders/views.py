"""Joint tender pages: forming drafts from pools, buyers confirming their lines, closing."""
from __future__ import annotations

import mimetypes
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.clock import london_moment, to_london
from procurement.core.db import db
from procurement.core.storage import file_store
from procurement.core.errors import InvalidInput, Unavailable
from procurement.core.http import local_path, send_stored, undone_if_refused
from demand import board as boards
from demand import rules as demand_rules
from demand.board import BoardFilter
from demand.rules import quantity_text
from demand.schemas import BoardArgsSchema
from demand.forms import FormTenderForm, ReasonForm
from procurement.parties.forms import ConfirmForm
from procurement.parties.models import Organisation

from suppliers.models import Supplier
from tenders import conflicts, lifecycle, progress, rules
from tenders.bidding import bids
from tenders.bidding import opening
from tenders.forming import pooling
from tenders.models import LineStatus
from tenders.permissions import TenderActions
from tenders.forming.forms import AmendForm, AnswerForm, DetailsForm, DocumentForm, PublishForm
from tenders.schemas import CriteriaSchema
from tenders.forming import publication
from tenders.bidding import clarifications

CRITERIA_SLOTS = 5

bp = Blueprint("tenders", __name__, url_prefix="/tenders", template_folder="templates")
pools_bp = Blueprint("pools", __name__, template_folder="templates")  # a buyer's pools and lines to confirm


@bp.route("/")
@login_required
def index() -> Any:
    require(access.can_manage_tenders(current_user) or access.can_raise_requirements(current_user))
    return render_template("tenders/index.html", tenders=pooling.list_tenders(db.session, page_actor()))


@bp.route("/new", methods=["POST"])
@login_required
def form_from_pools() -> Any:
    require(access.can_manage_tenders(current_user))
    form = FormTenderForm()
    back = url_for("demand.board", **{k: v for k, v in request.form.items() if k in BoardArgsSchema().fields and v})
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(back)
    try:
        with undone_if_refused():
            board = BoardFilter(**BoardArgsSchema().load(
                {k: v for k, v in request.form.items() if k in BoardArgsSchema().fields and v != ""}))
            tender = pooling.form_tender(
                db.session, page_actor(), board=board, pool_keys=request.form.getlist("pool"), title=form.title.data or "",
                confirm_by=form.confirm_by.data, merge=bool(form.merge.data), description=form.description.data or "")
    except ValidationError as error:
        flash("The board's filter is not valid: " + "; ".join(str(v) for v in error.messages.values()), "error")
        return redirect(back)
    except InvalidInput as error:
        for messages in error.field_errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(back)
    flash(f"Draft tender {tender.reference} formed; its buyers are asked to confirm by {tender.confirm_by:%-d %B %Y}", "success")
    return redirect(url_for("tenders.tender", tender_id=tender.id))


def _details_form(found: Any) -> DetailsForm:
    details_form = DetailsForm(obj=found)
    if found.clarification_deadline:
        local = to_london(found.clarification_deadline)
        details_form.clarification_date.data, details_form.clarification_time.data = local.date(), f"{local:%H:%M}"
    if found.submission_deadline:
        local = to_london(found.submission_deadline)
        details_form.deadline_date.data, details_form.deadline_time.data = local.date(), f"{local:%H:%M}"
    details_form.expected_award.data = found.expected_award_on
    return details_form


@bp.route("/<int:tender_id>")
@login_required
def tender(tender_id: int) -> Any:
    found = lifecycle.get_tender(db.session, page_actor(), tender_id)
    if access.has_role(current_user, access.SUPPLIER) and not access.can_manage_tenders(current_user):
        return redirect(url_for("opportunities.detail", tender_id=tender_id))
    agency = access.can_manage_tenders(current_user)
    own = None if agency else frozenset(current_user.organisation_ids)
    may = TenderActions(page_actor(), found)
    lots = [pooling.lot_summary(lot, own) for lot in found.lots]
    facts = progress.tender_facts(db.session, found)
    mine = sum(1 for s in lots for line in s["visible_lines"] if may.answer_line(line)) if not agency else 0
    return render_template(
        "tenders/tender.html", tender=found, agency=agency, lots=lots,
        button=ConfirmForm(), reason_form=ReasonForm(), quantity_text=quantity_text,
        amend_form=AmendForm(), answer_form=AnswerForm(), may=may,
        next_step=progress.next_action(facts, agency=agency, own_pending=mine),
        tasks=progress.draft_tasks(facts) if may.abandon else None,
        questions=clarifications.clarifications(db.session, page_actor(), tender_id),
        documents=lifecycle.readable_documents(db.session, page_actor(), tender_id),
        bids_in_box=bids.box_facts(db.session, page_actor(), tender_id) if agency else None,
        may_declare_conflicts=conflicts.can_declare(db.session, page_actor(), found))


@bp.route("/lines/<int:line_id>/<any(confirm, decline):answer>", methods=["POST"])
@login_required
def answer(line_id: int, answer: str) -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("The form expired: try again", "error")
        return redirect(url_for("pools.mine"))
    line = pooling.respond(db.session, page_actor(), line_id, confirm=answer == "confirm")
    flash(f"Line {'confirmed' if answer == 'confirm' else 'declined'} for {line.lot.tender.reference}, lot {line.lot.number}", "success")
    return redirect(local_path(request.form.get("next")) or url_for("pools.mine"))


# The draft's builder: a task list on the tender page, each task a page of its own --------------

TASKS = {"details": "Details and timeline", "lots": "Lots", "criteria": "Quality criteria and weights",
         "documents": "Tender documents", "confirmation": "Buyers' confirmation of their lines", "publish": "Check and publish"}


@bp.route("/<int:tender_id>/build/<any(details, lots, criteria, documents, confirmation, publish):task>")
@login_required
def build(tender_id: int, task: str) -> Any:
    require(access.can_manage_tenders(current_user))
    found = lifecycle.get_tender(db.session, page_actor(), tender_id)
    may = TenderActions(page_actor(), found)
    may.abandon.enforce()
    facts = progress.tender_facts(db.session, found)
    tasks = {t.key: t for t in progress.draft_tasks(facts)}
    return render_template(
        "tenders/task.html", tender=found, task=task, agency=True, heading=TASKS[task], status=tasks[task], may=may,
        lots=[pooling.lot_summary(lot) for lot in found.lots], button=ConfirmForm(), details_form=_details_form(found),
        document_form=DocumentForm(), publish_form=PublishForm(), criteria_slots=CRITERIA_SLOTS, quantity_text=quantity_text,
        problems=publication.publication_problems(db.session, found) if task == "publish" else {},
        documents=lifecycle.readable_documents(db.session, page_actor(), tender_id))


def _to_task(tender_id: int, task: str) -> Any:
    return redirect(url_for("tenders.build", tender_id=tender_id, task=task))


def _confirming(tender_id: int, act: str) -> tuple[Any, TenderActions]:
    """A destructive act's confirmation page and its post: agency staff only, and only while
    the act is allowed (a refused GET is refused as its POST would be)."""
    require(access.can_manage_tenders(current_user))
    found = lifecycle.get_tender(db.session, page_actor(), tender_id)
    may = TenderActions(page_actor(), found)
    getattr(may, act).enforce()
    return found, may


@bp.route("/<int:tender_id>/close-confirmation", methods=["GET", "POST"])
@login_required
def close_confirmation(tender_id: int) -> Any:
    found, _may = _confirming(tender_id, "close_confirmation")
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        pooling.close_confirmation(db.session, page_actor(), tender_id)
        flash(f"Confirmation closed for {found.reference}: lot quantities are the confirmed lines", "success")
        return _back(tender_id)
    lines = [line for lot in found.lots for line in lot.lines]
    return render_template("tenders/confirm_act.html", tender=found, act="close_confirmation", button=ConfirmForm(),
                           pending=[line for line in lines if line.status is LineStatus.pending],
                           confirmed=sum(1 for line in lines if line.status is LineStatus.confirmed))


@bp.route("/<int:tender_id>/abandon", methods=["GET", "POST"])
@login_required
def abandon(tender_id: int) -> Any:
    found, _may = _confirming(tender_id, "abandon")
    form = ReasonForm()
    if request.method == "POST":
        if form.validate_on_submit():
            publication.cancel_draft(db.session, page_actor(), tender_id, form.reason.data or "")
            flash("Draft abandoned: its requirements are back on the demand board", "success")
            return _back(tender_id)
        return render_template("tenders/confirm_act.html", tender=found, act="abandon", form=form), 400
    return render_template("tenders/confirm_act.html", tender=found, act="abandon", form=form,
                           lines=sum(1 for lot in found.lots for line in lot.lines if line.status in pooling.OPEN_LINE))


@bp.route("/<int:tender_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(tender_id: int) -> Any:
    found, _may = _confirming(tender_id, "cancel")
    form = ReasonForm()
    if request.method == "POST":
        if form.validate_on_submit():
            publication.cancel(db.session, page_actor(), tender_id, form.reason.data or "")
            flash("Tender cancelled", "success")
            return _back(tender_id)
        return render_template("tenders/confirm_act.html", tender=found, act="cancel", form=form), 400
    return render_template("tenders/confirm_act.html", tender=found, act="cancel", form=form,
                           bids=len(bids.box_facts(db.session, page_actor(), tender_id)))


# Running a tender (agency) ------------------------------------------------------------------

def _moment(day: Any, hhmm: str | None, field: str, errors: dict[str, list[str]]) -> datetime | None:
    if not day:
        return None
    try:
        return london_moment(day, hhmm or "12:00")
    except ValueError as exc:
        errors[field] = [str(exc)]
        return None


def _flash_errors(error: InvalidInput | Unavailable) -> None:
    for messages in error.field_errors.values() or [[error.message]]:
        for message in messages:
            flash(message, "error")


def _back(tender_id: int) -> Any:
    return redirect(url_for("tenders.tender", tender_id=tender_id))


@bp.route("/<int:tender_id>/details", methods=["POST"])
@login_required
def details(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    form = DetailsForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return _to_task(tender_id, "details")
    errors: dict[str, list[str]] = {}
    titles, values = _lot_fields(errors)
    data = publication.TenderDetails(
        title=form.title.data or "", description=form.description.data or "", price_weight=form.price_weight.data or 0,
        clarification_deadline=_moment(form.clarification_date.data, form.clarification_time.data, "clarification_time", errors),
        submission_deadline=_moment(form.deadline_date.data, form.deadline_time.data, "deadline_time", errors),
        expected_award_on=form.expected_award.data, lot_values=values, lot_titles=titles)
    try:
        with undone_if_refused():
            if errors:
                raise InvalidInput("The details are not valid", field_errors=errors)
            publication.set_details(db.session, page_actor(), tender_id, data)
    except InvalidInput as error:
        _flash_errors(error)
        return _to_task(tender_id, "details")
    else:
        flash("Details saved", "success")
    return _back(tender_id)


@bp.route("/<int:tender_id>/lots", methods=["POST"])
@login_required
def lots(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    if not ConfirmForm().validate_on_submit():
        flash("The form expired: try again", "error")
        return _to_task(tender_id, "lots")
    errors: dict[str, list[str]] = {}
    titles, values = _lot_fields(errors)
    try:
        with undone_if_refused():
            if errors:
                raise InvalidInput("The lots are not valid", field_errors=errors)
            publication.set_lots(db.session, page_actor(), tender_id, titles=titles, values=values)
    except InvalidInput as error:
        _flash_errors(error)
        return _to_task(tender_id, "lots")
    flash("Lots saved", "success")
    return _back(tender_id)


def _lot_fields(errors: dict[str, list[str]]) -> tuple[dict[int, str], dict[int, Decimal]]:
    """The lots' titles and estimated values as posted (`lot-title-N`, `lot-value-N`)."""
    values: dict[int, Decimal] = {}
    titles: dict[int, str] = {}
    for key, raw in request.form.items():
        if key.startswith("lot-value-") and raw.strip():
            try:
                values[int(key.removeprefix("lot-value-"))] = Decimal(raw.strip().replace(",", "").removeprefix("£"))
            except (ValueError, ArithmeticError):
                errors.setdefault("lot_values", []).append(f"Lot {key.removeprefix('lot-value-')}: enter an amount in pounds")
        elif key.startswith("lot-title-"):
            number = key.removeprefix("lot-title-")
            if number.isdecimal():
                titles[int(number)] = raw
            else:
                errors.setdefault("lot_titles", []).append(f"There is no lot {number[:20]}")
    return titles, values


@bp.route("/<int:tender_id>/criteria", methods=["POST"])
@login_required
def criteria(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    if not ConfirmForm().validate_on_submit():
        flash("The form expired: try again", "error")
        return _to_task(tender_id, "criteria")
    slots = [n for n in range(1, CRITERIA_SLOTS + 1) if request.form.get(f"crit-{n}-name", "").strip()]
    entered = {"criteria": [{"name": request.form.get(f"crit-{n}-name", "").strip(),
                             "weight": request.form.get(f"crit-{n}-weight", "").strip(),
                             "descriptors": request.form.get(f"crit-{n}-descriptors", "").splitlines(),
                             "pass_mark": request.form.get(f"crit-{n}-pass", "").strip() or None} for n in slots]}
    try:
        with undone_if_refused():
            try:
                loaded = CriteriaSchema().load(entered)
            except ValidationError as error:
                raise InvalidInput("The criteria are not valid", field_errors={"criteria": [
                    f"Criterion {slots[n]}: {message}" for n, found in error.messages.get("criteria", {}).items()
                    for messages in found.values() for message in _texts(messages)]}) from None
            publication.set_criteria(db.session, page_actor(), tender_id,
                                   [publication.CriterionInput(**c) for c in loaded["criteria"]])
    except InvalidInput as error:
        _flash_errors(error)
        return _to_task(tender_id, "criteria")
    else:
        flash("Criteria saved", "success")
    return _back(tender_id)


def _texts(messages: Any) -> list[str]:
    """A field's messages once each (a list field's are by position)."""
    if isinstance(messages, dict):
        return list(dict.fromkeys(m for inner in messages.values() for m in _texts(inner)))
    return [str(m) for m in messages]


@bp.route("/<int:tender_id>/documents", methods=["POST"])
@login_required
def add_document(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                publication.add_document(db.session, page_actor(), tender_id, title=form.title.data or "",
                                       filename=form.file.data.filename or "", stream=form.file.data.stream,
)
        except (InvalidInput, Unavailable) as error:
            _flash_errors(error)
            return _to_task(tender_id, "documents")
        else:
            flash("Document added", "success")
            return _back(tender_id)
    flash("Choose a file and give it a title", "error")
    return _to_task(tender_id, "documents")


@bp.route("/documents/<int:document_id>")
@login_required
def document(document_id: int) -> Any:
    found = publication.get_document(db.session, page_actor(), document_id)
    return send_stored(file_store(db.session), found.stored_path, download_name=found.filename, size=found.size,
                       sha256=found.sha256, mimetype=mimetypes.guess_type(found.filename)[0] or "application/octet-stream")


@bp.route("/<int:tender_id>/publish", methods=["POST"])
@login_required
def publish(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    form = PublishForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "error")
        return _to_task(tender_id, "publish")
    period = rules.ShortPeriod(short_period_ground=form.short_period_ground.data or None,
                               short_period_reason=form.short_period_reason.data or "",
                               planned_notice_published_on=form.planned_notice_published_on.data,
                               planned_notice_reference=form.planned_notice_reference.data or "")
    try:
        with undone_if_refused():
            found = publication.publish(db.session, page_actor(), tender_id, short_period=period,
                                      master_secret=current_app.config["BID_SEALING_KEY"])
    except InvalidInput as error:
        _flash_errors(error)
        return _to_task(tender_id, "publish")
    else:
        flash(f"{found.reference} is published: suppliers can ask questions and bid", "success")
    return _back(tender_id)


@bp.route("/<int:tender_id>/amend", methods=["POST"])
@login_required
def amend(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    form = AmendForm()
    if not form.validate_on_submit():
        flash("Describe the change", "error")
        return _back(tender_id)
    errors: dict[str, list[str]] = {}
    deadline = _moment(form.deadline_date.data, form.deadline_time.data, "deadline_time", errors)
    document = None
    if form.file.data and getattr(form.file.data, "filename", ""):
        document = (form.document_title.data or form.file.data.filename, form.file.data.filename,
                    form.file.data.stream)
    try:
        with undone_if_refused():
            if errors:
                raise InvalidInput("The amendment is not valid", field_errors=errors)
            amendment = publication.amend(db.session, page_actor(), tender_id, summary=form.summary.data or "",
                                        new_deadline=deadline, document=document)
    except (InvalidInput, Unavailable) as error:
        _flash_errors(error)
    else:
        due = to_london(amendment.new_deadline)
        flash(f"Amendment {amendment.number} published; bids are due by {due:%-d %B %Y %H:%M}", "success")
    return _back(tender_id)


@bp.route("/clarifications/<int:clarification_id>/answer", methods=["POST"])
@login_required
def answer_question(clarification_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    form = AnswerForm()
    if form.validate_on_submit():
        found = clarifications.answer(db.session, page_actor(), clarification_id, form.answer.data or "")
        flash("Answer published to every supplier", "success")
        return _back(found.tender_id)
    flash("Enter the answer", "error")
    return redirect(request.referrer or url_for("tenders.index"))


@bp.route("/<int:tender_id>/opening/<any(request, confirm):step>", methods=["POST"])
@login_required
def open_box(tender_id: int, step: str) -> Any:
    require(access.can_open_tenders(current_user))
    if not ConfirmForm().validate_on_submit():
        flash("The form expired: try again", "error")
        return _back(tender_id)
    if step == "request":
        opening.request_opening(db.session, page_actor(), tender_id)
        flash("Opening requested: a second agency user must confirm it", "success")
        return _back(tender_id)
    result = opening.confirm_opening(db.session, page_actor(), tender_id)
    flash(f"The box is open: {result.opened} bid(s) opened, {result.corrupt} corrupt, {result.lines:,} lines", "success")
    return redirect(url_for("tenders.opened", tender_id=tender_id))


@bp.route("/<int:tender_id>/opened")
@login_required
def opened(tender_id: int) -> Any:
    require(access.can_open_tenders(current_user))
    found = lifecycle.get_tender(db.session, page_actor(), tender_id)
    opened = opening.opened_bids(db.session, page_actor(), tender_id)
    suppliers = {s.id: s.legal_name for s in db.session.scalars(select(Supplier).where(Supplier.id.in_([b.supplier_id for b in opened])))}
    return render_template("tenders/opened.html", tender=found, bids=opened, suppliers=suppliers,
                           lines=opening.line_counts(db.session, opened))


@pools_bp.route("/requirements/pools")
@login_required
def mine() -> Any:
    require(access.can_raise_requirements(current_user))
    own = sorted(current_user.organisation_ids)
    names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(own))).all())
    shares = {o: boards.pools_for_organisation(db.session, page_actor(), o) for o in own}
    return render_template("tenders/pools.html", shares=shares, names=names,
                           lines=pooling.lines_to_answer(db.session, page_actor()), rules=demand_rules)
