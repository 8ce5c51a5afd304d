"""The optimised award (tenders/optimiser.py) on generated tenders of L lots x S suppliers,
each supplier bidding every lot with 3 all-units tiers, a capacity (a third of suppliers
can supply only part of a lot), and bundle discounts over a few lots; up to 2 suppliers per
lot with a least share of 20%. Reported per size and seed: the time to the first award
better than lot by lot, to a 1% gap, to 0.1% and to 0.01%, and the saving against the
lot-by-lot award. BENCH_AWARD_SIZES picks sizes (e.g. "50x20,200x50"), BENCH_AWARD_SEEDS the
seeds, BENCH_AWARD_LIMIT the time limit per solve in seconds (default 120)."""
from __future__ import annotations

import os
import random
from decimal import Decimal
from typing import Any

from bench import Benchmark, figure, seconds_list

SIZES = [tuple(int(n) for n in size.split("x")) for size in os.environ.get("BENCH_AWARD_SIZES", "50x20,200x50,1000x100").split(",")]
SEEDS = [int(s) for s in os.environ.get("BENCH_AWARD_SEEDS", "1,2,3,4,5").split(",")]
LIMIT = float(os.environ.get("BENCH_AWARD_LIMIT", "120"))


def instance(lots: int, suppliers: int, seed: int) -> Any:
    from tenders.optimisation.award_model import Band, Bundle, Lot, Offer, Problem, Rules

    rng = random.Random(seed)
    out_lots = [Lot(f"L{n}", Decimal(rng.randrange(50, 500)), True, f"lot {n}") for n in range(lots)]
    offers, bundles = [], []
    for s in range(suppliers):
        efficiency = rng.uniform(0.9, 1.1)
        for lot in out_lots:
            base = Decimal(str(round(100 * efficiency * rng.uniform(0.9, 1.1), 2)))
            q = int(lot.quantity)
            low1, low2 = max(2, q // 4), max(3, q * 2 // 3)
            bands = (Band(Decimal(low1), Decimal(low2 - 1), (base * Decimal("0.96")).quantize(Decimal("0.01"))),
                     Band(Decimal(low2), None, (base * Decimal("0.92")).quantize(Decimal("0.01"))))
            capacity = Decimal(rng.randrange(q // 3, q)) if s % 3 == 0 else None
            offers.append(Offer(f"S{s}", lot.key, base, bands, capacity))
        for _ in range(2):
            chosen = rng.sample([l.key for l in out_lots], k=min(len(out_lots), rng.randrange(2, 6)))
            bundles.append(Bundle(f"S{s}", frozenset(chosen), Decimal(rng.choice(["2", "3", "4", "5"]))))
    rules = Rules(max_suppliers_per_lot=2, min_share_percent=Decimal(20))
    return Problem(tuple(out_lots), tuple(offers), tuple(bundles), rules)


def _first(trace: list[tuple[float, float | None, float | None]], test: Any) -> float | None:
    return next((t for t, best, bound in trace if best is not None and bound is not None and test(best, bound)), None)


def solve_one(lots: int, suppliers: int, seed: int) -> dict[str, Any]:
    from tenders.optimisation import optimiser
    from tenders.optimisation.award_model import lot_by_lot, price

    problem = instance(lots, suppliers, seed)
    baseline = price(problem, lot_by_lot(problem)).total
    found = optimiser.solve(problem, time_limit=LIMIT, gap=1e-4)
    trace = found.trace
    proven = found.status == "optimal" and found.gap is not None and found.gap <= 1e-4
    return {"seed": seed, "status": found.status, "seconds": found.seconds, "gap": found.gap,
            "better": next((t for t, best, _ in trace if best is not None and best < float(baseline) - 0.005), None),
            "gap1": _first(trace, lambda b, d: (b - d) <= 0.01 * abs(b)) or (found.seconds if proven else None),
            "gap01": _first(trace, lambda b, d: (b - d) <= 0.001 * abs(b)) or (found.seconds if proven else None),
            "gap001": _first(trace, lambda b, d: (b - d) <= 0.0001 * abs(b)) or (found.seconds if proven else None),
            "saving": (baseline - found.total) * 100 / baseline if found.total is not None else None}


def _describe(lots: int, suppliers: int) -> Any:
    def describe(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
        rows = state["result"]["rows"]

        def seconds(key: str) -> str:
            values = [r[key] for r in rows]
            shown = ", ".join("-" if v is None else f"{v:.1f}" for v in values)
            return f"{shown} s"

        state["figures"] = {key: ", ".join("-" if r[key] is None else f"{r[key]:.1f}" for r in rows)
                            for key in ("better", "gap1", "gap01", "gap001")}
        savings = ", ".join(f"{r['saving']:.2f}%" if r["saving"] is not None else "-" for r in rows)
        goal = {200: "goal: 0.01% within 30 s", 1000: "goals: 0.1% within 120 s, better than lot by lot within 10 s"}.get(lots, "")
        return (f"seeds {', '.join(str(r['seed']) for r in rows)}: better than lot by lot {seconds('better')}; 1% gap "
                f"{seconds('gap1')}; 0.1% {seconds('gap01')}; 0.01% {seconds('gap001')}; final gap "
                f"{', '.join('-' if r['gap'] is None else format(100 * r['gap'], '.3f') + '%' for r in rows)}; "
                f"saving against lot by lot {savings}; limit {LIMIT:g} s" + (f"; {goal}" if goal else ""))

    return describe


GOALS = {200: ("0.01% gap within 30 s, every seed", lambda times: all(t is not None and t <= 30 for t in times["gap001"])),
         1000: ("0.1% gap within 120 s and better than lot by lot within 10 s, every seed",
                lambda times: all(t is not None and t <= 120 for t in times["gap01"])
                and all(t is not None and t <= 10 for t in times["better"]))}


def _met(lots: int) -> Any:
    def met(result: Any) -> bool | None:
        if lots not in GOALS:
            return None
        times = {key: seconds_list(figure(result, key, pattern)) for key, pattern in
                 (("gap001", r"0\.01% ([^;]+) s;"), ("gap01", r"0\.1% ([^;]+) s;"), ("better", r"lot by lot ([^;]+) s;"))}
        return GOALS[lots][1](times)

    return met


def _benchmark(lots: int, suppliers: int) -> Benchmark:
    """Each timed run solves the next seed: the median over seeds is the benchmark's median."""
    state: dict[str, Any] = {"result": {"rows": []}}

    def run(s: dict[str, Any]) -> None:
        rows = s["result"]["rows"]
        rows.append(solve_one(lots, suppliers, SEEDS[len(rows) % len(SEEDS)]))

    return Benchmark(f"optimised award {lots} lots x {suppliers} suppliers, one seed per run (to 0.01% or the limit)",
                     run, setup=lambda: state, describe=_describe(lots, suppliers), repeats=len(SEEDS),
                     goal=GOALS[lots][0] if lots in GOALS else "", met=_met(lots))


BENCHMARKS = [_benchmark(lots, suppliers) for lots, suppliers in SIZES]
