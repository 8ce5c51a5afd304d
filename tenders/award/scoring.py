"""Scoring, ranking and the calendar of an award, as plain functions of plain values.

Rounding rule: every score (a price score, each criterion's weighted quality score) is
rounded half-up to 2 decimal places; a total is the sum of those rounded scores. Money
totals are exact and rounded half-up to the penny only when shown."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Iterable, Sequence

from dateutil.easter import easter

SCORE = Decimal("0.01")
FORMULAS = {
    "lowest_price_ratio": "price weight x lowest total / this bid's total",
    "linear": "price weight x max(0, 1 - (this bid's total - lowest total) / lowest total)",
}
ALT_BELOW_NEXT = Decimal("0.30")   # at least 30% below the next lowest total
ALT_BELOW_MEAN = Decimal("0.40")   # or at least 40% below the mean of the others
STANDSTILL_WORKING_DAYS = 8


def score(value: Decimal) -> Decimal:
    return value.quantize(SCORE, ROUND_HALF_UP)


def unit_price_at(unit_price: Decimal, tiers: Sequence[Sequence[object]], quantity: Decimal) -> Decimal:
    """A tiered line's unit price at the lot's quantity: the band that contains it, else
    the line's unit price."""
    for low, high, price in tiers:
        if Decimal(str(low)) <= quantity and (high is None or quantity <= Decimal(str(high))):
            return Decimal(str(price))
    return unit_price


def bid_total(lines: Iterable[tuple[Decimal, Sequence[Sequence[object]], Decimal]]) -> Decimal:
    """Sum of unit price x quantity over a lot's items: (unit price, tiers, quantity) each."""
    return sum((unit_price_at(price, tiers, quantity) * quantity for price, tiers, quantity in lines), Decimal(0))


def price_score(formula: str, weight: int, lowest: Decimal, total: Decimal) -> Decimal:
    if formula == "lowest_price_ratio":
        return score(Decimal(weight) * lowest / total)
    if formula == "linear":
        return score(Decimal(weight) * max(Decimal(0), 1 - (total - lowest) / lowest))
    raise ValueError(f"unknown price formula {formula!r}")


def quality_score(weight: int, consensus: int) -> Decimal:
    return score(Decimal(weight) * Decimal(consensus) / 5)


@dataclass
class Entry:
    """One bid for one lot, as ranking needs it."""

    bid: int
    total: Decimal
    submitted_at: datetime
    quality: dict[int, tuple[int, int]] = field(default_factory=dict)  # criterion -> (weight, consensus)
    pass_marks: dict[int, int] = field(default_factory=dict)           # criterion -> pass mark
    excluded: str = ""                                                  # why it cannot win (rejected as abnormally low...)
    price_score: Decimal = Decimal(0)
    quality_score: Decimal = Decimal(0)
    failed: list[int] = field(default_factory=list)                     # criteria below their pass mark

    @property
    def score(self) -> Decimal:
        return self.price_score + self.quality_score

    @property
    def eligible(self) -> bool:
        return not self.failed and not self.excluded


def rank(entries: list[Entry], formula: str, price_weight: int) -> list[Entry]:
    """Scores and order: highest total first; ties to the higher quality score, then the
    earlier submission. The lowest total counts among bids not disqualified."""
    for entry in entries:
        entry.failed = [c for c, mark in entry.pass_marks.items() if entry.quality.get(c, (0, 0))[1] < mark]
        entry.quality_score = sum((quality_score(w, c) for w, c in entry.quality.values()), Decimal(0))
    priced = [e for e in entries if e.eligible] or entries
    lowest = min((e.total for e in priced), default=Decimal(0))
    for entry in entries:
        entry.price_score = price_score(formula, price_weight, lowest, entry.total) if lowest > 0 else Decimal(0)
    return sorted(entries, key=lambda e: (not e.eligible, -e.score, -e.quality_score, e.submitted_at, e.bid))


def abnormally_low(total: Decimal, others: Sequence[Decimal]) -> str | None:
    """Why a bid total is abnormally low, or None: at least 30% below the next lowest total,
    or at least 40% below the mean of the others."""
    if not others:
        return None
    higher = sorted(t for t in others if t >= total)
    reasons = []
    if higher and total <= higher[0] * (1 - ALT_BELOW_NEXT):
        reasons.append(f"{percent_below(total, higher[0])}% below the next lowest total")
    mean = sum(others, Decimal(0)) / len(others)
    if total <= mean * (1 - ALT_BELOW_MEAN):
        reasons.append(f"{percent_below(total, mean)}% below the mean of the other bids")
    return "; ".join(reasons) or None


def percent_below(value: Decimal, reference: Decimal) -> Decimal:
    return ((reference - value) * 100 / reference).quantize(Decimal("0.1"), ROUND_HALF_UP)


@lru_cache(maxsize=1)
def bank_holidays() -> frozenset[date]:
    """Bank holidays in any part of the United Kingdom (England and Wales, Scotland, Northern
    Ireland), from the govuk-bank-holidays package's bundled copy of GOV.UK's data (never
    downloaded at run time). The Procurement Act 2023 (s.123) counts none of them as a working
    day, wherever the bidders are."""
    from govuk_bank_holidays.bank_holidays import BankHolidays

    data = BankHolidays(use_cached_holidays=True)
    return frozenset(h["date"] for division in BankHolidays.ALL_DIVISIONS for h in data.get_holidays(division=division))


def is_christmas_or_good_friday(day: date) -> bool:
    """Never working days under the Act in their own right, so they stay right in years the
    bundled bank holiday data does not reach yet."""
    return (day.month, day.day) == (12, 25) or day == easter(day.year) - timedelta(days=2)


def is_working_day(day: date, holidays: frozenset[date] | None = None) -> bool:
    """The Act's working day (s.123): not a Saturday or Sunday, Christmas Day or Good Friday,
    nor a bank holiday anywhere in the United Kingdom."""
    return (day.weekday() < 5 and not is_christmas_or_good_friday(day)
            and day not in (holidays if holidays is not None else bank_holidays()))


def add_working_days(start: date, days: int, holidays: frozenset[date] | None = None) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            days -= 1
    return day


def period_ends(first_day: date, days: int, holidays: frozenset[date] | None = None) -> date:
    """The last day of "the period of `days` working days beginning with" `first_day`, in the
    Act's words: `first_day` is day 1 if it is a working day, else the next working day is.
    A period of no days ended the day before."""
    return add_working_days(first_day - timedelta(days=1), days, holidays)


def standstill_ends(published_on: date, holidays: frozenset[date] | None = None) -> date:
    """The last day of standstill: the period of 8 working days beginning with the day the
    decision (the contract award notice) is published, that day counted when it is a working
    day (Procurement Act 2023, s.51). The contract may be entered from the next day."""
    return period_ends(published_on, STANDSTILL_WORKING_DAYS, holidays)


def working_days_between(start: date, end: date, holidays: frozenset[date] | None = None) -> int:
    """Working days after `start` up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, holidays)
    return count


def working_days_from(first_day: date, last_day: date, holidays: frozenset[date] | None = None) -> int:
    """Working days from `first_day` to `last_day`, both counted: what a period ending on
    `last_day` (a working day) still has on `first_day`; period_ends(first_day, that) gives
    `last_day` back."""
    return working_days_between(first_day - timedelta(days=1), last_day, holidays)
