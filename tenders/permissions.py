"""Who may do what to a joint tender, and when: one predicate per act, of the acting user and
the tender's state (its effective status, read from the clock, and the records of its phase).

Each predicate returns a `Verdict`: services `enforce()` it, so a refusal carries the same
reason everywhere; views hand `TenderActions` to templates, which only ask whether an act is
allowed (no template compares a status). Visibility is here too: the agency sees every
tender; a supplier every tender past its draft; a buyer every tender in which its
organisation has lines; and who is a party to a tender (`is_party_to`), which is narrower."""
from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any, Iterable

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.access import ALLOWED, Actor, Verdict, actor_id, forbidden, refused
from procurement.core.clock import now, today
from procurement.core.errors import NotFound
from tenders import rules
from tenders.models import (
    AwardDecision,
    Bid,
    BidStatus,
    Evaluator,
    LineStatus,
    LowPriceCheck,
    Lot,
    LotLine,
    OpenedBid,
    Standstill,
    Tender,
    TenderParticipant,
    TenderStatus,
)

RESULTS_PUBLISHED = frozenset({TenderStatus.standstill, TenderStatus.awarded, TenderStatus.complete})
RUNS_TENDERS = "Only the agency runs joint tenders"
EVALUATES = "Only agency staff evaluate and award"


def require_agency(actor: Actor, message: str = RUNS_TENDERS) -> None:
    agency(actor, message).enforce()


def agency(actor: Actor, message: str = RUNS_TENDERS) -> Verdict:
    return ALLOWED if access.can_manage_tenders(actor) else forbidden(message)


def _words(status: TenderStatus) -> str:
    return status.value.replace("_", " ")


# Seeing a tender ----------------------------------------------------------------------------

def visible_tenders(actor: Actor) -> ColumnElement[bool]:
    """The tenders an actor may see, as a condition on Tender."""
    if access.can_manage_tenders(actor):
        return true()
    seen: list[ColumnElement[bool]] = []
    if access.has_role(actor, access.SUPPLIER):
        seen.append(Tender.status != TenderStatus.draft)
    own = sorted(getattr(actor, "organisation_ids", ()) or ()) if access.has_role(actor, access.BUYER) else []
    if own:
        seen.append(Tender.id.in_(select(Lot.tender_id).join(LotLine).where(LotLine.organisation_id.in_(own))))
    return or_(*seen) if seen else false()


def can_see_tender(session: Session, actor: Actor, tender: Tender) -> bool:
    if access.can_manage_tenders(actor):
        return True
    return session.scalar(select(Tender.id).where(Tender.id == tender.id, visible_tenders(actor))) is not None


def visible_tender(session: Session, actor: Actor, tender_id: int) -> Tender:
    """The tender, or NotFound when it does not exist or the actor may not see it (its
    existence is private too). Reads only."""
    tender = session.get(Tender, tender_id)
    if tender is None or not can_see_tender(session, actor, tender):
        raise NotFound("No such tender")
    return tender


def is_party_to(session: Session, actor: Actor, tender: Tender) -> bool:
    """A party to the tender reads what is made for all its parties (the award decision notice):
    the agency that runs it; an organisation taking part in it (a participant, or a confirmed
    line in one of its lots); a supplier whose bid was opened. Seeing a tender is wider than
    this (every supplier sees a published tender), and must not be enough."""
    if access.can_manage_tenders(actor):
        return True
    organisations = sorted(getattr(actor, "organisation_ids", ()) or ()) if access.has_role(actor, access.BUYER) else []
    if organisations:
        participant = select(TenderParticipant.id).where(TenderParticipant.tender_id == tender.id,
                                                         TenderParticipant.organisation_id.in_(organisations))
        confirmed = (select(LotLine.id).join(Lot, Lot.id == LotLine.lot_id)
                     .where(Lot.tender_id == tender.id, LotLine.organisation_id.in_(organisations),
                            LotLine.status == LineStatus.confirmed))
        if session.scalar(participant.limit(1)) is not None or session.scalar(confirmed.limit(1)) is not None:
            return True
    suppliers = sorted(getattr(actor, "supplier_ids", ()) or ()) if access.has_role(actor, access.SUPPLIER) else []
    if suppliers:
        return session.scalar(select(OpenedBid.id).where(OpenedBid.tender_id == tender.id,
                                                         OpenedBid.supplier_id.in_(suppliers)).limit(1)) is not None
    return False


# Forming: the buyers' confirmation and the draft --------------------------------------------

def can_answer_line(actor: Actor, line: LotLine) -> Verdict:
    """A buyer of the line's organisation confirms or declines it while confirmation is open."""
    if not access.can_act_for_organisation(actor, line.organisation_id):
        return forbidden("Only a buyer of the line's organisation answers for it")
    tender = line.lot.tender
    if tender.status is not TenderStatus.draft or tender.confirmation_closed_at is not None:
        return refused("Confirmation for this tender has closed")
    if today() > tender.confirm_by:
        return refused(f"Lines had to be confirmed by {tender.confirm_by:%-d %B %Y}")
    if line.status is not LineStatus.pending:
        return refused(f"This line is already {line.status.value}")
    return ALLOWED


def can_close_confirmation(actor: Actor, tender: Tender) -> Verdict:
    """Unanswered lines drop out once every line is answered or the date has passed."""
    if not access.can_manage_tenders(actor):
        return forbidden(RUNS_TENDERS)
    if tender.status is not TenderStatus.draft or tender.confirmation_closed_at is not None:
        return refused("Confirmation for this tender has already closed")
    pending = sum(1 for lot in tender.lots for line in lot.lines if line.status is LineStatus.pending)
    if pending and today() <= tender.confirm_by:
        return refused(f"Buyers have until {tender.confirm_by:%-d %B %Y} to confirm {pending} line(s)")
    return ALLOWED


def can_edit_terms(actor: Actor, tender: Tender) -> Verdict:
    """Details, criteria, lots and documents change only while the tender is a draft."""
    if not access.can_manage_tenders(actor):
        return forbidden(RUNS_TENDERS)
    if tender.status is not TenderStatus.draft:
        return refused("Criteria, weights, lots and the timeline are frozen at publication; publish an amendment instead")
    return ALLOWED


def can_prepare_publication(actor: Actor, tender: Tender) -> Verdict:
    """The draft's terms are prepared for publication once lot quantities are confirmed."""
    verdict = can_edit_terms(actor, tender)
    if verdict and tender.confirmation_closed_at is None:
        return refused("Close the buyers' confirmation first: lot quantities are the confirmed lines")
    return verdict


def can_publish(actor: Actor, tender: Tender) -> Verdict:
    if not access.can_manage_tenders(actor):
        return forbidden(RUNS_TENDERS)
    if not rules.TRANSITIONS.allows(tender.status, TenderStatus.published):
        return refused(f"A {tender.status.value} tender cannot be published")
    return ALLOWED


def can_abandon(actor: Actor, tender: Tender) -> Verdict:
    if not access.can_manage_tenders(actor):
        return forbidden(RUNS_TENDERS)
    if tender.status is not TenderStatus.draft:
        return refused("Only a draft tender can be abandoned here")
    return ALLOWED


def can_run(actor: Actor, tender: Tender) -> Verdict:
    """The agency runs a tender past its draft: questions, amendments, the box, cancelling."""
    if not access.can_manage_tenders(actor):
        return forbidden(RUNS_TENDERS)
    return refused("The tender is a draft") if tender.status is TenderStatus.draft else ALLOWED


def can_cancel(actor: Actor, tender: Tender) -> Verdict:
    """Any tender not yet awarded can be cancelled, with a reason (a draft is abandoned)."""
    if not access.can_manage_tenders(actor):
        return forbidden(RUNS_TENDERS)
    if tender.status not in rules.ACTIVE:
        return refused(f"A {tender.status.value} tender cannot be cancelled")
    return ALLOWED


# Published: questions, amendments, bids -----------------------------------------------------

def can_amend(actor: Actor, tender: Tender) -> Verdict:
    if not access.can_manage_tenders(actor):
        return forbidden(RUNS_TENDERS)
    if tender.effective_status is not TenderStatus.published:
        return refused("Only a published tender, before its deadline, can be amended")
    return ALLOWED


def can_answer_questions(actor: Actor, tender: Tender) -> Verdict:
    if not access.can_manage_tenders(actor):
        return forbidden(RUNS_TENDERS)
    if tender.effective_status is not TenderStatus.published:
        return refused("Questions are answered while the tender is open")
    return ALLOWED


def own_supplier(actor: Actor) -> int | None:
    """The supplier a supplier user acts for (its first), or None."""
    ids = sorted(getattr(actor, "supplier_ids", ()) or ()) if access.has_role(actor, access.SUPPLIER) else []
    return ids[0] if ids else None


def asker(actor: Actor) -> Verdict:
    supplier_id = own_supplier(actor)
    if supplier_id is None or not access.can_bid_for(actor, supplier_id):
        return forbidden("Only suppliers ask clarification questions")
    return ALLOWED


def can_ask(actor: Actor, tender: Tender) -> Verdict:
    if not (verdict := asker(actor)):
        return verdict
    deadline = tender.clarification_deadline
    if tender.effective_status is not TenderStatus.published or (deadline and now() >= deadline):
        words = f" ({deadline:%-d %B %Y %H:%M} UTC)" if deadline else ""
        return refused(f"The deadline for clarification questions has passed{words}")
    return ALLOWED


def can_follow(actor: Actor, tender: Tender) -> Verdict:
    """A supplier follows an open tender (or stops), to be told of its answers and amendments."""
    supplier_id = own_supplier(actor)
    if supplier_id is None or not access.can_bid_for(actor, supplier_id):
        return forbidden("Only suppliers follow tenders")
    if tender.effective_status is not TenderStatus.published:
        return refused("Only tenders open for bids can be followed")
    return ALLOWED


def bidder(actor: Actor) -> Verdict:
    supplier_id = own_supplier(actor)
    if supplier_id is None or not access.can_bid_for(actor, supplier_id):
        return forbidden("Only suppliers bid")
    return ALLOWED


def can_bid(actor: Actor, tender: Tender) -> Verdict:
    """A supplier prepares, submits, replaces and withdraws its bid until the deadline."""
    if not (verdict := bidder(actor)):
        return verdict
    if tender.submission_deadline is not None and now() >= tender.submission_deadline:
        return refused(f"The deadline for bids was {tender.submission_deadline:%-d %B %Y %H:%M:%S} UTC: "
                       "nothing was stored")
    if tender.status is not TenderStatus.published:
        return refused(f"This tender is {_words(tender.status)}: bids are not accepted")
    if tender.tender_notice_pending:
        return refused("The tender notice is not yet published on Find a Tender: bids are accepted from its publication")
    return ALLOWED


def can_withdraw_bid(actor: Actor, tender: Tender, bid: Bid | None) -> Verdict:
    verdict = can_bid(actor, tender)
    if verdict and (bid is None or bid.status is not BidStatus.submitted):
        return refused("You have no submitted bid to withdraw")
    return verdict


def can_reconfirm_bid(actor: Actor, tender: Tender, bid: Bid | None) -> Verdict:
    verdict = can_bid(actor, tender)
    if verdict and (bid is None or not bid.needs_reconfirmation):
        return refused("Your bid does not need re-confirming")
    return verdict


def can_read_results(actor: Actor, tender: Tender) -> Verdict:
    """A bidder reads its assessment summary from the decision's publication on."""
    if own_supplier(actor) is None:
        return forbidden("Assessment summaries are for the bidders")
    if tender.effective_status not in RESULTS_PUBLISHED:
        return refused("Results are published with the award decision")
    return ALLOWED


def can_see_outcome(actor: Actor, tender: Tender) -> Verdict:
    """A buyer reads its organisation's outcome (who won, what it pays, its saving) from the
    decision's publication on; the outcome page itself answers whether it takes part."""
    if not access.can_raise_requirements(actor):
        return forbidden("The outcome is for the buying organisations taking part")
    if tender.effective_status not in RESULTS_PUBLISHED:
        return refused("The outcome is published with the award decision")
    return ALLOWED


# The tender box -----------------------------------------------------------------------------

def opener(actor: Actor) -> Verdict:
    return ALLOWED if access.can_open_tenders(actor) else forbidden("Only agency staff open the tender box")


def _opens(actor: Actor, tender: Tender) -> Verdict:
    if not (verdict := opener(actor)):
        return verdict
    status = tender.effective_status
    if status is not TenderStatus.closed:
        return refused("The box opens only after the deadline, once" if status is TenderStatus.published
                       else f"A {status.value} tender cannot be opened")
    return ALLOWED


def can_request_opening(actor: Actor, tender: Tender) -> Verdict:
    verdict = _opens(actor, tender)
    if verdict and tender.opening_requested_by_id is not None:
        return refused("The opening is already requested: a second, different agency user confirms it")
    return verdict


def can_confirm_opening(actor: Actor, tender: Tender) -> Verdict:
    verdict = _opens(actor, tender)
    if not verdict:
        return verdict
    if tender.opening_requested_by_id is None:
        return refused("Opening needs a request from one agency user and confirmation by another")
    if tender.opening_requested_by_id == actor_id(actor):
        return refused("A second, different agency user must confirm the opening")
    return ALLOWED


# Evaluation and award -----------------------------------------------------------------------

def in_phase(actor: Actor, tender: Tender, *states: TenderStatus) -> Verdict:
    """An agency act of the evaluation and award, allowed in `states` (any, if none)."""
    if not access.can_manage_tenders(actor):
        return forbidden(EVALUATES)
    if states and tender.effective_status not in states:
        return refused(f"A {_words(tender.effective_status)} tender cannot do this")
    return ALLOWED


def can_start_evaluation(actor: Actor, tender: Tender) -> Verdict:
    return in_phase(actor, tender, TenderStatus.opened)


def is_evaluator(actor: Actor, tender: Tender, mine: Evaluator | None) -> Verdict:
    """Agency staff named on this tender's panel (`mine` is their panel row, or None)."""
    if not access.can_manage_tenders(actor):
        return forbidden(EVALUATES)
    return ALLOWED if mine is not None else forbidden("Only the tender's evaluators do this")


def declared(actor: Actor, tender: Tender, mine: Evaluator | None) -> Verdict:
    """An evaluator who has declared no conflict of interest: only they see the responses."""
    verdict = is_evaluator(actor, tender, mine)
    if verdict and mine is not None and mine.declared_at is None:
        return forbidden("Declare that you have no conflict of interest before seeing any response")
    return verdict


def _evaluating(actor: Actor, tender: Tender, mine: Evaluator | None, declared_first: bool = True) -> Verdict:
    verdict = in_phase(actor, tender, TenderStatus.evaluation)
    if not verdict:
        return verdict
    return declared(actor, tender, mine) if declared_first else is_evaluator(actor, tender, mine)


def can_declare(actor: Actor, tender: Tender, mine: Evaluator | None) -> Verdict:
    verdict = _evaluating(actor, tender, mine, declared_first=False)
    if verdict and mine is not None and mine.declared_at is not None:
        return refused("You have declared")
    return verdict


def can_mark(actor: Actor, tender: Tender, mine: Evaluator | None) -> Verdict:
    verdict = _evaluating(actor, tender, mine)
    if verdict and mine is not None and mine.marks_submitted_at is not None:
        return refused("Your marks are submitted; the lead's moderation records any change")
    return verdict


def can_moderate(actor: Actor, tender: Tender, mine: Evaluator | None, panel: Iterable[Evaluator]) -> Verdict:
    verdict = _evaluating(actor, tender, mine)
    if verdict and mine is not None and not mine.is_lead:
        return forbidden("Only the lead evaluator records the moderated score")
    if verdict and any(e.marks_submitted_at is None for e in panel):
        return refused("Every evaluator must submit their marks before moderation")
    return verdict


def can_decide_low_price(actor: Actor, tender: Tender, mine: Evaluator | None, check: LowPriceCheck) -> Verdict:
    verdict = _evaluating(actor, tender, mine)
    if verdict and check.decision:
        return refused("This check is decided")
    return verdict


def can_write_about_low_price(actor: Actor, tender: Tender, mine: Evaluator | None, check: LowPriceCheck,
                              supplier_id: int) -> Verdict:
    """The evaluators ask the bidder to explain an abnormally low total, and the bidder
    answers, while the evaluation lasts and the check is undecided."""
    if access.can_bid_for(actor, supplier_id):
        verdict = ALLOWED if tender.effective_status is TenderStatus.evaluation else refused("The evaluation is over")
    else:
        verdict = _evaluating(actor, tender, mine, declared_first=False)
    if verdict and check.decision:
        return refused("This check is decided")
    return verdict


def can_recommend(actor: Actor, tender: Tender, mine: Evaluator | None, decision: AwardDecision | None,
                  has_winner: bool = True) -> Verdict:
    verdict = _evaluating(actor, tender, mine)
    if verdict and mine is not None and not mine.is_lead:
        return forbidden("Only the lead evaluator recommends the award")
    if verdict and decision is not None and decision.approved_at is not None:
        return refused("This lot's award is already approved")
    if verdict and not has_winner:
        return refused("No bid for this lot can be awarded")
    return verdict


def can_approve(actor: Actor, tender: Tender, decision: AwardDecision | None) -> Verdict:
    """A second agency user, not the one who recommended, approves a lot's recommendation."""
    verdict = in_phase(actor, tender, TenderStatus.evaluation)
    if verdict and decision is None:
        return refused("No recommendation for this lot")
    if verdict and decision is not None and decision.approved_at is not None:
        return refused("This lot's award is already approved")
    if verdict and decision is not None and decision.recommended_by_id == actor_id(actor):
        return refused("A second, different agency user must approve the recommendation")
    return verdict


def can_publish_decision(actor: Actor, tender: Tender) -> Verdict:
    return in_phase(actor, tender, TenderStatus.award_proposed)


def can_record_challenge(actor: Actor, tender: Tender, standstill: Standstill | None) -> Verdict:
    verdict = in_phase(actor, tender, TenderStatus.standstill)
    if verdict and standstill is not None and standstill.paused_at is not None:
        return refused("Standstill is already paused by a challenge")
    return verdict


def can_lift_challenge(actor: Actor, tender: Tender, standstill: Standstill | None) -> Verdict:
    verdict = in_phase(actor, tender, TenderStatus.standstill)
    if verdict and (standstill is None or standstill.paused_at is None):
        return refused("Standstill is not paused")
    return verdict


def can_enter_contracts(actor: Actor, tender: Tender, standstill: Standstill | None, on: date | None = None) -> Verdict:
    """After standstill, with no challenge open."""
    if not access.can_manage_tenders(actor):
        return forbidden(EVALUATES)
    if tender.effective_status is not TenderStatus.standstill:
        return refused(f"A {_words(tender.effective_status)} tender cannot enter contracts")
    if standstill is None:
        return refused("The decision's standstill is not recorded")
    if standstill.notice_pending:
        return refused("The contract award notice (UK6) is not yet published on Find a Tender: standstill begins "
                       "on the day it is published, and no contract may be entered before it ends")
    if standstill.paused_at is not None:
        return refused("A challenge has paused standstill: no contract may be entered")
    if (on or today()) <= standstill.ends_on:
        return refused(f"Standstill runs until the end of {standstill.ends_on:%-d %B %Y}: no contract before then")
    return ALLOWED


def can_complete(actor: Actor, tender: Tender) -> Verdict:
    return in_phase(actor, tender, TenderStatus.awarded)


def can_make_award_pack(actor: Actor, tender: Tender) -> Verdict:
    return in_phase(actor, tender, *RESULTS_PUBLISHED)


def can_set_optimisation_rules(actor: Actor, tender: Tender) -> Verdict:
    return can_edit_terms(actor, tender)


def can_optimise(actor: Actor, tender: Tender) -> Verdict:
    verdict = in_phase(actor, tender, TenderStatus.evaluation)
    if verdict and not tender.award_optimised:
        return refused("This tender's published rules do not allow an award optimised across lots")
    return verdict


def can_adopt_optimised(actor: Actor, tender: Tender, mine: Evaluator | None, award: Any) -> Verdict:
    """The lead adopts a found optimised award, before any lot's award is approved."""
    verdict = _evaluating(actor, tender, mine)
    if verdict and mine is not None and not mine.is_lead:
        return forbidden("Only the lead evaluator recommends the award")
    if verdict and (award is None or award.status not in ("optimal", "feasible") or award.total is None):
        return refused("This optimisation found no award to adopt")
    if verdict and award.adopted_at is not None:
        return refused("This optimised award is adopted")
    return verdict


class TenderActions:
    """What the acting user may do to one tender now, for its pages: each attribute is the
    verdict of the predicate above. Per-record acts (a line, a lot, a check) are methods."""

    def __init__(self, actor: Actor, tender: Tender, *, mine: Evaluator | None = None,
                 panel: Iterable[Evaluator] = (), bid: Bid | None = None):
        self.actor, self.tender, self.mine, self.panel, self.bid = actor, tender, mine, list(panel), bid

    # Forming
    def answer_line(self, line: LotLine) -> Verdict:
        return can_answer_line(self.actor, line)

    @cached_property
    def close_confirmation(self) -> Verdict:
        return can_close_confirmation(self.actor, self.tender)

    @cached_property
    def prepare(self) -> Verdict:
        return can_prepare_publication(self.actor, self.tender)

    @cached_property
    def abandon(self) -> Verdict:
        return can_abandon(self.actor, self.tender)

    @cached_property
    def run(self) -> Verdict:
        return can_run(self.actor, self.tender)

    @cached_property
    def cancel(self) -> Verdict:
        """Cancelling a running tender (a draft is abandoned instead)."""
        return can_cancel(self.actor, self.tender) if not self.abandon else refused("A draft is abandoned")

    # Published
    @cached_property
    def amend(self) -> Verdict:
        return can_amend(self.actor, self.tender)

    @cached_property
    def follow(self) -> Verdict:
        return can_follow(self.actor, self.tender)

    @cached_property
    def answer_questions(self) -> Verdict:
        return can_answer_questions(self.actor, self.tender)

    @cached_property
    def ask(self) -> Verdict:
        return can_ask(self.actor, self.tender)

    @cached_property
    def bid_now(self) -> Verdict:
        return can_bid(self.actor, self.tender)

    @cached_property
    def withdraw_bid(self) -> Verdict:
        return can_withdraw_bid(self.actor, self.tender, self.bid)

    @cached_property
    def reconfirm_bid(self) -> Verdict:
        return can_reconfirm_bid(self.actor, self.tender, self.bid)

    @cached_property
    def read_results(self) -> Verdict:
        return can_read_results(self.actor, self.tender)

    @cached_property
    def see_outcome(self) -> Verdict:
        return can_see_outcome(self.actor, self.tender)

    # The box
    @cached_property
    def request_opening(self) -> Verdict:
        return can_request_opening(self.actor, self.tender)

    @cached_property
    def confirm_opening(self) -> Verdict:
        return can_confirm_opening(self.actor, self.tender)

    # Evaluation and award
    @cached_property
    def start_evaluation(self) -> Verdict:
        return can_start_evaluation(self.actor, self.tender)

    @cached_property
    def evaluating(self) -> Verdict:
        return in_phase(self.actor, self.tender, TenderStatus.evaluation)

    @cached_property
    def declare(self) -> Verdict:
        return can_declare(self.actor, self.tender, self.mine)

    @cached_property
    def mark(self) -> Verdict:
        return can_mark(self.actor, self.tender, self.mine)

    @cached_property
    def moderate(self) -> Verdict:
        return can_moderate(self.actor, self.tender, self.mine, self.panel)

    def decide_low_price(self, check: LowPriceCheck) -> Verdict:
        return can_decide_low_price(self.actor, self.tender, self.mine, check)

    def write_about_low_price(self, check: LowPriceCheck, supplier_id: int) -> Verdict:
        return can_write_about_low_price(self.actor, self.tender, self.mine, check, supplier_id)

    def recommend(self, decision: AwardDecision | None, has_winner: bool) -> Verdict:
        return can_recommend(self.actor, self.tender, self.mine, decision, has_winner)

    def approve(self, decision: AwardDecision | None) -> Verdict:
        return can_approve(self.actor, self.tender, decision)

    @cached_property
    def publish_decision(self) -> Verdict:
        return can_publish_decision(self.actor, self.tender)

    @cached_property
    def record_challenge(self) -> Verdict:
        return can_record_challenge(self.actor, self.tender, self.tender.standstill)

    @cached_property
    def lift_challenge(self) -> Verdict:
        return can_lift_challenge(self.actor, self.tender, self.tender.standstill)

    @cached_property
    def enter_contracts(self) -> Verdict:
        return can_enter_contracts(self.actor, self.tender, self.tender.standstill)

    @cached_property
    def complete(self) -> Verdict:
        return can_complete(self.actor, self.tender)

    @cached_property
    def award_pack(self) -> Verdict:
        return can_make_award_pack(self.actor, self.tender)

    @cached_property
    def set_optimisation_rules(self) -> Verdict:
        return can_set_optimisation_rules(self.actor, self.tender)

    @cached_property
    def optimise(self) -> Verdict:
        return can_optimise(self.actor, self.tender)

    def adopt_optimised(self, award: Any) -> Verdict:
        return can_adopt_optimised(self.actor, self.tender, self.mine, award)

