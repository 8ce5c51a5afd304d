"""The change feed under concurrent writers, on PostgreSQL: transactions commit out of the order
they started in, one is held open while others wait and the reader reads, and a storm of writers
runs beside a reader following the cursor. Every committed change is seen by the reader at its
position or later: none is skipped. Threads wait for conditions (events, PostgreSQL's lock
table), never for a length of time."""
from __future__ import annotations

import os
import random
import threading
import time
from typing import Any

import pytest
from sqlalchemy import text, update

from opendata import feed
from procurement import migrate
from procurement.core.access import SystemActor
from procurement.core.audit import record_event
from procurement.core.db import db
from procurement.factory import create_app
from tenders.models import Tender
from tests import factories
from tests.conftest import postgres_database

TIMEOUT = 30


@pytest.fixture(scope="module")
def feed_app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from procurement.seed import load_cpv_codes

    if backend != "postgresql":
        pytest.skip("the concurrent writers run on PostgreSQL (SQLite has one writer at a time)")
    url = postgres_database("ljp_test_feed")
    migrate.upgrade(url)
    previous = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = str(tmp_path_factory.mktemp("feed") / "instance")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "feed", "BID_SEALING_KEY": "feed-key",
                      "REDIS_URL": None})
    with app.app_context():
        load_cpv_codes(db.session)
        db.session.commit()
    yield app
    db.bound(app).engine.dispose()
    if previous is not None:
        os.environ["INSTANCE_PATH"] = previous


def wait_for(condition, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)  # polling a condition, not waiting for luck


class Reader:
    """An integrator: keeps its cursor, asks for the next page until there is no more."""

    def __init__(self, app: Any):
        self.app, self.cursor, self.seen = app, "", {}
        self.pages = 0

    def read(self) -> list[feed.Change]:
        got = []
        with self.app.app_context():
            factory = db.bound(self.app).sessionmaker
            while True:
                session = factory()
                try:
                    page = feed.changes(session, feed.decode(self.cursor), limit=2)
                finally:
                    session.close()
                self.pages += 1
                for change in page.changes:
                    assert change.position > feed.decode(self.cursor)
                    self.seen[change.tender_id] = max(self.seen.get(change.tender_id, 0), change.position)
                got += page.changes
                self.cursor = page.next_cursor
                if not page.more:
                    return got

    def missed(self, committed: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The committed (tender, seq) changes the reader has not seen at or after their seq."""
        return [(t, seq) for t, seq in committed if self.seen.get(t, 0) < seq]


def change(app: Any, tender_id: int, committed: list, lock: threading.Lock, *, started: threading.Event | None = None,
           recorded: threading.Event | None = None, go: threading.Event | None = None) -> None:
    """A writer: changes the tender and records it, in one transaction; optionally starting,
    then waiting, or recording, then holding the transaction open, until told to go on."""
    with app.app_context():
        session = db.bound(app).sessionmaker()
        try:
            session.execute(update(Tender).where(Tender.id == tender_id).values(description=f"changed {time.time()}"))
            if started is not None:
                started.set()
            if go is not None and recorded is None:
                assert go.wait(TIMEOUT)
            event = record_event(session, SystemActor("test"), "tender.details_set", subject_type="tender",
                                 subject_id=tender_id, details={"test": True})
            seq = event.seq
            if recorded is not None:
                recorded.set()
                assert go is not None and go.wait(TIMEOUT)
            session.commit()
            with lock:
                committed.append((tender_id, seq))
        finally:
            session.close()


def waiting_on_the_audit_lock(app: Any) -> int:
    with app.app_context():
        with db.bound(app).engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))


def test_a_reader_following_the_cursor_misses_no_late_commit(feed_app):
    with feed_app.app_context():
        session = db.session
        tenders = [factories.published_tender(session)["tender"].id for _ in range(6)]
        session.commit()
    reader = Reader(feed_app)
    reader.read()
    assert set(tenders) <= set(reader.seen)  # every published tender, at its publication
    committed: list[tuple[int, int]] = []
    lock = threading.Lock()

    # 1. Started in one order, committed in the other: A starts first and commits last.
    a_started, go_a = threading.Event(), threading.Event()
    a = threading.Thread(target=change, args=(feed_app, tenders[0], committed, lock),
                         kwargs={"started": a_started, "go": go_a})
    a.start()
    assert a_started.wait(TIMEOUT)
    change(feed_app, tenders[1], committed, lock)  # B: starts after A, commits before it
    reader.read()
    assert reader.missed(committed) == []
    go_a.set()
    a.join(TIMEOUT)
    reader.read()
    assert len(committed) == 2 and reader.missed(committed) == []

    # 2. A transaction holds its change (and the audit lock) open; two more writers wait on it;
    #    the reader reads meanwhile and must not move past what is still to commit.
    recorded, go = threading.Event(), threading.Event()
    held = threading.Thread(target=change, args=(feed_app, tenders[2], committed, lock),
                            kwargs={"recorded": recorded, "go": go})
    held.start()
    assert recorded.wait(TIMEOUT)
    others = [threading.Thread(target=change, args=(feed_app, t, committed, lock)) for t in tenders[3:5]]
    for thread in others:
        thread.start()
    wait_for(lambda: waiting_on_the_audit_lock(feed_app) == 2, "both writers to wait on the held one")
    before = dict(reader.seen)
    reader.read()
    assert reader.seen == before  # nothing of the three yet: none has committed
    go.set()
    for thread in [held, *others]:
        thread.join(TIMEOUT)
    reader.read()
    assert len(committed) == 5 and reader.missed(committed) == []

    # 3. A storm: writers on random tenders, some holding their transaction until a later one
    #    has started, beside a reader following the cursor all along.
    done = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        rng = random.Random(n)
        try:
            for _ in range(8):
                change(feed_app, rng.choice(tenders), committed, lock)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    def follow() -> None:
        try:
            while not done.is_set():
                reader.read()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    follower = threading.Thread(target=follow)
    follower.start()
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(TIMEOUT * 2)
    done.set()
    follower.join(TIMEOUT)
    assert errors == []
    reader.read()
    assert len(committed) == 5 + 6 * 8
    assert reader.missed(committed) == []
    assert reader.pages > 10


def test_the_cursor_is_opaque_and_checked():
    assert feed.decode(feed.encode(12345)) == 12345 and feed.decode("") == 0
    assert "12345" not in feed.encode(12345)
    for forged in ("12345", "not base64!", feed.encode(1)[:-1] + "$", "MS4tMQ", "Mi41", "x" * 41):
        with pytest.raises(feed.BadCursor):
            feed.decode(forged)
