"""Quantities with their units as people write them."""
from decimal import Decimal

import pytest

from demand.rules import plural, quantity_with_unit


@pytest.mark.parametrize("quantity, unit, expected", [
    ("285.000", "seat per year", "285 seats per year"),
    ("1", "system", "1 system"),
    ("2", "system", "2 systems"),
    ("4000", "employee per year", "4,000 employees per year"),
    ("125", "each", "125 each"),
    ("2.500", "hours", "2.5 hours"),
    ("100", "% of the lot", "100 % of the lot"),
    ("12", "box", "12 boxes"),
    ("3", "copy", "3 copies"),
    ("3", "", "3"),
])
def test_a_quantity_reads_with_its_unit(quantity, unit, expected):
    assert quantity_with_unit(Decimal(quantity), unit) == expected


def test_plurals():
    assert [plural(w) for w in ("seat", "licence", "switch", "day", "copy")] == ["seats", "licences", "switches", "days", "copies"]
