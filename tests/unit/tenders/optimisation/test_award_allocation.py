"""A split lot's lines shared among its suppliers: each line in proportion, whole units where the
lines are whole, and each supplier's lines adding up to its share (checked against brute force
sums on awkward cases)."""
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tenders.award.record import Part, _split


@pytest.mark.parametrize("quantities, shares, expected", [
    ([1] * 10, [60, 40], {0: 6, 1: 4}),        # one-unit lines: rounding each line alone gave 10 and 0
    ([5, 5, 5], [8, 7], {0: 8, 1: 7}),         # each line alone rounds to 3/2: 9 and 6
    ([60, 90], [100, 50], {0: 100, 1: 50}),
    ([7, 3, 11], [33.3, 33.3, 33.4], {0: 7, 1: 7, 2: 7}),
])
def test_each_supplier_gets_its_share_and_each_line_is_whole(quantities, shares, expected):
    lines = [SimpleNamespace(quantity=Decimal(q)) for q in quantities]
    parts = [Part(n, n, Decimal(str(s)), {}) for n, s in enumerate(shares)]
    per_bid: dict[int, Decimal] = {}
    per_line: dict[int, Decimal] = {}
    for line, bid, quantity in _split(lines, parts):
        assert quantity == quantity.to_integral_value() and quantity >= 0
        per_bid[bid] = per_bid.get(bid, Decimal(0)) + quantity
        per_line[id(line)] = per_line.get(id(line), Decimal(0)) + quantity
    assert per_bid == {bid: Decimal(q) for bid, q in expected.items()}
    assert all(per_line[id(line)] == line.quantity for line in lines)


def test_one_supplier_takes_every_line_whole():
    lines = [SimpleNamespace(quantity=Decimal("2.5")), SimpleNamespace(quantity=Decimal(4))]
    assert [(q) for _, _, q in _split(lines, [Part(7, 1, Decimal(100), {})])] == [Decimal("2.5"), Decimal(4)]
