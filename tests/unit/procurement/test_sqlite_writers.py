"""SQLite and concurrent writers: a transaction that began by reading cannot write once someone
else has written ("database is locked" at once, whatever the busy timeout), so a unit of work
that will write begins as a writer. Found by the browser journey: a borough saving a
requirement got a 500 while the worker was making documents."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from procurement.core import db as database
from procurement.core.db import make_engine, writing


@pytest.fixture()
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


def _someone_else_writes(engine) -> None:
    other = sqlite3.connect(engine.url.database, timeout=0)
    try:
        other.execute("INSERT INTO t VALUES (99)")
        other.commit()
    finally:
        other.close()


def test_a_reader_that_writes_after_someone_else_did_is_refused(engine):
    with Session(engine) as session:
        session.execute(text("SELECT count(*) FROM t")).scalar()
        _someone_else_writes(engine)
        with pytest.raises(OperationalError, match="database is locked"):
            session.execute(text("INSERT INTO t VALUES (1)"))


def test_a_writer_holds_the_lock_from_its_first_statement(engine):
    with writing(), Session(engine) as session:
        session.execute(text("SELECT count(*) FROM t")).scalar()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            _someone_else_writes(engine)  # waits for the writer; with no timeout, refused
        session.execute(text("INSERT INTO t VALUES (1)"))
        session.commit()
    _someone_else_writes(engine)  # and after it, anyone may write
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 99]


def test_requests_that_change_something_begin_as_writers(app):
    from flask import g

    with app.test_request_context("/", method="POST"):
        app.preprocess_request()
        assert database._writes.get() is True
        app.do_teardown_request(None)
        assert database._writes.get() is False and "db_writer" not in g
    with app.test_request_context("/", method="GET"):
        app.preprocess_request()
        assert database._writes.get() is False


def test_a_job_runs_as_a_writer(monkeypatch):
    from procurement.core import jobrecords

    seen = []
    monkeypatch.setattr(jobrecords, "_run_job", lambda job_id, runner: seen.append(database._writes.get()) or {})
    jobrecords.run_job(1)
    assert seen == [True] and database._writes.get() is False
