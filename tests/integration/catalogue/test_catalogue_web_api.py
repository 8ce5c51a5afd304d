"""Catalogue pages and API: who may do what, and what each role sees."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from catalogue.models import Offer, OfferPriceChange, OfferStatus
from catalogue.services import OfferInput, create_item, create_offer
from tests import factories
from tests.conftest import assert_page_access, csrf_token, sign_in

ROLES = ["anonymous", "buyer", "supplier", "agency", "admin"]
EVERYONE = {"buyer", "supplier", "agency", "admin"}


@pytest.fixture()
def world(session, system):
    users = {
        "buyer": factories.user(session, "buyer"),
        "supplier": factories.user(session, "supplier"),
        "agency": factories.user(session, "agency"),
        "admin": factories.user(session, "admin"),
    }
    own_supplier = next(iter(users["supplier"].supplier_ids))
    rival = factories.user(session, "supplier")
    rival_supplier = next(iter(rival.supplier_ids))
    own = create_offer(session, system, own_supplier, OfferInput(
        sku="OWN-1", title="Own laptop", cpv_code="30213100", unit="each", list_price="500.00",
        price_breaks="10:450", status="published"))
    own_draft = create_offer(session, system, own_supplier, OfferInput(
        sku="OWN-2", title="Own draft", cpv_code="30213100", unit="each", list_price="500.00"))
    rival_draft = create_offer(session, system, rival_supplier, OfferInput(
        sku="RIV-1", title="Rival draft", cpv_code="30213100", unit="each", list_price="400.00"))
    rival_published = create_offer(session, system, rival_supplier, OfferInput(
        sku="RIV-2", title="Rival laptop", cpv_code="30213100", unit="each", list_price="400.00", status="published"))
    item = create_item(session, system, name="Laptop item", cpv_code="30213100", unit="each")
    session.flush()
    return {"users": users, "own": own.id, "own_draft": own_draft.id, "rival_draft": rival_draft.id,
            "rival_published": rival_published.id, "item": item.id, "rival": rival}


PAGES = [
    ("GET", "/catalogue/", EVERYONE, 200),
    ("GET", "/catalogue/offers/{own}", EVERYONE, 200),
    ("GET", "/catalogue/offers/{own_draft}", {"supplier", "agency", "admin"}, 404),
    ("GET", "/catalogue/offers/{rival_draft}", {"agency", "admin"}, 404),
    ("GET", "/catalogue/my-offers", {"supplier"}, 403),
    ("GET", "/catalogue/my-offers/new", {"supplier"}, 403),
    ("GET", "/catalogue/offers/{own}/edit", {"supplier"}, 403),
    ("GET", "/catalogue/offers/{rival_published}/edit", set(), 403),
    ("POST", "/catalogue/offers/{rival_published}/withdraw", set(), 403),
    ("GET", "/catalogue/imports", {"supplier"}, 403),
    ("GET", "/catalogue/template.csv", EVERYONE, 200),
    ("GET", "/catalogue/items", EVERYONE, 200),
    ("GET", "/catalogue/items/new", {"agency"}, 403),
    ("GET", "/catalogue/items/{item}?quantity=20", EVERYONE, 200),
    ("POST", "/catalogue/items/{item}/link", {"agency"}, 403),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, allowed, refused", PAGES, ids=[f"{m} {p}" for m, p, _, _ in PAGES])
def test_pages(client, world, role, method, path, allowed, refused):
    url = path.format(**world)
    if role != "anonymous":
        sign_in(client, world["users"][role].email, factories.PASSWORD)
    data = {"csrf_token": csrf_token(client), "offer_id": str(world["own"])} if method == "POST" else None
    assert_page_access(client.open(url, method=method, data=data), role, allowed, refused)


def bearer(session, user):
    return {"Authorization": f"Bearer {factories.token_for(session, user)}"}


API = [
    ("GET", "/api/v1/catalogue/offers", {"supplier"}, 403),
    ("POST", "/api/v1/catalogue/offers", {"supplier"}, 403),
    ("GET", "/api/v1/catalogue/offers/{own}", EVERYONE, 404),
    ("GET", "/api/v1/catalogue/offers/{rival_draft}", {"agency", "admin"}, 404),
    ("PUT", "/api/v1/catalogue/offers/{rival_published}", set(), 403),
    ("DELETE", "/api/v1/catalogue/offers/{rival_published}", set(), 403),
    ("GET", "/api/v1/catalogue/search?q=laptop&cpv=30210000", EVERYONE, 403),
    ("POST", "/api/v1/catalogue/match", EVERYONE, 403),
    ("GET", "/api/v1/catalogue/items", EVERYONE, 403),
    ("POST", "/api/v1/catalogue/items", {"agency"}, 403),
    ("GET", "/api/v1/catalogue/items/{item}/offers?quantity=5", EVERYONE, 403),
    ("POST", "/api/v1/catalogue/items/{item}/offers", {"agency"}, 403),
]
BODIES = {
    "/api/v1/catalogue/offers": {"sku": "API-1", "title": "API laptop", "cpv_code": "30213100", "unit": "each",
                                 "list_price": "700.00"},
    "/api/v1/catalogue/match": {"lines": [{"description": "laptop"}]},
    "/api/v1/catalogue/items": {"name": "API item", "cpv_code": "30213100", "unit": "each"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, allowed, refused", API, ids=[f"{m} {p}" for m, p, _, _ in API])
def test_api(client, session, world, role, method, path, allowed, refused):
    url = path.format(**world)
    headers = bearer(session, world["users"][role]) if role != "anonymous" else {}
    body = BODIES.get(url.split("?")[0])
    if url.endswith("/offers") and "items" in url:
        body = {"offer_id": world["own"]}
    if method == "PUT":
        body = {"sku": "RIV-2", "title": "Hijacked", "cpv_code": "30213100", "unit": "each", "list_price": "1.00"}
    response = client.open(url, method=method, headers=headers, json=body)
    if role == "anonymous":
        assert response.status_code == 401
    elif role in allowed:
        assert response.status_code in (200, 201), response.get_json()
    else:
        assert response.status_code == refused, response.get_json()


def test_a_supplier_cannot_change_a_rivals_offer_even_with_a_guessed_id(client, session, world):
    rival_offer = session.get(Offer, world["rival_published"])
    before = (rival_offer.title, rival_offer.list_price, rival_offer.status)
    supplier = world["users"]["supplier"]
    sign_in(client, supplier.email, factories.PASSWORD)
    client.post(f"/catalogue/offers/{world['rival_published']}/edit", data={
        "csrf_token": csrf_token(client), "sku": "RIV-2", "title": "Mine now", "cpv_code": "30213100",
        "unit": "each", "list_price": "1.00", "status": "published"})
    client.post(f"/catalogue/offers/{world['rival_published']}/withdraw", data={"csrf_token": csrf_token(client)})
    client.delete(f"/api/v1/catalogue/offers/{world['rival_draft']}", headers=bearer(session, supplier))
    session.expire_all()
    assert (rival_offer.title, rival_offer.list_price, rival_offer.status) == before
    assert session.get(Offer, world["rival_draft"]).status is OfferStatus.draft


def test_a_supplier_edits_its_offer_and_the_price_history_records_it(client, session, world):
    supplier = world["users"]["supplier"]
    sign_in(client, supplier.email, factories.PASSWORD)
    response = client.post(f"/catalogue/offers/{world['own']}/edit", data={
        "csrf_token": csrf_token(client), "sku": "OWN-1", "title": "Own laptop", "cpv_code": "30213100-6",
        "unit": "each", "list_price": "480.00", "vat_rate": "20", "price_breaks": "10:440; 50:420",
        "status": "published"})
    assert response.status_code == 302
    offer = session.get(Offer, world["own"])
    session.refresh(offer)
    assert offer.list_price == Decimal("480.00") and offer.price_breaks == [[10, "440.00"], [50, "420.00"]]
    [change] = session.scalars(select(OfferPriceChange).where(OfferPriceChange.offer_id == offer.id)).all()
    assert (change.old_list_price, change.new_list_price, change.changed_by_id) == (
        Decimal("500.00"), Decimal("480.00"), supplier.id)
    page = client.get(f"/catalogue/offers/{offer.id}").get_data(as_text=True)
    assert "Price history" in page and "£480.00" in page


def test_bad_offer_input_is_named_per_field(client, session, world):
    supplier = world["users"]["supplier"]
    response = client.post("/api/v1/catalogue/offers", headers=bearer(session, supplier), json={
        "sku": "BAD", "title": "Bad", "cpv_code": "99999999", "unit": "each", "list_price": "-1",
        "price_breaks": "10:900", "gtin": "123"})
    assert response.status_code == 422
    assert {"cpv_code", "list_price", "gtin"} <= set(response.get_json()["errors"])


def test_buyers_compare_linked_offers_at_a_quantity(client, session, world, system):
    from catalogue.services import link_offer

    link_offer(session, system, world["item"], world["own"])
    link_offer(session, system, world["item"], world["rival_published"])
    session.flush()
    buyer = world["users"]["buyer"]
    rows = client.get(f"/api/v1/catalogue/items/{world['item']}/offers?quantity=10",
                      headers=bearer(session, buyer)).get_json()
    assert [(r["sku"], r["unit_price"], r["total"]) for r in rows] == [
        ("RIV-2", "400.00", "4000.00"), ("OWN-1", "450.00", "4500.00")]
    sign_in(client, buyer.email, factories.PASSWORD)
    page = client.get(f"/catalogue/items/{world['item']}?quantity=10").get_data(as_text=True)
    assert "£4,500.00" in page and "£4,000.00" in page


def test_the_template_is_a_csv_with_every_column(client, session, world):
    sign_in(client, world["users"]["supplier"].email, factories.PASSWORD)
    response = client.get("/catalogue/template.csv")
    header = response.get_data(as_text=True).splitlines()[0]
    assert response.mimetype == "text/csv" and header.startswith("sku,title,description")


def test_search_query_strings_are_validated(client, session, world):
    headers = bearer(session, world["users"]["buyer"])
    response = client.get("/api/v1/catalogue/search?cpv=12&min_price=abc", headers=headers)
    assert response.status_code == 422 and {"cpv", "min_price"} <= set(response.get_json()["errors"]["query"])
    sign_in(client, world["users"]["buyer"].email, factories.PASSWORD)
    page = client.get("/catalogue/?cpv=12")
    assert page.status_code == 200 and "Enter an 8-digit CPV code" in page.get_data(as_text=True)
