"""The opportunity page's "Follow this tender" and "Stop following" buttons: suppliers only,
open tenders only, with CSRF; following twice is one follow."""
from __future__ import annotations

from datetime import timedelta

import pytest

from procurement.core.clock import frozen_at
from tenders import following
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in


def _sign_in_as(browser, session, role, world):
    if role != "anonymous":
        person = world["bidder"] if role == "supplier" else factories.user(session, role)
        sign_in(browser, person.email, factories.PASSWORD)


@pytest.mark.parametrize("role", ["anonymous", "buyer", "supplier", "agency", "admin"])
def test_only_a_supplier_follows(app, session, role):
    world = factories.published_tender(session)
    tender = world["tender"]
    with fresh_browser(app) as browser:
        _sign_in_as(browser, session, role, world)
        token = csrf_token(browser)
        response = browser.post(f"/opportunities/{tender.id}/follow", data={"csrf_token": token})
        if role == "anonymous":
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        elif role == "supplier":
            assert response.status_code == 302
            assert following.is_following(session, tender.id, world["supplier_id"])
            page = browser.get(f"/opportunities/{tender.id}").get_data(as_text=True)
            assert "Stop following" in page and "You are following this tender" in page
            browser.post(f"/opportunities/{tender.id}/follow", data={"csrf_token": token})
            assert following.followers(session, tender.id) == {world["supplier_id"]}
            browser.post(f"/opportunities/{tender.id}/unfollow", data={"csrf_token": token})
            assert following.followers(session, tender.id) == set()
            assert "Follow this tender" in browser.get(f"/opportunities/{tender.id}").get_data(as_text=True)
        else:
            assert response.status_code == 403, (role, response.status_code)
            assert following.followers(session, tender.id) == set()


def test_following_needs_the_csrf_token(app, session):
    world = factories.published_tender(session)
    with fresh_browser(app) as browser:
        sign_in(browser, world["bidder"].email, factories.PASSWORD)
        response = browser.post(f"/opportunities/{world['tender'].id}/follow", data={})
        assert response.status_code in (302, 400)
    assert following.followers(session, world["tender"].id) == set()


def test_a_closed_tender_cannot_be_followed(app, session):
    world = factories.published_tender(session)
    tender = world["tender"]
    with frozen_at(tender.submission_deadline + timedelta(minutes=1)):
        with fresh_browser(app) as browser:
            sign_in(browser, world["bidder"].email, factories.PASSWORD)
            page = browser.get(f"/opportunities/{tender.id}").get_data(as_text=True)
            assert "Follow this tender" not in page
            response = browser.post(f"/opportunities/{tender.id}/follow", data={"csrf_token": csrf_token(browser)})
            assert response.status_code == 409
    assert following.followers(session, tender.id) == set()
