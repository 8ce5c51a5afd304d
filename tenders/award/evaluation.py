"""From an opened box to contracts: a panel marks quality blind after declaring no conflict,
the lead moderates, prices are scored by the published formula, each lot is ranked and
abnormally low totals explained; the lead recommends and a second agency user approves;
the decision is published and standstill runs 8 working days; then contracts and one
call-off order per organisation, with its saving. Every act is audited."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.access import SystemActor
from procurement.core.clock import now, to_london, today
from procurement.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.core.money import percent_of
from procurement.core.access import Actor, actor_id
from demand.models import Requirement, RequirementStatus
from demand.services import move_requirement
from procurement.parties.models import Membership, Role
from tenders.award import exclusions, record
from tenders.award import scoring
from tenders.award.ranking import LotRanking, decision_scores, flag_low_prices, intact_bids, rank_lot
from tenders.lifecycle import get_tender, locked, move
from tenders import conflicts, messages, permissions
from tenders.permissions import EVALUATES, require_agency
from tenders.models import (
    AwardDecision,
    AwardShare,
    CallOffOrder,
    Consensus,
    DecisionScore,
    Contract,
    Criterion,
    Evaluator,
    LineStatus,
    Lot,
    LowPriceCheck,
    LowPriceMessage,
    Mark,
    OpenedBid,
    QualityResponse,
    Standstill,
    Tender,
    TenderParticipant,
    TenderStatus,
)
from suppliers.models import Supplier



def agency_tender(session: Session, actor: Actor, tender_id: int, *states: TenderStatus) -> Tender:
    require_agency(actor, EVALUATES)
    tender = get_tender(session, actor, tender_id)
    permissions.in_phase(actor, tender, *states).enforce()
    return tender


# The panel ---------------------------------------------------------------------------------

def start_evaluation(session: Session, actor: Actor, tender_id: int, evaluator_ids: list[int], lead_id: int) -> Tender:
    """Name the panel (two or more agency users, one the lead) and start evaluating."""
    tender = agency_tender(session, actor, tender_id, TenderStatus.opened)
    ids = list(dict.fromkeys(evaluator_ids))
    agency_ids = set(session.scalars(select(Membership.user_id).where(Membership.role == Role.agency,
                                                                      Membership.user_id.in_(ids))))
    problems = []
    if len(ids) < 2:
        problems.append("Name at least two evaluators")
    if any(i not in agency_ids for i in ids):
        problems.append("Evaluators are agency users")
    if lead_id not in ids:
        problems.append("The lead evaluator is one of the panel")
    if conflicted := conflicts.unmitigated_among(session, tender, ids):
        problems.append(f"{len(conflicted)} of the panel declared a conflict of interest that is not mitigated: "
                        "name someone else, or review the conflicts assessment")
    if problems:
        raise InvalidInput("The panel is not valid", field_errors={"evaluators": problems})
    panel = [Evaluator(tender_id=tender.id, user_id=user_id, is_lead=user_id == lead_id) for user_id in ids]
    session.add_all(panel)
    flag_low_prices(session, tender)  # the totals are fixed once the box is open: checked once, here
    move(session, actor, tender, TenderStatus.evaluation, "tender.evaluation_started", panel=ids, lead=lead_id)
    messages.tell_marking_assigned(session, tender, panel, assigned_by=actor_id(actor))
    return tender


def panel(session: Session, tender: Tender) -> list[Evaluator]:
    return list(session.scalars(select(Evaluator).where(Evaluator.tender_id == tender.id).order_by(Evaluator.id)))


def evaluator_of(session: Session, actor: Actor, tender: Tender) -> Evaluator | None:
    """The actor's row on the tender's panel, or None."""
    return session.scalar(select(Evaluator).where(Evaluator.tender_id == tender.id,
                                                  Evaluator.user_id == actor_id(actor)))


def me(session: Session, actor: Actor, tender: Tender) -> Evaluator:
    found = evaluator_of(session, actor, tender)
    permissions.is_evaluator(actor, tender, found).enforce()
    assert found is not None
    return found


def bidder_names(session: Session, tender: Tender) -> list[str]:
    return list(session.scalars(select(Supplier.legal_name).join(OpenedBid, OpenedBid.supplier_id == Supplier.id)
                                .where(OpenedBid.tender_id == tender.id).order_by(Supplier.legal_name)))


def declare(session: Session, actor: Actor, tender_id: int, statement: str) -> Evaluator:
    """No conflict of interest with the named bidders: declared before any response is seen."""
    tender = agency_tender(session, actor, tender_id, TenderStatus.evaluation)
    evaluator = me(session, actor, tender)
    permissions.can_declare(actor, tender, evaluator).enforce()
    conflicts.may_evaluate(session, tender, actor_id(actor)).enforce()
    if not statement.strip():
        raise InvalidInput("Make the declaration", field_errors={"statement": ["Confirm you have no conflict of interest"]})
    evaluator.declaration = f"{statement.strip()} (bidders: {', '.join(bidder_names(session, tender))})"
    evaluator.declared_at = now()
    record_event(session, actor, "evaluation.declared", subject=tender, details={"declaration": evaluator.declaration})
    conflicts.record_evaluator_declaration(session, actor, tender, statement.strip())
    return evaluator


def declared_evaluator(session: Session, actor: Actor, tender: Tender) -> Evaluator:
    evaluator = evaluator_of(session, actor, tender)
    permissions.declared(actor, tender, evaluator).enforce()
    assert evaluator is not None
    return evaluator


@dataclass
class Response:
    opened_bid: OpenedBid
    supplier: str
    answers: dict[int, QualityResponse]


def responses(session: Session, actor: Actor, tender_id: int) -> list[Response]:
    tender = agency_tender(session, actor, tender_id)
    declared_evaluator(session, actor, tender)
    names = dict(session.execute(select(Supplier.id, Supplier.legal_name)).all())
    found = []
    for opened in intact_bids(session, tender):
        answers = {r.criterion_id: r for r in session.scalars(select(QualityResponse).where(QualityResponse.opened_bid_id == opened.id))}
        found.append(Response(opened, names.get(opened.supplier_id, "?"), answers))
    return found


def _response(session: Session, tender: Tender, opened_bid_id: int, criterion_id: int) -> tuple[OpenedBid, Criterion]:
    """An intact opened bid and a criterion, both of this tender."""
    opened = session.get(OpenedBid, opened_bid_id)
    criterion = session.get(Criterion, criterion_id)
    if opened is None or opened.tender_id != tender.id or not opened.intact or criterion is None or criterion.tender_id != tender.id:
        raise NotFound("No such response")
    return opened, criterion


def save_mark(session: Session, actor: Actor, tender_id: int, opened_bid_id: int, criterion_id: int, score: int,
              justification: str) -> Mark:
    tender = agency_tender(session, actor, tender_id, TenderStatus.evaluation)
    evaluator = declared_evaluator(session, actor, tender)
    permissions.can_mark(actor, tender, evaluator).enforce()
    conflicts.may_evaluate(session, tender, actor_id(actor)).enforce()
    opened, criterion = _response(session, tender, opened_bid_id, criterion_id)
    errors = {}
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 5:
        errors["score"] = ["Give a mark from 0 to 5"]
    if not justification.strip():
        errors["justification"] = ["Justify the mark"]
    if errors:
        raise InvalidInput("The mark is not valid", field_errors=errors)
    mark = session.scalar(select(Mark).where(Mark.evaluator_id == evaluator.id, Mark.opened_bid_id == opened.id,
                                             Mark.criterion_id == criterion.id))
    if mark is None:
        mark = Mark(evaluator_id=evaluator.id, opened_bid_id=opened.id, criterion_id=criterion.id, score=score,
                    justification=justification.strip())
        session.add(mark)
    else:
        mark.score, mark.justification, mark.updated_at = score, justification.strip(), now()
    session.flush()
    record_event(session, actor, "evaluation.marked", subject=tender,
                 details={"opened_bid": opened.id, "criterion": criterion.number, "score": score})
    return mark


def submit_marks(session: Session, actor: Actor, tender_id: int) -> Evaluator:
    tender = agency_tender(session, actor, tender_id, TenderStatus.evaluation)
    evaluator = declared_evaluator(session, actor, tender)
    wanted = {(o.id, c.id) for o in intact_bids(session, tender) for c in tender.criteria}
    have = set(session.execute(select(Mark.opened_bid_id, Mark.criterion_id).where(Mark.evaluator_id == evaluator.id)).all())
    missing = wanted - set(map(tuple, have))
    if missing:
        raise InvalidInput("Mark every response first", field_errors={"marks": [f"{len(missing)} response(s) not marked"]})
    evaluator.marks_submitted_at = now()
    record_event(session, actor, "evaluation.marks_submitted", subject=tender)
    return evaluator


def visible_marks(session: Session, actor: Actor, tender_id: int) -> list[tuple[Evaluator, Mark]]:
    """Blind marking: an evaluator sees only their own marks until they have submitted them;
    then the submitted marks of the whole panel."""
    tender = agency_tender(session, actor, tender_id)
    evaluator = declared_evaluator(session, actor, tender)
    rows = session.execute(select(Evaluator, Mark).join(Mark, Mark.evaluator_id == Evaluator.id)
                           .where(Evaluator.tender_id == tender.id).order_by(Mark.opened_bid_id, Mark.criterion_id, Evaluator.id)).all()
    if evaluator.marks_submitted_at is None:
        return [(e, m) for e, m in rows if e.id == evaluator.id]
    return [(e, m) for e, m in rows if e.id == evaluator.id or e.marks_submitted_at is not None]


def record_consensus(session: Session, actor: Actor, tender_id: int, opened_bid_id: int, criterion_id: int, score: int,
                     rationale: str) -> Consensus:
    tender = agency_tender(session, actor, tender_id, TenderStatus.evaluation)
    evaluator = declared_evaluator(session, actor, tender)
    members = panel(session, tender)
    kept_out = set(conflicts.unmitigated_among(session, tender, [e.user_id for e in members]))
    # Who is kept out by the conflicts assessment marks nothing, so moderation does not wait for them.
    permissions.can_moderate(actor, tender, evaluator, [e for e in members if e.user_id not in kept_out]).enforce()
    conflicts.may_evaluate(session, tender, actor_id(actor)).enforce()
    opened, criterion = _response(session, tender, opened_bid_id, criterion_id)
    if not 0 <= score <= 5 or not rationale.strip():
        raise InvalidInput("The moderated score is not valid", field_errors={"score": ["A mark from 0 to 5 with its rationale"]})
    found = session.scalar(select(Consensus).where(Consensus.opened_bid_id == opened.id, Consensus.criterion_id == criterion.id))
    if found is None:
        found = Consensus(opened_bid_id=opened.id, criterion_id=criterion.id, score=score, rationale=rationale.strip(),
                          recorded_by_id=actor_id(actor))
        session.add(found)
    else:
        found.score, found.rationale, found.recorded_at = score, rationale.strip(), now()
    session.flush()
    record_event(session, actor, "evaluation.consensus", subject=tender,
                 details={"opened_bid": opened.id, "criterion": criterion.number, "score": score})
    return found


# Prices, ranking and abnormally low totals ---------------------------------------------------

def rankings(session: Session, actor: Actor, tender_id: int) -> list[LotRanking]:
    tender = agency_tender(session, actor, tender_id)
    return [rank_lot(session, tender, lot) for lot in tender.lots]


def _check(session: Session, check_id: int) -> tuple[LowPriceCheck, OpenedBid, Tender]:
    check = session.get(LowPriceCheck, check_id)
    if check is None:
        raise NotFound("No such check")
    opened = session.get(OpenedBid, check.opened_bid_id)
    tender = session.get(Tender, opened.tender_id) if opened else None
    if opened is None or tender is None:
        raise NotFound("No such check")
    return check, opened, tender


def write_about_low_price(session: Session, actor: Actor, check_id: int, text: str) -> LowPriceMessage:
    """The evaluators ask the supplier to explain; the supplier answers, in one thread."""
    check, opened, tender = _check(session, check_id)
    supplier_side = access.can_bid_for(actor, opened.supplier_id)
    if not supplier_side:
        agency_tender(session, actor, tender.id, TenderStatus.evaluation)
        me(session, actor, tender)
    permissions.can_write_about_low_price(actor, tender, None if supplier_side else evaluator_of(session, actor, tender),
                                          check, opened.supplier_id).enforce()
    if not text.strip():
        raise InvalidInput("Write the message", field_errors={"text": ["Write the message"]})
    message = LowPriceMessage(check_id=check.id, from_supplier=supplier_side, author_label=actor.audit_label,
                              text=text.strip()[:10000])
    check.messages.append(message)
    session.flush()
    record_event(session, actor, "evaluation.low_price_message", subject=tender,
                 details={"check": check.id, "from_supplier": supplier_side})
    return message


def decide_low_price(session: Session, actor: Actor, check_id: int, accept: bool, reason: str) -> LowPriceCheck:
    check, _opened, tender = _check(session, check_id)
    agency_tender(session, actor, tender.id, TenderStatus.evaluation)
    permissions.can_decide_low_price(actor, tender, declared_evaluator(session, actor, tender), check).enforce()
    if not reason.strip():
        raise InvalidInput("Give the reasons", field_errors={"reason": ["Give the reasons for the decision"]})
    check.decision = "accepted" if accept else "rejected"
    check.decision_reason, check.decided_by_id, check.decided_at = reason.strip(), actor_id(actor), now()
    record_event(session, actor, "evaluation.low_price_decided", subject=tender,
                 details={"check": check.id, "decision": check.decision, "reason": check.decision_reason})
    return check


def supplier_checks(session: Session, actor: Actor, tender_id: int) -> list[LowPriceCheck]:
    """A supplier's own checks (to read and answer)."""
    supplier_ids = set(getattr(actor, "supplier_ids", ()) or ()) if access.has_role(actor, access.SUPPLIER) else set()
    if not supplier_ids:
        raise PermissionDenied("Only the bidder sees its checks")
    return list(session.scalars(select(LowPriceCheck).join(OpenedBid).where(
        OpenedBid.tender_id == tender_id, OpenedBid.supplier_id.in_(supplier_ids))))


# The award ---------------------------------------------------------------------------------

def recommend(session: Session, actor: Actor, tender_id: int, lot_id: int, advantages: str) -> AwardDecision:
    """The lead recommends the top-ranked eligible bid for a lot, with its relative advantages."""
    tender = agency_tender(session, actor, tender_id, TenderStatus.evaluation)
    permissions.can_recommend(actor, tender, declared_evaluator(session, actor, tender), None).enforce()
    lot = next((l for l in tender.lots if l.id == lot_id), None)
    if lot is None:
        raise NotFound("No such lot")
    exclusions.require_none_outstanding(session, tender)
    ranking = rank_lot(session, tender, lot)
    if not ranking.complete:
        raise Conflict("Record every moderated score first")
    if ranking.winner is None:
        raise Conflict("No bid for this lot can be awarded")
    if not advantages.strip():
        raise InvalidInput("Say why it wins", field_errors={"advantages": ["Describe the winning bid's relative advantages"]})
    decision = session.scalar(select(AwardDecision).where(AwardDecision.lot_id == lot.id))
    permissions.can_recommend(actor, tender, evaluator_of(session, actor, tender), decision).enforce()
    if record.adopted(session, tender) is not None:
        if session.scalar(select(AwardDecision.id).where(AwardDecision.lot_id.in_([l.id for l in tender.lots]),
                                                         AwardDecision.approved_at.is_not(None))):
            raise Conflict("A lot of the adopted optimised award is approved; it can no longer be replaced by hand")
        for other in session.scalars(select(AwardDecision).where(AwardDecision.lot_id.in_([l.id for l in tender.lots]),
                                                                 AwardDecision.lot_id != lot.id)):
            session.delete(other)  # the optimised award's other lots: each is recommended again on its own ranking
        session.flush()
    if decision is None:
        decision = AwardDecision(lot_id=lot.id, opened_bid_id=ranking.winner.bid, advantages=advantages.strip())
        session.add(decision)
    decision.opened_bid_id, decision.advantages = ranking.winner.bid, advantages.strip()
    decision.recommended_by_id, decision.recommended_at = actor_id(actor), now()
    record.drop_adoption(session, tender)
    session.flush()
    record.record_award(session, tender, lot, decision, None, ranking.entries)
    record_event(session, actor, "award.recommended", subject=tender, details={
        "lot": lot.number, "opened_bid": ranking.winner.bid, "score": str(ranking.winner.score)})
    messages.tell_approval_waiting(session, tender, [decision])
    return decision


def approve(session: Session, actor: Actor, tender_id: int, lot_id: int) -> AwardDecision:
    """A second agency user approves; once every awardable lot is approved the award is proposed."""
    tender = agency_tender(session, actor, tender_id, TenderStatus.evaluation)
    decision = session.scalar(select(AwardDecision).where(AwardDecision.lot_id == lot_id))
    if decision is None or decision.lot_id not in {l.id for l in tender.lots}:
        raise NotFound("No recommendation for this lot")
    permissions.can_approve(actor, tender, decision).enforce()
    decision.approved_by_id, decision.approved_at = actor_id(actor), now()
    session.flush()
    record_event(session, actor, "award.approved", subject=tender, details={"lot_id": lot_id})
    decisions = {d.lot_id: d for d in session.scalars(select(AwardDecision).where(
        AwardDecision.lot_id.in_([l.id for l in tender.lots])))}
    adopted = record.adopted(session, tender)
    if adopted is not None:  # the optimised award may leave a lot unawarded, where the rules allow
        awardable = [l for l in tender.lots if record.allocation_of(adopted, l.id)]
    else:
        awardable = [l for l in tender.lots if rank_lot(session, tender, l).winner is not None]
    if all(l.id in decisions and decisions[l.id].approved_at for l in awardable):
        move(session, actor, tender, TenderStatus.award_proposed, "tender.award_proposed")
    return decision


def publish_decision(session: Session, actor: Actor, tender_id: int) -> Standstill:
    """Publish the decision to the bidders (each gets its assessment summary); standstill runs
    8 working days."""
    tender = agency_tender(session, actor, tender_id, TenderStatus.award_proposed)
    if problems := conflicts.decision_problems(session, tender):
        raise InvalidInput("The decision cannot be published yet", field_errors={"conflicts": problems})
    standstill = Standstill(tender_id=tender.id, published_at=now(), ends_on=scoring.standstill_ends(today()))
    session.add(standstill)
    record_decision_scores(session, tender)
    chosen, decided = record.adopted(session, tender), decision_scores(session, tender)
    for lot in tender.lots:  # the record, with the scores as decided
        decision = session.scalar(select(AwardDecision).where(AwardDecision.lot_id == lot.id))
        if decision is None:
            continue
        entries = decided.get(lot.id, [])
        eligible = {e.bid for e in entries if e.eligible}
        if chosen is None and (not entries or entries[0].bid != decision.opened_bid_id or decision.opened_bid_id not in eligible):
            raise Conflict(f"Lot {lot.number}'s recommendation is no longer its first-ranked eligible tender "
                           "(its scores or a low-price decision changed): recommend it again")
        shares = record.record_award(session, tender, lot, decision, chosen, entries)
        if any(s.opened_bid_id not in eligible for s in shares):
            raise Conflict(f"A tender awarded part of lot {lot.number} is no longer eligible: recommend the lot again")
    take_part(session, tender)
    move(session, actor, tender, TenderStatus.standstill, "tender.decision_published",
         standstill_ends=standstill.ends_on.isoformat())
    request_award_pack(session, actor, tender)
    messages.tell_decision(session, tender, standstill, own_results(session, tender))
    return standstill


def own_results(session: Session, tender: Tender) -> dict[int, list[messages.OwnResult]]:
    """Each opened bid's results, lot by lot, as its assessment summary gives them."""
    found = {}
    for mine in session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id)):
        found[mine.id] = [messages.OwnResult(r.lot.number, r.lot.title, r.won, r.own.score, r.reason)
                          for r in summary_for(session, tender, mine)]
    return found


def take_part(session: Session, tender: Tender) -> None:
    """A participant row for each organisation with a confirmed line, once (at the decision's
    publication, before the pack is asked for)."""
    have = set(session.scalars(select(TenderParticipant.organisation_id).where(TenderParticipant.tender_id == tender.id)))
    for organisation_id in sorted({line.organisation_id for lot in tender.lots for line in lot.lines
                                   if line.status is LineStatus.confirmed} - have):
        session.add(TenderParticipant(tender_id=tender.id, organisation_id=organisation_id))
    session.flush()


def rebuild_award_records(session: Session, actor: Actor) -> list[str]:
    """The award record of every published decision that has none (decisions published before
    the record existed, migration 0012), rebuilt from the decision itself: the recommended
    bid, the scores as decided and the adopted optimised award. Idempotent: a lot that has a
    record keeps it. Returns the lots rebuilt ("LC-2026-0001 lot 1")."""
    rebuilt = []
    published = session.scalars(select(Tender).join(Standstill, Standstill.tender_id == Tender.id).order_by(Tender.id))
    for tender in published:
        recorded = set(session.scalars(select(AwardShare.lot_id).where(AwardShare.lot_id.in_([l.id for l in tender.lots]))))
        decided, chosen = decision_scores(session, tender), record.adopted(session, tender)
        for lot in tender.lots:
            decision = session.scalar(select(AwardDecision).where(AwardDecision.lot_id == lot.id))
            if decision is None or lot.id in recorded:
                continue
            record.record_award(session, tender, lot, decision, chosen, decided.get(lot.id, []))
            rebuilt.append(f"{tender.reference} lot {lot.number}")
            record_event(session, actor, "award.record_rebuilt", subject=tender, details={"lot": lot.number})
    return rebuilt


def record_decision_scores(session: Session, tender: Tender) -> None:
    """Keep each lot's scores as decided, for the assessment summaries and notices."""
    for lot in tender.lots:
        for position, e in enumerate(rank_lot(session, tender, lot).entries, start=1):
            session.add(DecisionScore(lot_id=lot.id, opened_bid_id=e.bid, position=position, total=e.total,
                                      price_score=e.price_score, quality_score=e.quality_score, eligible=e.eligible,
                                      excluded=e.excluded, failed=e.failed, submitted_at=e.submitted_at))
    session.flush()


def ask_for_award_pack(session: Session, actor: Actor, tender_id: int) -> Any:
    """The agency asks again for the award pack (what exists is kept); once the decision is published."""
    tender = agency_tender(session, actor, tender_id, *permissions.RESULTS_PUBLISHED)
    return request_award_pack(session, actor, tender)


def request_award_pack(session: Session, actor: Actor, tender: Tender) -> Any:
    """The award pack is made by a background job, handed over once this transaction commits."""
    from procurement.core.jobrecords import request_job

    job = request_job(session, actor, "award_pack", "tender", tender.id)
    record_event(session, actor, "award_pack.requested", subject=tender, details={"job_id": job.id})
    return job


def await_award_notice(session: Session, tender: Tender) -> None:
    """The contract award notice (UK6) has gone to the central platform: standstill waits for it."""
    standstill = standstill_of(session, tender)
    if standstill is not None:
        standstill.notice_pending = True
        session.flush()


def award_notice_published(session: Session, tender: Tender, at: datetime) -> Standstill | None:
    """The contract award notice was published at `at`: standstill is 8 working days beginning
    with that day (s.51), recounted from it; contracts may be entered once it ends."""
    standstill = standstill_of(session, tender)
    if standstill is None:
        return None
    day = to_london(at).date()  # type: ignore[union-attr]
    standstill.notice_pending, standstill.published_at = False, at
    told_end = standstill.ends_on
    if standstill.paused_at is None:
        standstill.ends_on = scoring.standstill_ends(day)
        if standstill.ends_on != told_end:  # the bidders were told the decision's day's count
            messages.tell_standstill_moved(session, tender, standstill)
    else:  # published while a challenge pauses it: once lifted, the whole standstill is still to run
        standstill.working_days_left_at_pause = scoring.STANDSTILL_WORKING_DAYS
    session.flush()
    record_event(session, SystemActor("find_a_tender"), "standstill.counted_from_notice", subject=tender,
                 details={"notice_published_at": at.isoformat(), "ends_on": standstill.ends_on.isoformat()})
    return standstill


def standstill_of(session: Session, tender: Tender) -> Standstill | None:
    return session.scalar(select(Standstill).where(Standstill.tender_id == tender.id))


def challenge(session: Session, actor: Actor, tender_id: int, note: str) -> Standstill:
    """A recorded challenge pauses standstill: no contract until it is lifted."""
    tender = agency_tender(session, actor, tender_id, TenderStatus.standstill)
    standstill = standstill_of(session, tender)
    assert standstill is not None
    permissions.can_record_challenge(actor, tender, standstill).enforce()
    if not note.strip():
        raise InvalidInput("Describe the challenge", field_errors={"note": ["Describe the challenge"]})
    standstill.challenge, standstill.paused_at = note.strip(), now()
    # Today has not run out, so it is still standstill's to count (if a working day).
    standstill.working_days_left_at_pause = (scoring.STANDSTILL_WORKING_DAYS if standstill.notice_pending  # not yet begun
                                             else scoring.working_days_from(today(), standstill.ends_on))
    record_event(session, actor, "standstill.challenged", subject=tender, details={"note": note.strip()[:500]})
    return standstill


def lift_challenge(session: Session, actor: Actor, tender_id: int) -> Standstill:
    """The challenge is resolved: standstill resumes with the working days it had left."""
    tender = agency_tender(session, actor, tender_id, TenderStatus.standstill)
    standstill = standstill_of(session, tender)
    permissions.can_lift_challenge(actor, tender, standstill).enforce()
    assert standstill is not None
    standstill.ends_on = scoring.period_ends(today(), standstill.working_days_left_at_pause or 0)
    standstill.paused_at, standstill.working_days_left_at_pause = None, None
    record_event(session, actor, "standstill.resumed", subject=tender, details={"ends_on": standstill.ends_on.isoformat()})
    return standstill


def enter_contracts(session: Session, actor: Actor, tender_id: int) -> list[Contract]:
    """After standstill (and no open challenge): a contract per awarded lot, and a call-off
    order per organisation from its confirmed lines at the awarded unit prices."""
    require_agency(actor, EVALUATES)
    tender = locked(session, tender_id)
    standstill = standstill_of(session, tender)
    permissions.can_enter_contracts(actor, tender, standstill).enforce()
    contracts = []
    for award in record.lot_awards(session, tender, approved_only=True).values():
        if not award.shares:
            raise Conflict(f"Lot {award.lot.number}'s approved award has no record (a decision published before "
                           "records were kept): an administrator rebuilds it with `flask tenders rebuild-award-records`")
        lines = record.lines_of(award.lot, award.shares)
        for part, share in enumerate(award.shares):
            suffix = "" if len(award.shares) == 1 else "ABCDEFGHIJ"[part]
            contract = _contract(session, actor, tender, award.lot, share,
                                 [l for l in lines if l.opened_bid_id == share.opened_bid_id], suffix)
            session.add(contract)
            contracts.append(contract)
    session.flush()
    move(session, actor, tender, TenderStatus.awarded, "tender.awarded",
         contracts=[{"lot_id": c.lot_id, "supplier_id": c.supplier_id, "value": str(c.value)} for c in contracts])
    request_award_pack(session, actor, tender)  # adds the contract award notice; the rest is already made
    messages.tell_contracts_entered(session, tender, contracts)
    return contracts


def _contract(session: Session, actor: Actor, tender: Tender, lot: Lot, share: Any,
              lines: list[record.OrderLine], suffix: str) -> Contract:
    """A contract for an awarded share of a lot, with an order per organisation: its lines as
    the award record allocates them."""
    contract = Contract(lot_id=lot.id, supplier_id=share.supplier_id, opened_bid_id=share.opened_bid_id, value=Decimal(0),
                        entered_by_id=actor_id(actor))
    by_organisation: dict[int, list[record.OrderLine]] = defaultdict(list)
    for line in lines:
        by_organisation[line.organisation_id].append(line)
    for n, (organisation_id, found) in enumerate(sorted(by_organisation.items()), start=1):
        entries = [{"requirement_id": l.requirement_id, "lot_item_id": l.lot_item_id, "quantity": str(l.quantity),
                    "unit_price": str(l.unit_price), "total": str(l.cost), "baseline": str(l.baseline)} for l in found]
        order = CallOffOrder(organisation_id=organisation_id, reference=f"{tender.reference}-L{lot.number}{suffix}-{n:03d}",
                             lines=entries, total=sum((l.cost for l in found), Decimal(0)),
                             baseline=sum((l.baseline for l in found), Decimal(0)))
        contract.orders.append(order)
        for line in found:
            requirement = session.get(Requirement, line.requirement_id)
            if requirement is not None and requirement.status is RequirementStatus.committed:
                move_requirement(session, actor, requirement, RequirementStatus.awarded, "requirement.awarded",
                                 f"order {order.reference}")
    contract.value = sum((o.total for o in contract.orders), Decimal(0))
    return contract


def complete(session: Session, actor: Actor, tender_id: int) -> Tender:
    tender = agency_tender(session, actor, tender_id, TenderStatus.awarded)
    return move(session, actor, tender, TenderStatus.complete, "tender.completed")


# What each party sees of the result -----------------------------------------------------------

@dataclass
class Saving:
    organisation_id: int
    organisation: str
    lot: int
    order: str
    baseline: Decimal
    cost: Decimal

    @property
    def saving(self) -> Decimal:
        return self.baseline - self.cost

    @property
    def percent(self) -> Decimal | None:
        return percent_of(self.saving, self.baseline)


def savings(session: Session, actor: Actor, tender_id: int) -> list[Saving]:
    """Per organisation and lot; the agency sees all, a buyer their own organisations'."""
    tender = get_tender(session, actor, tender_id)
    agency = access.can_manage_tenders(actor)
    own = set(getattr(actor, "organisation_ids", ()) or ()) if access.has_role(actor, access.BUYER) else set()
    if not agency and not own:
        raise PermissionDenied("Savings are for the agency and the organisations taking part")
    rows = session.execute(select(CallOffOrder, Contract, Lot).join(Contract, Contract.id == CallOffOrder.contract_id)
                           .join(Lot, Lot.id == Contract.lot_id).where(Lot.tender_id == tender.id)
                           .order_by(Lot.number, CallOffOrder.id)).all()
    return [Saving(o.organisation_id, o.organisation.name, lot.number, o.reference, o.baseline, o.total)
            for o, _c, lot in rows if agency or o.organisation_id in own]


def organisation_orders(session: Session, actor: Actor) -> list[tuple[CallOffOrder, Contract, Lot, Tender, str]]:
    """A buyer's organisations' orders: what each buys, from whom, for how much, and its saving."""
    own = set(getattr(actor, "organisation_ids", ()) or ()) if access.has_role(actor, access.BUYER) else set()
    if not own:
        raise PermissionDenied("Orders are for the buying organisations")
    rows = session.execute(select(CallOffOrder, Contract, Lot, Tender, Supplier.legal_name)
                           .join(Contract, Contract.id == CallOffOrder.contract_id).join(Lot, Lot.id == Contract.lot_id)
                           .join(Tender, Tender.id == Lot.tender_id).join(Supplier, Supplier.id == Contract.supplier_id)
                           .where(CallOffOrder.organisation_id.in_(own)).order_by(CallOffOrder.id)).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


@dataclass
class Assessed:
    criterion: Criterion
    score: int | None     # the moderated (consensus) mark
    reason: str


@dataclass
class AwardedTender:
    """An awarded tender as a bidder's summary names it (regulation 31): the supplier's name,
    postal and email address and identifier, and each score with its explanation."""

    share: Any            # record.AwardShare
    supplier: Supplier
    entry: scoring.Entry | None
    marks: list[Assessed]


@dataclass
class LotResult:
    lot: Lot
    own: scoring.Entry
    own_share: Any        # record.AwardShare, when this bidder is awarded (a share of) the lot
    marks: list[Assessed]
    awarded: list[AwardedTender]
    explanation: str      # the award's basis, in words
    reason: str           # why this bidder is not awarded, when it is not
    advantages: str

    @property
    def won(self) -> bool:
        return self.own_share is not None


def assessment_summary(session: Session, actor: Actor, tender_id: int) -> list[LotResult]:
    """The signed-in bidder's assessment summary, from the decision's publication on."""
    supplier_ids = set(getattr(actor, "supplier_ids", ()) or ()) if access.has_role(actor, access.SUPPLIER) else set()
    if not supplier_ids:
        raise PermissionDenied("Assessment summaries are for the bidders")
    tender = get_tender(session, actor, tender_id)
    permissions.can_read_results(actor, tender).enforce()
    mine = session.scalar(select(OpenedBid).where(OpenedBid.tender_id == tender.id, OpenedBid.supplier_id.in_(supplier_ids)))
    if mine is None:
        raise NotFound("You did not bid for this tender")
    return summary_for(session, tender, mine)


def summary_for(session: Session, tender: Tender, mine: OpenedBid) -> list[LotResult]:
    """A bidder's own scores and reasons for each lot it bid for (and no other), the awarded
    tenders' suppliers with their scores and explanations, the basis of the award and, when
    this bidder is not awarded, why."""
    awards = record.lot_awards(session, tender)
    wanted = {mine.id} | {s.opened_bid_id for a in awards.values() for s in a.shares}
    consensus = {(c.opened_bid_id, c.criterion_id): c for c in session.scalars(
        select(Consensus).where(Consensus.opened_bid_id.in_(wanted)))}
    suppliers = {s.id: s for s in session.scalars(select(Supplier).where(
        Supplier.id.in_({s.supplier_id for a in awards.values() for s in a.shares})))}

    def marks(bid: int) -> list[Assessed]:
        return [Assessed(c, consensus[(bid, c.id)].score if (bid, c.id) in consensus else None,
                     consensus[(bid, c.id)].rationale if (bid, c.id) in consensus else "") for c in tender.criteria]

    results = []
    for lot in tender.lots:
        award = awards.get(lot.id)
        entries = award.entries if award else rank_lot(session, tender, lot).entries
        own = next((e for e in entries if e.bid == mine.id), None)
        if own is None:  # it did not bid for this lot
            continue
        shares = award.shares if award else []
        own_share = next((s for s in shares if s.opened_bid_id == mine.id), None)
        awarded = [AwardedTender(s, suppliers[s.supplier_id], next((e for e in entries if e.bid == s.opened_bid_id), None),
                                 marks(s.opened_bid_id)) for s in shares]
        results.append(LotResult(lot, own, own_share, marks(mine.id), awarded, award.explanation if award else "",
                                 "" if own_share else not_awarded_because(tender, own, award),
                                 award.decision.advantages if award else ""))
    return results


def not_awarded_because(tender: Tender, own: scoring.Entry, award: Any) -> str:
    """Why a bidder is not awarded a lot it bid for, in words."""
    if own.failed:
        names = [c.name for c in tender.criteria if c.id in own.failed]
        return ("Your tender is disqualified: its mark for " + ", ".join(names) +
                " is below the pass mark published with the tender.")
    if own.excluded.startswith("rejected"):
        return "Your tender is rejected as abnormally low: the evaluators did not accept the explanation given."
    if own.excluded:
        return f"Your tender could not be awarded: {own.excluded}."
    if award is None or not award.shares:
        return "This lot is not awarded."
    if award.basis is record.AwardBasis.optimised:
        return ("Your tender is not part of the optimised award across lots, which costs least across all the lots "
                "under the published award rules.")
    return "Your tender is not the most advantageous tender: it is not ranked first on this lot."
