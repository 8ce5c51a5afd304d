"""The pure rules of joining: Companies House numbers, company names compared, London's
partnerships chosen, email domains written one way."""
from __future__ import annotations

import pytest

from procurement.parties.joining import normalise_domain
from suppliers.companies_house import comparable_name
from suppliers.interests import parse_regions
from suppliers.joining import company_number_problem, normalise_company_number


@pytest.mark.parametrize("given, number, valid", [
    ("01234567", "01234567", True),
    ("1234567", "01234567", True),
    (" 12 34 ", "00001234", True),
    ("sc123456", "SC123456", True),
    ("SC 123456", "SC123456", True),
    ("S1234567", "S1234567", False),
    ("SC12345", "SC12345", False),
    ("123456789", "123456789", False),
    ("", "", False),
])
def test_company_numbers_are_normalised_then_checked(given, number, valid):
    assert normalise_company_number(given) == number
    assert (company_number_problem(number) is None) is valid


def test_company_names_compare_without_case_punctuation_or_suffix():
    assert comparable_name("The Riverside Laptops, Ltd.") == comparable_name("RIVERSIDE LAPTOPS LIMITED")
    assert comparable_name("Kiosk & Access Ltd") == "kiosk and access"


def test_regions_are_london_partnerships_in_their_order():
    assert parse_regions(["west", "north", "west"]) == (["north", "west"], [])
    assert parse_regions([]) == ([], [])
    assert parse_regions(["mars"])[1] != []


@pytest.mark.parametrize("given, domain", [(" @Camden.GOV.uk. ", "camden.gov.uk"), ("", "")])
def test_domains_are_written_one_way(given, domain):
    assert normalise_domain(given) == domain
