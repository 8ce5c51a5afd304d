"""A fair share of the pooled saving for every organisation. By default in proportion to its
baseline spend; as the alternative, its Shapley value in the game whose worth for any group
of organisations is what that group would save by buying together (each alone at catalogue
prices, against the optimised award of the group's own quantities). Exact up to 12
organisations (every group is priced: 4,096 at 12); beyond, sampled over random orders of
joining with the error stated. Plain values; the caller prices a group."""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Callable, Hashable, Mapping, Sequence

from tenders.optimisation.award_model import PENNY, share_out

EXACT_UP_TO = 12
Worth = Callable[[frozenset], Decimal]


@dataclass(frozen=True)
class Shares:
    method: str                       # "proportional to baseline spend" | "Shapley value" | "Shapley value, sampled"
    shares: dict[Hashable, Decimal]   # in pennies, adding up to the pooled saving
    error: Decimal = Decimal(0)       # sampled: half-width of the 95% interval on any one share
    groups_priced: int = 0


def proportional(saving: Decimal, baselines: Mapping[Hashable, Decimal]) -> Shares:
    return Shares("proportional to baseline spend", share_out(saving, baselines))


def shapley(players: Sequence[Hashable], worth: Worth, *, samples: int = 400, seed: int = 2026,
            progress: Callable[[int, int], None] | None = None) -> Shares:
    """Each player's average added worth over the orders in which the players could join."""
    players = list(players)
    if not players:
        return Shares("Shapley value", {})
    known: dict[frozenset, Decimal] = {frozenset(): Decimal(0)}

    def value(group: frozenset) -> Decimal:
        if group not in known:
            known[group] = worth(group)
            if progress is not None:
                progress(len(known), total)
        return known[group]

    n = len(players)
    if n <= EXACT_UP_TO:
        total = 2 ** n
        weights = [Decimal(math.factorial(k) * math.factorial(n - k - 1)) / Decimal(math.factorial(n)) for k in range(n)]
        exact = {}
        for player in players:
            others = [p for p in players if p != player]
            exact[player] = sum((weights[k] * (value(frozenset(group) | {player}) - value(frozenset(group)))
                                 for k in range(n) for group in itertools.combinations(others, k)), Decimal(0))
        return Shares("Shapley value", _pennies_adding_to(exact, value(frozenset(players))), groups_priced=len(known) - 1)
    total = samples * n
    rng = random.Random(seed)
    draws: dict[Hashable, list[Decimal]] = {p: [] for p in players}
    for _ in range(samples):
        order = players[:]
        rng.shuffle(order)
        group: frozenset = frozenset()
        for player in order:
            joined = group | {player}
            draws[player].append(value(joined) - value(group))
            group = joined
    means = {p: sum(d, Decimal(0)) / len(d) for p, d in draws.items()}
    error = max(Decimal(1.96) * _standard_error(d) for d in draws.values())
    return Shares("Shapley value, sampled", _pennies_adding_to(means, value(frozenset(players))),
                  error.quantize(PENNY, rounding=ROUND_HALF_UP), len(known) - 1)


def _standard_error(draws: list[Decimal]) -> Decimal:
    if len(draws) < 2:
        return Decimal(0)
    mean = sum(draws, Decimal(0)) / len(draws)
    variance = sum(((d - mean) ** 2 for d in draws), Decimal(0)) / (len(draws) - 1)
    return (variance / len(draws)).sqrt()


def _pennies_adding_to(values: Mapping[Hashable, Decimal], total: Decimal) -> dict[Hashable, Decimal]:
    """Round down to pennies, then give the pennies left to the largest remainders, so the
    shares add up to the whole saving exactly."""
    shares = {k: v.quantize(PENNY, rounding=ROUND_FLOOR) for k, v in values.items()}
    left = int((total.quantize(PENNY, rounding=ROUND_HALF_UP) - sum(shares.values(), Decimal(0))) / PENNY)
    order = sorted(shares, key=lambda k: (values[k] - shares[k], str(k)), reverse=left > 0)
    for n in range(abs(left)):
        shares[order[n % len(order)]] += PENNY if left > 0 else -PENNY
    return shares
