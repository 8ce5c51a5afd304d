"""The supplier's side of its bids (issue 19, point 2): its list of bids in any state, the
check-your-answers step whose submission carries the draft's digest, drafts kept as far as
they are valid, receipts that list what was submitted, and each route as every role."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from procurement.core.clock import frozen_at
from tenders.bidding import bids, drafting, listing
from tenders.models import BidVersion
from tests import factories
from tests.conftest import assert_page_access, csrf_token, fresh_browser, sign_in, submit_bid_by_form

FORM = {"price-1-1": "745.00", "sku-1-1": "BID-LAP", "capacity-1-1": "300", "tier-1-1-1-from": "1",
        "tier-1-1-1-price": "748.00", "tier-1-1-2-from": "120", "tier-1-1-2-price": "740.00",
        "quality-1": "Next-day swap-out from Park Royal", "quality-2": "Two apprentices a year"}


@pytest.fixture()
def world(session):
    return factories.published_tender(session)


@pytest.mark.parametrize("role", ["anonymous", "buyer", "agency", "admin", "other supplier", "bidder"])
def test_each_route_as_each_role(app, session, world, role):
    tender = world["tender"]
    bids.submit(session, world["bidder"], tender.id, factories.bid())
    bids.save_draft(session, world["bidder"], tender.id, factories.bid(unit_price="741.00"))
    users = {"buyer": world["buyers"][0], "agency": world["agency"], "admin": factories.user(session, "admin"),
             "other supplier": factories.user(session, "supplier"), "bidder": world["bidder"]}
    session.flush()
    with fresh_browser(app) as browser:
        if role != "anonymous":
            sign_in(browser, users[role].email, factories.PASSWORD)
        suppliers = {"other supplier", "bidder"}
        assert_page_access(browser.get("/opportunities/bids"), role, suppliers)
        review = browser.get(f"/opportunities/{tender.id}/bid/review")
        assert_page_access(review, role, suppliers)
        receipt = browser.get(f"/opportunities/{tender.id}/receipts/1")
        text = browser.get(f"/opportunities/{tender.id}/receipts/1.txt")
        listed = browser.get("/opportunities/bids").get_data(as_text=True)
        if role == "bidder":
            assert review.status_code == 200 and "£741.00 each" in review.get_data(as_text=True)
            assert receipt.status_code == 200 and "£740.00 each" in receipt.get_data(as_text=True)
            assert text.status_code == 200 and tender.reference in listed
        elif role == "other supplier":  # its own pages: no draft to review, no receipt, no bid listed
            assert review.status_code == 302 and review.headers["Location"].endswith(f"/opportunities/{tender.id}/bid")
            assert receipt.status_code == 404 and text.status_code == 404 and tender.reference not in listed
        else:
            assert_page_access(receipt, role, set())
            assert_page_access(text, role, set())
        token = csrf_token(browser, "/sign-in") if role == "anonymous" else csrf_token(browser)
        digest = drafting.draft_digest(bids.read_draft(session, world["bidder"], tender.id))
        submitted = browser.post(f"/opportunities/{tender.id}/bid/submit", data={"csrf_token": token, "digest": digest})
        if role == "bidder":
            assert submitted.status_code == 302 and "/receipts/2" in submitted.headers["Location"]
        else:
            assert_page_access(submitted, role, {"other supplier"})
    expected = 2 if role == "bidder" else 1
    assert session.scalar(select(func.count()).select_from(BidVersion)) == expected


def test_a_draft_with_one_price_above_the_published_price_keeps_every_other_answer(app, session, world):
    tender, bidder = world["tender"], world["bidder"]
    page = f"/opportunities/{tender.id}/bid"
    with fresh_browser(app) as browser:
        sign_in(browser, bidder.email, factories.PASSWORD)
        response = browser.post(page, data={"csrf_token": csrf_token(browser, page), **FORM, "price-1-1": "760.00",
                                            "action": "save"})
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "Your draft is saved, but this needs correcting" in html
        laptop = tender.lots[0].items[0].description
        assert f'<a href="#price-1-1">{laptop}: £760.00 is above your published price of £750.00' in html
        assert "each (&#39;BID-LAP&#39;); this line is not saved until it is corrected</a>" in html
        assert 'id="price-1-1-error"' in html and 'value="760.00"' in html  # at its field, as typed
        assert "Your catalogue price for 150 each: £750.00 each (your volume break from 100)" in html
    draft = bids.read_draft(session, bidder, tender.id)
    assert draft["lines"] == [] and [q["text"] for q in draft["quality"]] == [FORM["quality-1"], FORM["quality-2"]]


def test_the_review_lists_every_answer_and_submitting_a_changed_draft_is_refused(app, session, world):
    tender, bidder = world["tender"], world["bidder"]
    page = f"/opportunities/{tender.id}/bid"
    with fresh_browser(app) as browser:
        sign_in(browser, bidder.email, factories.PASSWORD)
        token = csrf_token(browser, page)
        response = browser.post(page, data={"csrf_token": token, **FORM, "action": "review"})
        assert response.status_code == 302 and response.headers["Location"].endswith("/bid/review")
        review = browser.get(response.headers["Location"]).get_data(as_text=True)
        for shown in ("£745.00 each", "£111,750.00", "1 to 119: £748.00 each; 120 or more: £740.00 each", "300", "BID-LAP",
                      FORM["quality-1"], FORM["quality-2"], f'href="{page}#price-1-1"', f'href="{page}#quality-2"'):
            assert shown in review, shown
        digest = re.search(r'name="digest" value="([0-9a-f]{64})"', review).group(1)
        # Another tab changes the draft after the review was shown: the old review cannot submit it.
        changed = browser.post(page, data={"csrf_token": token, **FORM, "price-1-1": "700.00", "action": "save"})
        assert changed.status_code == 302
        refused = browser.post(f"{page}/submit", data={"csrf_token": token, "digest": digest})
        assert refused.status_code == 302 and refused.headers["Location"].endswith("/bid/review")
        assert "has changed since you checked it" in browser.get(refused.headers["Location"]).get_data(as_text=True)
        assert bids.my_bid(session, bidder, tender.id).receipts == []
        submitted = submit_bid_by_form(browser, tender.id, FORM)
        assert submitted.status_code == 302 and "/receipts/1" in submitted.headers["Location"]


def test_review_names_what_a_submission_lacks_and_offers_no_submit(app, session, world):
    tender, bidder = world["tender"], world["bidder"]
    bids.save_draft(session, bidder, tender.id, factories.bid({"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "745"}]}]}))
    with fresh_browser(app) as browser:
        sign_in(browser, bidder.email, factories.PASSWORD)
        review = browser.get(f"/opportunities/{tender.id}/bid/review").get_data(as_text=True)
    assert "Your bid cannot be submitted yet" in review and "Answer ‘Delivery and support’" in review
    assert f'href="/opportunities/{tender.id}/bid#quality-1"' in review and 'name="digest"' not in review


def test_the_receipt_lists_what_was_submitted_and_downloads_under_a_human_name(app, session, world):
    tender, bidder = world["tender"], world["bidder"]
    with fresh_browser(app) as browser:
        sign_in(browser, bidder.email, factories.PASSWORD)
        receipt = browser.get(submit_bid_by_form(browser, tender.id, FORM).headers["Location"]).get_data(as_text=True)
        text = browser.get(f"/opportunities/{tender.id}/receipts/1.txt")
    digest = bids.my_bid(session, bidder, tender.id).receipts[0].digest
    assert digest in receipt and "Lot 1 total" in receipt and "£111,750.00" in receipt
    assert text.headers["Content-Disposition"] == f'attachment; filename="Bid receipt {tender.reference} version 1.txt"'
    body = text.get_data(as_text=True)
    assert digest in body and "unit price £745.00, total £111,750.00" in body and "London time" in body
    assert "Bidder: " in body and FORM["quality-1"] in body


def test_a_replacement_starts_from_the_latest_version(app, session, world):
    tender, bidder = world["tender"], world["bidder"]
    bids.submit(session, bidder, tender.id, factories.bid(unit_price="739.00", text="Our first answer"))
    session.flush()
    with fresh_browser(app) as browser:
        sign_in(browser, bidder.email, factories.PASSWORD)
        form = browser.get(f"/opportunities/{tender.id}/bid").get_data(as_text=True)
    assert 'value="739.00"' in form and ">Our first answer</textarea>" in form and "starts from version 1" in form
    assert 'value="100"' in form and 'value="740.00"' in form  # its tiers, as rows


def test_your_bids_lists_closed_and_opened_tenders_with_results_once_published(app, session):
    world = factories.opened_tender(session)
    tender = world["tender"]
    bidder = world["bidders"][0]
    with frozen_at(world["after"]), fresh_browser(app) as browser:
        sign_in(browser, bidder.email, factories.PASSWORD)
        listed = browser.get("/opportunities/bids").get_data(as_text=True)
    assert tender.reference in listed and "What you submitted" in listed
    assert f"/opportunities/{tender.id}/results" not in listed  # no decision yet


def test_bid_lists_order_open_tenders_first(session, world):
    bids.save_draft(session, world["bidder"], world["tender"].id, factories.bid())
    found = listing.my_bids(session, world["bidder"])
    assert [own.tender.id for own in found] == [world["tender"].id]
    assert found[0].open_for_bids and found[0].status_text == "Draft, not submitted" and not found[0].results_readable
    with frozen_at(world["tender"].submission_deadline + timedelta(minutes=1)):
        (own,) = listing.my_bids(session, world["bidder"])
        assert not own.open_for_bids and own.tender.stage == "Closed: the deadline has passed"


def test_by_the_api_a_bidder_reads_its_own_submitted_version_and_nobody_else_does(client, session, world):
    tender = world["tender"]
    bids.submit(session, world["bidder"], tender.id, factories.bid(unit_price="733.00"))
    readers = {"bidder": world["bidder"], "other supplier": factories.user(session, "supplier"), "agency": world["agency"],
               "buyer": world["buyers"][0], "admin": factories.user(session, "admin")}
    answers = {}
    for role, user in readers.items():
        headers = {"Authorization": f"Bearer {factories.token_for(session, user)}"}
        answers[role] = client.get(f"/api/v1/opportunities/{tender.id}/bid/versions/1", headers=headers)
    assert answers["bidder"].status_code == 200
    assert answers["bidder"].get_json()["lots"][0]["items"][0]["unit_price"] == "733.00"
    assert answers["other supplier"].status_code == 404
    assert {role: answers[role].status_code for role in ("agency", "buyer", "admin")} == {"agency": 403, "buyer": 403, "admin": 403}
    assert client.get(f"/api/v1/opportunities/{tender.id}/bid/versions/1").status_code == 401
