"""What the public is told of a tender's state, and amounts as people type them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from wtforms.validators import ValidationError

from opendata.forms import pounds
from opendata.notices import public_status
from tenders.models import TenderStatus

NOON = datetime(2027, 2, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("status, deadline, told", [
    (TenderStatus.published, NOON + timedelta(seconds=1), "open"),
    (TenderStatus.published, NOON, "closed"),  # at the deadline, by the server's clock
    (TenderStatus.published, None, "open"),
    (TenderStatus.closed, None, "closed"),
    (TenderStatus.opened, None, "closed"),
    (TenderStatus.evaluation, None, "closed"),
    (TenderStatus.award_proposed, None, "closed"),  # a proposal is not published
    (TenderStatus.unsuccessful, None, "closed"),
    (TenderStatus.standstill, None, "awarded"),
    (TenderStatus.awarded, None, "awarded"),
    (TenderStatus.complete, None, "awarded"),
    (TenderStatus.cancelled, None, "cancelled"),
])
def test_public_status(status, deadline, told):
    assert public_status(status, deadline, NOON) == told


@pytest.mark.parametrize("text, amount", [
    ("", None), ("50000", Decimal("50000")), ("£1,250,000", Decimal("1250000")), (" £ 99.5 ", Decimal("99.5")),
    ("0.01", Decimal("0.01")), ("999999999999", Decimal("999999999999")),
])
def test_pounds(text, amount):
    assert pounds(text, "Minimum value") == amount


@pytest.mark.parametrize("text", ["lots", "1e6", "-5", "1,00", "12.345", "NaN", "£", "1" * 21, "1000000000000"])
def test_pounds_refused_names_the_field(text):
    with pytest.raises(ValidationError, match="^Minimum value must"):
        pounds(text, "Minimum value")
