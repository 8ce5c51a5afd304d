"""The award decision's one record, and everything read from it.

Each lot's award is kept as `AwardShare` rows: who is awarded how much of the lot, at which
unit prices, less which bundle discount, for what value, with what scores, on what basis (the
ranking, or an adopted optimised award across lots). They are written when the lead
recommends or adopts, and again with the decided scores when the decision is published.
Orders, order summaries, notices, letters, pages, the API and OCDS releases all read the
award here, so no two of them can state it differently."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from suppliers.models import Supplier
from tenders.award import scoring
from tenders.award.ranking import decision_scores, lot_totals, rank_lot
from tenders.models import (AwardBasis, AwardDecision, AwardShare, BidLine, LineStatus, Lot, OpenedBid,
                            OptimisedAward, Tender)
from procurement.core.money import PENNY, pennies

HUNDRED = Decimal(100)


def net_unit_price(unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """The unit price an organisation pays: the bid's price less an earned bundle discount, to the penny."""
    return pennies(unit_price * (1 - discount_percent / HUNDRED))


# Writing the record ------------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """A share of a lot before it is priced into lines: plain values."""

    opened_bid_id: int
    supplier_id: int
    quantity: Decimal                 # lot units (one item) or percent of the lot
    unit_prices: dict[int, Decimal]   # lot item -> the bid's unit price at the awarded quantity
    discount_percent: Decimal = Decimal(0)
    discount_lots: tuple[int, ...] = ()


def record_award(session: Session, tender: Tender, lot: Lot, decision: AwardDecision,
                 adopted: OptimisedAward | None, entries: list[scoring.Entry]) -> list[AwardShare]:
    """(Re)write the lot's award record from its decision: the adopted optimised award's
    allocation where it awards this lot, else the recommended bid for the whole lot."""
    session.execute(delete(AwardShare).where(AwardShare.lot_id == lot.id))
    parts = _optimised_parts(session, lot, adopted) if adopted is not None else []
    basis = AwardBasis.optimised if parts else AwardBasis.ranking
    if not parts:
        opened = session.get(OpenedBid, decision.opened_bid_id)
        assert opened is not None
        parts = [Part(opened.id, opened.supplier_id, _whole(lot), _bid_prices(session, lot, opened.id, None))]
    totals = lot_totals(session, tender, lot)
    positions = {e.bid: (n if e.eligible else None, e) for n, e in enumerate(entries, start=1)}
    lines = allocate(lot, parts)
    shares = []
    for part in parts:
        mine = [l for l in lines if l.opened_bid_id == part.opened_bid_id]
        rank, entry = positions.get(part.opened_bid_id, (None, None))
        share = AwardShare(
            decision_id=decision.id, lot_id=lot.id, opened_bid_id=part.opened_bid_id, supplier_id=part.supplier_id,
            basis=basis, optimised_award_id=adopted.id if basis is AwardBasis.optimised and adopted else None,
            quantity=part.quantity, share_percent=(part.quantity * HUNDRED / _whole(lot)).quantize(PENNY),
            unit_prices={str(k): str(v) for k, v in part.unit_prices.items()},
            bid_total=totals.get(part.opened_bid_id, Decimal(0)),
            list_value=pennies(sum((l.quantity * part.unit_prices[l.lot_item_id] for l in mine), Decimal(0))),
            discount_percent=part.discount_percent, discount_lots=list(part.discount_lots),
            value=sum((l.cost for l in mine), Decimal(0)), rank=rank,
            price_score=entry.price_score if entry else Decimal(0), quality_score=entry.quality_score if entry else Decimal(0),
            score=entry.score if entry else Decimal(0))
        session.add(share)
        shares.append(share)
    session.flush()
    return shares


def _whole(lot: Lot) -> Decimal:
    return lot.items[0].quantity if len(lot.items) == 1 else HUNDRED


def _bid_prices(session: Session, lot: Lot, opened_bid_id: int, quantity: Decimal | None) -> dict[int, Decimal]:
    """A bid's unit price per item: the tier at `quantity` for a one-item lot, else at each item's
    pooled quantity."""
    items = {i.id: i.quantity for i in lot.items}
    return {item: scoring.unit_price_at(price, tiers or [], quantity if quantity is not None and len(items) == 1 else items[item])
            for item, price, tiers in session.execute(
                select(BidLine.lot_item_id, BidLine.unit_price, BidLine.tiers)
                .where(BidLine.opened_bid_id == opened_bid_id, BidLine.lot_item_id.in_(list(items))))}


def _optimised_parts(session: Session, lot: Lot, adopted: OptimisedAward) -> list[Part]:
    rows = [r for r in adopted.result["cost"]["allocation"] if r["lot_id"] == lot.id]
    discounts = {d["opened_bid_id"]: d for d in adopted.result["cost"]["discounts"] if lot.number in d["lots"]}
    suppliers = dict(session.execute(select(OpenedBid.id, OpenedBid.supplier_id)
                                     .where(OpenedBid.id.in_([r["opened_bid_id"] for r in rows]))).all())
    parts = []
    for r in rows:
        bid, quantity = r["opened_bid_id"], Decimal(r["quantity"])
        found = discounts.get(bid)
        parts.append(Part(bid, suppliers[bid], quantity, _bid_prices(session, lot, bid, quantity),
                          Decimal(found["percent"]) if found else Decimal(0), tuple(found["lots"]) if found else ()))
    return parts


# The adopted optimised award ---------------------------------------------------------------

def adopted(session: Session, tender: Tender) -> OptimisedAward | None:
    return session.scalars(select(OptimisedAward).where(OptimisedAward.tender_id == tender.id,
                                                        OptimisedAward.adopted_at.is_not(None))).first()


def drop_adoption(session: Session, tender: Tender) -> None:
    """A lot recommended by hand replaces an adopted optimised award."""
    found = adopted(session, tender)
    if found is not None:
        found.adopted_at, found.adopted_by_id = None, None


def allocation_of(award: OptimisedAward, lot_id: int) -> list[dict[str, Any]]:
    return [r for r in award.result["cost"]["allocation"] if r["lot_id"] == lot_id]


# Lines: what each organisation buys under the award ----------------------------------------

@dataclass(frozen=True)
class OrderLine:
    lot_id: int
    opened_bid_id: int
    supplier_id: int
    organisation_id: int
    lot_line_id: int
    requirement_id: int
    lot_item_id: int
    quantity: Decimal
    unit_price: Decimal   # what the organisation pays a unit, any discount taken off
    baseline_unit_price: Decimal

    @property
    def cost(self) -> Decimal:
        return pennies(self.quantity * self.unit_price)

    @property
    def baseline(self) -> Decimal:
        return pennies(self.quantity * self.baseline_unit_price)


def allocate(lot: Lot, parts: list[Part]) -> list[OrderLine]:
    """Each confirmed line of the lot, at each awarded supplier's unit price less its discount.
    A split lot is shared out item by item: each line in proportion to the suppliers' shares,
    in whole units where the lines are whole, rounded so that each supplier's lines add up to
    its share of the item (largest remainders first)."""
    by_bid = {p.opened_bid_id: p for p in parts}
    lines_by_item: dict[int, list[Any]] = defaultdict(list)
    for line in lot.lines:
        if line.status is LineStatus.confirmed and line.lot_item_id is not None:
            lines_by_item[line.lot_item_id].append(line)
    out = []
    for item, lines in lines_by_item.items():
        for line, bid, quantity in _split(lines, parts):
            part = by_bid[bid]
            if quantity > 0 and item in part.unit_prices:
                out.append(OrderLine(lot.id, bid, part.supplier_id, line.organisation_id, line.id, line.requirement_id,
                                     item, quantity, net_unit_price(part.unit_prices[item], part.discount_percent),
                                     line.baseline_unit_price))
    return out


def _split(lines: list[Any], parts: list[Part]) -> list[tuple[Any, int, Decimal]]:
    """(line, bid, quantity) for one item's lines shared among the parts."""
    if len(parts) == 1:
        return [(line, parts[0].opened_bid_id, line.quantity) for line in lines]
    weight = sum((p.quantity for p in parts), Decimal(0))
    exact = {(n, p.opened_bid_id): line.quantity * p.quantity / weight for n, line in enumerate(lines) for p in parts}
    if not all(line.quantity == line.quantity.to_integral_value() for line in lines):
        return [(lines[n], bid, value) for (n, bid), value in exact.items()]
    cells = {key: value.to_integral_value(rounding=ROUND_FLOOR) for key, value in exact.items()}
    line_left = {n: line.quantity - sum(cells[(n, p.opened_bid_id)] for p in parts) for n, line in enumerate(lines)}
    bid_left = dict(_targets(sum((l.quantity for l in lines), Decimal(0)), parts, True))
    for bid in bid_left:
        bid_left[bid] -= sum(v for (n, b), v in cells.items() if b == bid)
    # Largest remainders first, then any cell that can still take a unit: supply equals demand, so it completes.
    for key in sorted(exact, key=lambda k: exact[k] - cells[k], reverse=True):
        n, bid = key
        if exact[key] > cells[key] and line_left[n] > 0 and bid_left[bid] > 0:
            cells[key] += 1
            line_left[n] -= 1
            bid_left[bid] -= 1
    for n, bid in exact:
        while line_left[n] > 0 and bid_left[bid] > 0:
            cells[(n, bid)] += 1
            line_left[n] -= 1
            bid_left[bid] -= 1
    return [(lines[n], bid, value) for (n, bid), value in cells.items()]


def _targets(total: Decimal, parts: list[Part], whole: bool) -> list[tuple[int, Decimal]]:
    """Each part's quantity of an item of `total`, in proportion to its share of the lot."""
    if len(parts) == 1:
        return [(parts[0].opened_bid_id, total)]
    weight = sum((p.quantity for p in parts), Decimal(0))
    exact = [(p.opened_bid_id, total * p.quantity / weight) for p in parts]
    if not whole:
        return exact
    floors = {bid: value.to_integral_value(rounding=ROUND_FLOOR) for bid, value in exact}
    left = int(total - sum(floors.values(), Decimal(0)))
    for bid, _ in sorted(exact, key=lambda kv: kv[1] - floors[kv[0]], reverse=True)[:left]:
        floors[bid] += 1
    return [(bid, floors[bid]) for bid, _ in exact]


def part_of(share: AwardShare) -> Part:
    return Part(share.opened_bid_id, share.supplier_id, share.quantity,
                {int(k): Decimal(v) for k, v in share.unit_prices.items()}, share.discount_percent,
                tuple(share.discount_lots or ()))


def lines_of(lot: Lot, shares: list[AwardShare]) -> list[OrderLine]:
    return allocate(lot, [part_of(s) for s in shares]) if shares else []


# Reading the record -------------------------------------------------------------------------

@dataclass(frozen=True)
class BidCounts:
    """A lot's bid statistics, as Find a Tender's UK6 publishes them: counts, never prices."""

    received: int   # intact tenders that price any item of the lot
    assessed: int   # of those, the ones pricing the whole lot, so scored and ranked
    valid: int      # of those, the ones neither disqualified nor excluded


def bid_counts(received: set[int], entries: list[scoring.Entry]) -> BidCounts:
    return BidCounts(len(received | {e.bid for e in entries}), len(entries), sum(1 for e in entries if e.eligible))


@dataclass
class LotAward:
    """A lot's award as recorded, with the lot's ranking beside it, for every reader."""

    lot: Lot
    decision: AwardDecision
    shares: list[AwardShare]
    entries: list[scoring.Entry]         # the lot's ranking: decided scores once published
    names: dict[int, str]                # opened bid -> supplier name
    optimised: OptimisedAward | None
    counts: BidCounts = BidCounts(0, 0, 0)

    @property
    def basis(self) -> AwardBasis:
        return self.shares[0].basis if self.shares else AwardBasis.ranking

    @property
    def value(self) -> Decimal:
        return sum((s.value for s in self.shares), Decimal(0))

    @property
    def awarded_bids(self) -> set[int]:
        return {s.opened_bid_id for s in self.shares}

    @property
    def first(self) -> scoring.Entry | None:
        """The lot's first-ranked eligible tender on its own."""
        return self.entries[0] if self.entries and self.entries[0].eligible else None

    def supplier(self, share: AwardShare) -> str:
        return self.names.get(share.opened_bid_id, "?")

    @property
    def explanation(self) -> str:
        """Why the award goes where it goes, in a sentence or two a bidder or a court can read:
        for every party and the public, so it states the awarded value and scores, never a
        price from which another figure follows (the awarded tender's price before its
        discount, the lowest prices lot by lot)."""
        return " ".join(self._reasons(for_agency=False))

    @property
    def agency_explanation(self) -> str:
        """The explanation with the figures only the agency sees: the awarded tender's price
        before its discount, the score of the tender ranked first, what the whole award
        costs against each lot at its lowest price."""
        return " ".join(self._reasons(for_agency=True))

    def _reasons(self, for_agency: bool) -> list[str]:
        if not self.shares:
            return ["This lot is not awarded."]
        who = "; ".join(f"{self.supplier(s)}" + (f" ({s.share_percent.normalize():f}% of the lot)" if s.share_percent < 100 else "")
                        for s in self.shares)
        if self.basis is AwardBasis.ranking:
            share = self.shares[0]
            return [f"Awarded to {who}, the most advantageous tender: ranked first on this lot with a score of "
                    f"{share.score} out of 100."]
        words = [f"Awarded to {who} under the optimised award across lots that the tender's published award rules allow: "
                 "the award that costs least across all the lots, bundle discounts taken into account."]
        first = self.first
        if first is not None and first.bid not in self.awarded_bids:
            share = self.shares[0]
            place = f"ranks {ordinal(share.rank)} on this lot alone" if share.rank else "is not ranked on this lot alone"
            # The tender ranked first is not named: its supplier is told in its own summary.
            against = f", against {first.score} for the tender ranked first" if for_agency else ""
            words.append(f"{self.supplier(share)} {place} (score {share.score}{against}).")
        for s in self.shares:
            if s.discount_percent and for_agency:
                words.append(f"{self.supplier(s)}'s tender of £{s.list_value:,.2f} for this share is reduced by its "
                             f"{s.discount_percent.normalize():f}% discount for lots {_and(s.discount_lots)} "
                             f"(£{s.discount:,.2f}), to £{s.value:,.2f}.")
            elif s.discount_percent:
                words.append(f"{self.supplier(s)}'s award of £{s.value:,.2f} ex VAT is after its bundle discount for "
                             f"lots {_and(s.discount_lots)}.")
        if for_agency and self.optimised is not None and self.optimised.total is not None:
            against = (f" against £{self.optimised.lot_by_lot_total:,.2f} awarding each lot to its lowest price"
                       if self.optimised.lot_by_lot_total else "")
            words.append(f"The whole award costs £{self.optimised.total:,.2f} ex VAT{against}.")
        return words


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def ordinal(n: int) -> str:
    """A rank in words: 2 -> 'second'; past tenth, '11th'."""
    if 1 <= n <= len(ORDINALS):
        return ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _and(numbers: list[int]) -> str:
    numbers = sorted(numbers)
    return ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}" if len(numbers) > 1 else ", ".join(map(str, numbers))


def lot_awards(session: Session, tender: Tender, approved_only: bool = False) -> dict[int, LotAward]:
    """Lot id -> its recorded award (lots without a decision left out)."""
    decisions = {d.lot_id: d for d in session.scalars(select(AwardDecision).where(
        AwardDecision.lot_id.in_([l.id for l in tender.lots])))}
    shares: dict[int, list[AwardShare]] = defaultdict(list)
    for share in session.scalars(select(AwardShare).where(AwardShare.lot_id.in_(list(decisions)))
                                 .order_by(AwardShare.lot_id, AwardShare.share_percent.desc(), AwardShare.id)):
        shares[share.lot_id].append(share)
    decided = decision_scores(session, tender)
    optimised_ids = {s.optimised_award_id for found in shares.values() for s in found if s.optimised_award_id}
    optimised = {o.id: o for o in session.scalars(select(OptimisedAward).where(OptimisedAward.id.in_(optimised_ids)))}
    names = dict(session.execute(select(OpenedBid.id, Supplier.legal_name).join(Supplier, Supplier.id == OpenedBid.supplier_id)
                                 .where(OpenedBid.tender_id == tender.id)).all())
    received = _received(session, tender)
    out = {}
    for lot in tender.lots:
        decision = decisions.get(lot.id)
        if decision is None or (approved_only and decision.approved_at is None):
            continue
        entries = decided.get(lot.id) or rank_lot(session, tender, lot).entries
        found = shares.get(lot.id, [])
        out[lot.id] = LotAward(lot, decision, found, entries, names,
                               optimised.get(found[0].optimised_award_id) if found and found[0].optimised_award_id else None,
                               bid_counts(received.get(lot.id, set()), entries))
    return out


def lot_bid_counts(session: Session, tender: Tender) -> dict[int, BidCounts]:
    """Lot id -> its bid statistics (the decided ranking once published), as the award record
    states them: for readers of lots with no decision, such as the published bid statistics."""
    decided = decision_scores(session, tender)
    received = _received(session, tender)
    return {lot.id: bid_counts(received.get(lot.id, set()), decided.get(lot.id) or rank_lot(session, tender, lot).entries)
            for lot in tender.lots}


def _received(session: Session, tender: Tender) -> dict[int, set[int]]:
    """Lot id -> the intact bids pricing any of its items."""
    lot_of = {item.id: lot.id for lot in tender.lots for item in lot.items}
    found: dict[int, set[int]] = defaultdict(set)
    for bid, item in session.execute(select(BidLine.opened_bid_id, BidLine.lot_item_id).distinct()
                                     .join(OpenedBid, OpenedBid.id == BidLine.opened_bid_id)
                                     .where(OpenedBid.tender_id == tender.id, OpenedBid.intact,
                                            BidLine.lot_item_id.in_(list(lot_of)))):
        found[lot_of[item]].add(bid)
    return found


def tender_lines(session: Session, tender: Tender, organisation_id: int | None = None) -> list[OrderLine]:
    """Every line bought under the tender's recorded award (one organisation's, if named)."""
    awards = lot_awards(session, tender, approved_only=True)
    return [line for award in awards.values() for line in lines_of(award.lot, award.shares)
            if organisation_id is None or line.organisation_id == organisation_id]
