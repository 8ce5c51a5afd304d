"""The parts of the optimised award that need no solver: why a set of rules cannot be met
(said in words, before any search), the awards the optimised one is compared with, and a
quick award found in a moment to start from. Plain values (tenders.award_model)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from tenders.optimisation.award_model import Key, Problem, best_single_supplier, lot_by_lot, price, violations


@dataclass
class Comparison:
    name: str
    total: Decimal | None           # None: no such award exists
    saving: Decimal | None = None   # of the optimised award against this one
    broken_rules: list[str] = field(default_factory=list)
    note: str = ""


def infeasibility_reasons(problem: Problem) -> list[str]:
    """The rules that cannot be met, in words, found without solving."""
    rules, reasons = problem.rules, []
    bidders: dict[Key, list] = defaultdict(list)
    for offer in problem.offers:
        bidders[offer.lot].append(offer)
    for lot in problem.lots:
        name = lot.label or f"lot {lot.key}"
        offers = bidders.get(lot.key, [])
        if not rules.award_every_lot:
            continue
        if not offers:
            reasons.append(f"{name} has no bid, and every lot must be awarded")
        elif rules.max_suppliers_per_lot == 1 and all(o.capacity is not None and o.capacity < lot.quantity for o in offers):
            reasons.append(f"{name}: no bidder can supply all {lot.quantity} alone, and the lot may not be split")
        else:
            caps = sorted((o.capacity if o.capacity is not None else lot.quantity for o in offers), reverse=True)
            reachable = sum(caps[:rules.max_suppliers_per_lot], Decimal(0))
            if reachable < lot.quantity:
                reasons.append(f"{name}: the {min(len(caps), rules.max_suppliers_per_lot)} largest capacities add to "
                               f"{reachable}, short of the {lot.quantity} needed")
    suppliers = len({o.supplier for o in problem.offers})
    if rules.min_suppliers > suppliers:
        reasons.append(f"at least {rules.min_suppliers} suppliers must be awarded, but only {suppliers} bid")
    elif rules.min_suppliers > len(problem.lots) * rules.max_suppliers_per_lot:
        reasons.append(f"at least {rules.min_suppliers} suppliers must be awarded, but {len(problem.lots)} lots with at most "
                       f"{rules.max_suppliers_per_lot} supplier(s) each allow {len(problem.lots) * rules.max_suppliers_per_lot}")
    if rules.award_every_lot and rules.max_lots_per_supplier is not None:
        if rules.max_lots_per_supplier * suppliers < len(problem.lots):
            reasons.append(f"{len(problem.lots)} lots must be awarded, but {suppliers} suppliers with at most "
                           f"{rules.max_lots_per_supplier} lot(s) each can take only {rules.max_lots_per_supplier * suppliers}")
    return reasons


def quick_award(problem: Problem) -> tuple[dict[tuple[Key, Key], Decimal], Decimal] | None:
    """A good award found in a moment, before the search: the lot-by-lot award, or, where
    lots may be split (and no cross-lot rule can be broken by it), each lot split between a
    cheaper supplier with too little capacity and one of the best suppliers able to take the
    rest, whichever is cheaper. The search returns it if it finds nothing better in time."""
    rules = problem.rules
    base = lot_by_lot(problem)
    best = (base, price(problem, base).total) if len(base) == len(problem.lots) and not violations(problem, base) else None
    if rules.max_suppliers_per_lot < 2 or rules.max_lots_per_supplier is not None or rules.min_suppliers > 1:
        return best
    allocation: dict[tuple[Key, Key], Decimal] = {}
    for lot in problem.lots:
        quantity, offers = lot.quantity, problem.offers_on(lot.key)
        least = max(rules.min_share_percent * quantity / 100, Decimal(1) if lot.whole_units else Decimal(0))
        if lot.whole_units:
            least = least.to_integral_value(rounding="ROUND_CEILING")
        whole = sorted(((o.price_at(quantity) * quantity, str(o.supplier)), o) for o in offers
                       if o.capacity is None or o.capacity >= quantity)
        options = [(whole[0][0][0], {(lot.key, whole[0][1].supplier): quantity})] if whole else []
        ceiling = whole[0][1].price_at(quantity) if whole else None
        for cheap in offers:
            if ceiling is not None and min([cheap.unit_price] + [b.unit_price for b in cheap.bands]) >= ceiling:
                continue
            most = min(cheap.capacity if cheap.capacity is not None else quantity, quantity - least)
            for part in {most, least} | {b.low for b in cheap.bands if least <= b.low <= most}:
                if part < least or part > most:
                    continue
                rest = quantity - part
                for _, partner in whole[:3]:
                    if partner.supplier != cheap.supplier:
                        cost = cheap.price_at(part) * part + partner.price_at(rest) * rest
                        options.append((cost, {(lot.key, cheap.supplier): part, (lot.key, partner.supplier): rest}))
        if not options:
            return best
        allocation.update(min(options, key=lambda o: o[0])[1])
    if violations(problem, allocation):
        return best
    total = price(problem, allocation).total
    return (allocation, total) if best is None or total < best[1] else best


def compare(problem: Problem, optimised: Decimal | None) -> list[Comparison]:
    """The optimised award beside (a) lot-by-lot lowest price, (b) the best single supplier,
    (c) each organisation buying alone (added by the caller, who knows the organisations)."""
    out = []
    allocation = lot_by_lot(problem)
    if allocation and len({lot for lot, _ in allocation}) == len(problem.lots):
        total = price(problem, allocation).total
        out.append(Comparison("lot-by-lot lowest price", total, optimised and total - optimised, violations(problem, allocation)))
    else:
        out.append(Comparison("lot-by-lot lowest price", None, note="some lot has no bidder able to supply it whole"))
    single = best_single_supplier(problem)
    if single is not None:
        total = price(problem, single[1]).total
        out.append(Comparison("best single supplier for everything", total, optimised and total - optimised,
                              violations(problem, single[1]), note=problem.name(single[0])))
    else:
        out.append(Comparison("best single supplier for everything", None, note="no supplier can supply every lot"))
    return out
