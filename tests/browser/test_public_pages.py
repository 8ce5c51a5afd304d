"""The public pages in Chromium, signed out: a reader searches the notices with the GOV.UK date
input, opens a notice and downloads its OCDS release package; every public page passes axe
(WCAG 2.2 AA), reads right and is no wider than the screen at 375 and 1280 pixels."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import axe_violations, sign_in_by_keyboard
from tests.browser.test_crawl import problems_in

PAGES = ["/notices", "/notices?keywords=laptop&status=open", "/notices?value_min=lots&cpv=12a",
         "/notices?keywords=nothing-matches-this", "/notices/ocds-ljp000-1", "/notices/ocds-ljp000-2",
         "/notices/ocds-ljp000-3", "/register", "/accessibility", "/privacy", "/cookies", "/contact"]


def test_a_reader_searches_opens_a_notice_and_downloads_its_open_data(live, page):
    page.goto(f"{live}/notices")
    page.fill("#keywords", "licences")
    page.check("input[name='status'][value='awarded']")
    for part, value in (("day", "1"), ("month", "1"), ("year", "2026")):
        page.fill(f"#closing_from-{part}", value)
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    assert "1 notice found" in page.inner_text("main")
    assert page.input_value("#closing_from-year") == "2026" and page.is_checked("input[name='status'][value='awarded']")
    with page.expect_navigation():
        page.get_by_role("link", name="Joint contact-centre seats and GIS licences").click()
    main = page.inner_text("main")
    assert "Award decision" in main and "Borough CRM Solutions Ltd" in main and "Buyers taking part" in main
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the release package (JSON)").click()
    package = json.loads(Path(download.value.path()).read_text())
    assert download.value.suggested_filename == "ocds-ljp000-1-release-package.json"
    assert {r["ocid"] for r in package["releases"]} == {"ocds-ljp000-1"}


def test_a_bad_filter_is_shown_on_its_field(live, page):
    page.goto(f"{live}/notices")
    for part, value in (("day", "31"), ("month", "2"), ("year", "2027")):
        page.fill(f"#closing_to-{part}", value)
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    summary = page.inner_text(".govuk-error-summary")
    assert "Closing date to must be a real date" in summary
    page.get_by_role("link", name="Closing date to must be a real date, for example 27 3 2027").click()
    assert axe_violations(page) == []


@pytest.mark.parametrize("email", [None, "supplier.thames@demo.londonconnects.example"],
                         ids=["anonymous", "supplier"])
def test_every_public_page_is_accessible_and_fits_the_screen(live, chromium, email):
    found, problems = {}, {}
    for width in (375, 1280):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        if email:
            sign_in_by_keyboard(page, live, email)
        for path in PAGES:
            response = page.goto(live + path)
            assert response is not None and response.status in (200, 400), (path, response and response.status)
            fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            if not fits:
                found.setdefault(path, []).append(f"wider than {width} px")
            if width == 1280:
                violations = axe_violations(page)
                if violations:
                    found.setdefault(path, []).extend(violations)
                wrong = problems_in(page.inner_text("main"))
                if wrong:
                    problems[path] = wrong
        context.close()
    assert found == {} and problems == {}


def test_how_to_bid_leads_a_supplier_to_the_opportunity(live, page):
    page.goto(f"{live}/notices/ocds-ljp000-3")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in as a supplier").click()
    assert "/sign-in" in page.url
    page.fill("#email", "supplier.thames@demo.londonconnects.example")
    page.fill("#password", "london-demo-2026")
    with page.expect_navigation():
        page.press("#password", "Enter")
    assert page.url.endswith("/opportunities/3")
