"""The joint award across lots as plain values: what was bid (tier prices, capacities, bundle
discounts), the rules the tender set, what an allocation costs and whether it keeps every
rule, and the awards it is compared with. No database and no solver here: the optimiser
(tenders/optimiser.py) searches, this module prices and checks, so that every allocation the
optimiser returns, and every brute-force answer in the tests, is judged by the same rules.

Units: each lot has a quantity in its own unit (for a lot of several items, percent of the
lot; see tenders/optimised_award.py). Tier prices are all-units: the price of the band that
contains the quantity a supplier is awarded applies to all of it."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Hashable, Mapping
from procurement.core.money import PENNY, pennies

Key = Hashable


@dataclass(frozen=True)
class Band:
    """Quantities from `low` to `high` (inclusive; None: no upper end) cost `unit_price`."""
    low: Decimal
    high: Decimal | None
    unit_price: Decimal


@dataclass(frozen=True)
class Offer:
    """One supplier's price for one lot: a unit price, optional bands, optional capacity
    (the most it can supply of this lot), and its evaluated quality score (for the score
    scenario)."""
    supplier: Key
    lot: Key
    unit_price: Decimal
    bands: tuple[Band, ...] = ()
    capacity: Decimal | None = None
    quality: Decimal = Decimal(0)

    def price_at(self, quantity: Decimal) -> Decimal:
        for band in self.bands:
            if band.low <= quantity and (band.high is None or quantity <= band.high):
                return band.unit_price
        return self.unit_price

    def segments(self, whole_units: bool) -> list[tuple[Decimal, Decimal | None, Decimal]]:
        """The price as a step function: (low, high, unit price) covering every quantity
        from 0 up, in order; between bands the unit price applies."""
        out: list[tuple[Decimal, Decimal | None, Decimal]] = []
        step = Decimal(1) if whole_units else Decimal(0)
        at = Decimal(0)
        for band in sorted(self.bands, key=lambda b: b.low):
            if band.low > at:
                out.append((at, band.low - step if whole_units else band.low, self.unit_price))
            out.append((max(at, band.low), band.high, band.unit_price))
            if band.high is None:
                return out
            at = band.high + step if whole_units else band.high
        out.append((at, None, self.unit_price))
        return out


@dataclass(frozen=True)
class Bundle:
    """A discount on a supplier's price for a set of lots, earned when it is awarded (all or
    part of) every one of them. A lot earns at most one of a supplier's bundle discounts."""
    supplier: Key
    lots: frozenset
    discount_percent: Decimal


@dataclass(frozen=True)
class Rules:
    """What the tender published about its award (frozen with it)."""
    max_suppliers_per_lot: int = 1
    min_share_percent: Decimal = Decimal(0)      # each supplier's least share of a split lot
    max_lots_per_supplier: int | None = None
    min_suppliers: int = 1                        # resilience: at least this many suppliers overall
    award_every_lot: bool = True


@dataclass(frozen=True)
class Lot:
    key: Key
    quantity: Decimal
    whole_units: bool = True
    label: str = ""


@dataclass(frozen=True)
class Problem:
    lots: tuple[Lot, ...]
    offers: tuple[Offer, ...]
    bundles: tuple[Bundle, ...] = ()
    rules: Rules = field(default_factory=Rules)
    price_weight: int = 100   # for the score scenario: price score = weight x lowest price / price
    supplier_names: Mapping[Key, str] = field(default_factory=dict, compare=False)  # for messages

    def name(self, supplier: Key) -> str:
        return self.supplier_names.get(supplier, str(supplier))

    def offer(self, lot: Key, supplier: Key) -> Offer | None:
        return self._cached("_offer_index", lambda: {(o.lot, o.supplier): o for o in self.offers}).get((lot, supplier))

    def suppliers(self) -> list[Key]:
        return sorted({o.supplier for o in self.offers}, key=str)

    def lot(self, key: Key) -> Lot:
        return self._cached("_lot_index", lambda: {l.key: l for l in self.lots})[key]

    def offers_on(self, lot: Key) -> list[Offer]:
        """The offers for one lot (indexed once: large tenders have 100,000 offers)."""
        def index() -> dict[Key, list[Offer]]:
            found: dict[Key, list[Offer]] = defaultdict(list)
            for offer in self.offers:
                found[offer.lot].append(offer)
            return found
        return self._cached("_offers_by_lot", index).get(lot, [])

    def _cached(self, name: str, build: Any) -> Any:
        if name not in self.__dict__:
            object.__setattr__(self, name, build())
        return self.__dict__[name]


Allocation = Mapping[tuple[Key, Key], Decimal]  # (lot, supplier) -> quantity awarded


@dataclass(frozen=True)
class Priced:
    """What an allocation costs: by (lot, supplier) before discounts, the bundle discounts
    earned, and the total after them."""
    lines: dict[tuple[Key, Key], Decimal]
    discounts: dict[Bundle, Decimal]
    total: Decimal

    @property
    def before_discounts(self) -> Decimal:
        return sum(self.lines.values(), Decimal(0))


def price(problem: Problem, allocation: Allocation) -> Priced:
    """All-units tier prices at each awarded quantity; each supplier's best set of bundle
    discounts whose lots it is awarded (a lot counted in one bundle at most)."""
    lines = {}
    for (lot, supplier), quantity in allocation.items():
        if quantity > 0:
            offer = problem.offer(lot, supplier)
            if offer is None:
                raise ValueError(f"{problem.name(supplier)} did not bid for lot {lot}")
            lines[(lot, supplier)] = offer.price_at(quantity) * quantity
    discounts = {}
    by_supplier: dict[Key, list[Bundle]] = defaultdict(list)
    for bundle in problem.bundles:
        if all((lot, bundle.supplier) in lines for lot in bundle.lots):
            by_supplier[bundle.supplier].append(bundle)
    for supplier, earned in by_supplier.items():
        discounts.update(_best_bundles(earned, lines, supplier))
    total = sum(lines.values(), Decimal(0)) - sum(discounts.values(), Decimal(0))
    return Priced(lines, discounts, total)


def _best_bundles(earned: list[Bundle], lines: dict, supplier: Key) -> dict[Bundle, Decimal]:
    """The most valuable set of non-overlapping bundles (few per supplier: try every set)."""
    value = {b: b.discount_percent / 100 * sum(lines[(lot, supplier)] for lot in b.lots) for b in earned}
    best: dict[Bundle, Decimal] = {}
    for mask in range(1, 1 << len(earned)):
        chosen = [b for n, b in enumerate(earned) if mask >> n & 1]
        lots = [lot for b in chosen for lot in b.lots]
        if len(lots) == len(set(lots)) and sum(value[b] for b in chosen) > sum(best.values(), Decimal(0)):
            best = {b: value[b] for b in chosen}
    return best


def lowest_unit_price(problem: Problem, lot: Lot) -> Decimal:
    """The lowest unit price any bidder offers on the lot at a quantity the lot can reach."""
    prices = [p for o in problem.offers_on(lot.key)
              for p in [o.unit_price] + [b.unit_price for b in o.bands if b.low <= lot.quantity]]
    return min(prices, default=Decimal(1))


def unit_score(problem: Problem, offer: Offer, unit_price: Decimal, lowest: Decimal) -> Decimal:
    """The most-advantageous-tender score of the whole lot at this unit price: quality as
    evaluated, price score = price weight x lowest unit price / this one."""
    return offer.quality + Decimal(problem.price_weight) * min(lowest, unit_price) / unit_price


def share_weighted_score(problem: Problem, allocation: Allocation) -> Decimal:
    """Sum over lots of each awarded supplier's score weighted by its share of the lot."""
    total = Decimal(0)
    for lot in problem.lots:
        lowest = lowest_unit_price(problem, lot)
        for (key, supplier), quantity in allocation.items():
            if key == lot.key and quantity > 0:
                offer = problem.offer(key, supplier)
                assert offer is not None
                total += unit_score(problem, offer, offer.price_at(quantity), lowest) * quantity / lot.quantity
    return total


def leave_cost(problem: Problem, lot: Lot) -> Decimal:
    """What leaving a lot unawarded (where allowed) counts for in the cost scenario: more
    than any award of it, so a lot is left only when the rules leave no other way."""
    return 2 * max((o.price_at(lot.quantity) * lot.quantity for o in problem.offers_on(lot.key)),
                   default=Decimal(0)) + 1


def violations(problem: Problem, allocation: Allocation) -> list[str]:
    """Every rule the allocation breaks, in words; empty when it keeps them all."""
    rules, found = problem.rules, []
    per_lot: dict[Key, dict[Key, Decimal]] = defaultdict(dict)
    for (lot, supplier), quantity in allocation.items():
        if quantity < 0:
            found.append(f"lot {lot}: a negative quantity for {problem.name(supplier)}")
        elif quantity > 0:
            per_lot[lot][supplier] = quantity
    for lot in problem.lots:
        awarded = per_lot.get(lot.key, {})
        total = sum(awarded.values(), Decimal(0))
        if awarded and total != lot.quantity:
            found.append(f"lot {lot.label or lot.key}: {total} awarded of {lot.quantity}")
        if not awarded and rules.award_every_lot:
            found.append(f"lot {lot.label or lot.key} is not awarded, and every lot must be")
        if len(awarded) > rules.max_suppliers_per_lot:
            found.append(f"lot {lot.label or lot.key}: {len(awarded)} suppliers, at most {rules.max_suppliers_per_lot} allowed")
        for supplier, quantity in awarded.items():
            offer = problem.offer(lot.key, supplier)
            if offer is None:
                found.append(f"lot {lot.label or lot.key}: {problem.name(supplier)} did not bid")
                continue
            if offer.capacity is not None and quantity > offer.capacity:
                found.append(f"lot {lot.label or lot.key}: {problem.name(supplier)} can supply {offer.capacity}, awarded {quantity}")
            if lot.whole_units and quantity != quantity.to_integral_value():
                found.append(f"lot {lot.label or lot.key}: {problem.name(supplier)} awarded a part unit")
            if len(awarded) > 1 and quantity * 100 < rules.min_share_percent * lot.quantity:
                found.append(f"lot {lot.label or lot.key}: {problem.name(supplier)}'s share is under {rules.min_share_percent}%")
    lots_of: dict[Key, int] = defaultdict(int)
    for awarded in per_lot.values():
        for supplier in awarded:
            lots_of[supplier] += 1
    if rules.max_lots_per_supplier is not None:
        for supplier, count in lots_of.items():
            if count > rules.max_lots_per_supplier:
                found.append(f"{problem.name(supplier)} is awarded {count} lots, at most {rules.max_lots_per_supplier} allowed")
    if len(lots_of) < rules.min_suppliers:
        found.append(f"{len(lots_of)} suppliers awarded, at least {rules.min_suppliers} required")
    return found


def lot_by_lot(problem: Problem) -> dict[tuple[Key, Key], Decimal]:
    """Each lot to the lowest price for its whole quantity from a supplier able to supply it
    (the award without optimisation; it may break the cross-lot rules)."""
    allocation = {}
    for lot in problem.lots:
        best = min(((o.price_at(lot.quantity) * lot.quantity, str(o.supplier), o) for o in problem.offers_on(lot.key)
                    if o.capacity is None or o.capacity >= lot.quantity),
                   default=None, key=lambda t: (t[0], t[1]))
        if best is not None:
            allocation[(lot.key, best[2].supplier)] = lot.quantity
    return allocation


def best_single_supplier(problem: Problem) -> tuple[Key, dict[tuple[Key, Key], Decimal]] | None:
    """The one supplier able to supply every lot at the lowest total (bundles counted)."""
    best = None
    for supplier in problem.suppliers():
        offers = [problem.offer(l.key, supplier) for l in problem.lots]
        if any(o is None or (o.capacity is not None and o.capacity < l.quantity) for o, l in zip(offers, problem.lots)):
            continue
        allocation = {(l.key, supplier): l.quantity for l in problem.lots}
        total = price(problem, allocation).total
        if best is None or total < best[0]:
            best = (total, supplier, allocation)
    return (best[1], best[2]) if best else None


def share_out(total: Decimal, weights: Mapping[Key, Decimal]) -> dict[Key, Decimal]:
    """`total` in pennies in proportion to `weights`, the pennies left by rounding going to
    the largest remainders, so that the shares add up to the total exactly."""
    whole = sum(weights.values(), Decimal(0))
    if not weights:
        return {}
    if whole == 0:
        weights, whole = {k: Decimal(1) for k in weights}, Decimal(len(weights))
    exact = {k: total * w / whole for k, w in weights.items()}
    shares = {k: v.quantize(PENNY, rounding="ROUND_FLOOR") for k, v in exact.items()}
    left = int((pennies(total) - sum(shares.values(), Decimal(0))) / PENNY)
    for k in sorted(exact, key=lambda k: (exact[k] - shares[k], str(k)), reverse=True)[:max(0, left)]:
        shares[k] += PENNY
    return shares
