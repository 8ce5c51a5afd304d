"""Home pages that say what needs each person, tried by clicking only: the lead asks for the
closed tender's box to be opened from their home page, and the other agency user's home page
then lists the opening waiting for them, linked to where it is confirmed."""
from __future__ import annotations

import re
from typing import Iterator

import pytest

from tests.browser.conftest import axe_violations, demo_app, serve, sign_in_by_keyboard

CLOSED = "Joint network switches and CRM licences"


@pytest.fixture()
def own_demo(tmp_path) -> Iterator[str]:
    """The demo on a server of its own: this test changes it."""
    with serve(demo_app(f"sqlite:///{tmp_path / 'home.db'}", tmp_path, REDIS_URL=None)) as url:
        yield url


def test_the_evaluators_home_page_lists_the_opening_the_lead_requested(own_demo, chromium):
    lead = chromium.new_context().new_page()
    sign_in_by_keyboard(lead, own_demo, "agency.lead@demo.londonconnects.example")
    with lead.expect_navigation():
        lead.get_by_role("link", name=f"Request the opening: {CLOSED}").click()
    _press(lead, re.compile(r"^Request (the )?opening"))
    assert "a second, different agency user must confirm it" in lead.inner_text("main")
    lead.goto(own_demo + "/")
    assert f"Confirm the opening: {CLOSED}" not in lead.inner_text("main")  # never the one who asked

    evaluator = chromium.new_context().new_page()
    sign_in_by_keyboard(evaluator, own_demo, "agency.evaluator@demo.londonconnects.example")
    main = evaluator.inner_text("main")
    assert f"Confirm the opening: {CLOSED}" in main
    assert "the opening was requested by" in main
    assert axe_violations(evaluator) == []
    with evaluator.expect_navigation():
        evaluator.get_by_role("link", name=f"Confirm the opening: {CLOSED}").click()
    _press(evaluator, re.compile(r"^Confirm the opening"))
    assert "opened" in evaluator.inner_text("main").lower()
    evaluator.goto(own_demo + "/")
    assert f"Confirm the opening: {CLOSED}" not in evaluator.inner_text("main")


def _press(page, words: re.Pattern[str]) -> None:
    """Press the button whose name starts with `words`, and on a page that asks to be sure,
    its confirming button too."""
    with page.expect_navigation():
        page.get_by_role("button", name=words).first.click()
    again = page.get_by_role("button", name=words)
    if again.count() and "govuk-button--warning" in (again.first.get_attribute("class") or ""):
        with page.expect_navigation():
            again.first.click()
