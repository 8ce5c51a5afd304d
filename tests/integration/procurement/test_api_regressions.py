"""What the API fuzzing found, each kept fixed: ids too large for the database, a report about
an organisation that does not exist, and Decimal amounts documented as numbers but sent as strings."""
from __future__ import annotations

from procurement.core.db import MAX_ID
from tests import factories


def _agency(session):
    return {"Authorization": f"Bearer {factories.token_for(session, factories.user(session, 'agency'), days=30)}"}


def test_an_id_too_large_for_the_database_is_not_found(client, session):
    headers = _agency(session)
    assert client.get(f"/api/v1/tenders/{MAX_ID + 1}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/tenders/{10**30}", headers=headers).status_code == 404
    response = client.get(f"/api/v1/requirements?organisation_id={10**20}", headers=headers)
    assert response.status_code == 422 and "organisation_id" in str(response.get_json())


def test_a_report_about_an_organisation_that_does_not_exist_names_the_field(client, session):
    response = client.post("/api/v1/reports/savings", headers=_agency(session),
                           json={"kind": "organisation", "organisation_id": MAX_ID})
    assert response.status_code == 422
    assert response.get_json()["errors"]["organisation_id"] == ["There is no such organisation"]


def test_decimal_amounts_are_documented_as_the_strings_they_are(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    saving = spec["components"]["schemas"]["Saving"]["properties"]["baseline"]
    assert saving["type"] == "string" and saving["format"] == "decimal"
    rules = spec["components"]["schemas"]["AwardRules"]["properties"]["min_share_percent"]
    assert rules["type"] == "string" and rules["maximum"] == 99.99


def test_a_nul_character_is_refused_with_its_field_named(client, session):
    response = client.post("/api/v1/catalogue/items", headers=_agency(session),
                           json={"name": "Laptop\u0000", "cpv_code": "30213100", "unit": "each"})
    assert response.status_code == 422 and response.get_json()["errors"] == {"name": ["Remove the NUL character"]}
    assert client.get("/api/v1/tenders?q=a%00b", headers=_agency(session)).status_code == 422
    assert client.post("/sign-in", data={"email": "a\u0000@b.example", "password": "x"}).status_code == 400


def test_digits_that_are_not_decimal_are_refused_not_a_crash(app, client, session):
    """'²' is a digit to str.isdigit() but not a number to int(): found on review, where a page
    number, an ocid, an evaluator or an award rule written so gave a 500."""
    from tests.conftest import csrf_token, fresh_browser, sign_in

    response = client.get("/api/ocds/releases?page=%C2%B2")
    assert response.status_code == 400 and "page" in response.get_json()["errors"]
    assert client.get("/api/ocds/records/ocds-ljp000-%C2%B2").status_code == 404
    world = factories.published_tender(session, publish=False)
    with fresh_browser(app) as browser:
        sign_in(browser, world["agency"].email, factories.PASSWORD)
        token = csrf_token(browser, f"/tenders/{world['tender'].id}")
        response = browser.post(f"/tenders/{world['tender'].id}/award-rules",
                                data={"csrf_token": token, "optimised": "yes", "max_suppliers_per_lot": "²"})
        assert response.status_code == 302
        assert "Enter a whole number for max suppliers per lot" in browser.get(response.headers["Location"]).get_data(as_text=True)
        response = browser.post(f"/tenders/{world['tender'].id}/award-rules",
                                data={"csrf_token": token, "optimised": "yes", "min_share_percent": "NaN"})
        assert response.status_code == 302
        assert "The least share must be a percentage" in browser.get(response.headers["Location"]).get_data(as_text=True)


def test_the_admin_api_holds_passwords_to_the_one_policy(client, session):
    """Issue 18, finding 9: the admin API accepted `aaaaaaaaaaaa` and the demo's password."""
    from procurement.core.security import DEMO_PASSWORD

    admin = {"Authorization": f"Bearer {factories.token_for(session, factories.user(session, 'admin'), days=30)}"}
    for n, password in enumerate(["aaaaaaaaaaaa", DEMO_PASSWORD, "password1234", "qwertyuiopas"]):
        response = client.post("/api/v1/users", headers=admin, json={
            "email": f"weak{n}@borough.example", "full_name": "Weak Password", "password": password,
            "roles": [{"role": "agency"}]})
        assert response.status_code == 422, password
        assert "password" in response.get_json()["errors"], password
    good = client.post("/api/v1/users", headers=admin, json={
        "email": "strong@borough.example", "full_name": "Strong Password", "password": "tram lantern quietly orbits",
        "roles": [{"role": "agency"}]})
    assert good.status_code == 201, good.get_json()
