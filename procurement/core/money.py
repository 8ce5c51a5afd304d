"""Money and percentages, one way everywhere: pounds to the penny (half up), percentages to a
tenth (half up). Plain functions of Decimals."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
TENTH = Decimal("0.1")
MOST = Decimal("999999999999.99")  # the largest amount a money column (NUMERIC(14, 2)) holds


def pennies(amount: Decimal) -> Decimal:
    return amount.quantize(PENNY, ROUND_HALF_UP)


def in_pennies(amount: Decimal) -> bool:
    """Whether an amount is a whole number of pennies (no fraction of a penny)."""
    return amount.is_finite() and amount == amount.quantize(PENNY)


def percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part` as a percentage of `whole`, to a tenth; None when there is no whole."""
    return (part * 100 / whole).quantize(TENTH, ROUND_HALF_UP) if whole else None
