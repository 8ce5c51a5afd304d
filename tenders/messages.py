"""What a tender tells people, in words, at each of its events: each function is called by the
service that makes the change, in its transaction, and names the event in its key, so telling
again is a no-op (procurement.notifications.notify). A supplier's message never names another
supplier, the asker of a question or anyone's price but its own; nobody's email address is in
any message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.rules import cpv_matches
from procurement.core.clock import now, today
from procurement.notifications.people import (
    agency_people,
    buyer_people,
    london_day,
    london_time,
    paragraphs,
    supplier_people,
)
from procurement.notifications.services import notify
from procurement.parties.models import Organisation
from suppliers.models import Supplier
from tenders.following import followers
from tenders.models import (
    Amendment,
    AwardDecision,
    Bid,
    BidStatus,
    BidVersion,
    Clarification,
    Contract,
    Evaluator,
    LineStatus,
    Lot,
    OpenedBid,
    Standstill,
    Tender,
    TenderStatus,
)

DRAFT_REMINDERS = (("3d", timedelta(days=3)), ("1d", timedelta(days=1)))  # before the deadline, in order
CONFIRMATION_REMINDER_DAYS = 2


def _opportunity(tender: Tender) -> str:
    return f"/opportunities/{tender.id}"


def _named(tender: Tender) -> str:
    return f"{tender.reference}, {tender.title}"


# Publication: new opportunities in suppliers' interests -----------------------------------------

def interested(supplier: Supplier, codes: Iterable[str], partnerships: set[str]) -> bool:
    """Whether a supplier asked to hear of a tender with these CPV codes from organisations in
    these partnerships: one of its codes covers one of the tender's, and it chose no region
    or one of them. A supplier with no interests hears of nothing."""
    interests = [code for code in (supplier.alert_cpv_codes or []) if code]
    if not any(cpv_matches(interest, code) for interest in interests for code in codes):
        return False
    regions = set(supplier.alert_regions or [])
    return not regions or bool(regions & partnerships)


def tender_codes(tender: Tender) -> set[str]:
    return {lot.cpv_code for lot in tender.lots} | {item.cpv_code for lot in tender.lots for item in lot.items}


def tender_partnerships(session: Session, tender: Tender) -> set[str]:
    """The partnerships of the organisations whose confirmed lines the tender buys."""
    ids = {line.organisation_id for lot in tender.lots for line in lot.lines if line.status is LineStatus.confirmed}
    found = session.scalars(select(Organisation.partnership).where(Organisation.id.in_(ids))) if ids else []
    return {getattr(p, "value", p) for p in found if p}


def tell_new_opportunity(session: Session, tender: Tender) -> int:
    """At publication: the people of every supplier whose interests it matches. How many told."""
    codes, partnerships = tender_codes(tender), tender_partnerships(session, tender)
    wanted = [s.id for s in session.scalars(select(Supplier).order_by(Supplier.id)) if interested(s, codes, partnerships)]
    lots = "; ".join(f"lot {lot.number}: {lot.title}" for lot in tender.lots)
    body = paragraphs(
        f"A joint tender in your interests is open for bids: {_named(tender)}.",
        f"It has {len(tender.lots)} lot{'s' if len(tender.lots) != 1 else ''} ({lots}).",
        f"Bids must be in by {london_time(tender.submission_deadline)}."
        + (f" Ask any question by {london_time(tender.clarification_deadline)}." if tender.clarification_deadline else ""),
        "Read the tender documents and follow the tender to be told of answers and amendments.",
        "You get this because of the CPV codes and regions you chose. You can change them, or turn these messages off.")
    return len(notify(session, supplier_people(session, wanted), kind="new_opportunity", key=f"new_opportunity:{tender.id}",
                      subject=f"New opportunity: {tender.title}", body=body, link=_opportunity(tender)))


# Questions and amendments -------------------------------------------------------------------

def tell_answer(session: Session, clarification: Clarification) -> int:
    """An answer published: the people of every supplier following the tender (the asker's
    among them, if it follows), never saying who asked."""
    tender = session.get(Tender, clarification.tender_id)
    assert tender is not None
    body = paragraphs(
        f"An answer to a clarification question has been published for {_named(tender)}.",
        f"Question: {clarification.question}",
        f"Answer: {clarification.answer}",
        "Every supplier sees the same question and answer. Who asked is not shown.",
        f"Bids must be in by {london_time(tender.submission_deadline)}.")
    return len(notify(session, supplier_people(session, followers(session, tender.id)), kind="answer_published",
                      key=f"answer:{clarification.id}", subject=f"Answer published: {tender.title}", body=body,
                      link=_opportunity(tender)))


def tell_amendment(session: Session, amendment: Amendment) -> int:
    """An amendment: the people of every supplier following the tender or with a bid on it.
    Bids already in the box must be confirmed again, and those suppliers are told so plainly."""
    tender = session.get(Tender, amendment.tender_id)
    assert tender is not None
    bids = list(session.scalars(select(Bid).where(Bid.tender_id == tender.id)))
    in_box = {bid.supplier_id for bid in bids if bid.status is BidStatus.submitted and bid.needs_reconfirmation}
    others = (followers(session, tender.id) | {bid.supplier_id for bid in bids}) - in_box
    moved = amendment.new_deadline != amendment.previous_deadline
    deadline = (f"The deadline for bids has moved from {london_time(amendment.previous_deadline)} "
                f"to {london_time(amendment.new_deadline)}." if moved
                else f"The deadline for bids is still {london_time(amendment.new_deadline)}.")
    told = 0
    for audience, extra in ((in_box, "Your bid is in the tender box, but you must now confirm it again, or replace it, "
                                     f"by {london_time(amendment.new_deadline)}. A bid not confirmed again may not be "
                                     "evaluated."),
                            (others, "")):
        body = paragraphs(
            f"Amendment {amendment.number} to {_named(tender)} has been published.",
            f"What has changed: {amendment.summary}", deadline, extra,
            "Read the amendment and any new documents on the tender's page.")
        told += len(notify(session, supplier_people(session, audience), kind="amendment",
                           key=f"amendment:{amendment.id}", subject=f"Amendment {amendment.number}: {tender.title}",
                           body=body, link=_opportunity(tender) + ("/bid" if extra else "")))
    return told


# Bids -------------------------------------------------------------------------------------

def tell_bid_received(session: Session, tender: Tender, bid: Bid, version: BidVersion, lots: list[str]) -> int:
    """On submission: the submitting supplier's people, with the receipt's details."""
    body = paragraphs(
        f"Your bid for {_named(tender)} is in the tender box. This is version {version.version}.",
        f"Received: {london_time(version.submitted_at)} (London time, by the service's clock).",
        "Lots bid for: " + ("; ".join(lots) if lots else "none") + ".",
        f"Digital fingerprint (SHA-256) of your bid as received: {version.digest}",
        "Keep the receipt to prove what you sent. Nobody can read your bid until the tender box is opened after "
        f"the deadline, {london_time(tender.submission_deadline)}. You can replace or withdraw it until then.")
    return len(notify(session, supplier_people(session, [bid.supplier_id]), kind="bid_received",
                      key=f"bid_received:{bid.id}:{version.version}",
                      subject=f"Bid received: {tender.title} (version {version.version})", body=body,
                      link=f"/opportunities/{tender.id}/receipts/{version.version}"))


def remind_drafts(session: Session) -> int:
    """Each supplier with a bid still in draft on an open tender (never submitted, or withdrawn
    and drafted again; not one whose bid is in the box), 3 days and 1 day before the deadline
    (by the server's clock); each reminder once. How many told."""
    moment = now()
    told = 0
    found = session.execute(select(Bid, Tender).join(Tender, Tender.id == Bid.tender_id).where(
        Bid.status.in_([BidStatus.draft, BidStatus.withdrawn]), Bid.draft_sealed.is_not(None),
        Tender.status == TenderStatus.published,
        Tender.submission_deadline > moment, Tender.submission_deadline <= moment + DRAFT_REMINDERS[0][1]))
    for bid, tender in found:
        left = tender.submission_deadline - moment
        name = next(name for name, before in reversed(DRAFT_REMINDERS) if left <= before)
        days = "1 day" if name == "1d" else "3 days"
        body = paragraphs(
            f"Your bid for {_named(tender)} is saved as a draft but has not been submitted.",
            f"Bids must be in by {london_time(tender.submission_deadline)}, less than {days} from now.",
            "Check your answers and submit the bid before then. A draft is not a bid: it is not evaluated.")
        told += len(notify(session, supplier_people(session, [bid.supplier_id]), kind="draft_reminder",
                           key=f"draft_reminder:{bid.id}:{name}", subject=f"Your bid is not submitted: {tender.title}",
                           body=body, link=f"/opportunities/{tender.id}/bid"))
    return told


# Forming: lines to confirm --------------------------------------------------------------------

def _pending_organisations(tender: Tender) -> set[int]:
    return {line.organisation_id for lot in tender.lots for line in lot.lines if line.status is LineStatus.pending}


def tell_lines_to_confirm(session: Session, tender: Tender) -> int:
    """A draft tender asks each organisation's buyers to confirm or decline their lines."""
    told = 0
    for organisation_id in sorted(_pending_organisations(tender)):
        count = sum(1 for lot in tender.lots for line in lot.lines
                    if line.organisation_id == organisation_id and line.status is LineStatus.pending)
        body = paragraphs(
            f"Your organisation's requirements have been pooled into a joint tender: {_named(tender)}.",
            f"Confirm or decline your {count} line{'s' if count != 1 else ''} by {london_day(tender.confirm_by)}. "
            "A confirmed line counts in the tender's quantities; a line not confirmed by then drops out, and its "
            "requirement goes back on the demand board.")
        told += len(notify(session, buyer_people(session, [organisation_id]), kind="lines_to_confirm",
                           key=f"lines_to_confirm:{tender.id}:{organisation_id}",
                           subject=f"Lines to confirm by {london_day(tender.confirm_by)}: {tender.title}", body=body,
                           link="/requirements/pools"))
    return told


def remind_confirmations(session: Session) -> int:
    """Two days before a draft tender's confirm-by date (and until it), the buyers of each
    organisation with lines still pending; each organisation once per tender."""
    day = today()
    told = 0
    due = session.scalars(select(Tender).where(
        Tender.status == TenderStatus.draft, Tender.confirmation_closed_at.is_(None), Tender.confirm_by >= day,
        Tender.confirm_by <= day + timedelta(days=CONFIRMATION_REMINDER_DAYS)).order_by(Tender.id))
    for tender in due:
        for organisation_id in sorted(_pending_organisations(tender)):
            body = paragraphs(
                f"Your organisation still has lines to confirm or decline in {_named(tender)}.",
                f"Answer them by {london_day(tender.confirm_by)}. Lines not confirmed by then drop out of the tender.")
            told += len(notify(session, buyer_people(session, [organisation_id]), kind="lines_to_confirm",
                               key=f"lines_reminder:{tender.id}:{organisation_id}:2d",
                               subject=f"Reminder: confirm your lines by {london_day(tender.confirm_by)}",
                               body=body, link="/requirements/pools"))
    return told


# Opening, evaluation and award ----------------------------------------------------------------

def tell_opening_requested(session: Session, tender: Tender) -> int:
    """Every other agency user: a second person must confirm the opening."""
    body = paragraphs(
        f"An agency colleague has asked to open the tender box of {_named(tender)}.",
        "A second, different person must confirm the opening before the bids can be read. "
        "If you can, confirm it on the tender's page.")
    return len(notify(session, agency_people(session, besides=[tender.opening_requested_by_id]),
                      kind="opening_requested", key=f"opening_requested:{tender.id}",
                      subject=f"Opening waiting for a second person: {tender.title}", body=body,
                      link=f"/tenders/{tender.id}"))


def tell_marking_assigned(session: Session, tender: Tender, evaluators: Iterable[Evaluator],
                          assigned_by: int | None = None) -> int:
    """Each evaluator named to the panel (but the one who named it)."""
    panel = list(evaluators)
    user_ids = {e.user_id for e in panel if e.user_id != assigned_by}
    people = [u for u in agency_people(session) if u.id in user_ids]
    body = paragraphs(
        f"You are on the evaluation panel of {_named(tender)}.",
        "Declare any conflict of interest first; then mark each bid's quality answers against the published "
        "criteria and submit your marks. You see the others' marks only after submitting your own.")
    return len(notify(session, people, kind="marking_assigned", key=f"marking_assigned:{tender.id}",
                      subject=f"Marking assigned to you: {tender.title}", body=body,
                      link=f"/tenders/{tender.id}/evaluation"))


def tell_approval_waiting(session: Session, tender: Tender, decisions: Iterable[AwardDecision]) -> int:
    """A recommendation made: the agency users who may approve it (anyone but who recommended)."""
    told = 0
    for decision in decisions:
        lot = session.get(Lot, decision.lot_id)
        assert lot is not None
        body = paragraphs(
            f"The award of lot {lot.number} ({lot.title}) of {_named(tender)} has been recommended and is waiting "
            "for approval.",
            "A second agency user, not the one who recommended it, must approve it before the decision can be "
            "published. Check the ranking and the reasons on the evaluation page.")
        stamp = int(decision.recommended_at.timestamp()) if decision.recommended_at else 0
        told += len(notify(session, agency_people(session, besides=[decision.recommended_by_id]),
                           kind="approval_waiting", key=f"approval_waiting:{decision.id}:{stamp}",
                           subject=f"Approval waiting: {tender.title}, lot {lot.number}", body=body,
                           link=f"/tenders/{tender.id}/evaluation"))
    return told


@dataclass(frozen=True)
class OwnResult:
    """One lot of a bidder's assessment summary, as its results page gives it: its own score
    and, when it is not awarded the lot, why (in words that name nobody else)."""

    lot_number: int
    lot_title: str
    won: bool
    score: Decimal
    reason: str = ""

    def headline(self) -> str:
        outcome = "awarded to you" if self.won else "not awarded to you"
        why = f" {self.reason}" if not self.won and self.reason else ""
        return (f"Lot {self.lot_number}, {self.lot_title}: {outcome}. "
                f"Your total score: {Decimal(self.score).quantize(Decimal('0.01'))} out of 100.{why}")


def tell_decision(session: Session, tender: Tender, standstill: Standstill, results: dict[int, list[OwnResult]]) -> int:
    """The decision published: each bidder's people (`results` by opened bid), with its own
    results only and the standstill's end, linking to its results page."""
    told = 0
    for opened in session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)):
        lines = [result.headline() for result in results.get(opened.id, [])]
        body = paragraphs(
            f"The award decision for {_named(tender)} has been published.",
            "\n".join(lines) if lines else "Your tender was not evaluated for any lot.",
            "Your assessment summary gives your scores and the reasons for them, and the awarded tenders' scores. "
            f"The standstill period ends on {london_day(standstill.ends_on)}: no contract is entered before then.",
            "If you have concerns about the decision, raise them with the agency before the standstill ends.")
        told += len(notify(session, supplier_people(session, [opened.supplier_id]), kind="decision",
                           key=f"decision:{tender.id}:{opened.id}", subject=f"Award decision published: {tender.title}",
                           body=body, link=f"/opportunities/{tender.id}/results"))
    return told


def tell_standstill_moved(session: Session, tender: Tender, standstill: Standstill) -> int:
    """The contract award notice was published on a later day than the decision: standstill is
    counted from the notice, so each bidder's people are told the new end."""
    told = 0
    for opened in session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)):
        body = paragraphs(
            f"The contract award notice for {_named(tender)} was published on Find a Tender, and standstill is "
            "counted from the day it was published (Procurement Act 2023, s.51).",
            f"The standstill period now ends on {london_day(standstill.ends_on)}: no contract is entered before then. "
            "This replaces the date in the message about the award decision.")
        told += len(notify(session, supplier_people(session, [opened.supplier_id]), kind="decision",
                           key=f"standstill_moved:{tender.id}:{opened.id}:{standstill.ends_on.isoformat()}",
                           subject=f"Standstill end moved: {tender.title}", body=body,
                           link=f"/opportunities/{tender.id}/results"))
    return told


def tell_contracts_entered(session: Session, tender: Tender, contracts: Iterable[Contract]) -> int:
    """Contracts entered: the buyers of each organisation with an order under them."""
    by_organisation: dict[int, list[str]] = {}
    for contract in contracts:
        for order in contract.orders:
            by_organisation.setdefault(order.organisation_id, []).append(order.reference)
    told = 0
    for organisation_id, references in sorted(by_organisation.items()):
        count = len(references)
        body = paragraphs(
            f"The contracts of {_named(tender)} have been entered.",
            f"Your organisation's order{'s are' if count != 1 else ' is'} ready: {', '.join(references)}.",
            "See what you are buying, at what price, and what you save, on the tender's outcome page.")
        told += len(notify(session, buyer_people(session, [organisation_id]), kind="contracts_entered",
                           key=f"contracts_entered:{tender.id}:{organisation_id}",
                           subject=f"Contracts entered, order ready: {tender.title}", body=body,
                           link=f"/awards/tenders/{tender.id}"))
    return told

