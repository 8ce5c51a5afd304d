"""WCAG 2.2 AA in a real browser: axe-core finds no violation on the pages each role uses;
signing in and raising a requirement work with the keyboard alone."""
from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, sign_in_by_keyboard

PAGES = {  # the demo's tenders, in the order its story makes them: 1 awarded, 2 closed, 3 open, 4 draft
    None: ["/", "/sign-in", "/register"],
    "buyer.camden@demo.londonconnects.example": ["/", "/requirements", "/requirements/new", "/requirements/upload", "/awards",
                                                "/requirements/pools", "/reports/savings", "/account/tokens"],
    "agency.lead@demo.londonconnects.example": ["/", "/demand", "/tenders", "/tenders/1", "/tenders/2", "/tenders/3",
                                               "/tenders/4", "/tenders/2/evaluation", "/tenders/1/evaluation",
                                               "/tenders/1/optimised-award", "/jobs", "/reports/savings",
                                               "/reports/savings?kind=tender&tender_id=1"],
    "supplier.thames@demo.londonconnects.example": ["/", "/opportunities/", "/opportunities/3", "/opportunities/3/bid",
                                                   "/opportunities/1/results"],
}


@pytest.mark.parametrize("email", list(PAGES), ids=lambda e: (e or "anonymous").split("@")[0])
def test_no_accessibility_violations_on_the_pages_each_role_uses(live, page, email):
    if email:
        sign_in_by_keyboard(page, live, email)
        assert "/sign-in" not in page.url, "signing in by keyboard failed"
    found = {}
    for path in PAGES[email]:
        response = page.goto(live + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    assert found == {}


def test_a_buyer_raises_a_requirement_with_the_keyboard_alone(live, page):
    sign_in_by_keyboard(page, live, "buyer.camden@demo.londonconnects.example")
    page.goto(f"{live}/requirements/new")
    typed = {"#title": "Keyboard-only laptops", "#cpv_code": "30213100", "#specification": "14-inch business laptop, 16 GB",
             "#quantity": "12", "#unit": "each", "#delivery_location": "Camden Town Hall"}
    for field, text in typed.items():
        page.focus(field)
        page.keyboard.type(text)
    page.focus("#needed_by-day")  # day, month and year, moving between them by Tab
    for n, part in enumerate(("15", "6", "2027")):
        if n:
            page.keyboard.press("Tab")
        page.keyboard.type(part)
    page.focus("#baseline_unit_price")
    page.keyboard.type("899.00")
    page.focus("#submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Keyboard-only laptops" in page.content()
    assert "There is a problem" not in page.content()
    assert axe_violations(page) == []


def test_a_supplier_submits_a_bid_with_the_keyboard_alone(live, page):
    sign_in_by_keyboard(page, live, "supplier.thames@demo.londonconnects.example")
    page.goto(f"{live}/opportunities/3/bid")
    prices = page.query_selector_all("input[id^='price-']")
    assert prices, "the bid form lists the lots' items"
    for n, field in enumerate(prices):
        field.focus()
        page.keyboard.press("Control+A")  # the form may start from a draft or the last version submitted
        page.keyboard.type(f"{700 + n}.00")
    for offer in page.query_selector_all("input[id^='sku-']"):
        offer.focus()
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
    for answer in page.query_selector_all("textarea[id^='quality-']"):
        answer.focus()
        page.keyboard.press("Control+A")
        page.keyboard.type("Next-day delivery across London from our Park Royal depot.")
    page.focus("button[name='action'][value='review']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Check your bid before you submit it" in page.content() and "/bid/review" in page.url
    assert axe_violations(page) == []
    page.focus("button[name='action'][value='submit']")  # from the check-your-answers page
    with page.expect_navigation():
        page.keyboard.press("Enter")
    content = page.content()
    assert "There is a problem" not in content
    assert "SHA-256 of the canonical bid" in content and "/receipt" in page.url  # the receipt, with its digest
    assert axe_violations(page) == []
