"""Signing up, sending the link again and accepting an invitation are rate-limited per address
(SIGN_UP_RATE_LIMIT): a flood from one address is refused, 429, and changes nothing; another
address is not held back by it."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from flask import Flask, g
from sqlalchemy import func, select

from procurement.core.db import db
from procurement.factory import create_app
from procurement.parties.models import EmailLink, User
from tests.conftest import csrf_token


@pytest.fixture(scope="module")
def app(app: Any) -> Iterator[Flask]:
    limited = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True, "SECRET_KEY": "limits",
                          "BID_SEALING_KEY": "test-key", "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                          "RATELIMIT_KEY_PREFIX": "ljp-sign-up-limits", "SIGN_UP_RATE_LIMIT": "3 per minute"})
    yield limited
    limited.extensions["rate_limits"].reset()
    db.bound(limited).engine.dispose()


@pytest.fixture(autouse=True)
def nothing_counted_yet(app: Flask) -> None:
    app.extensions["rate_limits"].reset()


def attempt(client: Any, path: str, data: dict[str, str], address: str = "192.0.2.20") -> Any:
    g.pop("_login_user", None)
    return client.post(path, data={"csrf_token": csrf_token(client, "/join/resend"), **data},
                       environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("path, data", [
    ("/join/supplier", {"legal_name": "Flood Ltd"}),
    ("/join/buyer", {"full_name": "Flood"}),
    ("/join/resend", {"email": "someone@flood.example"}),
    ("/join/invitation/not-a-link", {"full_name": "Flood"}),
    ("/join/verify/not-a-link", {}),
])
def test_a_flood_from_one_address_is_refused(client, session, path, data):
    for n in range(3):
        assert attempt(client, path, data).status_code < 429, n
    before = (session.scalar(select(func.count()).select_from(User)),
              session.scalar(select(func.count()).select_from(EmailLink)))
    refused = attempt(client, path, {**data, "email": "late@flood.example"})
    assert refused.status_code == 429 and "Too many attempts from your address" in refused.get_data(as_text=True)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    session.expire_all()
    assert (session.scalar(select(func.count()).select_from(User)),
            session.scalar(select(func.count()).select_from(EmailLink))) == before
    assert attempt(client, path, data, address="192.0.2.21").status_code < 429  # another address
    assert client.get(path).status_code < 429  # reading the form is never limited
