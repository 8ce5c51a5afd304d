"""The tender builder in Chromium: the demo's draft tender (4) as a GOV.UK task list, each task's
page reached from it, at a desktop's width and a phone's; axe-core finds nothing and no page is
wider than the window. The other tenders' pages and their confirmation pages likewise."""
from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, sign_in_by_keyboard

AGENCY = "agency.lead@demo.londonconnects.example"
TASKS = ["Details and timeline", "Quality criteria and weights", "Tender documents", "Buyers' confirmation of their lines"]
WIDER = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.mark.parametrize("width", [1280, 375])
def test_the_draft_tenders_task_list_at_each_width(live, chromium, width):
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in_by_keyboard(page, live, AGENCY)
        page.goto(f"{live}/tenders/4")
        main = page.inner_text("main")
        assert "Next: buyers confirm their lines by" in main and "(0 of 3 confirmed)" in main
        items = page.locator(".govuk-task-list__item")
        assert items.count() == 7
        statuses = [s.strip() for s in page.locator(".govuk-task-list__status").all_inner_texts()]
        assert statuses == ["Not started", "Cannot start yet", "Not started", "Not started", "Completed",
                            "Not started", "Cannot start yet"]
        # Publish is not a link until every other task is completed; nothing is a primary act yet.
        assert page.get_by_role("link", name="Check and publish").count() == 0
        assert page.locator("main .govuk-button").count() == 0
        found = {"/tenders/4": axe_violations(page)}
        wider = {"/tenders/4": page.evaluate(WIDER)}
        for name in TASKS:
            page.goto(f"{live}/tenders/4")
            with page.expect_navigation():
                page.get_by_role("link", name=name).click()
            assert page.locator("h1").inner_text() == name
            path = page.url.removeprefix(live)
            found[path], wider[path] = axe_violations(page), page.evaluate(WIDER)
        # Closing the confirmation early is refused while buyers may still answer; the page says why.
        assert "Buyers have until" in page.inner_text("main")
        assert page.get_by_role("button", name="Close the confirmation").count() == 0
        for path in ("/tenders/4/abandon", "/tenders/3/cancel", "/tenders/3", "/tenders/2", "/tenders/1", "/tenders/",
                     "/tenders/1/evaluation", "/tenders/2/evaluation", "/tenders/4/conflicts", "/tenders/1/conflicts"):
            response = page.goto(live + path)
            assert response is not None and response.status == 200, path
            found[path], wider[path] = axe_violations(page), page.evaluate(WIDER)
        assert {p: v for p, v in found.items() if v} == {}
        assert {p: w for p, w in wider.items() if w > 0} == {}
    finally:
        context.close()


def test_the_confirmation_pages_warn_and_go_back(live, chromium):
    context = chromium.new_context(viewport={"width": 375, "height": 900})
    page = context.new_page()
    try:
        sign_in_by_keyboard(page, live, AGENCY)
        page.goto(f"{live}/tenders/3")
        with page.expect_navigation():
            page.get_by_role("link", name="Cancel this tender").click()
        assert "This cannot be undone" in page.inner_text("main")
        assert page.locator("main .govuk-button--warning").count() == 1
        with page.expect_navigation():
            page.get_by_role("link", name="No, go back").click()
        assert page.url == f"{live}/tenders/3" and "Open for bids" in page.inner_text("main")
    finally:
        context.close()
