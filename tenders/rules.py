"""The rules of a joint tender's lifecycle and timeline, as plain functions of plain values."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Iterable

from procurement.core.clock import LONDON
from tenders.models import ShortPeriodGround
from tenders.models import TenderStatus as T
from procurement.core.states import Transitions

# The Procurement Act 2023 (s.54) and its regulations, for an open procedure whose documents
# are all available at publication.
MIN_TENDER_DAYS = 25        # the minimum tendering period, publication to deadline
MIN_URGENT_DAYS = 10        # on a recorded ground (ShortPeriodGround)
PLANNED_NOTICE_MIN_DAYS = 40  # a planned procurement notice qualifies from 40 days to a year before
AMENDMENT_MIN_DAYS_LEFT = 4  # an amendment leaving fewer days than this moves the deadline out

# Each move is one service function; any other move is refused (409).
TRANSITIONS: Transitions[T] = Transitions({
    T.draft: frozenset({T.published, T.cancelled}),
    T.published: frozenset({T.closed, T.unsuccessful, T.cancelled}),
    T.closed: frozenset({T.opened, T.cancelled}),
    T.opened: frozenset({T.evaluation, T.cancelled}),
    T.evaluation: frozenset({T.award_proposed, T.cancelled}),
    T.award_proposed: frozenset({T.standstill, T.evaluation, T.cancelled}),
    T.standstill: frozenset({T.awarded, T.cancelled}),
    T.awarded: frozenset({T.complete}),
    T.complete: frozenset(),
    T.cancelled: frozenset(),
    T.unsuccessful: frozenset(),
})
ACTIVE = frozenset(s for s, targets in TRANSITIONS.items() if T.cancelled in targets)



@dataclass(frozen=True)
class ShortPeriod:
    """The ground the agency records for a tendering period of under MIN_TENDER_DAYS, with
    what backs it. Only the chosen ground's own fields count; the others are ignored."""

    short_period_ground: ShortPeriodGround | None = None
    short_period_reason: str = ""                    # urgency: the statement of it
    planned_notice_published_on: date | None = None  # planned procurement notice (UK3): the day it was published
    planned_notice_reference: str = ""               # and its notice id, if the agency gives it

    def __post_init__(self) -> None:  # a ground given by its value ("urgency") is that ground; "" is none
        ground = self.short_period_ground
        object.__setattr__(self, "short_period_ground", ShortPeriodGround(ground) if ground else None)


def short_period_errors(published_on: date, period: ShortPeriod) -> dict[str, list[str]]:
    """What the recorded ground lacks, for a tender published on `published_on` (nothing
    without a ground: the standard period needs none)."""
    if period.short_period_ground is ShortPeriodGround.urgency and not period.short_period_reason.strip():
        return {"short_period_reason": ["State why urgency makes a tendering period of 25 days impractical"]}
    if period.short_period_ground is not ShortPeriodGround.planned_procurement_notice:
        return {}
    notice = period.planned_notice_published_on
    if notice is None:
        return {"planned_notice_published_on": ["Enter the date the planned procurement notice was published"]}
    days = (published_on - notice).days
    if days < PLANNED_NOTICE_MIN_DAYS:
        return {"planned_notice_published_on": [
            f"The planned procurement notice must have been published at least {PLANNED_NOTICE_MIN_DAYS} days before "
            f"the tender notice: on or before {published_on - timedelta(days=PLANNED_NOTICE_MIN_DAYS):%-d %B %Y}"]}
    if notice < year_before(published_on):
        return {"planned_notice_published_on": [
            "The planned procurement notice must have been published no more than a year before the tender notice, "
            f"on or after {year_before(published_on):%-d %B %Y}"]}
    return {}


def year_before(day: date) -> date:
    """The same date a year earlier (29 February's is 28 February)."""
    if (day.month, day.day) == (2, 29):
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def timeline_errors(now: datetime, clarification_deadline: datetime | None, submission_deadline: datetime | None,
                    expected_award_on: date | None, short_period: ShortPeriod = ShortPeriod()) -> dict[str, list[str]]:
    """What stops a tender being published now with this timeline and ground for its period."""
    errors = short_period_errors(now.astimezone(LONDON).date(), short_period)
    if submission_deadline is None:
        errors["submission_deadline"] = ["Set the deadline for bids"]
        return errors
    if clarification_deadline is None:
        errors["clarification_deadline"] = ["Set the deadline for clarification questions"]
    elif not now < clarification_deadline < submission_deadline:
        errors["clarification_deadline"] = ["The clarification deadline must fall between now and the deadline for bids"]
    # A ground that falls short is reported on its own field; the period is then checked as if it held.
    grounded = short_period.short_period_ground is not None
    days = MIN_URGENT_DAYS if grounded else MIN_TENDER_DAYS
    if submission_deadline < now + timedelta(days=days):
        errors["submission_deadline"] = [
            f"The deadline must be at least {days} days after publication"
            + ("" if grounded else f" ({MIN_URGENT_DAYS} on a recorded ground: a stated urgency, or a planned "
                                   f"procurement notice published {PLANNED_NOTICE_MIN_DAYS} days to a year before)")]
    if expected_award_on is not None and expected_award_on < submission_deadline.date():
        errors["expected_award_on"] = ["The expected award date must be after the deadline for bids"]
    return errors


def period_from_notice(published_at: datetime, submission_deadline: datetime | None, grounded: bool) -> str | None:
    """The tendering period runs from the tender notice's publication (s.54): what is wrong if
    the platform published it so late that the minimum period to the deadline no longer holds."""
    days = MIN_URGENT_DAYS if grounded else MIN_TENDER_DAYS
    if submission_deadline is None or submission_deadline >= published_at + timedelta(days=days):
        return None
    return (f"The tender notice was published on Find a Tender on {published_at.astimezone(LONDON):%-d %B %Y at %H:%M}, "
            f"less than {days} days before the deadline for bids: the minimum tendering period no longer holds. "
            "Amend the tender to move the deadline out.")


def weights_errors(price_weight: int, quality_weights: Iterable[int]) -> list[str]:
    weights = list(quality_weights)
    problems = []
    if not 0 <= price_weight <= 100:
        problems.append("The price weight must be from 0 to 100")
    if any(w <= 0 for w in weights):
        problems.append("Each quality criterion needs a weight above 0")
    if not weights and price_weight < 100:
        problems.append(f"Add the quality criteria: with price weighing {price_weight}, their weights must add up "
                        f"to {100 - price_weight}, so that all the weights add up to 100")
    elif price_weight + sum(weights) != 100:
        problems.append(f"The weights must add up to 100: price {price_weight} and quality {sum(weights)} make "
                        f"{price_weight + sum(weights)}")
    return problems


def amended_deadline(now: datetime, deadline: datetime, requested: datetime | None = None) -> datetime:
    """The deadline after an amendment: the requested one (if later), moved out so that at
    least AMENDMENT_MIN_DAYS_LEFT days remain."""
    chosen = max(deadline, requested) if requested else deadline
    return max(chosen, now + timedelta(days=AMENDMENT_MIN_DAYS_LEFT))


def parse_price(raw: object, what: str = "price") -> Decimal:
    """A positive amount of pounds with at most 4 decimal places (unit prices may need them)."""
    text = str(raw if raw is not None else "").strip().replace(",", "").removeprefix("£")
    if not text:
        raise ValueError(f"the {what} is missing")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{text[:30]}' is not a number") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"the {what} must be more than 0")
    if amount != amount.quantize(Decimal("0.0001")):
        raise ValueError(f"the {what} may have at most 4 decimal places")
    if amount >= Decimal("1000000000"):
        raise ValueError(f"the {what} is too large")
    return amount.quantize(Decimal("0.01")) if amount == amount.quantize(Decimal("0.01")) else amount


def parse_tiers(text: str) -> list[tuple[int, int | None, Decimal]]:
    """'1-199:760.00; 200-:742.00' -> [(1, 199, 760.00), (200, None, 742.00)]: quantity bands
    with unit prices, rising, not overlapping; only the last may be open-ended."""
    tiers: list[tuple[int, int | None, Decimal]] = []
    for part in [p.strip() for p in text.replace("\n", ";").split(";") if p.strip()]:
        band, colon, price = part.partition(":")
        low, dash, high = band.partition("-")
        if not colon or not dash or not low.strip().isdecimal() or (high.strip() and not high.strip().isdecimal()):
            raise ValueError(f"'{part[:40]}' is not a band like 1-199:760.00 or 200-:742.00")
        tiers.append((int(low), int(high) if high.strip() else None, parse_price(price, "tier price")))
    return check_tiers(tiers)


def check_tiers(tiers: list[tuple[int, int | None, Decimal]]) -> list[tuple[int, int | None, Decimal]]:
    previous_high: int | None = 0
    for n, (low, high, _price) in enumerate(tiers):
        if low < 1 or (high is not None and high < low):
            raise ValueError(f"band {low}-{high or ''} is empty or starts below 1")
        if previous_high is None or low <= previous_high:
            raise ValueError(f"band {low}-{high or ''} overlaps the band before it")
        if high is None and n != len(tiers) - 1:
            raise ValueError("only the last band may be open-ended")
        previous_high = high
    return tiers
