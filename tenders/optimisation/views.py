"""The optimised award page (agency): the tender's award rules (set while a draft), working
out the optimised award in a job with live progress, its explanation and comparisons, each
organisation's share of the saving, and adopting it as the recommendation."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import Conflict, InvalidInput
from tenders.award.views import run_posted
from procurement.parties.forms import ConfirmForm
from tenders.award import evaluation
from tenders.optimisation import optimised_award
from tenders.permissions import TenderActions

bp = Blueprint("optimised", __name__, template_folder="../templates")


def _back(tender_id: int) -> Any:
    return redirect(url_for("optimised.page", tender_id=tender_id))


@bp.route("/tenders/<int:tender_id>/optimised-award")
@login_required
def page(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    tender, award, job = optimised_award.view(db.session, page_actor(), tender_id)
    may = TenderActions(page_actor(), tender, mine=evaluation.evaluator_of(db.session, page_actor(), tender))
    return render_template("tenders/optimised.html", tender=tender, award=award, job=job, button=ConfirmForm(), may=may,
                           rules=optimised_award.describe_rules(tender))


def _act(tender_id: int, act: Any, done: str) -> Any:
    require(access.can_manage_tenders(current_user))
    return run_posted(_back(tender_id), act, done, also=(Conflict,))


@bp.route("/tenders/<int:tender_id>/optimised-award", methods=["POST"])
@login_required
def work_out(tender_id: int) -> Any:
    return _act(tender_id, lambda: optimised_award.request_optimisation(db.session, page_actor(), tender_id),
                "The optimised award is being worked out in the background")


@bp.route("/tenders/<int:tender_id>/optimised-award/<int:award_id>/adopt", methods=["POST"])
@login_required
def adopt(tender_id: int, award_id: int) -> Any:
    return _act(tender_id, lambda: optimised_award.adopt(db.session, page_actor(), tender_id, award_id),
                "Adopted as the recommendation for every lot it awards: a second agency user approves each lot")


@bp.route("/tenders/<int:tender_id>/award-rules", methods=["POST"])
@login_required
def rules(tender_id: int) -> Any:
    form = request.form

    def whole(name: str, default: int | None) -> int | None:
        text = form.get(name, "").strip()
        if not text:
            return default
        if not text.isdecimal():
            raise InvalidInput("The award rules are not valid", field_errors={name: [f"Enter a whole number for {name.replace('_', ' ')}"]})
        return int(text)

    def act() -> None:
        try:
            share = Decimal(form.get("min_share_percent", "0").strip() or "0")
        except InvalidOperation:
            raise InvalidInput("The award rules are not valid", field_errors={"min_share_percent": ["Enter the least share as a percentage"]}) from None
        optimised_award.set_award_rules(db.session, page_actor(), tender_id, optimised_award.AwardRules(
            optimised=form.get("optimised") == "yes", max_suppliers_per_lot=whole("max_suppliers_per_lot", 1) or 1,
            min_share_percent=share, max_lots_per_supplier=whole("max_lots_per_supplier", None),
            min_suppliers=whole("min_suppliers", 1) or 1, every_lot=form.get("every_lot", "yes") == "yes"))

    return _act(tender_id, act, "Award rules saved: they are published with the tender")
