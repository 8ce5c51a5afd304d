from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.prices import PriceUnavailable, quote, unit_price_for

LIST = Decimal("100.00")
BREAKS = [(10, Decimal("90.00")), (50, Decimal("80.00")), (100, Decimal("75.50"))]
TODAY = date(2026, 11, 28)


def test_all_units_pricing_at_each_break():
    assert quote(LIST, BREAKS, 9, TODAY).unit_price == Decimal("100.00")
    assert quote(LIST, BREAKS, 10, TODAY).unit_price == Decimal("90.00")
    assert quote(LIST, BREAKS, 49, TODAY).unit_price == Decimal("90.00")
    priced = quote(LIST, BREAKS, 120, TODAY)
    assert (priced.unit_price, priced.total, priced.break_quantity) == (Decimal("75.50"), Decimal("9060.00"), 100)


def test_totals_are_exact_and_rounded_half_up_to_the_penny():
    assert quote(Decimal("0.335"), [], 1, TODAY).total == Decimal("0.34")
    assert quote(Decimal("19.99"), [], 3, TODAY).total == Decimal("59.97")


def test_validity_dates_and_bad_quantities():
    with pytest.raises(PriceUnavailable, match="valid from"):
        quote(LIST, BREAKS, 5, date(2026, 1, 1), valid_from=date(2026, 4, 1))
    with pytest.raises(PriceUnavailable, match="valid until"):
        quote(LIST, BREAKS, 5, date(2027, 4, 1), valid_to=date(2027, 3, 31))
    assert quote(LIST, BREAKS, 5, date(2027, 3, 31), date(2026, 4, 1), date(2027, 3, 31)).unit_price == LIST
    for bad in (0, -3, True):
        with pytest.raises(PriceUnavailable):
            quote(LIST, BREAKS, bad, TODAY)


@st.composite
def falling_breaks(draw):
    """A list price and breaks whose quantities rise and prices fall."""
    count = draw(st.integers(0, 6))
    quantities = sorted(draw(st.sets(st.integers(2, 10_000), min_size=count, max_size=count)))
    pence = sorted(draw(st.sets(st.integers(1, 10_000_000), min_size=count + 1, max_size=count + 1)), reverse=True)
    list_price = Decimal(pence[0]) / 100
    return list_price, [(q, Decimal(p) / 100) for q, p in zip(quantities, pence[1:])]


@given(falling_breaks(), st.integers(1, 20_000), st.integers(1, 20_000))
def test_the_unit_price_never_rises_with_quantity(offer, a, b):
    list_price, breaks = offer
    low, high = sorted((a, b))
    assert unit_price_for(list_price, breaks, high)[0] <= unit_price_for(list_price, breaks, low)[0]


@given(falling_breaks(), st.integers(1, 20_000))
def test_below_the_first_break_pays_the_list_price(offer, quantity):
    list_price, breaks = offer
    if not breaks or quantity < breaks[0][0]:
        assert quote(list_price, breaks, quantity, TODAY).unit_price == list_price


@given(falling_breaks(), st.integers(1, 20_000))
def test_total_is_unit_price_times_quantity(offer, quantity):
    list_price, breaks = offer
    priced = quote(list_price, breaks, quantity, TODAY)
    assert priced.total == (priced.unit_price * quantity).quantize(Decimal("0.01"))
    assert isinstance(priced.total, Decimal)
