"""The optimised joint award: a mixed-integer programme over the bids' tier prices, bundle
discounts and capacities and the tender's award rules, solved with HiGHS. Plain values in
(tenders.award_model.Problem), plain values out (Solution); no database.

Formulation (why it is shaped so):
- A lot that may not be split is an assignment: one binary per (lot, supplier) whose cost is
  the tier price at the lot's whole quantity, so tiers cost nothing in the model.
- A lot that may be split has, per (lot, supplier, price segment), a binary "this segment is
  the one used" and a quantity bounded by the segment's range, its capacity and the least
  share; all-units prices are then linear, and the least share is folded into each
  segment's lower bound rather than written as a separate big-M row.
- A bundle discount is earned when its supplier has every one of its lots: for unsplit lots
  the discount is a constant times one binary (tight); for split lots it is capped both by
  the discount on what is awarded and by the most it could be.
- HiGHS finds its own first awards: given the lot-by-lot award as a starting solution
  (setSolution), HiGHS 1.16 reported as optimal an objective below the true optimum and
  handed back the starting values, so no start is given. An award found before the time
  limit that is worse than the lot-by-lot award, where that keeps the rules, gives way to it.
Money is computed again in Decimal from the allocation found (award_model.price); the
solver's floats only choose the allocation."""
from __future__ import annotations

import dataclasses
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

import numpy as np

from tenders.optimisation.explained import Comparison, compare, infeasibility_reasons, quick_award
from tenders.optimisation.award_model import (Allocation, Key, Lot, Offer, Problem, Rules, leave_cost,
                                 lowest_unit_price, price, share_weighted_score, unit_score, violations)

COST, SCORE = "cost", "score"


@dataclass
class Solution:
    status: str                      # optimal | feasible (stopped at the time limit) | infeasible
    objective: str
    allocation: dict[tuple[Key, Key], Decimal] = field(default_factory=dict)
    total: Decimal | None = None     # after bundle discounts
    discounts: dict[Any, Decimal] = field(default_factory=dict)
    score: Decimal | None = None     # share-weighted score, for the score scenario
    gap: float | None = None         # proven relative gap between the award and the best possible
    seconds: float = 0.0
    binding: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why no award is possible
    comparisons: list[Comparison] = field(default_factory=list)
    trace: list[tuple[float, float | None, float | None]] = field(default_factory=list)  # (s, award, bound)
    unawarded: list[Key] = field(default_factory=list)


Progress = Callable[[float, float | None, float | None], None]  # seconds, best award, bound


class _Model:
    """Columns and rows gathered as arrays, then passed to HiGHS in one go."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[float, float, str]] = []
        self.entries: tuple[list[int], list[int], list[float]] = ([], [], [])
        self.offset = 0.0

    def column(self, cost: float, lower: float, upper: float, integer: bool) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(1 if integer else 0)
        return len(self.cost) - 1

    def row(self, terms: list[tuple[int, float]], lower: float, upper: float, name: str) -> int:
        index = len(self.rows)
        self.rows.append((lower, upper, name))
        for column, value in terms:
            self.entries[0].append(index)
            self.entries[1].append(column)
            self.entries[2].append(value)
        return index

    def highs(self, maximise: bool) -> Any:
        """A HiGHS instance holding the model. A maximum is found as the minimum of the negated
        objective: HiGHS 1.16 stopped at the starting award of a maximisation, calling it optimal."""
        import highspy

        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.cost), len(self.rows)
        sign = -1.0 if maximise else 1.0
        lp.col_cost_ = sign * np.array(self.cost, dtype=float)
        lp.col_lower_ = np.array(self.lower, dtype=float)
        lp.col_upper_ = np.array([inf if math.isinf(u) else u for u in self.upper], dtype=float)
        lp.row_lower_ = np.array([-inf if math.isinf(r[0]) else r[0] for r in self.rows], dtype=float)
        lp.row_upper_ = np.array([inf if math.isinf(r[1]) else r[1] for r in self.rows], dtype=float)
        rows, columns, values = (np.array(part) for part in self.entries)
        order = np.argsort(columns, kind="stable")
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate(([0], np.cumsum(np.bincount(columns, minlength=lp.num_col_)))).astype(np.int32)
        lp.a_matrix_.index_ = rows[order].astype(np.int32)
        lp.a_matrix_.value_ = values[order].astype(float)
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in self.integer]
        lp.offset_ = sign * self.offset
        lp.sense_ = highspy.ObjSense.kMinimize
        h = highspy.Highs()
        h.silent()
        h.passModel(lp)
        return h


@dataclass
class _Piece:
    lot: Key
    supplier: Key
    unit_price: Decimal
    low: Decimal
    high: Decimal
    pick: int          # binary column: this piece is used
    amount: int | None  # quantity column (split lots only)


def _build(problem: Problem, objective: str) -> tuple[_Model, list[_Piece], dict[Key, int], list[tuple[str, int]]]:
    rules, model = problem.rules, _Model()
    split = rules.max_suppliers_per_lot > 1
    pieces: list[_Piece] = []
    lowest_unit = {lot.key: lowest_unit_price(problem, lot) for lot in problem.lots}
    scale = float(sum((leave_cost(problem, lot) for lot in problem.lots), Decimal(0))) or 1.0

    def objective_of(offer: Offer, unit_price: Decimal, quantity_share: float, lot_key: Key) -> float:
        """Cost, or for the score scenario the score with a tie-break that prefers the cheaper."""
        cost = float(unit_price) * quantity_share * float(problem.lot(lot_key).quantity)
        if objective == COST:
            return cost
        return float(unit_score(problem, offer, unit_price, lowest_unit[lot_key])) * quantity_share - 1e-4 * cost / scale

    for lot in problem.lots:
        least = (rules.min_share_percent * lot.quantity / 100) if split else lot.quantity
        if lot.whole_units:
            least = least.to_integral_value(rounding="ROUND_CEILING")
        for offer in _worth_considering(problem, lot, least, objective):
            most = min(lot.quantity, offer.capacity) if offer.capacity is not None else lot.quantity
            if most >= lot.quantity:  # the whole lot from this supplier alone
                unit = offer.price_at(lot.quantity)
                pick = model.column(objective_of(offer, unit, 1.0, lot.key), 0, 1, True)
                pieces.append(_Piece(lot.key, offer.supplier, unit, lot.quantity, lot.quantity, pick, None))
            if not split:
                continue
            # its part of a split lot: the others take at least the least share between them
            part_most = min(most, lot.quantity - max(least, Decimal(1) if lot.whole_units else Decimal(0)))
            for low, high, unit in offer.segments(lot.whole_units):
                low = max(low, least, Decimal(1) if lot.whole_units else Decimal(0))
                high = part_most if high is None else min(high, part_most)
                if low > high or high <= 0:
                    continue
                pick = model.column(0.0, 0, 1, True)
                per_unit = objective_of(offer, unit, 1.0 / float(lot.quantity), lot.key)
                amount = model.column(per_unit, 0, float(high), lot.whole_units)
                model.row([(amount, 1.0), (pick, -float(low))], 0, math.inf, "segment low")
                model.row([(amount, 1.0), (pick, -float(high))], -math.inf, 0, "segment high")
                pieces.append(_Piece(lot.key, offer.supplier, unit, low, high, pick, amount))

    awarded: dict[Key, int] = {}
    # a lot left unawarded (when allowed) costs more than any award of it, so it is left only
    # when the rules leave no other way
    penalty = {l.key: float(leave_cost(problem, l)) for l in problem.lots}
    named: list[tuple[str, int]] = []
    by_lot: dict[Key, list[_Piece]] = defaultdict(list)
    for piece in pieces:
        by_lot[piece.lot].append(piece)
    for lot in problem.lots:
        must = 1.0 if rules.award_every_lot else 0.0
        optional = objective == COST and not rules.award_every_lot
        a = model.column(-penalty[lot.key] if optional else 0.0, must, 1, True)
        model.offset += penalty[lot.key] if optional else 0.0
        awarded[lot.key] = a
        if split:
            # Either one supplier takes the whole lot, or the lot is split (s = 1) among 2 to k
            # suppliers, each with one price segment: stating the split outright keeps the
            # relaxation from pricing a small remainder at a large quantity's tier.
            whole = [p for p in by_lot[lot.key] if p.amount is None]
            parts = [p for p in by_lot[lot.key] if p.amount is not None]
            split_on = model.column(0.0, 0, 1 if parts else 0, True)
            model.row([(p.pick, 1.0) for p in whole] + [(split_on, 1.0), (a, -1.0)], 0, 0, f"{lot.label or lot.key} covered")
            model.row([(p.amount, 1.0) for p in parts] + [(split_on, -float(lot.quantity))], 0, 0, f"{lot.label or lot.key} split")
            model.row([(p.pick, 1.0) for p in parts] + [(split_on, -2.0)], 0, math.inf, "a split has two suppliers or more")
            model.row([(p.pick, 1.0) for p in parts] + [(split_on, -float(rules.max_suppliers_per_lot))], -math.inf, 0,
                      f"at most {rules.max_suppliers_per_lot} suppliers for {lot.label or lot.key}")
            per_supplier: dict[Key, list[int]] = defaultdict(list)
            for p in parts:
                per_supplier[p.supplier].append(p.pick)
            for picks in per_supplier.values():
                model.row([(c, 1.0) for c in picks] + [(split_on, -1.0)], -math.inf, 0, "one price segment, in a split")
        else:
            model.row([(p.pick, 1.0) for p in by_lot[lot.key]] + [(a, -1.0)], 0, 0, f"{lot.label or lot.key} covered")

    picks_of: dict[Key, list[int]] = defaultdict(list)
    for piece in pieces:
        picks_of[piece.supplier].append(piece.pick)
    if rules.max_lots_per_supplier is not None:
        for supplier, picks in picks_of.items():
            model.row([(c, 1.0) for c in picks], -math.inf, rules.max_lots_per_supplier,
                      f"at most {rules.max_lots_per_supplier} lots for {problem.name(supplier)}")
            named.append((f"at most {rules.max_lots_per_supplier} lots for {problem.name(supplier)}", len(model.rows) - 1))
    if rules.min_suppliers > 1 or not rules.award_every_lot:  # an award awards something
        used = []
        for supplier, picks in picks_of.items():
            u = model.column(0.0, 0, 1, False)
            used.append(u)
            model.row([(u, 1.0)] + [(c, -1.0) for c in picks], -math.inf, 0, "supplier used")
        model.row([(u, 1.0) for u in used], rules.min_suppliers, math.inf, f"at least {rules.min_suppliers} suppliers")
        if rules.min_suppliers > 1:
            named.append((f"at least {rules.min_suppliers} suppliers overall", len(model.rows) - 1))

    _bundles(problem, model, pieces, split, objective, scale, named)
    return model, pieces, awarded, named


def _worth_considering(problem: Problem, lot: Lot, least: Decimal, objective: str) -> list[Offer]:
    """The lot's offers less those that can never be part of a cheapest award. An offer is
    left out when at least k other suppliers without a capacity limit, and whose dearest
    price at any quantity they could be awarded is no more than its cheapest, could take its
    place: moving its quantity to one of them (added to what that one has, or instead of it)
    never costs more and keeps every rule. Only when the rules cannot be broken by the move
    (no limit on lots per supplier, no least number of suppliers), for the lowest cost, and
    never for an offer whose bundle discounts depend on the lot."""
    offers = problem.offers_on(lot.key)
    rules = problem.rules
    if objective != COST or rules.max_lots_per_supplier is not None or rules.min_suppliers > 1:
        return offers
    in_bundle = {b.supplier for b in problem.bundles if lot.key in b.lots}

    def prices(offer: Offer) -> list[Decimal]:
        return [p for low, high, p in offer.segments(lot.whole_units)
                if (high is None or high >= least) and low <= lot.quantity]

    # (dearest price, supplier) of each supplier able to take the whole lot; ties are broken by
    # the supplier's key, so that of two equal offers one stays
    free = sorted((max(prices(o)), str(o.supplier)) for o in offers
                  if (o.capacity is None or o.capacity >= lot.quantity) and prices(o))
    kept = []
    for offer in offers:
        if not prices(offer):
            continue
        cheapest = (min(prices(offer)), str(offer.supplier))
        beaten_by = sum(1 for dearest in free if dearest < cheapest and dearest[1] != str(offer.supplier))
        if offer.supplier in in_bundle or beaten_by < rules.max_suppliers_per_lot:
            kept.append(offer)
    return kept


def _bundles(problem: Problem, model: _Model, pieces: list[_Piece], split: bool, objective: str, scale: float,
             named: list[tuple[str, int]]) -> None:
    picks: dict[tuple[Key, Key], list[_Piece]] = defaultdict(list)
    for piece in pieces:
        picks[(piece.lot, piece.supplier)].append(piece)
    holding: dict[tuple[Key, Key], list[int]] = defaultdict(list)
    for bundle in problem.bundles:
        if any((lot, bundle.supplier) not in picks for lot in bundle.lots):
            continue  # it cannot be earned
        rate = float(bundle.discount_percent) / 100
        if not split:
            value = rate * sum(float(picks[(lot, bundle.supplier)][0].unit_price * problem.lot(lot).quantity)
                               for lot in bundle.lots)
            gain = -value if objective == COST else 1e-4 * value / scale
            earned = model.column(gain, 0, 1, True)
        else:
            earned = model.column(0.0, 0, 1, True)
            for lot in bundle.lots:
                most = rate * max(float(p.unit_price * p.high) for p in picks[(lot, bundle.supplier)])
                discount = model.column(-1.0 if objective == COST else 1e-4 / scale, 0, most, False)
                model.row([(discount, 1.0)] + [(p.amount, -rate * float(p.unit_price)) if p.amount is not None
                                               else (p.pick, -rate * float(p.unit_price * p.high))
                                               for p in picks[(lot, bundle.supplier)]],
                          -math.inf, 0, "discount on what is awarded")
                model.row([(discount, 1.0), (earned, -most)], -math.inf, 0, "discount only when earned")
        for lot in bundle.lots:
            model.row([(earned, 1.0)] + [(p.pick, -1.0) for p in picks[(lot, bundle.supplier)]], -math.inf, 0, "bundle needs its lots")
            holding[(lot, bundle.supplier)].append(earned)
    for columns in holding.values():
        if len(columns) > 1:
            model.row([(c, 1.0) for c in columns], -math.inf, 1, "one bundle per lot")


def solve(problem: Problem, objective: str = COST, *, time_limit: float = 60.0, gap: float = 1e-4,
          progress: Progress | None = None) -> Solution:
    """The best award under the rules (or the best found within `time_limit` seconds, with
    its proven gap), with its explanation and comparisons."""
    import highspy

    started = time.perf_counter()
    reasons = infeasibility_reasons(problem)
    if reasons:
        return Solution("infeasible", objective, reasons=reasons, seconds=time.perf_counter() - started,
                        comparisons=compare(problem, None))
    trace: list[tuple[float, float | None, float | None]] = []
    quick = quick_award(problem) if objective == COST else None
    if quick is not None:
        trace.append((time.perf_counter() - started, float(quick[1]), None))
    model, pieces, awarded, named = _build(problem, objective)

    def seen(event: Any) -> None:
        out = event.data_out
        sign = -1.0 if objective == SCORE else 1.0
        primal = sign * out.mip_primal_bound if abs(out.mip_primal_bound) < 1e30 else None
        dual = sign * out.mip_dual_bound if abs(out.mip_dual_bound) < 1e30 else None
        if quick is not None and (primal is None or float(quick[1]) < primal):
            primal = float(quick[1])  # the best award so far may be the quick one
        if event.callback_type != highspy.cb.HighsCallbackType.kCallbackMipInterrupt:
            dual = trace[-1][2] if trace else None  # an improving solution's event reports no bound worth keeping
        if not trace or trace[-1][1:] != (primal, dual):
            trace.append((time.perf_counter() - started, primal, dual))
            if progress is not None:
                progress(trace[-1][0], primal, dual)

    h = model.highs(maximise=objective == SCORE)
    h.setOptionValue("time_limit", max(1.0, float(time_limit) - (time.perf_counter() - started)))
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("random_seed", 1)
    h.cbMipInterrupt.subscribe(seen)
    h.cbMipImprovingSolution.subscribe(seen)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        return Solution("infeasible", objective, reasons=_why_infeasible(problem, time_limit),
                        seconds=time.perf_counter() - started, comparisons=compare(problem, None), trace=trace)
    if info.primal_solution_status != highspy.kSolutionStatusFeasible and quick is None:
        return Solution("no award found in time", objective, seconds=time.perf_counter() - started, trace=trace,
                        reasons=[f"no award keeping the rules was found within {time_limit:g} s"])
    if info.primal_solution_status == highspy.kSolutionStatusFeasible:
        values = np.asarray(h.getSolution().col_value)
        allocation = _allocation(problem, pieces, values)
        broken = violations(problem, allocation)
        if broken:  # the solver's tolerances let something through: never report it as an award
            raise RuntimeError(f"the optimiser's award breaks the rules: {broken}")
        priced = price(problem, allocation)
    if quick is not None and (info.primal_solution_status != highspy.kSolutionStatusFeasible or (
            status != highspy.HighsModelStatus.kOptimal and quick[1] < priced.total)):
        allocation, priced = quick[0], price(problem, quick[0])  # stopped early: the quick award was better
        values = None
    solution = Solution("optimal" if status == highspy.HighsModelStatus.kOptimal else "feasible", objective,
                        allocation=allocation, total=priced.total, discounts=dict(priced.discounts),
                        gap=_gap(priced.total, info.mip_dual_bound) if values is None else (
                            max(0.0, float(info.mip_gap)) if math.isfinite(info.mip_gap) else None),
                        seconds=time.perf_counter() - started, trace=trace,
                        unawarded=[l.key for l in problem.lots if not any(k[0] == l.key for k in allocation)])
    solution.score = share_weighted_score(problem, allocation)
    solution.binding = _binding(problem, h if values is not None else None, named, allocation)
    solution.comparisons = compare(problem, priced.total)
    return solution


def _gap(total: Decimal, bound: float) -> float | None:
    if not math.isfinite(bound) or abs(bound) > 1e30:
        return None
    return max(0.0, (float(total) - bound) / max(abs(float(total)), 1e-9))


def _allocation(problem: Problem, pieces: list[_Piece], values: np.ndarray) -> dict[tuple[Key, Key], Decimal]:
    allocation: dict[tuple[Key, Key], Decimal] = {}
    lots = {l.key: l for l in problem.lots}
    for piece in pieces:
        if values[piece.pick] < 0.5:
            continue
        lot = lots[piece.lot]
        if piece.amount is None:
            quantity = lot.quantity
        elif lot.whole_units:
            quantity = Decimal(int(round(values[piece.amount])))
        else:
            quantity = Decimal(repr(round(float(values[piece.amount]), 6)))
        if quantity > 0:
            allocation[(piece.lot, piece.supplier)] = allocation.get((piece.lot, piece.supplier), Decimal(0)) + quantity
    for lot in problem.lots:  # continuous quantities: settle the rounding on the largest share
        shares = [(k, q) for k, q in allocation.items() if k[0] == lot.key]
        if shares and not lot.whole_units:
            biggest = max(shares, key=lambda kq: kq[1])[0]
            allocation[biggest] += lot.quantity - sum(q for _, q in shares)
    return allocation


def _binding(problem: Problem, h: Any, named: list[tuple[str, int]], allocation: Allocation) -> list[str]:
    """The rules the award presses against: rows at their bound, and capacities used in full."""
    found = []
    if h is None:  # the quick award: no rows of the model to read
        named = []
    else:
        values = np.asarray(h.getSolution().row_value)
        lp = h.getLp()
    for name, row in named:
        lower, upper = lp.row_lower_[row], lp.row_upper_[row]
        if (math.isfinite(upper) and abs(values[row] - upper) < 1e-6) or (math.isfinite(lower) and abs(values[row] - lower) < 1e-6):
            found.append(name)
    counts: dict[Key, int] = defaultdict(int)
    for (lot, _), quantity in allocation.items():
        counts[lot] += quantity > 0
    k = problem.rules.max_suppliers_per_lot
    found += [f"at most {k} suppliers for {problem.lot(lot).label or lot}" for lot, n in counts.items() if k > 1 and n == k]
    for (lot, supplier), quantity in allocation.items():
        offer = problem.offer(lot, supplier)
        if offer is not None and offer.capacity is not None and quantity == offer.capacity:
            found.append(f"{problem.name(supplier)}'s capacity on {problem.lot(lot).label or lot} ({offer.capacity})")
    return found


def _why_infeasible(problem: Problem, time_limit: float) -> list[str]:
    """Relax each family of rules in turn: those whose relaxation makes an award possible
    are the ones that cannot be met together with the rest."""
    import highspy

    rules = problem.rules
    trials = [
        ("at most {} supplier(s) per lot".format(rules.max_suppliers_per_lot),
         Rules(len(problem.offers) or 1, Decimal(0), rules.max_lots_per_supplier, rules.min_suppliers, rules.award_every_lot)),
        (f"a least share of {rules.min_share_percent}% when a lot is split",
         Rules(rules.max_suppliers_per_lot, Decimal(0), rules.max_lots_per_supplier, rules.min_suppliers, rules.award_every_lot)),
        (f"at most {rules.max_lots_per_supplier} lot(s) per supplier",
         Rules(rules.max_suppliers_per_lot, rules.min_share_percent, None, rules.min_suppliers, rules.award_every_lot)),
        (f"at least {rules.min_suppliers} suppliers overall",
         Rules(rules.max_suppliers_per_lot, rules.min_share_percent, rules.max_lots_per_supplier, 1, rules.award_every_lot)),
        ("every lot awarded",
         Rules(rules.max_suppliers_per_lot, rules.min_share_percent, rules.max_lots_per_supplier, rules.min_suppliers, False)),
    ]
    found = []
    for name, relaxed in trials:
        if relaxed == rules:
            continue
        trial = dataclasses.replace(problem, rules=relaxed)
        if infeasibility_reasons(trial):
            continue
        model, *_ = _build(trial, COST)
        h = model.highs(maximise=False)
        h.setOptionValue("time_limit", float(min(time_limit, 10.0)))
        h.setOptionValue("mip_rel_gap", 1.0)  # any award will do
        h.run()
        if h.getInfo().primal_solution_status == highspy.kSolutionStatusFeasible:
            found.append(f"{name} cannot be met together with the other rules and the bidders' capacities")
    return found or ["no award keeps all the rules together with the bidders' capacities"]
