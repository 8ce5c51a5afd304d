"""A supplier's bids in Chromium, on the demo (issue 19, point 2): its results two clicks from
its home page; a draft with one price above its published price keeps every other answer,
the problem shown at its field and linked from the error summary; the pages of its bids pass
axe-core and are no wider than the screen at 375 and 1280 pixels."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import axe_violations, sign_in_by_keyboard

THAMES = "supplier.thames@demo.londonconnects.example"  # the demo's tender 1 is decided; 3 is open for bids
QUALITY = {"#quality-1": "Next-day swap-out from our Park Royal depot.", "#quality-2": "Two apprenticeships a year."}


def fits(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def fill_the_bid(page: Any, laptop_price: str) -> None:
    """Tender 3 of the demo: both lots, their offers named, tiers for the desktops, a bundle."""
    page.fill("#price-1-1", laptop_price)
    page.fill("#sku-1-1", "TDH-LAP-14")
    page.fill("#price-2-1", "590.00")
    page.fill("#sku-2-1", "TDH-SFF-PC")
    page.evaluate("document.querySelectorAll('main details').forEach(d => { d.open = true })")
    page.fill("#tier-2-1-1-from", "1")
    page.fill("#tier-2-1-1-price", "595.00")
    page.fill("#tier-2-1-2-from", "150")
    page.fill("#tier-2-1-2-price", "585.00")
    page.check("#bundle-1-lots")
    page.check("#bundle-1-lots-2")
    page.fill("#bundle-1-discount", "2.5")
    for field, text in QUALITY.items():
        page.fill(field, text)


def test_a_supplier_reaches_its_results_from_its_home_page_in_two_clicks(live, page):
    sign_in_by_keyboard(page, live, THAMES)
    page.goto(f"{live}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Your bids, open and closed, and their results").click()  # one
    assert page.url.endswith("/opportunities/bids") and axe_violations(page) == []
    card = page.locator(".govuk-summary-card").filter(has_text="LC-2026-0001")
    # Awarded, its contracts being entered (or entered, once the crawl of the same demo has entered them)
    assert "Ended on 29 October 2026" in card.inner_text() and re.search(r"Awarded: contracts (being )?entered", card.inner_text())
    with page.expect_navigation():
        card.get_by_role("link", name="Results of LC-2026-0001").click()  # two
    assert page.url.endswith("/opportunities/1/results")
    main = page.locator("main").inner_text()
    assert "Your results" in main and "Standstill ended on 29 October 2026." in main and "Assessment summary - " in main
    assert axe_violations(page) == []


def test_a_draft_with_one_bad_price_keeps_every_other_answer(live, page):
    sign_in_by_keyboard(page, live, THAMES)
    page.goto(f"{live}/opportunities/3/bid")
    assert "Your catalogue price for 965 each: £729.00 each (your volume break from 500)" in page.locator("main").inner_text()
    fill_the_bid(page, "999.00")  # above its published £729.00 for 965 laptops
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    summary = page.locator(".govuk-error-summary")
    assert "Your draft is saved, but this needs correcting" in summary.inner_text()
    link = summary.get_by_role("link", name="Business laptop, 14-inch: £999.00 is above your published price of £729.00")
    assert link.get_attribute("href") == "#price-1-1"
    assert page.locator("#price-1-1-error").count() == 1 and page.input_value("#price-1-1") == "999.00"
    link.click()
    assert page.evaluate("document.activeElement.id") == "price-1-1"
    assert axe_violations(page) == [] and fits(page)
    page.goto(f"{live}/opportunities/3/bid")  # read back from the saved draft: every other answer is there
    assert page.input_value("#price-2-1") == "590.00" and page.input_value("#sku-2-1") == "TDH-SFF-PC"
    assert page.input_value("#tier-2-1-2-from") == "150" and page.input_value("#tier-2-1-2-price") == "585.00"
    assert page.is_checked("#bundle-1-lots") and page.is_checked("#bundle-1-lots-2")
    assert page.input_value("#bundle-1-discount") == "2.5"
    assert all(page.input_value(field) == text for field, text in QUALITY.items())
    assert page.input_value("#price-1-1") == ""  # the one wrong answer was not kept


@pytest.mark.parametrize("width", [375, 1280])
def test_the_supplier_s_bid_pages_pass_axe_and_fit_the_screen(chromium, live, width):
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        sign_in_by_keyboard(page, live, THAMES)
        found = {}
        page.goto(f"{live}/opportunities/3/bid")
        fill_the_bid(page, "720.00")
        with page.expect_navigation():
            page.get_by_role("button", name="Continue to check your answers").click()
        assert page.url.endswith("/opportunities/3/bid/review"), page.locator("main").inner_text()[:500]
        pages = {"review": page.url}
        with page.expect_navigation():
            page.get_by_role("button", name="Submit").click()
        assert "/opportunities/3/receipts/" in page.url
        pages["receipt"] = page.url
        for path in ("/", "/opportunities/", "/opportunities/bids", "/opportunities/3/bid", "/opportunities/1",
                     "/opportunities/1/bid", "/opportunities/1/results", "/opportunities/1/receipts/1"):
            pages[path] = live + path
        for name, url in pages.items():
            response = page.goto(url)
            assert response is not None and response.status == 200, (name, response and response.status)
            problems = axe_violations(page) + ([] if fits(page) else [f"wider than {width} px"])
            if problems:
                found[name] = problems
        assert found == {}
    finally:
        context.close()
