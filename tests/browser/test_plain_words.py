"""The Jobs and Audit pages on the demo, in a real browser at a desktop's and a phone's width:
no accessibility violation, nothing wider than the window, and no raw action name or job kind
in sight outside the closed technical disclosures."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations, sign_in_by_keyboard

AGENCY, ADMIN = "agency.lead@demo.londonconnects.example", "admin@demo.londonconnects.example"
RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|\b(award_pack|tender|bid|evaluation|award)\.[a-z_]+\b")
PAGES = [(AGENCY, "/jobs"), (AGENCY, "/jobs?what=award_notice"), (AGENCY, "/jobs?who=nobody"), (ADMIN, "/admin/audit"), (ADMIN, "/admin/audit?what=group:Bids"),
         (ADMIN, "/admin/audit?page=2"), (ADMIN, "/admin/audit?start=40&start=1&start=2026")]


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("email, path", PAGES, ids=[f"{e.split('.')[0].split('@')[0]}-{p}" for e, p in PAGES])
def test_jobs_and_audit_read_in_words_and_fit_the_window(live, page, email, path, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_by_keyboard(page, live, email)
    response = page.goto(live + path)
    assert response is not None and response.status in (200, 400), response and response.status
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(
        "document.documentElement.scrollWidth")
    shown = page.inner_text("main")  # a closed <details> keeps its contents out of innerText
    assert RAW.findall(shown) == [], RAW.findall(shown)[:5]
    assert "award_pack" not in shown and "opened_bid" not in shown and "sweeper" not in shown


def test_the_technical_detail_is_there_for_whoever_must_defend_an_award(live, page, chromium):
    sign_in_by_keyboard(page, live, ADMIN)
    page.goto(f"{live}/admin/audit?what=award_pack.requested")
    assert "asked for the award documents of" in page.inner_text("main")
    page.get_by_text("Technical detail").first.click()
    opened = page.inner_text("main")
    assert "award_pack.requested" in opened and "Digest (SHA-256)" in opened
    page.set_viewport_size({"width": 375, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    context = chromium.new_context()  # the agency in a browser of its own
    agency = context.new_page()
    sign_in_by_keyboard(agency, live, AGENCY)
    agency.goto(f"{live}/jobs")
    assert "Award decision notice for lot 1 of" in agency.inner_text("main")
    agency.get_by_text("Technical detail").first.click()
    assert "Kind as recorded" in agency.inner_text("main")
    context.close()


def test_a_bad_date_is_an_error_that_links_to_its_field(live, page):
    sign_in_by_keyboard(page, live, ADMIN)
    page.goto(f"{live}/admin/audit")
    page.fill("#start-day", "31")
    page.fill("#start-month", "2")
    page.fill("#start-year", "2026")
    with page.expect_navigation():
        page.get_by_role("button", name="Show entries").click()
    summary = page.locator(".govuk-error-summary")
    assert "Enter a real ‘From’ date" in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert axe_violations(page) == []
