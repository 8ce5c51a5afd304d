"""Suppliers' pages: opportunities, a tender's questions and answers, and their own bid."""
from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.http import undone_if_refused
from demand.rules import quantity_text
from procurement.parties.forms import ConfirmForm
from tenders.permissions import TenderActions, can_read_results
from tenders import bidding, lifecycle
from tenders.forms import QuestionForm, UploadScheduleForm

bp = Blueprint("opportunities", __name__, url_prefix="/opportunities", template_folder="templates")


@bp.route("/")
@login_required
def index() -> Any:
    require(access.can_view_opportunities(current_user))
    cpv = (request.args.get("cpv") or "").strip()
    error = None
    if cpv and not (len(cpv.split("-")[0]) == 8 and cpv.split("-")[0].isdecimal()):
        error, cpv = "Enter an 8-digit CPV code", ""
    found = lifecycle.opportunities(db.session, page_actor(), cpv.split("-")[0] or None)
    history = bidding.bid_history(db.session, page_actor()) if access.has_role(current_user, access.SUPPLIER) else []
    return render_template("tenders/opportunities.html", tenders=found, cpv=cpv, error=error, history=history,
                           results_readable=lambda tender: can_read_results(page_actor(), tender))


@bp.route("/<int:tender_id>")
@login_required
def detail(tender_id: int) -> Any:
    require(access.can_view_opportunities(current_user))
    tender = lifecycle.get_tender(db.session, page_actor(), tender_id)
    mine = bidding.my_bid(db.session, page_actor(), tender_id) if access.has_role(current_user, access.SUPPLIER) else None
    may = TenderActions(page_actor(), tender, bid=mine.bid if mine else None)
    return render_template("tenders/opportunity.html", tender=tender, mine=mine, may=may, question_form=QuestionForm(),
                           questions=lifecycle.clarifications(db.session, page_actor(), tender_id),
                           quantity_text=quantity_text)


@bp.route("/<int:tender_id>/questions", methods=["POST"])
@login_required
def ask(tender_id: int) -> Any:
    form = QuestionForm()
    if form.validate_on_submit():
        lifecycle.ask(db.session, page_actor(), tender_id, form.question.data or "")
        flash("Question sent: the answer will be published to every supplier, without your name", "success")
    else:
        flash("Enter your question", "error")
    return redirect(url_for("opportunities.detail", tender_id=tender_id))


def _form_content(tender: Any) -> dict[str, Any]:
    """The bid form's fields as bid content (problems are found by `bidding.validate`)."""
    lots = []
    for lot in tender.lots:
        items = []
        for item in lot.items:
            key = f"{lot.number}-{item.number}"
            price = request.form.get(f"price-{key}", "").strip()
            if price:
                items.append({"item": item.number, "unit_price": price, "offer_sku": request.form.get(f"sku-{key}", ""),
                              "capacity": request.form.get(f"capacity-{key}", ""), "tiers": request.form.get(f"tiers-{key}", "")})
        if items:
            lots.append({"lot": lot.number, "items": items})
    bundles = []
    for part in [p.strip() for p in request.form.get("bundles", "").split(";") if p.strip()]:
        names, _, discount = part.partition(":")
        try:
            bundles.append({"lots": [int(n) for n in names.replace(" ", "").split("+")], "discount_percent": discount.strip()})
        except ValueError:
            bundles.append({"lots": [], "discount_percent": discount})
    quality = []
    for criterion in tender.criteria:
        attachments = [{"filename": f.filename, "content_base64": base64.b64encode(f.read()).decode()}
                       for f in request.files.getlist(f"attachments-{criterion.number}") if f and f.filename]
        quality.append({"criterion": criterion.number, "text": request.form.get(f"quality-{criterion.number}", ""),
                        "attachments": attachments})
    return {"lots": lots, "bundles": bundles, "quality": quality}


@bp.route("/<int:tender_id>/bid", methods=["GET", "POST"])
@login_required
def bid(tender_id: int) -> Any:
    require(access.has_role(current_user, access.SUPPLIER))
    tender = lifecycle.get_tender(db.session, page_actor(), tender_id)
    mine = bidding.my_bid(db.session, page_actor(), tender_id)
    draft = bidding.read_draft(db.session, page_actor(), tender_id) if tender.wrapped_key else None
    problems: list[str] = []
    entered: dict[Any, Any] = {}
    content: dict[str, Any] = {}
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            flash("The form expired: try again", "error")
            return redirect(url_for("opportunities.bid", tender_id=tender_id))
        content = _form_content(tender)
        if draft:  # attachments already in the draft stay unless new ones are given
            kept = {q["criterion"]: q.get("attachments", []) for q in draft.get("quality", [])}
            for response in content["quality"]:
                response["attachments"] = response["attachments"] or kept.get(response["criterion"], [])
        try:
            with undone_if_refused():
                if request.form.get("action") == "submit":
                    receipt = bidding.submit(db.session, page_actor(), tender_id, content)
                    flash(f"Bid version {receipt.version} is in the box. Keep your receipt.", "success")
                    return redirect(url_for("opportunities.receipt", tender_id=tender_id, version=receipt.version))
                bidding.save_draft(db.session, page_actor(), tender_id, content)
                flash("Draft saved: only you can read it until you submit", "success")
                return redirect(url_for("opportunities.bid", tender_id=tender_id))
        except bidding.BidProblems as error:
            problems = error.problems
            entered = bidding.form_lines(content)
    lines = entered if problems else bidding.draft_lines(draft)
    answers = {q["criterion"]: q for q in (content if problems else draft or {}).get("quality", [])}
    bundles = "; ".join("+".join(str(n) for n in b["lots"]) + ":" + b["discount_percent"] for b in (draft or {}).get("bundles", []))
    may = TenderActions(page_actor(), tender, bid=mine.bid)
    return render_template("tenders/bid.html", tender=tender, mine=mine, may=may, lines=lines, answers=answers, bundles=bundles,
                           problems=problems, button=ConfirmForm(), upload_form=UploadScheduleForm(), tiers_text=bidding.tiers_text,
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
            schedule = bidding.schedule_from_csv(form.file.data.read(bidding.MAX_SCHEDULE_BYTES + 1))
            draft = bidding.read_draft(db.session, page_actor(), tender_id)
            bidding.save_draft(db.session, page_actor(), tender_id,
                               bidding.merge_schedule(bidding.as_raw(draft) if draft else None, schedule))
    except bidding.BidProblems as error:
        for problem in error.problems[:50]:
            flash(problem, "error")
    else:
        flash("Price schedule loaded into your draft: check it, answer the quality questions and submit", "success")
    return redirect(url_for("opportunities.bid", tender_id=tender_id))


@bp.route("/<int:tender_id>/schedule.csv")
@login_required
def schedule_template(tender_id: int) -> Any:
    require(access.can_view_opportunities(current_user))
    return Response(bidding.schedule_template(db.session, page_actor(), tender_id), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=price-schedule-{tender_id}.csv"})


@bp.route("/<int:tender_id>/bid/<any(withdraw, reconfirm):action>", methods=["POST"])
@login_required
def bid_action(tender_id: int, action: str) -> Any:
    require(access.has_role(current_user, access.SUPPLIER))
    if ConfirmForm().validate_on_submit():
        if action == "withdraw":
            bidding.withdraw(db.session, page_actor(), tender_id)
            flash("Your bid is withdrawn. You may submit again until the deadline.", "success")
        else:
            bidding.reconfirm(db.session, page_actor(), tender_id)
            flash("Your bid is re-confirmed as it stands", "success")
    return redirect(url_for("opportunities.bid", tender_id=tender_id))


@bp.route("/<int:tender_id>/receipts/<int:version>")
@login_required
def receipt(tender_id: int, version: int) -> Any:
    found = bidding.receipt(db.session, page_actor(), tender_id, version)
    return render_template("tenders/receipt.html", receipt=found, tender_id=tender_id)


@bp.route("/<int:tender_id>/receipts/<int:version>.txt")
@login_required
def receipt_text(tender_id: int, version: int) -> Any:
    found = bidding.receipt(db.session, page_actor(), tender_id, version)
    return Response(found.text(), mimetype="text/plain",
                    headers={"Content-Disposition": f"attachment; filename=receipt-{found.reference}-v{version}.txt"})
