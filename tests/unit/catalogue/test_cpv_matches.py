"""A supplier's CPV interest covers its own code and every code below it, by trailing zeros."""
import pytest

from catalogue.rules import cpv_matches


@pytest.mark.parametrize("interest, code", [
    ("30200000", "30200000"),   # the interest itself
    ("30200000", "30213100"),   # a laptop, below computer equipment
    ("30000000", "30213100"),   # a division covers all of it
    ("30213100", "30213100-6"), # a check digit is ignored
    ("48000000", "48445000"),   # CRM software, below software packages
])
def test_a_code_in_the_interest_matches(interest: str, code: str) -> None:
    assert cpv_matches(interest, code)


@pytest.mark.parametrize("interest, code", [
    ("30213100", "30200000"),   # the broader code is not within the narrower interest
    ("30200000", "30100000"),   # a sibling branch
    ("30213100", "30213200"),   # a sibling at the same level
    ("32000000", "30213100"),   # another division
    ("", "30213100"),           # no interest
    ("3020", "30213100"),       # not an 8-digit code
    ("30200000", "laptops"),
])
def test_a_code_outside_the_interest_does_not(interest: str, code: str) -> None:
    assert not cpv_matches(interest, code)
