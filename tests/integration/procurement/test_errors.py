import pytest

from tests import factories


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_malformed_json_is_a_400_naming_the_problem(client, session):
    token = factories.token_for(session, factories.user(session, "admin"))
    response = client.post("/api/v1/organisations", data="{not json", content_type="application/json",
                           headers=bearer(token))
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == 400 and body["message"] == "Invalid JSON body."


def test_invalid_fields_are_named(client, session):
    token = factories.token_for(session, factories.user(session, "admin"))
    response = client.post("/api/v1/organisations", json={"name": "", "kind": "castle"}, headers=bearer(token))
    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert set(errors) == {"name", "kind"}
    assert response.get_json()["message"] == "Invalid json fields: name, kind"


def test_service_rules_come_back_with_the_field(client, session):
    token = factories.token_for(session, factories.user(session, "admin"))
    response = client.post("/api/v1/suppliers", headers=bearer(token), json={
        "legal_name": "Bad Numbers Ltd", "companies_house_number": "12", "contact_name": "X",
        "contact_email": "x@y.example"})
    assert response.status_code == 422
    assert "companies_house_number" in response.get_json()["errors"]


def test_unknown_api_paths_are_json_404(client, session):
    for path in ("/api/v1/nothing-here", "/api/v2/organisations", "/api/"):
        response = client.get(path)
        assert response.status_code == 404 and response.is_json, path
        assert response.get_json()["code"] == 404


def test_unknown_pages_are_the_404_page(client, session):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


@pytest.fixture()
def broken_search(app, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("procurement.parties.views.search_cpv", boom)
    monkeypatch.setattr("procurement.parties.api.search_cpv", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


def test_a_server_error_shows_no_stack_trace_and_logs_the_request_id(client, session, broken_search, caplog):
    from tests.conftest import sign_in

    user = factories.user(session, "agency")
    sign_in(client, user.email, factories.PASSWORD)
    response = client.get("/cpv", headers={"X-Request-ID": "req-12345678"})
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in html and "Traceback" not in html and "req-12345678" in html
    assert any(getattr(r, "request_id", None) == "req-12345678" and r.exc_info for r in caplog.records)
    api = client.get("/api/v1/cpv", headers=bearer(factories.token_for(session, user)))
    assert api.status_code == 500 and api.is_json and "secret internals" not in api.get_data(as_text=True)


def test_openapi_document_and_docs_are_served(client, session):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    document = spec.get_json()
    assert "/api/v1/organisations" in document["paths"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "/assets/swagger-ui/" in docs.get_data(as_text=True)


def test_govuk_frontend_assets_are_served(client, session):
    with client.get("/assets/govuk-frontend.min.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"
    assert client.get("/assets/fonts/").status_code == 404
    assert client.get("/assets/../pyproject.toml").status_code == 404
