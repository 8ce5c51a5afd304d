"""The top-level navigation: at most seven sections for every role, each page under the
section its path belongs to, and breadcrumbs back to it."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from procurement.core.navigation import MOST_SECTIONS, SECTIONS, menu, section_of, sections_for

EVERY_PAGE = frozenset(s.endpoint for s in SECTIONS)


@dataclass
class Person:
    roles: tuple[str, ...]
    organisation_ids: frozenset[int] = frozenset()
    supplier_ids: frozenset[int] = frozenset()
    id: int = 1
    is_authenticated: bool = True
    is_active: bool = True
    extra: dict = field(default_factory=dict)


PEOPLE = {
    "admin": Person(("admin",)),
    "agency": Person(("agency",)),
    "buyer": Person(("buyer",), organisation_ids=frozenset({1})),
    "supplier": Person(("supplier",), supplier_ids=frozenset({1})),
}


def _url(endpoint: str) -> str:
    return {"dashboards.home": "/", "demand.board": "/demand", "tenders.index": "/tenders/",
            "catalogue.search": "/catalogue/", "opportunities.index": "/opportunities/",
            "opportunities.mine": "/opportunities/bids"}.get(endpoint, "/" + endpoint.replace(".", "-"))


@pytest.mark.parametrize("role", list(PEOPLE))
def test_no_role_sees_more_than_seven_sections(role):
    sections = sections_for(PEOPLE[role], EVERY_PAGE)
    assert 1 < len(sections) <= MOST_SECTIONS
    assert sections[0].text == "Home"


def test_each_role_sees_its_own_work_first():
    assert [s.text for s in sections_for(PEOPLE["agency"], EVERY_PAGE)] == [
        "Home", "Demand board", "Joint tenders", "Catalogue", "Savings", "Jobs", "Suppliers"]
    assert [s.text for s in sections_for(PEOPLE["buyer"], EVERY_PAGE)] == [
        "Home", "Requirements", "Orders", "Joint tenders", "Catalogue", "Savings"]
    assert [s.text for s in sections_for(PEOPLE["supplier"], EVERY_PAGE)] == [
        "Home", "Opportunities", "Your bids", "Your offers", "Catalogue"]
    assert "Administration" in [s.text for s in sections_for(PEOPLE["admin"], EVERY_PAGE)]


def test_nobody_signed_out_has_a_menu_and_a_missing_page_is_never_linked():
    assert sections_for(Person((), is_authenticated=False), EVERY_PAGE) == []
    assert "Your bids" not in [s.text for s in sections_for(PEOPLE["supplier"], EVERY_PAGE - {"opportunities.mine"})]


def test_a_page_belongs_to_the_section_with_the_longest_matching_path():
    supplier = sections_for(PEOPLE["supplier"], EVERY_PAGE)
    assert section_of("/opportunities/bids", supplier).text == "Your bids"
    assert section_of("/opportunities/3/bid", supplier).text == "Opportunities"
    assert section_of("/catalogue/my-offers/new", supplier).text == "Your offers"
    assert section_of("/catalogue/items/4", supplier).text == "Catalogue"
    assert section_of("/cpv", supplier).text == "Catalogue"
    assert section_of("/account/tokens", supplier).text == "Home"
    assert section_of("/opportunitiesx", supplier).text == "Home"  # a prefix is a whole path segment
    agency = sections_for(PEOPLE["agency"], EVERY_PAGE)
    assert section_of("/requirements/12", agency).text == "Demand board"


def test_breadcrumbs_lead_home_and_to_the_section_but_not_on_the_sections_own_page():
    agency = PEOPLE["agency"]
    assert menu(agency, "/tenders/", _url, EVERY_PAGE)["breadcrumbs"] == []
    assert menu(agency, "/", _url, EVERY_PAGE)["breadcrumbs"] == []
    assert menu(agency, "/tenders/3", _url, EVERY_PAGE)["breadcrumbs"] == [
        {"text": "Home", "href": "/"}, {"text": "Joint tenders", "href": "/tenders/"}]
    assert menu(agency, "/account/tokens", _url, EVERY_PAGE)["breadcrumbs"] == [{"text": "Home", "href": "/"}]
    items = menu(agency, "/tenders/3", _url, EVERY_PAGE)["items"]
    assert [i["text"] for i in items if i["active"]] == ["Joint tenders"]
