"""Suppliers' pages: opportunities, a tender's questions and answers, and their own bid."""
from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError

from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import Unavailable
from procurement.core.http import undone_if_refused
from demand.rules import quantity_text
from procurement.parties.forms import ConfirmForm
from tenders.permissions import TenderActions, can_read_results
from tenders import lifecycle
from tenders.bidding import bids
from tenders.forming.forms import QuestionForm, UploadScheduleForm
from tenders.bidding.content import BidContentSchema, bid_problems
from tenders.bidding import clarifications

bp = Blueprint("opportunities", __name__, url_prefix="/opportunities", template_folder="../templates")


@bp.route("/")
@login_required
def index() -> Any:
    require(access.can_view_opportunities(current_user))
    cpv = (request.args.get("cpv") or "").strip()
    error = None
    if cpv and not (len(cpv.split("-")[0]) == 8 and cpv.split("-")[0].isdecimal()):
        error, cpv = "Enter an 8-digit CPV code", ""
    found = clarifications.opportunities(db.session, page_actor(), cpv.split("-")[0] or None)
    history = bids.bid_history(db.session, page_actor()) if access.has_role(current_user, access.SUPPLIER) else []
    return render_template("tenders/opportunities.html", tenders=found, cpv=cpv, error=error, history=history,
                           results_readable=lambda tender: can_read_results(page_actor(), tender))


@bp.route("/<int:tender_id>")
@login_required
def detail(tender_id: int) -> Any:
    require(access.can_view_opportunities(current_user))
    tender = lifecycle.get_tender(db.session, page_actor(), tender_id)
    mine = bids.my_bid(db.session, page_actor(), tender_id) if access.has_role(current_user, access.SUPPLIER) else None
    may = TenderActions(page_actor(), tender, bid=mine.bid if mine else None)
    return render_template("tenders/opportunity.html", tender=tender, mine=mine, may=may, question_form=QuestionForm(),
                           questions=clarifications.clarifications(db.session, page_actor(), tender_id),
                           quantity_text=quantity_text)


@bp.route("/<int:tender_id>/questions", methods=["POST"])
@login_required
def ask(tender_id: int) -> Any:
    form = QuestionForm()
    if form.validate_on_submit():
        clarifications.ask(db.session, page_actor(), tender_id, form.question.data or "")
        flash("Question sent: the answer will be published to every supplier, without your name", "success")
    else:
        flash("Enter your question", "error")
    return redirect(url_for("opportunities.detail", tender_id=tender_id))


def _form_content(tender: Any, draft: dict[str, Any] | None) -> dict[str, Any]:
    """The bid form's fields as the content `BidContentSchema` loads: price-L-I (with sku-L-I,
    capacity-L-I, tiers-L-I) prices lot L's item I, and quality-N answers criterion N, its
    attachments already in the draft kept unless new ones are chosen."""
    kept = {q["criterion"]: q.get("attachments", []) for q in (draft or {}).get("quality", [])}
    lots = []
    for lot in tender.lots:
        keys = {item.number: f"{lot.number}-{item.number}" for item in lot.items}
        items = [{"item": number, "unit_price": request.form.get(f"price-{key}", "").strip(),
                  "offer_sku": request.form.get(f"sku-{key}", ""), "capacity": request.form.get(f"capacity-{key}", ""),
                  "tiers": request.form.get(f"tiers-{key}", "")}
                 for number, key in keys.items() if request.form.get(f"price-{key}", "").strip()]
        if items:
            lots.append({"lot": lot.number, "items": items})
    quality = []
    for criterion in tender.criteria:
        attachments = [{"filename": f.filename, "content_base64": base64.b64encode(f.read()).decode()}
                       for f in request.files.getlist(f"attachments-{criterion.number}") if f and f.filename]
        quality.append({"criterion": criterion.number, "text": request.form.get(f"quality-{criterion.number}", ""),
                        "attachments": attachments or kept.get(criterion.number, [])})
    return {"lots": lots, "bundles": request.form.get("bundles", ""), "quality": quality}


FIELD_IDS = {"unit_price": "price", "offer_sku": "sku", "capacity": "capacity", "tiers": "tiers"}


def _form_problems(error: ValidationError, content: dict[str, Any],
                   entered: dict[tuple[int, int], dict[str, Any]]) -> list[tuple[str, str | None]]:
    """The schema's problems with the bid form's field each is about (for the error summary's
    links), each line's also shown at its field."""
    found: list[tuple[str, str | None]] = []
    for text, path in bid_problems(error.messages, content):
        parts = path.split(".")
        field = None
        if parts[0] == "lots" and len(parts) >= 5 and parts[4] in FIELD_IDS:
            lot = content["lots"][int(parts[1])]
            key = (lot["lot"], lot["items"][int(parts[3])]["item"])
            entered[key].setdefault("errors", {})[parts[4]] = text
            field = f"{FIELD_IDS[parts[4]]}-{key[0]}-{key[1]}"
        elif parts[0] == "bundles":
            field = "bundles"
        elif parts[0] == "quality" and len(parts) >= 2:
            criterion = content["quality"][int(parts[1])]["criterion"]
            field = f"attachments-{criterion}" if "attachments" in parts else f"quality-{criterion}"
        found.append((text, field))
    return found


@bp.route("/<int:tender_id>/bid", methods=["GET", "POST"])
@login_required
def bid(tender_id: int) -> Any:
    require(access.has_role(current_user, access.SUPPLIER))
    tender = lifecycle.get_tender(db.session, page_actor(), tender_id)
    mine = bids.my_bid(db.session, page_actor(), tender_id)
    draft = bids.read_draft(db.session, page_actor(), tender_id) if tender.wrapped_key else None
    problems: list[tuple[str, str | None]] = []
    entered: dict[Any, Any] = {}
    content: dict[str, Any] = {}
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            flash("The form expired: try again", "error")
            return redirect(url_for("opportunities.bid", tender_id=tender_id))
        content = _form_content(tender, draft)
        entered = bids.form_lines(content)
        try:
            bid_input = BidContentSchema().load(content)
            with undone_if_refused():
                if request.form.get("action") == "submit":
                    receipt = bids.submit(db.session, page_actor(), tender_id, bid_input)
                    flash(f"Bid version {receipt.version} is in the box. Keep your receipt.", "success")
                    return redirect(url_for("opportunities.receipt", tender_id=tender_id, version=receipt.version))
                bids.save_draft(db.session, page_actor(), tender_id, bid_input)
                flash("Draft saved: only you can read it until you submit", "success")
                return redirect(url_for("opportunities.bid", tender_id=tender_id))
        except ValidationError as error:
            problems = _form_problems(error, content, entered)
        except bids.BidProblems as error:
            problems = [(problem, None) for problem in error.problems]
        except Unavailable as error:  # virus scanning: the form is kept, to send again
            problems = [(error.message, None)]
    lines = entered if problems else bids.draft_lines(draft)
    answers = {q["criterion"]: q for q in (content if problems else draft or {}).get("quality", [])}
    bundles = content["bundles"] if problems else "; ".join(
        "+".join(str(n) for n in b["lots"]) + ":" + b["discount_percent"] for b in (draft or {}).get("bundles", []))
    may = TenderActions(page_actor(), tender, bid=mine.bid)
    return render_template("tenders/bid.html", tender=tender, mine=mine, may=may, lines=lines, answers=answers, bundles=bundles,
                           problems=problems, button=ConfirmForm(), upload_form=UploadScheduleForm(), tiers_text=bids.tiers_text,
                           quantity_text=quantity_text)


@bp.route("/<int:tender_id>/bid/upload", methods=["POST"])
@login_required
def upload_schedule(tender_id: int) -> Any:
    form = UploadScheduleForm()
    if not form.validate_on_submit():
        flash("Choose the CSV file", "error")
        return redirect(url_for("opportunities.bid", tender_id=tender_id))
    try:
        with undone_if_refused():
            schedule = bids.schedule_from_csv(form.file.data.read(bids.MAX_SCHEDULE_BYTES + 1))
            draft = bids.read_draft(db.session, page_actor(), tender_id)
            bids.save_draft(db.session, page_actor(), tender_id,
                               bids.merge_schedule(draft, schedule))
    except bids.BidProblems as error:
        for problem in error.problems[:50]:
            flash(problem, "error")
    else:
        flash("Price schedule loaded into your draft: check it, answer the quality questions and submit", "success")
    return redirect(url_for("opportunities.bid", tender_id=tender_id))


@bp.route("/<int:tender_id>/schedule.csv")
@login_required
def schedule_template(tender_id: int) -> Any:
    require(access.can_view_opportunities(current_user))
    return Response(bids.schedule_template(db.session, page_actor(), tender_id), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=price-schedule-{tender_id}.csv"})


@bp.route("/<int:tender_id>/bid/<any(withdraw, reconfirm):action>", methods=["POST"])
@login_required
def bid_action(tender_id: int, action: str) -> Any:
    require(access.has_role(current_user, access.SUPPLIER))
    if ConfirmForm().validate_on_submit():
        if action == "withdraw":
            bids.withdraw(db.session, page_actor(), tender_id)
            flash("Your bid is withdrawn. You may submit again until the deadline.", "success")
        else:
            bids.reconfirm(db.session, page_actor(), tender_id)
            flash("Your bid is re-confirmed as it stands", "success")
    return redirect(url_for("opportunities.bid", tender_id=tender_id))


@bp.route("/<int:tender_id>/receipts/<int:version>")
@login_required
def receipt(tender_id: int, version: int) -> Any:
    found = bids.receipt(db.session, page_actor(), tender_id, version)
    return render_template("tenders/receipt.html", receipt=found, tender_id=tender_id)


@bp.route("/<int:tender_id>/receipts/<int:version>.txt")
@login_required
def receipt_text(tender_id: int, version: int) -> Any:
    found = bids.receipt(db.session, page_actor(), tender_id, version)
    return Response(found.text(), mimetype="text/plain",
                    headers={"Content-Disposition": f"attachment; filename=receipt-{found.reference}-v{version}.txt"})
