"""Signed-in sessions end by the clock: after an hour without a request (idle) and twelve hours
after signing in (absolute); the last activity is recorded at most once a minute; the records
of old sessions are pruned. Time is moved with the application's clock, never slept."""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, Iterator

import pytest
from sqlalchemy import event, select

from procurement.core.clock import frozen_at, now
from procurement.core.db import db
from procurement.parties.models import UserSession
from tests import factories
from tests.conftest import sign_in

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(autouse=True)
def the_real_limits(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's sessions last for years (it moves the clock by days); these tests use the
    service's defaults."""
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 60)
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", 12)
    monkeypatch.setitem(app.config, "SESSION_KEEP_DAYS", 30)


def get(client: Any, path: str) -> Any:
    """A request as a new one in a real server: the tests share one app context, whose `g`
    would otherwise keep the user Flask-Login loaded for the previous request."""
    from flask import g

    for key in ("_login_user", "session_ended_because"):
        g.pop(key, None)
    return client.get(path)


@pytest.fixture()
def writes(app: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES):
            seen.append(statement.split("\n")[0][:100])

    engine = db.bound(app).engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def signed_in_at(client: Any, session: Any, moment: Any) -> UserSession:
    user = factories.user(session, "buyer")
    with frozen_at(moment):
        assert sign_in(client, user.email, factories.PASSWORD).status_code == 302
    return session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()


def test_an_hour_without_a_request_signs_the_user_out_and_says_so(client, session):
    start = now()
    row = signed_in_at(client, session, start)
    with frozen_at(start + timedelta(minutes=59)):
        assert get(client, "/account/tokens").status_code == 200
    with frozen_at(start + timedelta(minutes=59 + 60)):
        response = get(client, "/account/tokens")
        assert response.status_code == 302
        assert response.headers["Location"] == "/sign-in?next=/account/tokens"
        page = get(client, response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out after 60 minutes without activity" in page
    session.refresh(row)
    assert row.ended_because == "idle" and row.ended_at == start + timedelta(minutes=119)
    with frozen_at(start + timedelta(minutes=120)):  # the same cookie, a minute later: still nobody
        assert get(client, "/account/tokens").status_code == 302
        assert "You were signed out" not in get(client, "/sign-in").get_data(as_text=True)


def test_a_session_ends_twelve_hours_after_signing_in_however_busy(client, session):
    start = now()
    row = signed_in_at(client, session, start)
    moment = start
    while moment + timedelta(minutes=50) < start + timedelta(hours=12):
        moment += timedelta(minutes=50)
        with frozen_at(moment):
            assert get(client, "/account/tokens").status_code == 200, moment - start
    with frozen_at(start + timedelta(hours=12)):
        response = get(client, "/")
        assert response.status_code == 302 and response.headers["Location"] == "/sign-in?next=/"
        page = get(client, "/sign-in").get_data(as_text=True)
    assert "You were signed out because you signed in more than 12 hours ago" in page
    session.refresh(row)
    assert row.ended_because == "expired"


def test_the_last_activity_is_recorded_at_most_once_a_minute(client, session, writes):
    start = now()
    row = signed_in_at(client, session, start)
    seen = []
    for seconds in (30, 61, 90, 120, 122):
        writes.clear()
        with frozen_at(start + timedelta(seconds=seconds)):
            assert get(client, "/account/tokens").status_code == 200
        session.refresh(row)
        seen.append((seconds, row.last_seen_at - start if row.last_seen_at else None, len(writes)))
    # A request within a minute of the last recorded one writes nothing at all.
    assert seen == [(30, None, 0), (61, timedelta(seconds=61), 1), (90, timedelta(seconds=61), 0),
                    (120, timedelta(seconds=61), 0), (122, timedelta(seconds=122), 1)]
    assert all("user_session" in statement for statement in writes)
    # The idle hour counts from the last activity recorded, not from signing in.
    with frozen_at(start + timedelta(seconds=122) + timedelta(minutes=59)):
        assert get(client, "/account/tokens").status_code == 200


def _old_sessions(session: Any) -> dict[str, int]:
    """Sessions of every kind, their ids by what they are."""
    user = factories.user(session, "agency")
    at = now()
    day = timedelta(days=1)
    rows = {
        "ended 31 days ago": UserSession(token_sha256="a" * 64, user_id=user.id, created_at=at - 32 * day,
                                         ended_at=at - 31 * day, ended_because="signed out"),
        "ended 29 days ago": UserSession(token_sha256="b" * 64, user_id=user.id, created_at=at - 30 * day,
                                         ended_at=at - 29 * day, ended_because="signed out"),
        "idle since 31 days ago, never seen again": UserSession(
            token_sha256="c" * 64, user_id=user.id, created_at=at - 31 * day - timedelta(hours=2),
            last_seen_at=at - 31 * day - timedelta(hours=1)),
        # In use until 40 minutes before its 12 hours ran out, 30 days and 30 minutes ago.
        "past its 12 hours 30 days and 30 minutes ago": UserSession(
            token_sha256="d" * 64, user_id=user.id, created_at=at - 30 * day - timedelta(hours=12, minutes=30),
            last_seen_at=at - 30 * day - timedelta(minutes=40)),
        "idle for 29 days": UserSession(token_sha256="e" * 64, user_id=user.id, created_at=at - 29 * day,
                                        last_seen_at=at - 29 * day + timedelta(minutes=5)),
        "live": UserSession(token_sha256="f" * 64, user_id=user.id, created_at=at - timedelta(minutes=10)),
    }
    session.add_all(rows.values())
    session.flush()
    return {what: row.id for what, row in rows.items()}


KEPT = {"ended 29 days ago", "idle for 29 days", "live"}


def _left(session: Any, ids: dict[str, int]) -> set[str]:
    session.expire_all()
    present = set(session.scalars(select(UserSession.id).where(UserSession.id.in_(ids.values()))))
    return {what for what, row_id in ids.items() if row_id in present}


def test_the_hourly_task_deletes_sessions_unusable_for_over_30_days(app, session):
    from procurement.core.schedule import TASKS

    ids = _old_sessions(session)
    task = TASKS["parties.prune_sessions"]
    assert task.every_seconds == 3600
    assert task.run() == 3
    assert _left(session, ids) == KEPT
    assert task.run() == 0  # idempotent


def test_flask_users_prune_sessions(app, session):
    ids = _old_sessions(session)
    result = app.test_cli_runner().invoke(args=["users", "prune-sessions"])
    assert result.exit_code == 0, result.output
    assert "Deleted 3 session record(s) unused for over 30 days" in result.output
    assert _left(session, ids) == KEPT


def test_the_last_activity_is_kept_by_a_real_get_and_skipped_while_sqlite_is_locked(committed_app: Any) -> None:
    """On an app whose commits are real, a GET's transaction ends in a rollback; the touch is
    committed by itself, first. While another connection holds SQLite's write lock the page
    still answers at once, without the touch."""
    import time

    from flask import g
    from sqlalchemy import text

    from procurement.core.db import writing

    app = committed_app
    app.config.update(SESSION_IDLE_MINUTES=60, SESSION_MAX_HOURS=12)
    start = now()
    with app.app_context(), writing():
        user = factories.user(db.session, "buyer")
        db.session.commit()
        email, user_id = user.email, user.id
    try:
        with app.test_client() as client:
            with frozen_at(start):
                assert sign_in(client, email, factories.PASSWORD).status_code == 302
            g.pop("_login_user", None)
            with frozen_at(start + timedelta(minutes=2)):
                assert client.get("/account/tokens").status_code == 200
            with app.app_context():
                seen = db.session.scalars(select(UserSession.last_seen_at).where(UserSession.user_id == user_id)).one()
            assert seen == start + timedelta(minutes=2)
            if app.config["DATABASE_URL"].startswith("sqlite"):
                import sqlite3

                holder = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), isolation_level=None)
                holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
                try:
                    g.pop("_login_user", None)
                    with frozen_at(start + timedelta(minutes=4)):
                        began = time.monotonic()
                        assert client.get("/account/tokens").status_code == 200
                        assert time.monotonic() - began < 4  # not the 5 s a writer would wait
                finally:
                    holder.execute("ROLLBACK")
                    holder.close()
                with app.app_context():
                    kept = db.session.scalars(select(UserSession.last_seen_at).where(UserSession.user_id == user_id)).one()
                assert kept == start + timedelta(minutes=2)
    finally:
        app.config.update(SESSION_IDLE_MINUTES=int(os.environ["SESSION_IDLE_MINUTES"]),
                          SESSION_MAX_HOURS=int(os.environ["SESSION_MAX_HOURS"]))
        with app.app_context(), writing():
            db.session.execute(text("DELETE FROM user_session WHERE user_id = :u"), {"u": user_id})
            db.session.commit()
