"""Suppliers' pages: opportunities, a tender's questions and answers, and their own bid."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.clock import today
from procurement.core.errors import DomainError, NotFound, PermissionDenied, Unavailable
from procurement.core.http import undone_if_refused
from demand.rules import quantity_text
from procurement.parties.forms import ConfirmForm
from tenders.permissions import TenderActions, own_supplier
from tenders import following, lifecycle
from tenders.bidding import bids
from tenders.forming.forms import QuestionForm, UploadScheduleForm
from tenders.bidding import drafting, listing
from tenders.bidding import form as bid_form
from tenders.bidding.summary import receipt_text as receipt_text_of, summarise
from catalogue.services import own_prices
from suppliers import exclusions
from tenders.bidding import clarifications

bp = Blueprint("opportunities", __name__, url_prefix="/opportunities", template_folder="../templates")
bp.add_app_template_global(listing.standstill_in_words)  # the results page, rendered by the award's views, says it too


@bp.route("/")
@login_required
def index() -> Any:
    require(access.can_view_opportunities(current_user))
    cpv = (request.args.get("cpv") or "").strip()[:20]
    digits, error = cpv.split("-")[0], None
    if cpv and not (2 <= len(digits) <= 8 and digits.isdecimal()):
        error, digits = "Enter a CPV code, or its first 2 to 8 digits, like 30213100 or 302", ""
    found = clarifications.opportunities(db.session, page_actor(), digits.ljust(8, "0") if digits else None)
    return render_template("tenders/opportunities.html", tenders=found, cpv=cpv, error=error,
                           supplier=access.has_role(current_user, access.SUPPLIER))


@bp.route("/<int:tender_id>")
@login_required
def detail(tender_id: int) -> Any:
    require(access.can_view_opportunities(current_user))
    tender = lifecycle.get_tender(db.session, page_actor(), tender_id)
    mine = bids.my_bid(db.session, page_actor(), tender_id) if access.has_role(current_user, access.SUPPLIER) else None
    may = TenderActions(page_actor(), tender, bid=mine.bid if mine else None)
    followed = mine is not None and following.is_following(db.session, tender.id, own_supplier(page_actor()))
    return render_template("tenders/opportunity.html", tender=tender, mine=mine, may=may, question_form=QuestionForm(),
                           questions=clarifications.clarifications(db.session, page_actor(), tender_id),
                           quantity_text=quantity_text, following=followed, button=ConfirmForm())


@bp.route("/<int:tender_id>/<any(follow, unfollow):act>", methods=["POST"])
@login_required
def follow(tender_id: int, act: str) -> Any:
    """Follow an open tender, to be told of its answers and amendments, or stop following it."""
    require(access.has_role(current_user, access.SUPPLIER))
    if not ConfirmForm().validate_on_submit():
        flash("The form expired: try again", "error")
        return redirect(url_for("opportunities.detail", tender_id=tender_id))
    with undone_if_refused():
        if act == "follow":
            following.follow_tender(db.session, page_actor(), tender_id)
        else:
            following.stop_following(db.session, page_actor(), tender_id)
    flash("You are following this tender: you will be told of each answer and amendment" if act == "follow"
          else "You are no longer following this tender", "success")
    return redirect(url_for("opportunities.detail", tender_id=tender_id))


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


def _problems_at(tender: Any, posted: bid_form.Posted | None,
                 located: list[tuple[str, bids.Where]]) -> list[tuple[str, str | None]]:
    find = bid_form.field_finder(tender, posted)
    return [(text[:1].upper() + text[1:], find(where)) for text, where in located]


def _own_prices(tender: Any, values: bid_form.Values) -> dict[tuple[int, int], Any]:
    """The supplier's own published price for each item at the lot's quantity."""
    keys = [(lot.number, item.number) for lot in tender.lots for item in lot.items]
    items = {(lot.number, item.number): item for lot in tender.lots for item in lot.items}
    wanted = [(items[k].catalogue_item_id, values.line(*k).get("offer_sku", ""), items[k].quantity) for k in keys]
    return dict(zip(keys, own_prices(db.session, page_actor(), wanted, today())))


@bp.route("/bids")
@login_required
def mine() -> Any:
    """Your bids: every tender the supplier drafted or bid on, in any state."""
    require(access.has_role(current_user, access.SUPPLIER))
    return render_template("tenders/bids.html", found=listing.my_bids(db.session, page_actor()))


@bp.route("/<int:tender_id>/bid", methods=["GET", "POST"])
@login_required
def bid(tender_id: int) -> Any:
    require(access.has_role(current_user, access.SUPPLIER))
    tender = lifecycle.get_tender(db.session, page_actor(), tender_id)
    mine = bids.my_bid(db.session, page_actor(), tender_id)
    may = TenderActions(page_actor(), tender, bid=mine.bid)
    start = drafting.starting_point(db.session, page_actor(), tender_id) if tender.wrapped_key and may.bid_now else None
    problems: list[tuple[str, str | None]] = []
    values, saved = bid_form.shown(start), False
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            flash("The form expired: try again", "error")
            return redirect(url_for("opportunities.bid", tender_id=tender_id))
        kept = {q["criterion"]: q.get("attachments", []) for q in (start or {}).get("quality", [])}
        posted = bid_form.read(tender, request.form, request.files, kept)
        reviewing = request.form.get("action") == "review"
        try:
            with undone_if_refused():
                drafted = drafting.save_what_is_valid(db.session, page_actor(), tender_id, posted.raw, check_complete=reviewing)
        except bids.BidProblems as error:
            problems = _problems_at(tender, posted, error.located)
        except Unavailable as error:  # virus scanning: the form is kept, to send again
            problems = [(error.message, None)]
        else:
            problems, saved = _problems_at(tender, posted, drafted.problems + drafted.incomplete), drafted.saved
            if not problems:
                if reviewing:
                    return redirect(url_for("opportunities.review", tender_id=tender_id))
                flash("Draft saved: only you can read it until you submit", "success")
                return redirect(url_for("opportunities.bid", tender_id=tender_id))
        values = posted.values
        mine = bids.my_bid(db.session, page_actor(), tender_id)  # a draft may have been saved
    taking_part = exclusions.may_take_part(db.session, own_supplier(page_actor()) or 0)
    return render_template("tenders/bid.html", tender=tender, mine=mine, may=may, values=values, problems=problems,
                           taking_part=taking_part,
                           errors=bid_form.inline_errors(problems), saved=saved, prices=_own_prices(tender, values) if may.bid_now else {},
                           from_version=request.method == "GET" and start is not None and not mine.has_draft, button=ConfirmForm(),
                           upload_form=UploadScheduleForm(), quantity_text=quantity_text)


@bp.route("/<int:tender_id>/bid/review")
@login_required
def review(tender_id: int) -> Any:
    """Check your answers: the draft as it would be submitted, with its digest to submit it by."""
    require(access.has_role(current_user, access.SUPPLIER))
    tender = lifecycle.get_tender(db.session, page_actor(), tender_id)
    mine = bids.my_bid(db.session, page_actor(), tender_id)
    may = TenderActions(page_actor(), tender, bid=mine.bid)
    reviewed = drafting.review(db.session, page_actor(), tender_id) if may.bid_now else None
    if reviewed is None:
        flash("There is no draft to check: enter your bid and save it first" if may.bid_now else may.bid_now.reason, "error")
        return redirect(url_for("opportunities.bid", tender_id=tender_id))
    return render_template("tenders/review.html", tender=tender, mine=mine, may=may, reviewed=reviewed,
                           summary=summarise(tender, reviewed.content), button=ConfirmForm(),
                           problems=_problems_at(tender, None, reviewed.problems))


@bp.route("/<int:tender_id>/bid/submit", methods=["POST"])
@login_required
def submit(tender_id: int) -> Any:
    """Submit the draft as reviewed: refused if it changed since the review page showed it."""
    require(access.has_role(current_user, access.SUPPLIER))
    digest = request.form.get("digest", "")
    if not ConfirmForm().validate_on_submit() or len(digest) != 64:
        flash("The form expired: check your answers again and submit", "error")
        return redirect(url_for("opportunities.review", tender_id=tender_id))
    try:
        with undone_if_refused():
            receipt = bids.submit(db.session, page_actor(), tender_id, reviewed_digest=digest)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("opportunities.review", tender_id=tender_id))
    flash(f"Bid version {receipt.version} is in the box. Keep your receipt.", "success")
    return redirect(url_for("opportunities.receipt", tender_id=tender_id, version=receipt.version))


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
    require(access.has_role(current_user, access.SUPPLIER))
    tender = lifecycle.get_tender(db.session, page_actor(), tender_id)
    found = bids.receipt(db.session, page_actor(), tender_id, version)
    summary = summarise(tender, bids.read_version(db.session, page_actor(), tender_id, version))
    return render_template("tenders/receipt.html", receipt=found, tender=tender, summary=summary,
                           may=TenderActions(page_actor(), tender))


@bp.route("/<int:tender_id>/receipts/<int:version>.txt")
@login_required
def receipt_text(tender_id: int, version: int) -> Any:
    require(access.has_role(current_user, access.SUPPLIER))
    tender = lifecycle.get_tender(db.session, page_actor(), tender_id)
    found = bids.receipt(db.session, page_actor(), tender_id, version)
    summary = summarise(tender, bids.read_version(db.session, page_actor(), tender_id, version))
    text = receipt_text_of(tender, bids.own_supplier_name(db.session, page_actor()), version, found.submitted_at, found.size, found.digest, summary)
    name = f"Bid receipt {found.reference} version {version}.txt"
    return Response(text, mimetype="text/plain", headers={"Content-Disposition": f'attachment; filename="{name}"'})
