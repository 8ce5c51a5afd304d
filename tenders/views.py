"""Joint tender pages: forming drafts from pools, buyers confirming their lines, closing."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError

from procurement.auth import page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import InvalidInput
from procurement.demand.board import BoardFilter
from procurement.demand.rules import quantity_text
from procurement.demand.schemas import BoardArgsSchema
from procurement.demand.forms import ReasonForm
from procurement.forms import ConfirmForm
from tenders import pooling
from tenders.forms import FormTenderForm

bp = Blueprint("tenders", __name__, url_prefix="/tenders", template_folder="templates")


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


@bp.route("/<int:tender_id>")
@login_required
def tender(tender_id: int) -> Any:
    found = pooling.get_tender(db.session, page_actor(), tender_id)
    agency = access.can_manage_tenders(current_user)
    own = None if agency else frozenset(current_user.organisation_ids)
    return render_template("tenders/tender.html", tender=found, agency=agency,
                           lots=[pooling.lot_summary(lot, own) for lot in found.lots], button=ConfirmForm(),
                           reason_form=ReasonForm(), quantity_text=quantity_text)


@bp.route("/lines/<int:line_id>/<any(confirm, decline):answer>", methods=["POST"])
@login_required
def answer(line_id: int, answer: str) -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("The form expired: try again", "error")
        return redirect(url_for("demand.my_pools"))
    line = pooling.respond(db.session, page_actor(), line_id, confirm=answer == "confirm")
    flash(f"Line {'confirmed' if answer == 'confirm' else 'declined'} for {line.lot.tender.reference}, lot {line.lot.number}", "success")
    target = request.form.get("next", "")
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return redirect(target if local else url_for("demand.my_pools"))


@bp.route("/<int:tender_id>/close-confirmation", methods=["POST"])
@login_required
def close_confirmation(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    if ConfirmForm().validate_on_submit():
        found = pooling.close_confirmation(db.session, page_actor(), tender_id)
        flash(f"Confirmation closed for {found.reference}: lot quantities are the confirmed lines", "success")
    return redirect(url_for("tenders.tender", tender_id=tender_id))


@bp.route("/<int:tender_id>/abandon", methods=["POST"])
@login_required
def abandon(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    form = ReasonForm()
    if form.validate_on_submit():
        pooling.cancel_draft(db.session, page_actor(), tender_id, form.reason.data or "")
        flash("Draft abandoned: its requirements are back on the demand board", "success")
    else:
        flash("Give a reason for abandoning the draft", "error")
    return redirect(url_for("tenders.tender", tender_id=tender_id))
