"""The evaluation workspace, buyers' orders and bidders' results: each role against the
routes, and the whole award in the browser, from the panel to contracts."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from procurement.core.clock import LONDON, frozen_at
from suppliers.models import Supplier
from tenders.models import OpenedBid, Standstill, TenderStatus
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in

ROLES = ["anonymous", "buyer", "supplier", "agency", "admin"]
PAGES = [
    ("GET", "/tenders/{tender}/evaluation", {"buyer": 403, "supplier": 403, "agency": 200, "admin": 403}),
    ("POST", "/tenders/{tender}/evaluation/start", {"buyer": 403, "supplier": 403, "agency": 302, "admin": 403}),
    ("POST", "/tenders/{tender}/evaluation/declare", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("POST", "/tenders/{tender}/evaluation/publish", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("POST", "/tenders/{tender}/evaluation/contracts", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("POST", "/tenders/{tender}/evaluation/pack", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("GET", "/awards", {"buyer": 200, "supplier": 403, "agency": 403, "admin": 403}),
    ("GET", "/opportunities/{tender}/results", {"buyer": 403, "supplier": 200, "agency": 403, "admin": 403}),
]
API = [
    ("GET", "/api/v1/tenders/{tender}/rankings", {"buyer": 403, "supplier": 403, "agency": 200, "admin": 403}),
    ("GET", "/api/v1/tenders/{tender}/savings", {"buyer": 200, "supplier": 403, "agency": 200, "admin": 404}),
    ("GET", "/api/v1/orders", {"buyer": 200, "supplier": 403, "agency": 403, "admin": 403}),
    ("GET", "/api/v1/opportunities/{tender}/results", {"buyer": 403, "supplier": 409, "agency": 403, "admin": 403}),
]


@pytest.fixture()
def world(session):
    made = factories.opened_tender(session)
    made["users"] = {"buyer": made["buyers"][0], "supplier": made["bidders"][0], "agency": made["agency"],
                     "admin": factories.user(session, "admin")}
    return made


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, expected", PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(app, world, role, method, path, expected):
    with frozen_at(world["after"]), fresh_browser(app) as browser:
        if role != "anonymous":
            sign_in(browser, world["users"][role].email, factories.PASSWORD)
        data = {"csrf_token": csrf_token(browser)} if method == "POST" else None
        response = browser.open(path.format(tender=world["tender"].id), method=method, data=data)
        if role == "anonymous":
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        else:
            assert response.status_code == expected[role], (role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, expected", API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api(client, session, world, role, method, path, expected):
    headers = {} if role == "anonymous" else {
        "Authorization": f"Bearer {factories.token_for(session, world['users'][role], days=90)}"}
    with frozen_at(world["after"]):
        response = client.open(path.format(tender=world["tender"].id), method=method, headers=headers)
    assert response.status_code == (401 if role == "anonymous" else expected[role]), response.get_json()


def _post(app, user, url, data, page):
    with fresh_browser(app) as browser:
        sign_in(browser, user.email, factories.PASSWORD)
        response = browser.post(url, data={"csrf_token": csrf_token(browser, page), **data})
        assert response.status_code == 302, (url, response.status_code)
        follow = browser.get(response.headers["Location"]).get_data(as_text=True)
        assert "govuk-error-summary" not in follow and 'class="govuk-notification-banner govuk-notification-banner--error' not in follow
        return follow


def test_the_award_in_the_browser(app, session, world):
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    opened = list(session.scalars(select(OpenedBid).order_by(OpenedBid.id)))
    page = f"/tenders/{tender.id}/evaluation"
    base = f"/tenders/{tender.id}/evaluation"
    scores = {0: (4, 3), 1: (3, 3), 2: (5, 5)}
    with frozen_at(world["after"] + timedelta(hours=1)):
        _post(app, lead, f"{base}/start", {"evaluator": [str(lead.id), str(panelist.id)], "lead": str(lead.id)}, page)
        for user in (panelist, lead):
            _post(app, user, f"{base}/declare", {"statement": "No conflict of interest"}, page)
            marks = {}
            for n, pair in scores.items():
                for criterion, score in zip(tender.criteria, pair):
                    marks[f"score-{opened[n].id}-{criterion.id}"] = str(score)
                    marks[f"why-{opened[n].id}-{criterion.id}"] = "Seen in the answer"
            after = _post(app, user, f"{base}/marks", {**marks, "action": "submit"}, page)
        # The panel's marks name each bid's supplier and each criterion (not their ids).
        suppliers = {o.id: session.get(Supplier, o.supplier_id).legal_name for o in opened}
        for criterion in tender.criteria:
            assert re.search(rf'<td class="govuk-table__cell"[^>]*>{re.escape(criterion.name)}</td>', after)
        for name in suppliers.values():
            assert re.search(rf'<td class="govuk-table__cell"[^>]*>{re.escape(name)}</td>', after)
        consensus = {}
        for n, pair in scores.items():
            for criterion, score in zip(tender.criteria, pair):
                consensus[f"cons-{opened[n].id}-{criterion.id}"] = str(score)
                consensus[f"rationale-{opened[n].id}-{criterion.id}"] = "Panel agreed"
        _post(app, lead, f"{base}/consensus", consensus, page)
        lot = tender.lots[0]
        workspace = _post(app, lead, f"{base}/lots/{lot.id}/recommend", {"advantages": "Best quality"}, page)
        assert "96.38" in workspace
        _post(app, panelist, f"{base}/lots/{lot.id}/approve", {}, page)
        _post(app, lead, f"{base}/publish", {}, page)
    session.expire_all()
    standstill = session.scalars(select(Standstill)).one()
    with frozen_at(datetime.combine(standstill.ends_on + timedelta(days=1), time(10), LONDON)):
        done = _post(app, lead, f"{base}/contracts", {}, page)
        assert "Orders and savings" in done
        with fresh_browser(app) as browser:
            sign_in(browser, world["buyers"][0].email, factories.PASSWORD)
            orders = browser.get("/awards").get_data(as_text=True)
            assert "£44,700.00" in orders and "£9,300.00" in orders  # 60 laptops at 745.00; saving against 900.00
        with fresh_browser(app) as browser:
            sign_in(browser, world["bidders"][0].email, factories.PASSWORD)
            results = browser.get(f"/opportunities/{tender.id}/results").get_data(as_text=True)
            assert "Not awarded to you" in results and "85.76" in results and "Best quality" in results
    session.expire_all()
    assert session.get(type(tender), tender.id).status is TenderStatus.awarded
