"""Demand and joint-tender pages and API: each role against each route, and the whole path
from requirement to a draft tender with confirmed lines, in the browser and by API."""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from procurement.core.clock import LONDON, frozen_at, today
from demand.board import BoardFilter
from demand.models import Requirement, RequirementStatus
from tenders.forming import pooling
from tenders.models import LineStatus, LotLine, Tender
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in

ROLES = ["anonymous", "buyer", "supplier", "agency", "admin"]


@pytest.fixture()
def world(session):
    item = factories.catalogue_item(session, name="Web laptop")
    factories.linked_offer(session, item, "800.00", "100:700.00")
    own_org, other_org = factories.organisation(session), factories.organisation(session)
    users = {"buyer": factories.user(session, "buyer", organisation_id=own_org.id),
             "supplier": factories.user(session, "supplier"), "agency": factories.user(session, "agency"),
             "admin": factories.user(session, "admin")}
    other_buyer = factories.user(session, "buyer", organisation_id=other_org.id)
    own_draft = factories.requirement(session, users["buyer"], submit=False)
    own = factories.requirement(session, users["buyer"], catalogue_item_id=item.id, unit="", quantity="60")
    other = factories.requirement(session, other_buyer, catalogue_item_id=item.id, unit="", quantity="50")
    tender = pooling.form_tender(session, users["agency"], board=BoardFilter(), pool_keys=[f"item-{item.id}"],
                                 title="Web tender", confirm_by=today() + timedelta(days=5))
    lines = {l.organisation_id: l for l in tender.lots[0].lines}
    soon = factories.requirement(session, users["buyer"], days=40)
    upload_stream = io.BytesIO(b"title,cpv_code,specification,quantity,unit,delivery_location,needed_by,current_unit_price\n"
                               b"A,30213100,x,0,each,y,2020-01-01,1\n")
    from demand.uploads import upload_requirements

    upload = upload_requirements(session, users["buyer"], organisation_id=None, filename="r.csv", stream=upload_stream,
                                 max_bytes=10_000)
    session.flush()
    return {"users": users, "other_buyer": other_buyer, "own_draft": own_draft.id, "own": own.id, "other": other.id,
            "soon": soon.id, "tender": tender.id, "own_line": lines[own_org.id].id,
            "other_line": lines[other_org.id].id, "upload": upload.id, "item": item.id}


# path, then the status each signed-in role gets (anonymous users are always sent to sign in).
PAGES = [
    ("GET", "/requirements", {"buyer": 200, "supplier": 403, "agency": 200, "admin": 403}),
    ("GET", "/requirements/new", {"buyer": 200, "supplier": 403, "agency": 403, "admin": 403}),
    ("POST", "/requirements/new", {"buyer": 200, "supplier": 403, "agency": 403, "admin": 403}),
    ("GET", "/requirements/{own}", {"buyer": 200, "supplier": 404, "agency": 200, "admin": 404}),
    ("GET", "/requirements/{other}", {"buyer": 404, "supplier": 404, "agency": 200, "admin": 404}),
    ("GET", "/requirements/{own_draft}/edit", {"buyer": 200, "supplier": 404, "agency": 403, "admin": 404}),
    ("GET", "/requirements/{other}/edit", {"buyer": 404, "supplier": 404, "agency": 403, "admin": 404}),
    ("POST", "/requirements/{own_draft}/submit", {"buyer": 302, "supplier": 404, "agency": 403, "admin": 404}),
    ("POST", "/requirements/{other}/withdraw", {"buyer": 404, "supplier": 404, "agency": 403, "admin": 404}),
    ("POST", "/requirements/{soon}/withdraw", {"buyer": 302, "supplier": 404, "agency": 403, "admin": 404}),
    ("POST", "/requirements/{own}/agency-withdraw", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),  # pooled, not committed
    ("POST", "/requirements/{other}/cancel", {"buyer": 403, "supplier": 403, "agency": 302, "admin": 403}),
    ("GET", "/requirements/upload", {"buyer": 200, "supplier": 403, "agency": 403, "admin": 403}),
    ("GET", "/requirements/uploads/{upload}", {"buyer": 200, "supplier": 404, "agency": 200, "admin": 404}),
    ("GET", "/requirements/uploads/{upload}/errors.csv", {"buyer": 200, "supplier": 404, "agency": 200, "admin": 404}),
    ("GET", "/requirements/template.csv", {"buyer": 200, "supplier": 403, "agency": 403, "admin": 403}),
    ("GET", "/requirements/pools", {"buyer": 200, "supplier": 403, "agency": 403, "admin": 403}),
    ("GET", "/demand", {"buyer": 403, "supplier": 403, "agency": 200, "admin": 403}),
    ("GET", "/demand/export.csv", {"buyer": 403, "supplier": 403, "agency": 200, "admin": 403}),
    ("POST", "/tenders/new", {"buyer": 403, "supplier": 403, "agency": 302, "admin": 403}),
    ("GET", "/tenders/", {"buyer": 200, "supplier": 403, "agency": 200, "admin": 403}),
    ("GET", "/tenders/{tender}", {"buyer": 200, "supplier": 404, "agency": 200, "admin": 404}),
    ("POST", "/tenders/lines/{own_line}/confirm", {"buyer": 302, "supplier": 404, "agency": 404, "admin": 404}),
    ("POST", "/tenders/lines/{other_line}/decline", {"buyer": 404, "supplier": 404, "agency": 404, "admin": 404}),
    ("POST", "/tenders/{tender}/close-confirmation", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("POST", "/tenders/{tender}/abandon", {"buyer": 403, "supplier": 403, "agency": 302, "admin": 403}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, expected", PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(client, world, role, method, path, expected):
    if role != "anonymous":
        assert sign_in(client, world["users"][role].email, factories.PASSWORD).status_code == 302
    data = {"csrf_token": csrf_token(client), "reason": "Asked by the borough"} if method == "POST" else None
    response = client.open(path.format(**world), method=method, data=data)
    if role == "anonymous":
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    else:
        assert response.status_code == expected[role], (role, response.status_code)


API = [
    ("GET", "/api/v1/requirements", {"buyer": 200, "supplier": 403, "agency": 200, "admin": 403}),
    ("POST", "/api/v1/requirements", {"buyer": 201, "supplier": 403, "agency": 403, "admin": 403}),
    ("GET", "/api/v1/requirements/{own}", {"buyer": 200, "supplier": 404, "agency": 200, "admin": 404}),
    ("GET", "/api/v1/requirements/{other}", {"buyer": 404, "supplier": 404, "agency": 200, "admin": 404}),
    ("PUT", "/api/v1/requirements/{own_draft}", {"buyer": 200, "supplier": 404, "agency": 403, "admin": 404}),
    ("POST", "/api/v1/requirements/{own_draft}/submit", {"buyer": 200, "supplier": 404, "agency": 403, "admin": 404}),
    ("POST", "/api/v1/requirements/{soon}/withdraw", {"buyer": 200, "supplier": 404, "agency": 403, "admin": 404}),
    ("POST", "/api/v1/requirements/{own}/agency-withdraw", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("POST", "/api/v1/requirements/{other}/cancel", {"buyer": 403, "supplier": 403, "agency": 200, "admin": 403}),
    ("GET", "/api/v1/requirements/uploads/{upload}", {"buyer": 200, "supplier": 404, "agency": 200, "admin": 404}),
    ("GET", "/api/v1/demand/board", {"buyer": 403, "supplier": 403, "agency": 200, "admin": 403}),
    ("GET", "/api/v1/demand/pools", {"buyer": 200, "supplier": 403, "agency": 403, "admin": 403}),
    ("GET", "/api/v1/tenders", {"buyer": 200, "supplier": 403, "agency": 200, "admin": 403}),
    ("POST", "/api/v1/tenders", {"buyer": 403, "supplier": 403, "agency": 422, "admin": 403}),
    ("GET", "/api/v1/tenders/{tender}", {"buyer": 200, "supplier": 404, "agency": 200, "admin": 404}),
    ("GET", "/api/v1/tenders/lines/pending", {"buyer": 200, "supplier": 403, "agency": 403, "admin": 403}),
    ("POST", "/api/v1/tenders/lines/{own_line}/confirm", {"buyer": 200, "supplier": 404, "agency": 404, "admin": 404}),
    ("POST", "/api/v1/tenders/lines/{other_line}/confirm", {"buyer": 404, "supplier": 404, "agency": 404, "admin": 404}),
    ("POST", "/api/v1/tenders/{tender}/close-confirmation", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
]


def _body(path: str) -> dict:
    soon = (today() + timedelta(days=20)).isoformat()
    if path.endswith("/tenders"):
        return {"pool_keys": ["item-999999"], "title": "x", "confirm_by": soon}
    if "withdraw" in path or "cancel" in path:
        return {"reason": "Asked by the borough"}
    return {"title": "Desks", "cpv_code": "39121100", "specification": "Desks", "quantity": "4", "unit": "each",
            "delivery_location": "Depot", "needed_by": soon, "baseline_unit_price": "210.00"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, expected", API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api(client, session, world, role, method, path, expected):
    headers = {}
    if role != "anonymous":
        headers["Authorization"] = f"Bearer {factories.token_for(session, world['users'][role])}"
    response = client.open(path.format(**world), method=method, headers=headers,
                           json=_body(path) if method in ("POST", "PUT") else None)
    assert response.is_json
    assert response.status_code == (401 if role == "anonymous" else expected[role]), response.get_json()


def test_a_buyer_sees_no_other_organisations_lines_in_the_api(client, session, world):
    headers = {"Authorization": f"Bearer {factories.token_for(session, world['users']['buyer'])}"}
    tender = client.get(f"/api/v1/tenders/{world['tender']}", headers=headers).get_json()
    assert [l["id"] for l in tender["lots"][0]["lines"]] == [world["own_line"]]
    pools = client.get("/api/v1/demand/pools", headers=headers).get_json()
    assert all("organisations" not in p for p in pools)
    listed = client.get("/api/v1/requirements", headers=headers).get_json()
    assert world["other"] not in {r["id"] for r in listed}




def test_the_whole_path_in_the_browser(app, session):
    item = factories.catalogue_item(session, name="Browser laptop")
    factories.linked_offer(session, item, "900.00", "10:850.00")
    orgs = [factories.organisation(session) for _ in range(2)]
    buyers = [factories.user(session, "buyer", organisation_id=o.id) for o in orgs]
    agency = factories.user(session, "agency")
    needed = today() + timedelta(days=60)
    for buyer, quantity in zip(buyers, ("8", "7")):
        with fresh_browser(app) as browser:
            sign_in(browser, buyer.email, factories.PASSWORD)
            token = csrf_token(browser, "/requirements/new")
            response = browser.post("/requirements/new", data={
                "csrf_token": token, "organisation_id": str(buyer.memberships[0].organisation_id),
                "catalogue_item_id": str(item.id), "quantity": quantity, "delivery_location": "Town Hall",
                "needed_by": [str(needed.day), str(needed.month), str(needed.year)],
                "baseline_unit_price": "950.00", "submit_now": "y"})
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with fresh_browser(app) as browser:
        sign_in(browser, agency.email, factories.PASSWORD)
        board = browser.get("/demand").get_data(as_text=True)
        assert "Browser laptop" in board and "£850.00" in board  # 15 units reach the 10+ break
        confirm_by = today() + timedelta(days=3)
        response = browser.post("/tenders/new", data={
            "csrf_token": csrf_token(browser, "/demand"), "depth": "class", "pool": f"item-{item.id}",
            "title": "Browser laptops", "confirm_by": [str(confirm_by.day), str(confirm_by.month), str(confirm_by.year)]})
        assert response.status_code == 302 and "/tenders/" in response.headers["Location"]
    tender = session.scalars(select(Tender).where(Tender.title == "Browser laptops")).one()
    first_line = next(l for l in tender.lots[0].lines if l.organisation_id == orgs[0].id)
    with fresh_browser(app) as browser:
        sign_in(browser, buyers[0].email, factories.PASSWORD)
        pools = browser.get("/requirements/pools").get_data(as_text=True)
        assert "Browser laptops" in pools or tender.reference in pools
        response = browser.post(f"/tenders/lines/{first_line.id}/confirm",
                                data={"csrf_token": csrf_token(browser, "/requirements/pools")})
        assert response.status_code == 302
        page = browser.get(f"/tenders/{tender.id}").get_data(as_text=True)
        assert orgs[0].name in page and orgs[1].name not in page
    after = datetime.combine(confirm_by + timedelta(days=1), time(10), LONDON).astimezone(timezone.utc)
    with fresh_browser(app) as browser, frozen_at(after):
        sign_in(browser, agency.email, factories.PASSWORD)
        response = browser.post(f"/tenders/{tender.id}/close-confirmation",
                                data={"csrf_token": csrf_token(browser, f"/tenders/{tender.id}")})
        assert response.status_code == 302
    session.expire_all()
    statuses = {l.organisation_id: l.status for l in session.scalars(select(LotLine).where(LotLine.lot_id == tender.lots[0].id))}
    assert statuses == {orgs[0].id: LineStatus.confirmed, orgs[1].id: LineStatus.dropped}
    assert session.get(Tender, tender.id).lots[0].quantity == 8
    committed = session.scalars(select(Requirement.status).where(Requirement.organisation_id == orgs[0].id)).one()
    assert committed is RequirementStatus.committed


def test_the_whole_path_through_the_api(client, session):
    item = factories.catalogue_item(session, name="API laptop")
    factories.linked_offer(session, item, "900.00", "10:850.00")
    buyer, agency = factories.user(session, "buyer"), factories.user(session, "agency")
    as_buyer = {"Authorization": f"Bearer {factories.token_for(session, buyer)}"}
    as_agency = {"Authorization": f"Bearer {factories.token_for(session, agency)}"}
    needed = (today() + timedelta(days=30)).isoformat()
    made = client.post("/api/v1/requirements", headers=as_buyer, json={
        "catalogue_item_id": item.id, "quantity": "12", "delivery_location": "Depot", "needed_by": needed,
        "baseline_unit_price": "910.00", "submit": True})
    assert made.status_code == 201 and made.get_json()["status"] == "submitted"
    bad = client.post("/api/v1/requirements", headers=as_buyer, json={
        "catalogue_item_id": item.id, "quantity": "1.5", "delivery_location": "Depot", "needed_by": "2020-01-01",
        "baseline_unit_price": "910.00"})
    assert bad.status_code == 422 and {"quantity", "needed_by"} <= set(bad.get_json()["errors"])
    pool = next(p for p in client.get("/api/v1/demand/board", headers=as_agency).get_json() if p["label"] == "API laptop")
    assert pool["estimate"]["joint_unit_price"] == "850.00" and pool["estimate"]["saving"] == "720.00"
    csv = client.get("/api/v1/demand/board", headers={**as_agency, "Accept": "text/csv"})
    assert csv.mimetype == "text/csv" and "API laptop" in csv.get_data(as_text=True)
    formed = client.post("/api/v1/tenders", headers=as_agency, json={
        "pool_keys": [pool["key"]], "title": "API tender", "confirm_by": needed})
    assert formed.status_code == 201, formed.get_json()
    line = formed.get_json()["lots"][0]["lines"][0]
    assert client.get("/api/v1/tenders/lines/pending", headers=as_buyer).get_json()[0]["id"] == line["id"]
    confirmed = client.post(f"/api/v1/tenders/lines/{line['id']}/confirm", headers=as_buyer)
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"
    closed = client.post(f"/api/v1/tenders/{formed.get_json()['id']}/close-confirmation", headers=as_agency)
    assert closed.status_code == 200 and closed.get_json()["lots"][0]["confirmed_quantity"] == "12"


def test_a_buyer_is_told_of_lines_waiting_for_them(client, world):
    sign_in(client, world["users"]["buyer"].email, factories.PASSWORD)
    home = client.get("/").get_data(as_text=True)
    assert "1 line of your organisation’s to confirm or decline" in home and "/requirements/pools" in home
    pools = client.get("/requirements/pools").get_data(as_text=True)
    assert f"/tenders/lines/{world['own_line']}/confirm" in pools
    assert f"/tenders/lines/{world['other_line']}/confirm" not in pools
