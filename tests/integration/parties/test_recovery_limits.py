"""Rate limits on the routes of getting into an account (issue 20, point 3): asking for a
reset link, following one, and the two-factor step are limited per client address, as signing
in is; a refused request answers 429 and changes nothing. The suite runs with limits off;
here they are on (in memory)."""
from __future__ import annotations

from typing import Any, Iterator

import pyotp
import pytest
from flask import Flask, g
from sqlalchemy import func, select

from procurement.core.db import db
from procurement.factory import create_app
from procurement.notifications.models import OutgoingEmail
from procurement.parties.models import SignInAttempt
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture(scope="module")
def app(app: Any) -> Iterator[Flask]:
    limited = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True, "SECRET_KEY": "limits",
                          "BID_SEALING_KEY": "test-key", "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                          "RATELIMIT_KEY_PREFIX": "ljp-recovery-limits", "LOCKOUT_ATTEMPTS": 1000,
                          "TWO_FACTOR_ROLES": "agency,admin"})
    yield limited
    limited.extensions["rate_limits"].reset()
    db.bound(limited).engine.dispose()


@pytest.fixture(autouse=True)
def no_attempts_counted_yet(app: Flask) -> None:
    app.extensions["rate_limits"].reset()


def post(client: Any, path: str, data: dict[str, str], address: str, page: str | None = None) -> Any:
    g.pop("_login_user", None)
    token = csrf_token(client, page or path)
    return client.post(path, data={"csrf_token": token, **data}, environ_base={"REMOTE_ADDR": address})


def test_the_sixth_reset_request_in_a_minute_from_one_address_is_refused(client, session):
    for n in range(5):
        answer = post(client, "/password/forgotten", {"email": f"someone{n}@camden.example"}, "192.0.2.31")
        assert answer.status_code == 200
    user = factories.user(session, "buyer", email="real@camden.example")
    refused = post(client, "/password/forgotten", {"email": user.email}, "192.0.2.31")
    assert refused.status_code == 429 and "Too many attempts from your address" in refused.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(OutgoingEmail)) == 0
    assert post(client, "/password/forgotten", {"email": user.email}, "192.0.2.32").status_code == 200


def test_the_two_factor_step_is_limited_per_address(client, session, app):
    from procurement.core.twofactor import new_secret
    from procurement.parties.twofactor import enable_two_factor

    user = factories.user(session, "agency", email="limited@agency.example")
    secret = new_secret()
    enable_two_factor(session, user, user, secret, pyotp.TOTP(secret).now(), app.config["SECRET_KEY"])
    session.flush()
    answer = post(client, "/sign-in", {"email": user.email, "password": factories.PASSWORD}, "192.0.2.41")
    assert answer.headers["Location"].endswith("/sign-in/two-factor")
    wrong = "123456" if pyotp.TOTP(secret).now() != "123456" else "654321"
    for _ in range(10):  # counted for this route, beside the sign-in page's own count
        assert post(client, "/sign-in/two-factor", {"code": wrong}, "192.0.2.41").status_code == 200
    before = session.scalar(select(func.count()).select_from(SignInAttempt))
    refused = post(client, "/sign-in/two-factor", {"code": wrong}, "192.0.2.41")
    assert refused.status_code == 429
    assert session.scalar(select(func.count()).select_from(SignInAttempt)) == before


def test_every_new_route_of_signing_in_or_recovering_is_limited(app):
    from procurement.core.limits import limit_setting

    for endpoint, setting in {"account.forgotten_password": "PASSWORD_RESET_RATE_LIMIT",
                              "account.reset_password": "PASSWORD_RESET_RATE_LIMIT",
                              "account.two_factor": "SIGN_IN_RATE_LIMIT",
                              "account.set_up_two_factor": "SIGN_IN_RATE_LIMIT",
                              # signed in, but a password (or a first code) is tried there too
                              "account.change_password": "SIGN_IN_RATE_LIMIT", "account.change_email": "SIGN_IN_RATE_LIMIT",
                              "account.turn_off_two_factor": "SIGN_IN_RATE_LIMIT",
                              "account.set_up_own_two_factor": "SIGN_IN_RATE_LIMIT"}.items():
        assert limit_setting(app.view_functions[endpoint]) == setting
