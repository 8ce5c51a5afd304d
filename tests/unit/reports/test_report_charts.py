"""The savings chart's axes: a single order is shown in a month around its day, from £0."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reports.savings import cumulative_limits


def test_a_single_point_sits_in_a_month_from_nothing_saved():
    (first, last), (low, high) = cumulative_limits([(date(2027, 3, 20), Decimal("2600.00"))])
    assert (first, last) == (date(2027, 3, 5), date(2027, 4, 4))
    assert low == 0.0 and high == pytest.approx(2860.0)


def test_a_year_of_points_has_a_margin_of_a_twentieth():
    points = [(date(2026, 1, 1), Decimal("100")), (date(2026, 12, 27), Decimal("-50")), (date(2026, 12, 31), Decimal("400"))]
    (first, last), (low, high) = cumulative_limits(points)
    assert (date(2026, 1, 1) - first).days == 18 and (last - date(2026, 12, 31)).days == 18
    assert (low, high) == (pytest.approx(-55.0), pytest.approx(440.0))
