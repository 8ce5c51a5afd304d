"""Each role tried against each page and endpoint: its own answer 200, others 403 (or 404
where existence itself is private); anonymous users are sent to sign in (pages) or get 401."""
from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.conftest import assert_page_access, csrf_token, sign_in

ROLES = ["anonymous", "buyer", "supplier", "agency", "admin"]
EVERYONE = {"buyer", "supplier", "agency", "admin"}


@pytest.fixture()
def world(session: Any) -> dict[str, Any]:
    own_org, other_org = factories.organisation(session), factories.organisation(session)
    own_supplier, other_supplier = factories.supplier(session), factories.supplier(session)
    users = {
        "buyer": factories.user(session, "buyer", organisation_id=own_org.id),
        "supplier": factories.user(session, "supplier", supplier_id=own_supplier.id),
        "agency": factories.user(session, "agency"),
        "admin": factories.user(session, "admin"),
    }
    someone = factories.user(session, "agency")
    return {
        "own_org": own_org.id, "other_org": other_org.id, "own_supplier": own_supplier.id,
        "other_supplier": other_supplier.id, "users": users, "someone": someone.id,
        "someone_token": factories.token_for(session, someone),
        "someone_token_id": _token_id(session, someone.id),
    }


def _token_id(session: Any, user_id: int) -> int:
    from sqlalchemy import select

    from procurement.parties.models import ApiToken

    return session.scalar(select(ApiToken.id).where(ApiToken.user_id == user_id))


# (method, path, roles that may) -- {names} are filled from the world fixture.
PAGES = [
    ("GET", "/account/tokens", EVERYONE),
    ("GET", "/organisations", EVERYONE),
    ("GET", "/organisations/{own_org}", {"buyer", "agency", "admin"}),
    ("GET", "/organisations/{other_org}", {"agency", "admin"}),
    ("GET", "/cpv", EVERYONE),
    ("GET", "/suppliers/", {"agency", "admin"}),
    ("GET", "/suppliers/{own_supplier}", {"supplier", "agency", "admin"}),
    ("GET", "/suppliers/{other_supplier}", {"agency", "admin"}),
    ("GET", "/suppliers/new", {"admin"}),
    ("POST", "/suppliers/new", {"admin"}),
    ("GET", "/admin/users", {"admin"}),
    ("GET", "/admin/users/new", {"admin"}),
    ("POST", "/admin/users/new", {"admin"}),
    ("GET", "/admin/users/{someone}", {"admin"}),
    ("POST", "/admin/users/{someone}", {"admin"}),
    ("POST", "/admin/users/{someone}/active", {"admin"}),
    ("GET", "/admin/organisations/new", {"admin"}),
    ("POST", "/admin/organisations/new", {"admin"}),
    ("GET", "/admin/audit", {"admin"}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, allowed", PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(client, world, role, method, path, allowed):
    url = path.format(**world)
    if role != "anonymous":
        assert sign_in(client, world["users"][role].email, factories.PASSWORD).status_code == 302
    data = {"csrf_token": csrf_token(client)} if method == "POST" else None
    assert_page_access(client.open(url, method=method, data=data), role, allowed, 403)


def test_someone_elses_token_cannot_be_revoked_and_is_not_revealed(client, world):
    sign_in(client, world["users"]["buyer"].email, factories.PASSWORD)
    url = f"/account/tokens/{world['someone_token_id']}/revoke"
    assert client.post(url, data={"csrf_token": csrf_token(client)}).status_code == 404


API = [
    ("GET", "/api/v1/me", EVERYONE),
    ("GET", "/api/v1/organisations", EVERYONE),
    ("POST", "/api/v1/organisations", {"admin"}),
    ("GET", "/api/v1/organisations/{own_org}", {"buyer", "agency", "admin"}),
    ("GET", "/api/v1/organisations/{other_org}", {"agency", "admin"}),
    ("GET", "/api/v1/suppliers", {"agency", "admin"}),
    ("POST", "/api/v1/suppliers", {"admin"}),
    ("GET", "/api/v1/suppliers/{own_supplier}", {"supplier", "agency", "admin"}),
    ("GET", "/api/v1/suppliers/{other_supplier}", {"agency", "admin"}),
    ("GET", "/api/v1/users", {"admin"}),
    ("POST", "/api/v1/users", {"admin"}),
    ("GET", "/api/v1/users/{someone}", {"admin"}),
    ("GET", "/api/v1/tokens", EVERYONE),
    ("GET", "/api/v1/cpv?q=laptop", EVERYONE),
    ("GET", "/api/v1/audit/events", {"admin"}),
    ("GET", "/api/v1/audit/verify", {"admin"}),
]

BODIES = {
    "/api/v1/organisations": {"name": "Matrix Test Trust", "kind": "nhs_body"},
    "/api/v1/suppliers": {"legal_name": "Matrix Ltd", "contact_name": "M", "contact_email": "m@matrix.example"},
    "/api/v1/users": {"email": "matrix@test.example", "full_name": "Matrix", "password": "long enough password",
                      "roles": [{"role": "agency"}]},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, allowed", API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api(client, session, world, role, method, path, allowed):
    url = path.format(**world)
    headers = {}
    if role != "anonymous":
        headers["Authorization"] = f"Bearer {factories.token_for(session, world['users'][role])}"
    response = client.open(url, method=method, headers=headers, json=BODIES.get(url) if method == "POST" else None)
    assert response.is_json
    if role == "anonymous":
        assert response.status_code == 401
    elif role in allowed:
        assert response.status_code in (200, 201), response.get_json()
    else:
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["code"] == 403


def test_someone_elses_token_is_not_found_by_api(client, session, world):
    token = factories.token_for(session, world["users"]["supplier"])
    response = client.delete(f"/api/v1/tokens/{world['someone_token_id']}",
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
