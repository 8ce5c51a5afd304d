"""Rate limits on signing in (and, by the same means, on resetting a password and signing up):
counted per client address, in memory or in Redis; a refused request answers 429 with
Retry-After and changes nothing. The suite runs with limits off; here they are on."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from flask import Flask, g
from sqlalchemy import func, select

from procurement.core.audit import AuditEvent
from procurement.core.db import db
from procurement.factory import create_app
from procurement.parties.models import SignInAttempt, UserSession
from tests import factories
from tests.conftest import REDIS_URL, csrf_token, fresh_redis

PREFIX = "ljp-limits-test"


@pytest.fixture(scope="module", params=["memory", "redis"])
def app(request: pytest.FixtureRequest, app: Any) -> Iterator[Flask]:
    """The suite's app again (its database), with rate limits on, counting in memory or in
    the tests' Redis."""
    storage = "memory://"
    if request.param == "redis":
        fresh_redis()
        storage = REDIS_URL
    limited = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True, "SECRET_KEY": "limits",
                          "BID_SEALING_KEY": "test-key", "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
                          "RATELIMIT_KEY_PREFIX": PREFIX, "LOCKOUT_ATTEMPTS": 1000})
    yield limited
    limited.extensions["rate_limits"].reset()
    db.bound(limited).engine.dispose()


@pytest.fixture(autouse=True)
def no_attempts_counted_yet(app: Flask) -> None:
    app.extensions["rate_limits"].reset()


def attempt(client: Any, email: str, password: str, address: str = "192.0.2.10") -> Any:
    """One sign-in attempt from `address`, as a fresh request (the tests share one `g`)."""
    g.pop("_login_user", None)
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def count(session: Any, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_eleventh_sign_in_in_a_minute_is_refused_and_changes_nothing(app, client, session):
    user = factories.user(session, "buyer", email="limited@camden.example")
    for n in range(10):
        response = attempt(client, user.email, "not the password at all")
        assert response.status_code == 200, n  # the form again, with the error
        assert "Enter a correct email address and password" in response.get_data(as_text=True)
    before = {model: count(session, model) for model in (SignInAttempt, AuditEvent, UserSession)}

    refused = attempt(client, user.email, factories.PASSWORD)  # the right password, too late

    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many attempts from your address. Try again in" in refused.get_data(as_text=True)
    session.expire_all()
    assert {model: count(session, model) for model in before} == before
    assert session.get(type(user), user.id).last_sign_in_at is None
    g.pop("_login_user", None)
    assert client.get("/account/tokens").status_code == 302  # to the sign-in page: nobody signed in


def test_loading_the_sign_in_page_is_not_limited(app, client, session):
    for _ in range(15):
        assert client.get("/sign-in").status_code == 200
    user = factories.user(session, "agency")
    assert attempt(client, user.email, factories.PASSWORD).status_code == 302


def test_limits_are_counted_per_address(app, client, session):
    user = factories.user(session, "supplier")
    for _ in range(10):
        attempt(client, user.email, "not the password at all", address="198.51.100.7")
    assert attempt(client, user.email, factories.PASSWORD, address="198.51.100.7").status_code == 429
    signed_in = attempt(client, user.email, factories.PASSWORD, address="203.0.113.99")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"


def test_the_hourly_limit_holds_too(app, client, session, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_RATE_LIMIT", "100 per minute;3 per hour")
    user = factories.user(session, "buyer")
    assert [attempt(client, user.email, "not the password at all").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert int(attempt(client, user.email, "wrong").headers["Retry-After"]) > 60 * 59


def test_counts_are_kept_in_redis_when_it_is_configured(app, client, session):
    if app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        assert app.extensions["rate_limits"].storage.__class__.__name__ == "MemoryStorage"
        return
    from redis import Redis

    user = factories.user(session, "buyer")
    attempt(client, user.email, "not the password at all")
    keys = Redis.from_url(REDIS_URL).keys(f"*{PREFIX}*")
    assert keys, "no rate limit key in Redis"
    assert any(b"192.0.2.10" in key for key in keys)


def test_every_route_that_signs_in_resets_a_password_or_signs_up_is_limited(app):
    """Sign-in is limited; password reset and sign-up (issue 20) are limited by the same
    decorator once they exist, and this names any that is not."""
    from procurement.core.limits import limit_setting

    wanted = ("sign_in", "sign_up", "signup", "reset", "forgot", "recover", "join")
    named = {endpoint for endpoint in app.view_functions if any(word in endpoint.lower() for word in wanted)}
    assert "procurement.sign_in" in named
    unlimited = {endpoint for endpoint in named if limit_setting(app.view_functions[endpoint]) is None}
    assert not unlimited, f"not rate limited: {sorted(unlimited)}"


def test_reset_and_sign_up_limits_are_their_own_and_the_api_answers_in_its_error_shape():
    """The reset and sign-up settings, on routes of a small app of their own (the service has
    no such page yet): each setting counts for its routes alone; an API route's refusal is
    the API's JSON error with Retry-After."""
    from flask.views import MethodView

    from procurement.core.http import init_http
    from procurement.core.limits import init_rate_limits, rate_limited

    bare = Flask("limits-test")
    bare.config.update(TESTING=True, BODY_MAX_BYTES=1 << 20, UPLOAD_MAX_BYTES=1 << 20, RATELIMIT_ENABLED=True,
                       RATELIMIT_STORAGE_URI="memory://", RATELIMIT_KEY_PREFIX=PREFIX,
                       PASSWORD_RESET_RATE_LIMIT="2 per minute", SIGN_UP_RATE_LIMIT="3 per minute")
    init_http(bare)

    @bare.post("/api/v1/password-reset")
    @rate_limited("PASSWORD_RESET_RATE_LIMIT")
    def reset() -> Any:
        return {"sent": True}

    @rate_limited("SIGN_UP_RATE_LIMIT")
    class SignUp(MethodView):
        def post(self) -> Any:
            return {"signed_up": True}

    bare.add_url_rule("/api/v1/sign-up", view_func=SignUp.as_view("sign_up"))
    init_rate_limits(bare)
    client = bare.test_client()
    assert [client.post("/api/v1/password-reset").status_code for _ in range(3)] == [200, 200, 429]
    assert [client.post("/api/v1/sign-up").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = client.post("/api/v1/password-reset")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.get_json() == {"code": 429, "status": "Too Many Requests",
                                  "message": refused.get_json()["message"]}
    assert refused.get_json()["message"].startswith("Too many attempts from your address. Try again in")
