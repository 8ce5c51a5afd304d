"""Validation rules for catalogue data: GTIN check digits, part numbers, price breaks, money,
dates. Pure functions, fast enough to run on every row of a million-row import."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

MAX_PRICE = Decimal("9999999999.99")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def gtin_is_valid(gtin: str) -> bool:
    """GS1 GTIN-8, -12, -13 or -14 with a correct mod-10 check digit."""
    if len(gtin) not in (8, 12, 13, 14) or not gtin.isdecimal():
        return False
    digits = [ord(c) - 48 for c in gtin]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def part_number_key(part_number: str) -> str:
    """A manufacturer part number normalised for matching: upper case, letters and digits only."""
    return _NOT_ALNUM.sub("", part_number.upper())


def parse_money(text: str) -> Decimal:
    """A positive amount in pounds with at most two decimal places ('£1,234.50' is accepted)."""
    cleaned = text.strip().replace(",", "").removeprefix("£")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("must be an amount in pounds, like 450.00") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError("must be a positive amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("must have at most two decimal places (whole pence)")
    if amount > MAX_PRICE:
        raise ValueError("is too large")
    return amount.quantize(Decimal("0.01"))


def parse_vat_rate(text: str) -> Decimal:
    try:
        rate = Decimal(text.strip().removesuffix("%") or "20")
    except InvalidOperation:
        raise ValueError("must be a percentage, like 20") from None
    if not rate.is_finite() or rate < 0 or rate > 100 or rate != rate.quantize(Decimal("0.01")):
        raise ValueError("must be a percentage from 0 to 100")
    return rate.quantize(Decimal("0.01"))


def parse_breaks(text: str, list_price: Decimal | None) -> list[tuple[int, Decimal]]:
    """'10:450.00; 50:430.00' -> [(10, 450.00), (50, 430.00)].

    Quantities must be whole, above 1 and strictly increasing (no overlap); each break's price
    must be below the list price and below the break before it (prices never rise with volume).
    """
    text = text.strip()
    if not text:
        return []
    breaks: list[tuple[int, Decimal]] = []
    for part in re.split(r"[;|]", text):
        if not part.strip():
            continue
        quantity_text, sep, price_text = part.partition(":")
        if not sep:
            raise ValueError(f"'{part.strip()}' must be quantity:price, like 10:450.00")
        try:
            quantity = int(quantity_text.strip())
        except ValueError:
            raise ValueError(f"'{quantity_text.strip()}' is not a whole quantity") from None
        if quantity < 2:
            raise ValueError("break quantities must be 2 or more")
        try:
            price = parse_money(price_text)
        except ValueError as exc:
            raise ValueError(f"price for {quantity} {exc}") from None
        if breaks and quantity <= breaks[-1][0]:
            raise ValueError(f"break quantities overlap or are out of order at {quantity}")
        previous = breaks[-1][1] if breaks else list_price
        if previous is not None and price >= previous:
            raise ValueError(f"the price at {quantity} must be lower than the price before it")
        breaks.append((quantity, price))
    return breaks


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("must be a date like 2026-04-01") from None


def parse_cpv(text: str, known: set[str] | frozenset[str], check_digits: dict[str, str] | None = None) -> str:
    """'30213100' or '30213100-6' -> '30213100', if it is a CPV 2008 code."""
    code, _, check = text.strip().partition("-")
    if len(code) != 8 or not code.isdecimal() or code not in known:
        raise ValueError(f"'{text.strip()}' is not a CPV 2008 code")
    if check and check_digits is not None and check_digits.get(code) != check:
        raise ValueError(f"'{text.strip()}' has the wrong check digit")
    return code


def cpv_prefix(code: str) -> str:
    """The significant digits of a CPV code: 30210000 -> 3021 (so it covers 30213100)."""
    stripped = code.rstrip("0")
    return code[: max(2, len(stripped))]


def cpv_matches(interest: str, code: str) -> bool:
    """Whether a CPV code lies in a supplier's interest: it is the interest's code or below it
    (CPV codes nest by their trailing zeros: 30200000 covers every 302xxxxx). A check digit
    ("30213100-6") is ignored; an interest that is not a code matches nothing."""
    wanted, given = (interest or "").split("-")[0].strip(), (code or "").split("-")[0].strip()
    if not (len(wanted) == 8 and wanted.isdecimal() and len(given) == 8 and given.isdecimal()):
        return False
    return given.startswith(cpv_prefix(wanted))


# An offer says its condition only in its words (title and description): "Refurbished ThinkPad
# T14". A catalogue item is new unless its name or key attributes say otherwise.
_NOT_NEW = re.compile(r"\b(refurbished|refurb|reconditioned|remanufactured|renewed|second[- ]hand|pre-owned|used)\b",
                      re.IGNORECASE)


def condition_of(*texts: str) -> str:
    """'refurbished' when any of the texts says the thing is not new (refurbished,
    reconditioned, remanufactured, second-hand, pre-owned, used), else 'new'."""
    return "refurbished" if any(_NOT_NEW.search(text or "") for text in texts) else "new"
