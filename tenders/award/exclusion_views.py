"""The agency's exclusions pages for a tender: each bidder's standing (a current declaration?
debarred? excludable grounds?) and the decision on an excludable one, with reasons."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import Conflict, InvalidInput
from procurement.core.http import undone_if_refused
from procurement.parties.auth import page_actor, require
from procurement.parties.forms import ConfirmForm
from suppliers import exclusions as supplier_exclusions
from tenders import permissions
from tenders.award import exclusions
from tenders.models import ExclusionChoice

bp = Blueprint("tender_exclusions", __name__, template_folder="../templates")
CHOICES = {ExclusionChoice.exclude.value: "Exclude it from this tender",
           ExclusionChoice.do_not_exclude.value: "Do not exclude it"}


@bp.route("/tenders/<int:tender_id>/exclusions")
@login_required
def index(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    tender, bidders = exclusions.tender_bidders(db.session, page_actor(), tender_id)
    return render_template("tenders/exclusions.html", tender=tender, bidders=bidders)


@bp.route("/tenders/<int:tender_id>/exclusions/<int:supplier_id>", methods=["GET", "POST"])
@login_required
def decide(tender_id: int, supplier_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    tender, bidder = exclusions.bidder(db.session, page_actor(), tender_id, supplier_id)
    errors: dict[str, list[str]] = {}
    choice = bidder.decision.decision.value if bidder.decision_stands and bidder.decision else ""
    reasons = bidder.decision.reasons if bidder.decision_stands and bidder.decision else ""
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            flash("The form expired: try again", "error")
            return redirect(url_for("tender_exclusions.decide", tender_id=tender_id, supplier_id=supplier_id))
        choice, reasons = request.form.get("decision", "")[:20], request.form.get("reasons", "")[:10000]
        try:
            with undone_if_refused():
                exclusions.decide(db.session, page_actor(), tender_id, supplier_id, choice, reasons)
        except InvalidInput as error:
            errors = error.field_errors
        except Conflict as error:
            flash(error.message, "error")
            return redirect(url_for("tender_exclusions.index", tender_id=tender_id))
        else:
            flash(f"Decision on {bidder.supplier.legal_name} recorded", "success")
            return redirect(url_for("tender_exclusions.index", tender_id=tender_id))
    may_decide = permissions.in_phase(page_actor(), tender, *exclusions.DECIDES_IN)
    return render_template("tenders/exclusion_decision.html", tender=tender, bidder=bidder, errors=errors, choice=choice,
                           reasons=reasons, choices=CHOICES, button=ConfirmForm(), may_decide=may_decide,
                           words=supplier_exclusions.ground_words)
