"""Every page reachable from the navigation, for every role and signed out, at 1280 and 375 px:
no WCAG 2.2 AA violation that axe-core finds, no page wider than its window, at most seven
top-level sections, and breadcrumbs back from a page below a section."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from procurement.core.navigation import MOST_SECTIONS
from tests.browser.conftest import PASSWORD, axe_violations

ROLES = [None, "admin@demo.londonconnects.example", "agency.lead@demo.londonconnects.example",
         "buyer.camden@demo.londonconnects.example", "supplier.thames@demo.londonconnects.example"]
WIDTHS = (1280, 375)


def _sign_in(page: Any, live: str, email: str) -> None:
    page.goto(f"{live}/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert "/sign-in" not in page.url


def _links(page: Any, selector: str) -> list[str]:
    hrefs = page.eval_on_selector_all(selector, "links => links.map(a => a.href)")
    return [urlsplit(h).path + (f"?{urlsplit(h).query}" if urlsplit(h).query else "") for h in hrefs]


def _too_wide(page: Any) -> int | None:
    width = page.evaluate("document.documentElement.scrollWidth")
    return width if width > page.evaluate("window.innerWidth") else None


@pytest.mark.parametrize("email", ROLES, ids=lambda e: (e or "anonymous").split("@")[0])
def test_every_page_in_the_navigation_fits_the_window_and_passes_axe(live, chromium, email):
    found: dict[str, list[str]] = {}
    for width in WIDTHS:
        context = chromium.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        if email:
            _sign_in(page, live, email)
        page.goto(live + "/")
        sections = _links(page, ".govuk-service-navigation__item a")
        assert len(sections) <= MOST_SECTIONS, sections
        assert bool(sections) == bool(email)
        footer = [p for p in _links(page, ".govuk-footer a") if not p.startswith("/api/")]
        for path in dict.fromkeys(["/", *sections, *footer]):
            response = page.goto(live + path)
            assert response is not None and response.status == 200, (path, response and response.status)
            problems = axe_violations(page)
            wide = _too_wide(page)
            if wide:
                problems.append(f"{wide} px wide in a window of {width} px")
            if problems:
                found[f"{path} at {width} px"] = problems
        context.close()
    assert found == {}


def test_a_page_below_a_section_has_breadcrumbs_back_to_it(live, page):
    _sign_in(page, live, "agency.lead@demo.londonconnects.example")
    page.goto(f"{live}/tenders/3")
    crumbs = page.locator(".govuk-breadcrumbs__link")
    assert crumbs.all_inner_texts() == ["Home", "Joint tenders"]
    with page.expect_navigation():
        crumbs.nth(1).click()
    assert urlsplit(page.url).path == "/tenders/"
    assert page.locator(".govuk-breadcrumbs").count() == 0  # a section's own page needs none
    active = page.locator(".govuk-service-navigation__item--active").all_inner_texts()
    assert [a.strip() for a in active] == ["Joint tenders"]
