"""Offer prices: all-units volume breaks and validity dates. Pure functions of plain values."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence
from procurement.core.money import PENNY



class PriceUnavailable(ValueError):
    """The offer has no price on that date, or the quantity is not a positive whole number."""


@dataclass(frozen=True)
class Quote:
    quantity: int
    unit_price: Decimal
    total: Decimal
    break_quantity: int | None  # the break that set the price; None for the list price


def unit_price_for(list_price: Decimal, breaks: Sequence[tuple[int, Decimal]], quantity: int) -> tuple[Decimal, int | None]:
    """All-units pricing: the whole quantity pays the price of the largest break it reaches;
    below the first break it pays the list price."""
    price, reached = list_price, None
    for min_quantity, break_price in sorted(breaks):
        if quantity >= min_quantity:
            price, reached = break_price, min_quantity
    return price, reached


def quote(
    list_price: Decimal,
    breaks: Sequence[tuple[int, Decimal]],
    quantity: int,
    on: date,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Quote:
    """Unit price and total (rounded half-up to the penny) for `quantity` on date `on`."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise PriceUnavailable("the quantity must be a whole number of at least 1")
    if valid_from is not None and on < valid_from:
        raise PriceUnavailable(f"the price is valid from {valid_from.isoformat()}")
    if valid_to is not None and on > valid_to:
        raise PriceUnavailable(f"the price was valid until {valid_to.isoformat()}")
    unit, reached = unit_price_for(list_price, breaks, quantity)
    return Quote(quantity, unit, (unit * quantity).quantize(PENNY, ROUND_HALF_UP), reached)


def breaks_from_json(raw: Sequence[Sequence[object]] | None) -> list[tuple[int, Decimal]]:
    return [(int(q), Decimal(str(p))) for q, p in (raw or [])]  # type: ignore[call-overload]


def breaks_to_json(breaks: Sequence[tuple[int, Decimal]]) -> list[list[object]]:
    return [[q, str(p)] for q, p in breaks]
