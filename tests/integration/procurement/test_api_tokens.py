from datetime import timedelta

from procurement.core.clock import frozen_at, now
from tests import factories
from tests.conftest import csrf_from, csrf_token, sign_in


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_shown_once_and_only_its_hash_is_stored(client, session):
    from sqlalchemy import select

    from procurement.parties.models import ApiToken

    user = factories.user(session, "supplier", email="api@supplier.example")
    sign_in(client, user.email, factories.PASSWORD)
    page = client.get("/account/tokens").get_data(as_text=True)
    response = client.post("/account/tokens", data={"csrf_token": csrf_from(page), "name": "Bid uploader", "days": "30"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Copy the token now" in html
    plain = html.split("<code id='new-token'>")[1].split("</code>")[0]
    stored = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored.token_hash != plain and plain not in stored.token_hash and stored.name == "Bid uploader"
    # The list afterwards shows only the prefix.
    assert plain not in client.get("/account/tokens").get_data(as_text=True)
    me = client.get("/api/v1/me", headers=bearer(plain))
    assert me.status_code == 200 and me.get_json()["email"] == "api@supplier.example"


def test_the_api_does_not_accept_the_session_cookie(client, session):
    user = factories.user(session, "admin")
    sign_in(client, user.email, factories.PASSWORD)
    assert client.get("/api/v1/me").status_code == 401


def test_expired_tokens_stop_working(client, session):
    user = factories.user(session, "agency")
    token = factories.token_for(session, user, days=1)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with frozen_at(now() + timedelta(days=1, seconds=1)):
        response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401 and response.get_json()["code"] == 401


def test_revoked_tokens_stop_working(client, session):
    user = factories.user(session, "buyer")
    token = factories.token_for(session, user)
    tokens = client.get("/api/v1/tokens", headers=bearer(token)).get_json()
    assert len(tokens) == 1 and "token" not in tokens[0] and "token_hash" not in tokens[0]
    assert client.delete(f"/api/v1/tokens/{tokens[0]['id']}", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_revoking_from_the_web_page(client, session):
    from sqlalchemy import select

    from procurement.parties.models import ApiToken

    user = factories.user(session, "buyer")
    token = factories.token_for(session, user)
    token_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id))
    sign_in(client, user.email, factories.PASSWORD)
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client)})
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_tokens_of_deactivated_users_stop_working(client, session, system):
    from procurement.parties.accounts import set_user_active

    user = factories.user(session, "supplier")
    token = factories.token_for(session, user)
    set_user_active(session, system, user, False)
    session.flush()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_token_can_be_created_through_the_api(client, session):
    user = factories.user(session, "agency")
    token = factories.token_for(session, user)
    created = client.post("/api/v1/tokens", json={"name": "second", "days": 7}, headers=bearer(token))
    assert created.status_code == 201
    new = created.get_json()["token"]
    assert client.get("/api/v1/me", headers=bearer(new)).get_json()["id"] == user.id
    bad = client.post("/api/v1/tokens", json={"name": "x", "days": 400}, headers=bearer(token))
    assert bad.status_code == 422 and "days" in bad.get_json()["errors"]["json"]


def test_garbage_and_missing_bearer_tokens_are_refused(client, session):
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
