"""Evaluation pages: the agency's workspace; buyers' awards, orders and savings; bidders' results."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import InvalidInput
from procurement.core.http import undone_if_refused
from procurement.core.jobrecords import Job

from procurement.parties.forms import ConfirmForm
from procurement.parties.models import Membership, Role, User
from tenders import lifecycle, progress
from tenders.award import exclusions, record
from tenders.award import evaluation
from tenders.award import outcome
from tenders.award import scoring
from tenders.lifecycle import get_tender
from tenders.permissions import TenderActions, own_supplier
from tenders.models import AwardDecision, TenderStatus
from tenders.schemas import PanelSchema, ScoresSchema

bp = Blueprint("evaluation", __name__, template_folder="../templates")


def _back(tender_id: int) -> Any:
    return redirect(url_for("evaluation.workspace", tender_id=tender_id))


def _post(tender_id: int, act: Any, done: str) -> Any:
    return run_posted(_back(tender_id), act, done)


def run_posted(back: Any, act: Any, done: str, also: tuple[type[Exception], ...] = ()) -> Any:
    """Run one act from a posted form and go `back`; invalid input (and `also`, such as a
    conflict with the tender's state) is shown as a message, not raised, and nothing the act
    wrote before it refused is kept."""
    if not ConfirmForm().validate_on_submit():
        flash("The form expired: try again", "error")
        return back
    try:
        with undone_if_refused():
            act()
    except InvalidInput as error:
        for messages in error.field_errors.values() or [[error.message]]:
            for message in messages:
                flash(message, "error")
        if not error.field_errors:
            flash(error.message, "error")
    except also as error:
        flash(getattr(error, "message", str(error)), "error")
    else:
        flash(done, "success")
    return back


@bp.route("/tenders/<int:tender_id>/evaluation")
@login_required
def workspace(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    actor = page_actor()
    tender = get_tender(db.session, actor, tender_id)
    members = evaluation.panel(db.session, tender)
    mine = next((m for m in members if m.user_id == current_user.id), None)
    declared = bool(mine and mine.declared_at)
    agency_users = db.session.execute(select(User.id, User.full_name).join(Membership).where(
        Membership.role == Role.agency).order_by(User.full_name)).all()
    names = dict(agency_users)
    seen = evaluation.visible_marks(db.session, actor, tender_id) if declared else []
    decisions = {d.lot_id: d for d in db.session.scalars(select(AwardDecision).where(
        AwardDecision.lot_id.in_([l.id for l in tender.lots])))}
    responses = evaluation.responses(db.session, actor, tender_id) if declared else []
    return render_template(
        "tenders/evaluation.html", tender=tender, panel=members, mine=mine, names=names, agency_users=agency_users,
        bidders=evaluation.bidder_names(db.session, tender) if tender.opened_at else [],
        exclusions_waiting=sum(b.outstanding for b in exclusions.bidders(db.session, tender)) if tender.opened_at else 0,
        responses=responses, bid_suppliers={r.opened_bid.id: r.supplier for r in responses},
        criterion_names={c.id: c.name for c in tender.criteria},
        marks={(m.opened_bid_id, m.criterion_id): m for e, m in seen if e.id == mine.id},
        all_marks=seen,
        rankings=evaluation.rankings(db.session, actor, tender_id) if tender.opened_at and tender.status is not TenderStatus.opened else [],
        decisions=decisions, awards=record.lot_awards(db.session, tender),
        standstill=evaluation.standstill_of(db.session, tender), may=TenderActions(actor, tender, mine=mine, panel=members),
        savings=evaluation.savings(db.session, actor, tender_id) if tender.status in (TenderStatus.awarded, TenderStatus.complete) else [],
        button=ConfirmForm(), formulas=scoring.FORMULAS, documents=lifecycle.readable_documents(db.session, actor, tender_id),
        next_step=progress.next_action(progress.tender_facts(db.session, tender)),
        pack_job=db.session.scalar(select(Job).where(Job.kind == "award_pack", Job.subject_id == tender.id)
                                   .order_by(Job.id.desc()).limit(1)))


@bp.route("/tenders/<int:tender_id>/evaluation/start", methods=["POST"])
@login_required
def start(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))

    def act() -> None:
        panel = _loaded(PanelSchema(), {"evaluators": request.form.getlist("evaluator"), "lead": request.form.get("lead") or None},
                        "evaluators")
        evaluation.start_evaluation(db.session, page_actor(), tender_id, panel["evaluators"], panel["lead"])

    return _post(tender_id, act, "Evaluation started")


def _loaded(schema: Any, data: dict[str, Any], field: str) -> Any:
    """`data` loaded by `schema`, or InvalidInput naming each problem once (under `field`)."""
    try:
        return schema.load(data)
    except ValidationError as error:
        def messages(found: Any) -> list[str]:
            if isinstance(found, dict):
                return [m for inner in found.values() for m in messages(inner)]
            return [str(m) for m in found] if isinstance(found, list) else [str(found)]

        problems = list(dict.fromkeys(messages(error.messages)))
        raise InvalidInput(problems[0], field_errors={field: problems}) from None


@bp.route("/tenders/<int:tender_id>/evaluation/declare", methods=["POST"])
@login_required
def declare(tender_id: int) -> Any:
    return _post(tender_id, lambda: evaluation.declare(db.session, page_actor(), tender_id, request.form.get("statement", "")),
                 "Declaration recorded: you may now read the responses")


def _scores(prefix: str) -> list[dict[str, Any]]:
    """The marks (score-B-C with why-B-C) or moderated scores (cons-B-C with rationale-B-C)
    entered in the form, loaded by ScoresSchema; a score left blank is not entered."""
    text_key = "why" if prefix == "score" else "rationale"
    entered = []
    for key, value in request.form.items():
        named = re.fullmatch(rf"{prefix}-([0-9]{{1,9}})-([0-9]{{1,9}})", key)  # ASCII digits only
        if named and value.strip():
            bid, criterion = named.groups()
            entered.append({"opened_bid": bid, "criterion": criterion, "score": value.strip(),
                            "text": request.form.get(f"{text_key}-{bid}-{criterion}", "")})
    return _loaded(ScoresSchema(), {"scores": entered}, "score")["scores"]


@bp.route("/tenders/<int:tender_id>/evaluation/marks", methods=["POST"])
@login_required
def marks(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))

    def act() -> None:
        scores = _scores("score")
        submitting = request.form.get("action") == "submit"
        if not scores and not submitting:
            raise InvalidInput("Enter at least one mark", field_errors={"score": ["Enter at least one mark"]})
        for entered in scores:
            evaluation.save_mark(db.session, page_actor(), tender_id, entered["opened_bid"], entered["criterion"],
                                 entered["score"], entered["text"])
        if submitting:
            evaluation.submit_marks(db.session, page_actor(), tender_id)

    return _post(tender_id, act, "Marks saved" + (" and submitted" if request.form.get("action") == "submit" else ""))


@bp.route("/tenders/<int:tender_id>/evaluation/consensus", methods=["POST"])
@login_required
def consensus(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))

    def act() -> None:
        scores = _scores("cons")
        if not scores:
            raise InvalidInput("Enter at least one moderated score", field_errors={"score": ["Enter at least one moderated score"]})
        for entered in scores:
            evaluation.record_consensus(db.session, page_actor(), tender_id, entered["opened_bid"], entered["criterion"],
                                        entered["score"], entered["text"])

    return _post(tender_id, act, "Moderated scores recorded")


@bp.route("/tenders/<int:tender_id>/evaluation/checks/<int:check_id>/<any(message, accept, reject):act>", methods=["POST"])
@login_required
def check(tender_id: int, check_id: int, act: str) -> Any:
    text = request.form.get("text", "")
    if act == "message":
        return _post(tender_id, lambda: evaluation.write_about_low_price(db.session, page_actor(), check_id, text),
                     "Message sent to the supplier")
    return _post(tender_id, lambda: evaluation.decide_low_price(db.session, page_actor(), check_id, act == "accept", text),
                 "Decision recorded")


@bp.route("/tenders/<int:tender_id>/evaluation/lots/<int:lot_id>/<any(recommend, approve):act>", methods=["POST"])
@login_required
def award(tender_id: int, lot_id: int, act: str) -> Any:
    if act == "recommend":
        return _post(tender_id, lambda: evaluation.recommend(db.session, page_actor(), tender_id, lot_id,
                                                             request.form.get("advantages", "")), "Award recommended")
    return _post(tender_id, lambda: evaluation.approve(db.session, page_actor(), tender_id, lot_id), "Award approved")


@bp.route("/tenders/<int:tender_id>/evaluation/challenge")
@login_required
def confirm_challenge(tender_id: int) -> Any:
    """Recording a challenge, on a page of its own: it pauses standstill, so no contract can be
    entered until it is lifted. The form posts to `step`."""
    require(access.can_manage_tenders(current_user))
    tender = get_tender(db.session, page_actor(), tender_id)
    may = TenderActions(page_actor(), tender)
    may.record_challenge.enforce()
    return render_template("tenders/confirm_challenge.html", tender=tender, standstill=evaluation.standstill_of(db.session, tender),
                           button=ConfirmForm())


@bp.route("/tenders/<int:tender_id>/evaluation/<any(publish, challenge, lift, contracts, complete):act>", methods=["POST"])
@login_required
def step(tender_id: int, act: str) -> Any:
    actor, note = page_actor(), request.form.get("text", "")
    acts = {
        "publish": (lambda: evaluation.publish_decision(db.session, actor, tender_id), "Decision published: standstill has begun"),
        "challenge": (lambda: evaluation.challenge(db.session, actor, tender_id, note), "Challenge recorded: standstill paused"),
        "lift": (lambda: evaluation.lift_challenge(db.session, actor, tender_id), "Standstill resumed"),
        "contracts": (lambda: evaluation.enter_contracts(db.session, actor, tender_id), "Contracts entered and orders made"),
        "complete": (lambda: evaluation.complete(db.session, actor, tender_id), "Tender complete"),
    }
    call, done = acts[act]
    if act == "challenge" and not note.strip():
        flash("Describe the challenge", "error")
        return redirect(url_for("evaluation.confirm_challenge", tender_id=tender_id))
    return _post(tender_id, call, done)


@bp.route("/tenders/<int:tender_id>/evaluation/pack", methods=["POST"])
@login_required
def pack(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))

    return _post(tender_id, lambda: evaluation.ask_for_award_pack(db.session, page_actor(), tender_id),
                 "Award pack asked for: it is made in the background")


@bp.route("/awards")
@login_required
def awards() -> Any:
    """A buyer's orders under joint contracts, with what each saves."""
    require(access.can_raise_requirements(current_user))
    from procurement.core.documents import Document

    own = sorted(current_user.organisation_ids)
    documents = db.session.scalars(select(Document).where(Document.audience_organisation_id.in_(own))
                                   .order_by(Document.id.desc())).all()
    return render_template("tenders/awards.html", orders=evaluation.organisation_orders(db.session, page_actor()),
                           documents=documents, decided=outcome.decided_tenders(db.session, page_actor()))


@bp.route("/awards/tenders/<int:tender_id>")
@login_required
def outcome_page(tender_id: int) -> Any:
    """A buyer's outcome of one joint tender: the decision and its own lines, then its orders."""
    require(access.can_raise_requirements(current_user))
    found = outcome.buyer_outcome(db.session, page_actor(), tender_id)
    return render_template("tenders/outcome.html", outcome=found)


@bp.route("/opportunities/<int:tender_id>/results")
@login_required
def results(tender_id: int) -> Any:
    require(access.has_role(current_user, access.SUPPLIER))
    tender = get_tender(db.session, page_actor(), tender_id)
    may = TenderActions(page_actor(), tender)
    summary = evaluation.assessment_summary(db.session, page_actor(), tender_id) if may.read_results else None
    return render_template("tenders/results.html", tender=tender, summary=summary, may=may,
                           supplier_id=own_supplier(page_actor()),
                           checks=evaluation.supplier_checks(db.session, page_actor(), tender_id), button=ConfirmForm(),
                           documents=lifecycle.readable_documents(db.session, page_actor(), tender_id))


@bp.route("/opportunities/<int:tender_id>/checks/<int:check_id>/reply", methods=["POST"])
@login_required
def reply(tender_id: int, check_id: int) -> Any:
    if ConfirmForm().validate_on_submit():
        try:
            with undone_if_refused():
                evaluation.write_about_low_price(db.session, page_actor(), check_id, request.form.get("text", ""))
        except InvalidInput as error:
            flash(error.message, "error")
        else:
            flash("Your explanation was sent to the evaluators", "success")
    return redirect(url_for("evaluation.results", tender_id=tender_id))
