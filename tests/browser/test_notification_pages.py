"""The notifications page, the email choices and the development outbox, as each role sees
them in Chromium at 1280 and 375 px: reachable from the header, no wider than the window, and
passing axe (WCAG 2.2 AA)."""
from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import PASSWORD, axe_violations

ROLES = ["agency.lead", "buyer.camden", "supplier.crm", "admin"]
PAGES = ["/notifications", "/account/notifications", "/dev/outbox"]


def _sign_in(page: Any, live: str, email: str) -> None:
    page.goto(f"{live}/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert "/sign-in" not in page.url


@pytest.mark.parametrize("who", ROLES)
def test_the_notification_pages_fit_and_pass_axe(live, chromium, who):
    found: dict[str, list[str]] = {}
    for width in (1280, 375):
        context = chromium.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        _sign_in(page, live, f"{who}@demo.londonconnects.example")
        page.goto(live + "/")
        with page.expect_navigation():
            page.click("header a:has-text('Notifications')")  # the header leads there
        assert page.url.endswith("/notifications")
        for path in PAGES:
            response = page.goto(live + path)
            assert response is not None and response.status == 200, path
            problems = axe_violations(page)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(f"{scroll} px wide in a window of {width} px")
            if problems:
                found[f"{path} at {width} px"] = problems
        context.close()
    assert found == {}


def test_choosing_a_digest_is_kept(live, page):
    _sign_in(page, live, "supplier.thames@demo.londonconnects.example")
    page.goto(f"{live}/account/notifications")
    page.check("#kind-new_opportunity-daily")
    with page.expect_navigation():
        page.click("main button:has-text('Save your choices')")
    assert "Your choices have been saved" in page.inner_text("body")
    assert page.is_checked("#kind-new_opportunity-daily")
    assert page.locator("#kind-decision-hint").inner_text().startswith("The law requires")
