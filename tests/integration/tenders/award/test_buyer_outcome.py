"""A buyer's outcome page: on screen once the decision is published, every figure the award
record's, only its own organisation's lines, never a losing bidder's price; reachable from the
home page and the awards page; refused to every other role."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from procurement.core.clock import LONDON, frozen_at
from tenders.award import evaluation, outcome, record
from tests import factories
from tests.conftest import assert_page_access, sign_in


def money(amount: Decimal) -> str:
    return ("-" if amount < 0 else "") + f"£{abs(amount):,.2f}"


@pytest.fixture()
def world(session):
    made = factories.decided_tender(session)
    session.commit()
    (award,) = record.lot_awards(session, made["tender"]).values()
    made["award"] = award
    return made


def _page(client, who, tender):
    sign_in(client, who.email, factories.PASSWORD)
    return client.get(f"/awards/tenders/{tender.id}")


def test_the_page_states_the_award_record_figures_for_the_buyers_own_lines(session, client, world):
    tender, buyer, own, other = world["tender"], world["buyers"][0], world["orgs"][0], world["orgs"][1]
    lines = record.tender_lines(session, tender, own.id)
    assert lines, "the buyer's organisation has lines in the award"
    response = _page(client, buyer, tender)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    cost = sum((l.cost for l in lines), Decimal(0))
    baseline = sum((l.baseline for l in lines), Decimal(0))
    shown = re.search(r'id="your-saving">([^<]+)<', html)
    assert shown and shown.group(1) == money(baseline - cost)
    for line in lines:
        for figure in (line.unit_price, line.cost, line.baseline, line.baseline - line.cost):
            assert money(figure) in html
    # The service reads the same record: its totals are the record's.
    found = outcome.buyer_outcome(session, buyer, tender.id)
    assert (found.cost, found.baseline, found.saving) == (cost, baseline, baseline - cost)
    for s in world["award"].shares:
        assert world["award"].supplier(s) in html
    # Nobody else's lines, no losing bidder's price.
    assert other.name not in html
    for line in record.tender_lines(session, tender, other.id):
        assert f'href="/requirements/{line.requirement_id}"' not in html
    awarded = world["award"].awarded_bids
    for entry in world["award"].entries:
        if entry.bid not in awarded:
            assert money(entry.total) not in html


@pytest.mark.parametrize("role", ["agency", "other buyer", "supplier", "losing supplier", "admin", "anonymous"])
def test_only_the_buyers_taking_part_see_it(session, client, world, role):
    tender = world["tender"]
    who = {"agency": world["agency"], "other buyer": factories.user(session, "buyer"),
           "supplier": factories.user(session, "supplier"), "losing supplier": world["bidders"][1],
           "admin": factories.user(session, "admin")}.get(role)
    session.commit()
    if who is not None:
        sign_in(client, who.email, factories.PASSWORD)
    response = client.get(f"/awards/tenders/{tender.id}")
    if role == "other buyer":
        assert response.status_code == 404
    else:
        assert_page_access(response, role, set())


def test_before_the_decision_is_published_the_page_is_refused(session, client):
    world = factories.opened_tender(session)
    session.commit()
    assert _page(client, world["buyers"][0], world["tender"]).status_code == 403


def test_the_home_page_and_the_awards_page_link_to_it(session, client, world):
    tender, buyer = world["tender"], world["buyers"][0]
    sign_in(client, buyer.email, factories.PASSWORD)
    link = f'href="/awards/tenders/{tender.id}"'
    assert link in client.get("/").get_data(as_text=True)
    assert link in client.get("/awards").get_data(as_text=True)


def test_after_contracts_the_orders_show_with_the_same_figures(session, client, world):
    tender, buyer, own = world["tender"], world["buyers"][0], world["orgs"][0]
    after = datetime.combine(world["standstill"].ends_on + timedelta(days=1), time(10), LONDON)
    with frozen_at(after):
        evaluation.enter_contracts(session, world["agency"], tender.id)
        session.commit()
        found = outcome.buyer_outcome(session, buyer, tender.id)
        html = _page(client, buyer, tender).get_data(as_text=True)
    orders = [o for lot in found.lots for o in lot.orders]
    assert orders and all(o.organisation_id == own.id for o in orders)
    assert sum((o.saving for o in orders), Decimal(0)) == found.saving
    for order in orders:
        assert order.reference in html and money(order.saving) in html
