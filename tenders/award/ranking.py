"""Each lot ranked from what is recorded: the intact bids' totals, the moderated quality
scores, the low-price checks, and the scores as decided once the decision is published. Reads
only (flag_low_prices aside, which the evaluation calls when it starts)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core.clock import now
from suppliers.models import Supplier
from tenders.award import exclusions, scoring
from tenders.models import BidLine, BidVersion, Consensus, DecisionScore, Lot, LowPriceCheck, OpenedBid, Tender


def intact_bids(session: Session, tender: Tender) -> list[OpenedBid]:
    return list(session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id, OpenedBid.intact)
                                .order_by(OpenedBid.id)))


@dataclass
class LotRanking:
    lot: Lot
    entries: list[scoring.Entry]
    suppliers: dict[int, str]
    checks: dict[int, LowPriceCheck] = field(default_factory=dict)  # bid -> check
    complete: bool = True  # every eligible bid has its consensus scores

    @property
    def winner(self) -> scoring.Entry | None:
        return self.entries[0] if self.entries and self.entries[0].eligible else None


def lot_totals(session: Session, tender: Tender, lot: Lot) -> dict[int, Decimal]:
    """Each intact bid's total for a lot that it prices in full (unit price x quantity, tiers
    at the lot's quantity)."""
    quantities = {item.id: item.quantity for item in lot.items}
    rows = session.execute(select(BidLine.opened_bid_id, BidLine.lot_item_id, BidLine.unit_price, BidLine.tiers)
                           .join(OpenedBid, OpenedBid.id == BidLine.opened_bid_id)
                           .where(OpenedBid.tender_id == tender.id, OpenedBid.intact,
                                  BidLine.lot_item_id.in_(list(quantities)))).all()
    lines: dict[int, list[tuple[Decimal, list, Decimal]]] = defaultdict(list)
    for bid, item, price, tiers in rows:
        lines[bid].append((price, tiers or [], quantities[item]))
    return {bid: scoring.bid_total(found) for bid, found in lines.items() if len(found) == len(quantities)}


def rank_lot(session: Session, tender: Tender, lot: Lot) -> LotRanking:
    totals = lot_totals(session, tender, lot)
    opened = {o.id: o for o in intact_bids(session, tender) if o.id in totals}
    submitted = dict(session.execute(select(BidVersion.bid_id, BidVersion.submitted_at).where(
        BidVersion.bid_id.in_([o.bid_id for o in opened.values()]), BidVersion.version.in_([o.version for o in opened.values()]))).all())
    consensus = {(c.opened_bid_id, c.criterion_id): c.score for c in session.scalars(
        select(Consensus).where(Consensus.opened_bid_id.in_(list(opened))))}
    checks = {c.opened_bid_id: c for c in session.scalars(select(LowPriceCheck).where(LowPriceCheck.lot_id == lot.id))}
    barred = exclusions.cannot_win(session, tender) if opened else {}  # checked again at every award (s.57)
    entries, complete = [], True
    for bid_id, o in opened.items():
        quality = {}
        for c in tender.criteria:
            if (bid_id, c.id) not in consensus:
                complete = False
            quality[c.id] = (c.weight, consensus.get((bid_id, c.id), 0))
        check = checks.get(bid_id)
        excluded = "rejected as abnormally low" if check and check.decision == "rejected" else (
            "abnormally low: awaiting a decision" if check and check.decision is None else "")
        excluded = barred.get(o.supplier_id, "") or excluded
        entries.append(scoring.Entry(bid=bid_id, total=totals[bid_id], submitted_at=submitted.get(o.bid_id, now()),
                                     quality=quality, pass_marks={c.id: c.pass_mark for c in tender.criteria if c.pass_mark is not None},
                                     excluded=excluded))
    names = dict(session.execute(select(Supplier.id, Supplier.legal_name).where(
        Supplier.id.in_([o.supplier_id for o in opened.values()]))).all())
    suppliers = {bid_id: names.get(o.supplier_id, "?") for bid_id, o in opened.items()}
    return LotRanking(lot, scoring.rank(entries, tender.price_formula, tender.price_weight), suppliers, checks, complete)


def flag_low_prices(session: Session, tender: Tender) -> int:
    """Record a check for each abnormally low total (once); returns how many were new."""
    new = 0
    for lot in tender.lots:
        totals = lot_totals(session, tender, lot)
        for bid_id, total in totals.items():
            reason = scoring.abnormally_low(total, [t for b, t in totals.items() if b != bid_id])
            if reason and session.scalar(select(LowPriceCheck.id).where(LowPriceCheck.opened_bid_id == bid_id,
                                                                        LowPriceCheck.lot_id == lot.id)) is None:
                session.add(LowPriceCheck(opened_bid_id=bid_id, lot_id=lot.id, reason=reason))
                new += 1
    session.flush()
    return new


def decision_scores(session: Session, tender: Tender, bids: set[int] | None = None) -> dict[int, list[scoring.Entry]]:
    """Lot -> the decided scores (see DecisionScore), in ranking order; empty before the decision."""
    statement = select(DecisionScore).where(DecisionScore.lot_id.in_([l.id for l in tender.lots]))
    if bids is not None:
        statement = statement.where(DecisionScore.opened_bid_id.in_(bids))
    found: dict[int, list[scoring.Entry]] = defaultdict(list)
    for row in session.scalars(statement.order_by(DecisionScore.lot_id, DecisionScore.position)):
        entry = scoring.Entry(bid=row.opened_bid_id, total=row.total, submitted_at=row.submitted_at, excluded=row.excluded)
        entry.price_score, entry.quality_score, entry.failed = row.price_score, row.quality_score, list(row.failed)
        found[row.lot_id].append(entry)
    return found
