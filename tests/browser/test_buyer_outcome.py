"""On the demo: a Camden buyer follows links from its home page to the outcome of the awarded
tender and sees its saving on screen, the award record's; the pages of issue 19's buyer and
demand-board work pass axe and fit the window at 375 and 1280 pixels."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterator

import pytest
from sqlalchemy import select

from procurement.core.db import db
from procurement.parties.models import Organisation
from tenders.award import record
from tenders.models import Tender
from tests.browser.conftest import axe_violations, demo_app, serve, sign_in_by_keyboard

CAMDEN = "buyer.camden@demo.londonconnects.example"
AGENCY = "agency.lead@demo.londonconnects.example"
WIDTHS = (375, 1280)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """The demo on a server of its own, whose database the test reads the award record from."""
    folder = tmp_path_factory.mktemp("outcome")
    app = demo_app(f"sqlite:///{folder / 'outcome.db'}", folder, REDIS_URL=None)
    with serve(app) as url:
        yield app, url


def _money(amount: Decimal) -> str:
    return ("-" if amount < 0 else "") + f"£{abs(amount):,.2f}"


def _fits(page: Any) -> dict[int, int]:
    """Width -> how far the page is wider than the window (0 when it fits)."""
    over = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        over[width] = page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")
    return over


def test_a_camden_buyer_sees_its_saving_on_screen_after_the_decision(demo, page):
    app, base = demo
    with app.app_context():
        tender = db.session.get(Tender, 1)
        assert tender is not None and tender.status.value in ("standstill", "awarded", "complete")
        camden = db.session.scalar(select(Organisation).where(Organisation.name == "London Borough of Camden"))
        lines = record.tender_lines(db.session, tender, camden.id)
        assert lines, "Camden takes part in the awarded demo tender"
        saving = sum((l.baseline for l in lines), Decimal(0)) - sum((l.cost for l in lines), Decimal(0))
        reference, title = tender.reference, tender.title
    sign_in_by_keyboard(page, base, CAMDEN)
    page.goto(base + "/")
    page.get_by_role("link", name=f"See the outcome: {title}").click()
    page.wait_for_url(f"**/awards/tenders/{1}")
    assert page.locator("#your-saving").inner_text() == _money(saving)
    for line in lines:
        assert _money(line.unit_price) in page.locator("main").inner_text()
    assert axe_violations(page) == []
    assert _fits(page) == {375: 0, 1280: 0}
    # The awards page links to the same outcome.
    page.goto(base + "/awards")
    page.get_by_role("link", name=f"{reference}: {title}").click()
    assert page.locator("#your-saving").inner_text() == _money(saving)


@pytest.mark.parametrize("who, paths", [
    (CAMDEN, ["/requirements/new", "/requirements/pools", "/awards"]),
    (AGENCY, ["/demand", "/demand?min_organisations=1&depth=division"]),
], ids=["buyer", "agency"])
def test_the_changed_pages_pass_axe_and_fit_the_window(demo, page, who, paths):
    _app, base = demo
    sign_in_by_keyboard(page, base, who)
    found = {}
    for path in paths:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        problems = axe_violations(page), _fits(page)
        if problems != ([], {375: 0, 1280: 0}):
            found[path] = problems
    assert found == {}
