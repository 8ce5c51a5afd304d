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
    def standstill_text(self) -> str:
        """When the standstill after the decision ends (no contract before), or "" before it."""
        held = self.tender.standstill
        if held is None:
            return ""
        if held.paused_at is not None:
            return "Paused by a challenge"
        return f"{'Ended' if today() > held.ends_on else 'Ends'} at the end of {held.ends_on.day} {held.ends_on:%B %Y}"


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
