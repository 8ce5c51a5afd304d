"""The rules of requirements and of pooled demand, as plain functions of plain values."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable, Sequence

from catalogue.prices import unit_price_for
from demand.models import RequirementStatus as S
from demand.thresholds import Threshold, threshold_for
from procurement.core.money import PENNY, percent_of
from procurement.core.states import Transitions

STANDARD_VAT = Decimal("20")
MAX_QUANTITY = Decimal("10000000")

# Who may move a requirement where. The agency's moves (pool, commit, award...) come from the
# tender flow; a buyer's are these.
BUYER_EDITABLE = frozenset({S.draft, S.submitted})
BUYER_WITHDRAWABLE = frozenset({S.draft, S.submitted, S.pooled})
AGENCY_WITHDRAWABLE = frozenset({S.committed})
AGENCY_CANCELLABLE = frozenset({S.draft, S.submitted, S.pooled, S.committed})
TRANSITIONS: Transitions[S] = Transitions({
    S.draft: frozenset({S.submitted, S.withdrawn, S.cancelled}),
    S.submitted: frozenset({S.pooled, S.withdrawn, S.cancelled}),
    S.pooled: frozenset({S.committed, S.submitted, S.withdrawn, S.cancelled}),
    S.committed: frozenset({S.awarded, S.withdrawn, S.cancelled}),
    S.awarded: frozenset({S.fulfilled}),
    S.fulfilled: frozenset(),
    S.withdrawn: frozenset(),
    S.cancelled: frozenset(),
})



# Units that are measured rather than counted may have fractional quantities.
MEASURED_UNITS = frozenset({
    "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years",
    "metre", "metres", "meter", "meters", "m", "km", "kg", "kilogram", "kilograms", "tonne", "tonnes",
    "litre", "litres", "gb", "tb", "square metre", "square metres", "m2",
})


def is_countable(unit: str) -> bool:
    """A unit counted in whole things (each, licence, seat, 'user per year'...), unless it is
    a measure such as hours, days or metres."""
    return unit.strip().lower() not in MEASURED_UNITS


def parse_quantity(raw: object, unit: str) -> Decimal:
    """A positive quantity, whole for countable units, at most 3 decimal places."""
    text = str(raw).strip().replace(",", "") if raw is not None else ""
    if not text:
        raise ValueError("Enter a quantity")
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number") from None
    if not quantity.is_finite() or quantity <= 0:
        raise ValueError("must be more than 0")
    if quantity > MAX_QUANTITY:
        raise ValueError(f"must be at most {MAX_QUANTITY:,}")
    if quantity != quantity.quantize(Decimal("0.001")):
        raise ValueError("may have at most 3 decimal places")
    if is_countable(unit) and quantity != quantity.to_integral_value():
        raise ValueError(f"must be a whole number of '{unit.strip() or 'each'}'")
    return quantity.quantize(Decimal("0.001"))


def quantity_text(quantity: Decimal) -> str:
    """120.000 -> '120', 2.500 -> '2.5': as people write quantities."""
    return format(quantity.normalize(), "f") if quantity == quantity else str(quantity)


def quantity_with_unit(quantity: Decimal, unit: str) -> str:
    """A quantity with its unit as people write it: '285 seats per year', '1 system', '40 each',
    '2.5 hours' (thousands separated)."""
    text = quantity_text(quantity)
    whole, _, fraction = text.partition(".")
    number = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    unit = (unit or "").strip()
    if not unit:
        return number
    first, space, rest = unit.partition(" ")
    if quantity != 1 and first[:1].isalpha() and first.lower() not in ("each", "of") and not first.endswith("s"):
        first = plural(first)
    return f"{number} {first}{space}{rest}"


def plural(word: str) -> str:
    """The plural of a unit's noun: seat -> seats, box -> boxes, copy -> copies."""
    if word.endswith(("x", "ch", "sh", "z")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def check_needed_by(needed_by: date, today: date) -> None:
    if needed_by < today:
        raise ValueError("must be today or later")


# The CPV depths the demand board groups by, with the digits that fix each.
DEPTHS = {"division": 2, "group": 3, "class": 4, "category": 5}


def cpv_group(code: str, depth: str) -> str:
    """The CPV code of `code`'s branch at `depth`: 30213100 at class -> 30210000."""
    digits = DEPTHS[depth]
    return code[:digits].ljust(8, "0")


def money(amount: Decimal) -> Decimal:
    return amount.quantize(PENNY, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class PoolLine:
    organisation_id: int
    quantity: Decimal
    baseline_unit_price: Decimal


@dataclass(slots=True)
class PoolTotals:
    """What a group of requirement lines adds up to."""

    lines: int = 0
    organisation_ids: set[int] = field(default_factory=set)
    quantity: Decimal = Decimal(0)
    baseline_spend: Decimal = Decimal(0)  # exact: sum of quantity x unit price, not rounded

    def add(self, line: PoolLine) -> None:
        self.lines += 1
        self.organisation_ids.add(line.organisation_id)
        self.quantity += line.quantity
        self.baseline_spend += line.quantity * line.baseline_unit_price


def totals(lines: Iterable[PoolLine]) -> PoolTotals:
    result = PoolTotals()
    for line in lines:
        result.add(line)
    return result


@dataclass(frozen=True, slots=True)
class OfferPrice:
    """What the estimate needs of a published offer."""

    offer_id: int
    list_price: Decimal
    breaks: Sequence[tuple[int, Decimal]]
    vat_rate: Decimal = STANDARD_VAT
    valid_from: date | None = None
    valid_to: date | None = None
    condition: str = "new"  # catalogue.rules.condition_of the offer's words


def like_for_like(offers: Iterable[OfferPrice], condition: str) -> list[OfferPrice]:
    """The offers of the item's own condition: a refurbished laptop's price is no saving to a
    buyer who pays for new ones (nor a new one's to a buyer of refurbished ones)."""
    return [offer for offer in offers if offer.condition == condition]


@dataclass(frozen=True, slots=True)
class JointPrice:
    unit_price: Decimal
    offer_id: int
    break_quantity: int | None
    vat_rate: Decimal


def joint_unit_price(offers: Iterable[OfferPrice], quantity: Decimal, on: date) -> JointPrice | None:
    """The best price break reachable at `quantity` among offers valid on `on` (all-units:
    the whole quantity pays the price of the largest break it reaches). Ties: lowest offer id."""
    best: JointPrice | None = None
    for offer in sorted(offers, key=lambda o: o.offer_id):
        if (offer.valid_from and on < offer.valid_from) or (offer.valid_to and on > offer.valid_to):
            continue
        price, reached = unit_price_for(offer.list_price, offer.breaks, quantity)  # type: ignore[arg-type]
        if best is None or price < best.unit_price:
            best = JointPrice(price, offer.offer_id, reached, offer.vat_rate)
    return best


@dataclass(frozen=True, slots=True)
class Estimate:
    baseline_spend: Decimal             # to the penny
    joint_unit_price: Decimal | None
    joint_spend: Decimal | None
    saving: Decimal | None              # baseline spend - joint spend (negative: dearer)
    saving_percent: Decimal | None      # of the baseline spend, to 0.1
    value_inc_vat: Decimal              # the pooled value to compare with the threshold
    threshold: Threshold | None
    above_threshold: bool | None
    best_offer_id: int | None = None


def estimate(pool: PoolTotals, offers: Iterable[OfferPrice], on: date, authority_class: str = "sub_central",
             condition: str = "new") -> Estimate:
    """The saving a pool could make at the catalogue's prices of offers like the item (of its
    condition), and its value against the procurement threshold in force on `on`. Without
    such a price the value is the baseline spend."""
    baseline = money(pool.baseline_spend)
    offers = like_for_like(offers, condition)
    joint = joint_unit_price(offers, pool.quantity, on) if pool.quantity > 0 else None
    if joint is None:
        joint_spend = saving = percent = None
        value_ex_vat, vat = pool.baseline_spend, STANDARD_VAT
    else:
        joint_spend = money(joint.unit_price * pool.quantity)
        saving = baseline - joint_spend
        percent = percent_of(saving, baseline)
        value_ex_vat, vat = joint.unit_price * pool.quantity, joint.vat_rate
    value_inc_vat = money(value_ex_vat * (1 + vat / 100))
    threshold = threshold_for(authority_class, on)
    return Estimate(
        baseline_spend=baseline, joint_unit_price=joint.unit_price if joint else None, joint_spend=joint_spend,
        saving=saving, saving_percent=percent, value_inc_vat=value_inc_vat, threshold=threshold,
        above_threshold=None if threshold is None else value_inc_vat >= threshold.amount_inc_vat,
        best_offer_id=joint.offer_id if joint else None,
    )


# Which threshold applies to an organisation. Every kind of body on the platform is a
# sub-central authority (local government, police, fire, NHS trusts, TfL, housing
# associations...); central government departments would take the lower threshold.
CENTRAL_KINDS: frozenset[str] = frozenset()


def authority_class(kinds: Iterable[str]) -> str:
    """A pool takes the strictest (lowest) threshold of the bodies in it."""
    return "central" if any(kind in CENTRAL_KINDS for kind in kinds) else "sub_central"


# Everyday words the CPV vocabulary says otherwise: its words for them.
CPV_EVERYDAY_WORDS = {
    "laptop": "portable computer",
    "notebook computer": "portable computer",
    "pc": "personal computer",
    "mobile phone": "mobile telephone",
    "phone": "telephone",
}


def cpv_search_words(query: str) -> list[str]:
    """The word stems a CPV description must all contain to match `query`, everyday words
    put as the vocabulary says them: 'Laptops' -> ['portable', 'computer']."""
    text = " ".join(query.lower().split())
    for everyday, vocabulary in sorted(CPV_EVERYDAY_WORDS.items(), key=lambda pair: -len(pair[0])):
        text = re.sub(rf"\b{re.escape(everyday)}s?\b", vocabulary, text)
    stems = []
    for word in re.findall(r"[a-z0-9]+", text):
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3]  # batteries -> batter, in 'battery' and 'batteries' alike
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if word not in stems:
            stems.append(word)
    return stems


# A requirement's status in plain words, as its tag shows it.
STATUS_WORDS = {
    S.draft: "Draft",
    S.submitted: "Submitted",
    S.pooled: "Pooled",
    S.committed: "Committed",
    S.awarded: "Awarded",
    S.fulfilled: "Delivered",
    S.withdrawn: "Withdrawn",
    S.cancelled: "Cancelled",
}


def status_words(status: S) -> str:
    return STATUS_WORDS.get(status, status.value.capitalize())


# What the tenders domain records as a requirement's move (tenders/forming/pooling.py,
# tenders/award/evaluation.py), said as a sentence to its buyers.
_MOVES = (
    (re.compile(r"confirmed into tender (?P<ref>\S+?)(?:, lot (?P<lot>\d+))?$"), "Committed to joint tender {ref}{lot}"),
    (re.compile(r"in draft tender (?P<ref>\S+)$"), "In draft joint tender {ref}: confirm it or decline it"),
    (re.compile(r"declined for tender (?P<ref>\S+)$"), "Declined for joint tender {ref}: back with the e-agency to pool"),
    (re.compile(r"not confirmed for tender (?P<ref>\S+) by (?P<by>\d{4}-\d\d-\d\d)$"),
     "Not confirmed for joint tender {ref} by {by}: back with the e-agency to pool"),
    (re.compile(r"order (?P<ref>\S+)$"), "Awarded: bought under order {ref}"),
)


def status_sentence(reason: str) -> str:
    """The reason recorded with a requirement's last move, as a sentence: 'confirmed into
    tender LC-2026-0001' -> 'Committed to joint tender LC-2026-0001'. Any other reason (the
    agency's, when it withdraws or cancels) is shown as written."""
    for pattern, words in _MOVES:
        found = pattern.match(reason.strip())
        if found:
            parts = found.groupdict()
            by = parts.get("by")
            return words.format(ref=parts["ref"], lot=f", lot {parts['lot']}" if parts.get("lot") else "",
                                by=f"{date.fromisoformat(by).day} {date.fromisoformat(by):%B %Y}" if by else "")
    return reason.strip()


# Who raised a requirement, when it was not a person: the labels the code gives its system
# actors (dashboards/plain_words.py says the same for the activity pages, a floor above).
SYSTEM_ACTORS = {"seed-demo": "the demo set-up", "anonymous": "someone not signed in", "clock": "the service's clock",
                 "schedule": "the service's schedule", "cli": "an administrator at the command line"}


def actor_words(label: str) -> str:
    """A system actor's label in words, after 'by'; a person whose account is gone by the
    email they had."""
    if label in SYSTEM_ACTORS:
        return SYSTEM_ACTORS[label]
    if label.startswith("flask "):
        return SYSTEM_ACTORS["cli"]
    return label if "@" in label else "the service"
