"""Demand pages: buyers' requirements and pools; the agency's demand board."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from catalogue.models import CatalogueItem
from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import InvalidInput
from procurement.core.http import undone_if_refused
from procurement.core.webforms import apply_errors
from demand import permissions
from demand.permissions import RequirementActions
from demand import board as boards
from demand import rules, services, uploads
from demand.forms import BoardFilterForm, FormTenderForm, ReasonForm, RequirementForm, UploadForm
from demand.models import RequirementStatus
from demand.schemas import RequirementListArgsSchema
from procurement.parties.forms import ConfirmForm
from procurement.parties.models import Organisation, Partnership
from catalogue.spreadsheets import csv_text

bp = Blueprint("demand", __name__, template_folder="templates")


def _organisation_choices(form: Any) -> None:
    own = sorted(getattr(current_user, "organisation_ids", ()) or ())
    names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(own))).all()) if own else {}
    form.organisation_id.choices = [(i, names.get(i, str(i))) for i in own]


def _item_choices(form: RequirementForm) -> None:
    items = db.session.execute(select(CatalogueItem.id, CatalogueItem.name, CatalogueItem.unit).order_by(CatalogueItem.name))
    form.catalogue_item_id.choices = [(0, "None: I will give a CPV code and a specification")] + [
        (i, f"{name} (priced {'each' if unit == 'each' else 'per ' + unit})") for i, name, unit in items]


def _input(form: RequirementForm) -> services.RequirementInput:
    return services.RequirementInput(
        organisation_id=form.organisation_id.data or None, title=form.title.data or "",
        catalogue_item_id=form.catalogue_item_id.data or None, cpv_code=form.cpv_code.data or "",
        specification=form.specification.data or "", quantity=form.quantity.data or "", unit=form.unit.data or "",
        delivery_location=form.delivery_location.data or "", needed_by=form.needed_by.data,
        baseline_unit_price=form.baseline_unit_price.data or "", notes=form.notes.data or "",
    )


SUBMITTED = ("submitted: the e-agency pools it with other organisations' demand for the same thing, and you are "
             "asked to confirm it when it goes into a joint tender")


def _checked(form: RequirementForm) -> bool:
    """Every field checked in one pass: the form's own checks and the requirement's rules,
    so that one error summary lists every problem at once."""
    valid = form.validate_on_submit()
    if request.method != "POST":
        return False
    _values, errors = services.validate(db.session, _input(form))
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is not None and not field.errors:
            field.errors = list(messages)
    return valid and not errors


def _cpv_finder(form: RequirementForm) -> tuple[bool, list[Any], str]:
    """The CPV finder, without JavaScript: 'Find CPV codes' lists matching codes, each with a
    button that puts it in the CPV code field (with its check digit, as the service writes
    codes). Neither saves anything. Returns (finding, codes, the words found nothing for)."""
    if request.method != "POST":
        return False, [], ""
    chosen = request.form.get("use_cpv", "").split("-", 1)[0]
    if chosen.isdecimal() and len(chosen) == 8:
        form.cpv_code.data = services.cpv_with_check_digit(chosen)
        form.cpv_search.data = ""
        return True, [], ""
    query = (form.cpv_search.data or "").strip()
    # Enter pressed in any field presses the form's first button, the finder's: with nothing
    # to find, it is taken as saving the form.
    if form.find_cpv.data and query:
        codes = services.find_cpv_codes(db.session, page_actor(), query, limit=20)
        return True, codes, "" if codes else query
    return False, [], ""


@bp.route("/requirements")
@login_required
def requirements() -> Any:
    require(access.can_raise_requirements(current_user) or access.has_role(current_user, access.AGENCY))
    try:
        args = RequirementListArgsSchema().load({k: v for k, v in request.args.items() if v != ""})
    except ValidationError:
        args = RequirementListArgsSchema().load({})
    page = max(1, request.args.get("page", 1, type=int) or 1)
    found, total = services.list_requirements(db.session, page_actor(), organisation_id=args["organisation_id"],
                                              status=args["status"], page=page)
    return render_template("demand/requirements.html", requirements=found, total=total, page=page,
                           statuses=list(RequirementStatus), chosen_status=args["status"],
                           can_raise=access.can_raise_requirements(current_user), rules=rules)


@bp.route("/requirements/new", methods=["GET", "POST"])
@login_required
def new_requirement() -> Any:
    require(access.can_raise_requirements(current_user))
    form = RequirementForm()
    _organisation_choices(form)
    _item_choices(form)
    finding, codes, unmatched = _cpv_finder(form)
    if not finding and _checked(form):
        try:
            with undone_if_refused():
                created = services.create_requirement(db.session, page_actor(), _input(form), submit=bool(form.submit_now.data))
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash(f"Requirement saved and {SUBMITTED}" if form.submit_now.data
                  else "Requirement saved as a draft: submit it when it is ready", "success")
            return redirect(url_for("demand.requirement", requirement_id=created.id))
    return render_template("demand/requirement_form.html", form=form, title="Raise a requirement", editing=False,
                           codes=codes, finding=finding, unmatched=unmatched)


@bp.route("/requirements/<int:requirement_id>")
@login_required
def requirement(requirement_id: int) -> Any:
    found = services.get_requirement(db.session, page_actor(), requirement_id)
    own = access.can_act_for_organisation(current_user, found.organisation_id)
    tender = services.tender_of(db.session, found)
    return render_template(
        "demand/requirement.html", requirement=found, own=own, rules=rules, may=RequirementActions(page_actor(), found),
        button=ConfirmForm(), raised_by=services.raised_by(db.session, found),
        outcome=tender if tender and tender.decided and own and access.can_raise_requirements(current_user) else None,
        reason_form=ReasonForm(), agency=access.can_stop_requirements(current_user),
    )


@bp.route("/requirements/<int:requirement_id>/edit", methods=["GET", "POST"])
@login_required
def edit_requirement(requirement_id: int) -> Any:
    found = services.get_requirement(db.session, page_actor(), requirement_id)
    require(access.can_act_for_organisation(current_user, found.organisation_id))
    form = RequirementForm(obj=found) if request.method == "GET" else RequirementForm()
    _organisation_choices(form)
    _item_choices(form)
    del form.submit_now
    if request.method == "GET":
        form.catalogue_item_id.data = found.catalogue_item_id or 0
        form.quantity.data = rules.quantity_text(found.quantity)
        form.baseline_unit_price.data = str(found.baseline_unit_price)
        form.cpv_code.data = services.cpv_with_check_digit(found.cpv_code)
    finding, codes, unmatched = _cpv_finder(form)
    if not finding and _checked(form):
        try:
            with undone_if_refused():
                services.update_requirement(db.session, page_actor(), requirement_id, _input(form))
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash("Requirement saved", "success")
            return redirect(url_for("demand.requirement", requirement_id=requirement_id))
    return render_template("demand/requirement_form.html", form=form, title=f"Edit requirement: {found.title}",
                           editing=True, codes=codes, finding=finding, unmatched=unmatched)


def _act(requirement_id: int, action: Any, message: str, form_class: Any = ConfirmForm) -> Any:
    form = form_class()
    if not form.validate_on_submit():
        flash("; ".join(m for ms in form.errors.values() for m in ms) or "The form expired: try again", "error")
        return redirect(url_for("demand.requirement", requirement_id=requirement_id))
    action(form)
    flash(message, "success")
    return redirect(url_for("demand.requirement", requirement_id=requirement_id))


# What each irreversible act does, said on its confirmation page before it is done.
CONFIRMATIONS: dict[str, dict[str, Any]] = {
    "withdraw": {
        "heading": "Withdraw this requirement?", "button": "Withdraw the requirement", "reason": False,
        "may": permissions.can_withdraw, "endpoint": "demand.withdraw_requirement",
        "effects": ["It leaves the e-agency's pooling and any draft joint tender it was put into.",
                    "It cannot be submitted again: to buy it later, raise a new requirement."],
    },
    "fulfilled": {
        "heading": "Mark this requirement as delivered?", "button": "Mark as delivered", "reason": False,
        "may": permissions.can_mark_fulfilled, "endpoint": "demand.fulfil_requirement",
        "effects": ["It is recorded as delivered under its order, and this cannot be undone."],
    },
    "agency-withdraw": {
        "heading": "Withdraw this requirement from its tender?", "button": "Withdraw on the organisation's behalf",
        "reason": True, "may": permissions.can_agency_withdraw, "endpoint": "demand.agency_withdraw",
        "effects": ["Its line leaves the joint tender's lot, and the lot's quantity falls by its quantity.",
                    "The reason is recorded and shown to the organisation's buyers. This cannot be undone."],
    },
    "cancel": {
        "heading": "Cancel this requirement?", "button": "Cancel the requirement", "reason": True,
        "may": permissions.can_cancel, "endpoint": "demand.cancel_requirement",
        "effects": ["It leaves the demand board, and its line any joint tender it is in.",
                    "The reason is recorded and shown to the organisation's buyers. This cannot be undone."],
    },
}


def _confirmation(requirement_id: int, act: str) -> Any:
    """GET: the page saying what the act does, with the button that does it (a read: nothing
    changes). Shown only to whoever may do it now."""
    found = services.get_requirement(db.session, page_actor(), requirement_id)
    what = CONFIRMATIONS[act]
    what["may"](page_actor(), found).enforce()
    return render_template("demand/confirm.html", requirement=found, what=what, rules=rules,
                           form=ReasonForm() if what["reason"] else ConfirmForm())


@bp.route("/requirements/<int:requirement_id>/submit", methods=["POST"])
@login_required
def submit_requirement(requirement_id: int) -> Any:
    return _act(requirement_id, lambda f: services.submit_requirement(db.session, page_actor(), requirement_id),
                "Requirement " + SUBMITTED)


@bp.route("/requirements/<int:requirement_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_requirement(requirement_id: int) -> Any:
    if request.method == "GET":
        return _confirmation(requirement_id, "withdraw")
    return _act(requirement_id, lambda f: services.withdraw_requirement(db.session, page_actor(), requirement_id),
                "Requirement withdrawn")


@bp.route("/requirements/<int:requirement_id>/fulfilled", methods=["GET", "POST"])
@login_required
def fulfil_requirement(requirement_id: int) -> Any:
    if request.method == "GET":
        return _confirmation(requirement_id, "fulfilled")
    return _act(requirement_id, lambda f: services.mark_fulfilled(db.session, page_actor(), requirement_id),
                "Marked as delivered")


@bp.route("/requirements/<int:requirement_id>/agency-withdraw", methods=["GET", "POST"])
@login_required
def agency_withdraw(requirement_id: int) -> Any:
    require(access.can_stop_requirements(current_user))
    if request.method == "GET":
        return _confirmation(requirement_id, "agency-withdraw")
    return _act(requirement_id, lambda f: services.agency_withdraw(db.session, page_actor(), requirement_id, f.reason.data),
                "Requirement withdrawn from its tender", ReasonForm)


@bp.route("/requirements/<int:requirement_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_requirement(requirement_id: int) -> Any:
    require(access.can_stop_requirements(current_user))
    if request.method == "GET":
        return _confirmation(requirement_id, "cancel")
    return _act(requirement_id, lambda f: services.cancel_requirement(db.session, page_actor(), requirement_id, f.reason.data),
                "Requirement cancelled", ReasonForm)


@bp.route("/requirements/upload", methods=["GET", "POST"])
@login_required
def upload() -> Any:
    require(access.can_raise_requirements(current_user))
    form = UploadForm()
    _organisation_choices(form)
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                record = uploads.upload_requirements(
                    db.session, page_actor(), organisation_id=form.organisation_id.data or None,
                    filename=form.file.data.filename or "", stream=form.file.data.stream,
                    max_bytes=current_app.config["REQUIREMENT_UPLOAD_MAX_BYTES"], submit=bool(form.submit_now.data))
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("demand.upload_report", upload_id=record.id))
    return render_template("demand/upload.html", form=form, columns=uploads.COLUMNS, max_rows=uploads.MAX_ROWS)


@bp.route("/requirements/uploads/<int:upload_id>")
@login_required
def upload_report(upload_id: int) -> Any:
    record = uploads.get_upload(db.session, page_actor(), upload_id)
    return render_template("demand/upload_report.html", record=record, live=uploads.upload_progress(record))


@bp.route("/requirements/uploads/<int:upload_id>/progress.json")
@login_required
def upload_progress(upload_id: int) -> Any:
    """Polled by the report page while the file is checked: the job row's progress, then the
    upload's outcome (read-only)."""
    return uploads.upload_progress(uploads.get_upload(db.session, page_actor(), upload_id))


@bp.route("/requirements/uploads/<int:upload_id>/errors.csv")
@login_required
def upload_errors(upload_id: int) -> Any:
    record = uploads.get_upload(db.session, page_actor(), upload_id)
    return Response(uploads.errors_csv(record), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=requirements-upload-{upload_id}-errors.csv"})


@bp.route("/requirements/template.csv")
@login_required
def upload_template() -> Any:
    require(access.can_raise_requirements(current_user))
    return Response(uploads.template_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=requirements-template.csv"})


SORT_LABELS = {
    "value": "Value, largest first",
    "saving": "Estimated saving",
    "spend": "Spend today",
    "organisations": "Organisations",
    "needed_by": "Earliest needed",
}


def _board_filter() -> tuple[BoardFilterForm, boards.BoardFilter]:
    """The filter as asked (the board's defaults where nothing is asked); an invalid one is
    shown with its errors and the defaults applied."""
    form = BoardFilterForm(request.args, depths=list(rules.DEPTHS),
                           partnerships=[(p.value, p.value.capitalize()) for p in Partnership],
                           sorts=[(s, SORT_LABELS[s]) for s in boards.SORTS])
    if request.args and not form.validate():
        return form, boards.BoardFilter()
    chosen = boards.BoardFilter(
        depth=form.depth.data or "class", needed_from=form.needed_from.data, needed_to=form.needed_to.data,
        partnership=Partnership(form.partnership.data) if form.partnership.data else None,
        min_organisations=int(form.min_organisations.data) if (form.min_organisations.data or "").strip()
        else boards.DEFAULT_MIN_ORGANISATIONS,
        above_threshold_only=bool(form.above_threshold_only.data), sort=form.sort.data or boards.DEFAULT_SORT)
    try:
        chosen.check()
    except InvalidInput as error:
        apply_errors(form, error)
        return form, boards.BoardFilter()
    return form, chosen


def _filter_args(chosen: boards.BoardFilter) -> dict[str, Any]:
    """The filter as query arguments, for the CSV link, the pages and 'show all'."""
    args: dict[str, Any] = {"depth": chosen.depth, "min_organisations": chosen.min_organisations, "sort": chosen.sort}
    if chosen.needed_from:
        args["needed_from"] = chosen.needed_from.isoformat()
    if chosen.needed_to:
        args["needed_to"] = chosen.needed_to.isoformat()
    if chosen.partnership:
        args["partnership"] = chosen.partnership.value
    if chosen.above_threshold_only:
        args["above_threshold_only"] = "y"
    return args


@bp.route("/demand")
@login_required
def board() -> Any:
    require(access.can_view_demand_board(current_user))
    filter_form, chosen = _board_filter()
    pools = boards.demand_board(db.session, page_actor(), chosen)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    per_page = 50
    return render_template(
        "demand/board.html", pools=pools[(page - 1) * per_page: page * per_page], total=len(pools), page=page,
        pages=max(1, -(-len(pools) // per_page)), chosen=chosen, filter_form=filter_form, form=filter_form,
        tender_form=FormTenderForm(), rules=rules, args=_filter_args(chosen),
        default_min=boards.DEFAULT_MIN_ORGANISATIONS,
    )


@bp.route("/demand/export.csv")
@login_required
def board_csv() -> Any:
    require(access.can_view_demand_board(current_user))
    filter_form, chosen = _board_filter()
    if filter_form.errors:
        raise InvalidInput("The filter is not valid", field_errors={k: list(v) for k, v in filter_form.errors.items()})
    pools = boards.demand_board(db.session, page_actor(), chosen)
    return Response(csv_text(boards.board_csv_rows(pools)), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=demand-board.csv"})
