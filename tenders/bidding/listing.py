"""The supplier's list of its own bids: every tender it drafted or bid on, in any state, with
where to read what it submitted and, once the decision is published, its results."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from procurement.core.access import Actor
from procurement.core.clock import today
from tenders import permissions
from tenders.bidding.bids import Receipt, own_supplier, receipt_of
from tenders.models import Bid, BidStatus, OpenedBid, Tender, TenderStatus


def standstill_in_words(tender: Tender) -> str:
    """The standstill after the decision as a bidder reads it, by today's date; "" before the decision."""
    held = tender.standstill
    if held is None:
        return ""
    if held.paused_at is not None:
        return "The standstill period is paused by a challenge: no contract is entered while it is."
    if today() > held.ends_on:
        return f"Standstill ended on {held.ends_on.day} {held.ends_on:%B %Y}."
    return f"Standstill period: to the end of {held.ends_on.day} {held.ends_on:%B %Y}. No contract may be entered before it is over."


# A stage in a bidder's words; a stage not named here reads as the agency's label does.
SUPPLIER_STAGES = {
    TenderStatus.closed: "Closed: bids waiting to be opened", TenderStatus.opened: "Bids opened: evaluation to follow",
    TenderStatus.evaluation: "Bids being evaluated", TenderStatus.award_proposed: "Bids being evaluated",
    TenderStatus.standstill: "Decision published: standstill period",
    TenderStatus.awarded: "Awarded: contracts entered",
    TenderStatus.complete: "Awarded: contracts entered",
}


@dataclass(frozen=True)
class OwnBid:
    """One tender the supplier drafted or bid on, as its "Your bids" page lists it."""

    tender: Tender
    bid: Bid
    latest: Receipt | None        # the latest version submitted, if any
    open_for_bids: bool
    results_readable: bool        # the decision is published and the bid was opened

    @property
    def status_text(self) -> str:
        if self.bid.status is BidStatus.submitted:
            return f"Submitted (version {self.latest.version})" if self.latest else "Submitted"
        if self.bid.status is BidStatus.withdrawn:
            return "Withdrawn"
        return "Draft, not submitted"

    @property
    def stage_text(self) -> str:
        """The tender's stage as a bidder sees it: what happens to its bid, not the agency's next step."""
        status, held = self.tender.effective_status, self.tender.standstill
        if status is TenderStatus.standstill and held is not None and held.paused_at is None and today() > held.ends_on:
            return "Awarded: contracts being entered"
        return SUPPLIER_STAGES.get(status, self.tender.stage)

    @property
    def standstill_text(self) -> str:
        """When the standstill after the decision ends (no contract before), or "" before it."""
        held = self.tender.standstill
        if held is None:
            return ""
        if held.paused_at is not None:
            return "Paused by a challenge"
        if today() > held.ends_on:
            return f"Ended on {held.ends_on.day} {held.ends_on:%B %Y}"
        return f"Ends at the end of {held.ends_on.day} {held.ends_on:%B %Y}"


def my_bids(session: Session, actor: Actor) -> list[OwnBid]:
    """Every tender the supplier drafted or bid on, whatever its state: those still open for
    bids first (soonest deadline first), then the rest, latest deadline first."""
    supplier_id = own_supplier(actor)
    rows = session.execute(
        select(Tender, Bid).join(Bid, Bid.tender_id == Tender.id)
        .where(Bid.supplier_id == supplier_id, Tender.status != TenderStatus.draft,
               or_(Bid.draft_sealed.is_not(None), Bid.versions.any()))
        .order_by(Tender.submission_deadline.desc(), Tender.id.desc())).all()
    opened = set(session.scalars(select(OpenedBid.tender_id).where(OpenedBid.supplier_id == supplier_id)))
    found = []
    for tender, bid in rows:
        latest = receipt_of(tender, bid, bid.versions[-1]) if bid.versions else None
        still_open = bool(permissions.can_bid(actor, tender))
        readable = tender.id in opened and bool(permissions.can_read_results(actor, tender))
        found.append(OwnBid(tender, bid, latest, still_open, readable))
    still_open = [own for own in reversed(found) if own.open_for_bids]
    return still_open + [own for own in found if not own.open_for_bids]
