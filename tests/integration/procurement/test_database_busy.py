"""SQLite has one write lock. While another connection holds it past the busy timeout (the
default set-up while a large catalogue import is merged), a request that must write answers
503 with Retry-After and a message a person can act on, writes nothing, and the service goes
on as soon as the lock is free (issue 18's retest: sign-ins answered 500 during an import)."""
from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import func, select

from procurement.core.db import db
from procurement.parties.models import UserSession
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture()
def sqlite_app(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """SQLite only (PostgreSQL has row locks, not one write lock), with real commits."""
    from procurement import migrate
    from procurement.factory import create_app

    from procurement.core import db as database

    url = f"sqlite:///{tmp_path / 'busy.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setattr(database, "SQLITE_BUSY_MS", 300)  # the wait for the lock, shortened for the test
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "busy", "BID_SEALING_KEY": "k",
                      "REDIS_URL": None})
    yield app
    db.bound(app).engine.dispose()


def test_a_write_while_the_lock_is_held_is_a_503_that_changes_nothing(sqlite_app: Any) -> None:
    app = sqlite_app
    with app.app_context():
        user = factories.user(db.session, "buyer")
        db.session.commit()
        email = user.email
    with app.test_client() as browser:
        token = csrf_token(browser, "/sign-in")
        holder = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            busy = browser.post("/sign-in", data={"csrf_token": token, "email": email, "password": factories.PASSWORD})
            api = browser.post("/api/v1/requirements", json={}, headers={"Authorization": "Bearer nothing"})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "30"
        assert "try again in a minute" in busy.get_data(as_text=True)
        assert api.status_code in (401, 503)  # a bad token needs no write: refused as usual, or busy
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
        token = csrf_token(browser, "/sign-in")
        signed = browser.post("/sign-in", data={"csrf_token": token, "email": email, "password": factories.PASSWORD})
        assert signed.status_code == 302
        # Signed in, a form posted while the lock is held: the same 503 page, its header still
        # showing who is signed in (the page's own reads must not wait for the lock again).
        from flask import g

        g.pop("_login_user", None)
        token = csrf_token(browser, "/account/tokens")
        holder = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            g.pop("_login_user", None)
            busy = browser.post("/sign-out", data={"csrf_token": token})
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "30"
        assert "Sign out" in busy.get_data(as_text=True)  # the header knew the signed-in user
        g.pop("_login_user", None)
        assert browser.get("/account/tokens").status_code == 200  # still signed in: nothing was changed
