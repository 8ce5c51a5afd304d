"""Declarative base, one constraint naming convention, and one session per request or job."""
from __future__ import annotations

import enum
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterator

from flask import Flask, current_app, g, request
from sqlalchemy import DateTime, Enum, MetaData, Numeric, String, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from .errors import StartupError

MAX_ID = 2**31 - 1  # the largest id a column can hold (PostgreSQL integer): bound every id taken as input

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on PostgreSQL and on SQLite (which forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store timezone-aware UTC")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class ExactDecimal(TypeDecorator):
    """An exact Decimal. SQLite has no decimal type, so there it is kept as text (and never
    rounded through a float); PostgreSQL keeps NUMERIC(precision, scale)."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 2):
        super().__init__(precision=precision, scale=scale)
        self.precision, self.scale = precision, scale
        self.quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale))

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None:
            return None
        amount = Decimal(value).quantize(self.quantum)
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class Money(ExactDecimal):
    """GBP ex VAT in pence precision: NUMERIC(14, 2)."""

    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 2):
        super().__init__(precision, scale)


def str_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A string column limited to the enum's values by a named CHECK constraint."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money()}


def make_engine(url: str) -> Engine:
    engine = _make_engine(url)
    _forget_after_fork(engine)
    return engine


def _forget_after_fork(engine: Engine) -> None:
    """A forked process (an RQ work horse) must not use the parent's pooled connections: it
    would share their sockets with the parent (measured: "server closed the connection
    unexpectedly" in two of 134 document jobs). The child drops them without closing the
    parent's, as SQLAlchemy's guide to os.fork() says."""
    import os
    import weakref

    reference = weakref.ref(engine)

    def in_child() -> None:
        alive = reference()
        if alive is not None:
            alive.dispose(close=False)

    os.register_at_fork(after_in_child=in_child)


# SQLite lets a transaction that began by reading write later only if nobody else has written
# in between; if someone has, it fails at once with "database is locked" (WAL's busy snapshot:
# the busy timeout does not apply). A unit of work that will write - a request that changes
# something, a job - therefore begins as a writer (BEGIN IMMEDIATE) and waits its turn.
# PostgreSQL is unaffected.
_writes = ContextVar("sqlite_begin_immediate", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Transactions begun inside this block take SQLite's write lock from the start."""
    token = _writes.set(True)
    try:
        yield
    finally:
        _writes.reset(token)


def end_request_writing() -> None:
    """The request's transactions no longer begin as SQLite writers: at its end, and when an
    error page is rendered after a failed write (its reads, the signed-in user for the page's
    header, must not wait for the write lock again)."""
    token = g.pop("db_writer", None)
    if token is not None:
        _writes.reset(token)


SQLITE_BUSY_MS = 5000  # how long a SQLite writer waits for the one write lock


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, begin transactions, so SAVEPOINT works.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes.get() else "BEGIN")

        return engine
    # No server-side prepared statements: a generic plan cannot see how selective a full-text
    # query or a CPV range is, and picks the wrong index (measured: 40 ms instead of 5 ms).
    return create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None})


class Database:
    """Bound to an app with `init_app`; `db.session` is the session of the current context."""

    def init_app(self, app: Flask) -> None:
        url = app.config["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(url)
        app.extensions["db"] = _Bound(engine, sessionmaker(engine, expire_on_commit=False))
        app.teardown_appcontext(self._close_session)
        app.before_request(self._writer_for_changes)
        app.teardown_request(self._end_writer)

    @staticmethod
    def _writer_for_changes() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            g.db_writer = _writes.set(True)

    @staticmethod
    def _end_writer(_exc: BaseException | None) -> None:
        end_request_writing()

    @staticmethod
    def bound(app: Flask | None = None) -> "_Bound":
        return (app or current_app).extensions["db"]

    @property
    def engine(self) -> Engine:
        return self.bound().engine

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.bound().sessionmaker()
        return g.db_session

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


class _Bound:
    def __init__(self, engine: Engine, factory: sessionmaker[Session]):
        self.engine = engine
        self.sessionmaker = factory


def check_database(engine: Engine) -> None:
    """Fail at start-up, in plain words, when the database cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        url = engine.url.render_as_string(hide_password=True)
        raise StartupError(f"cannot reach the database at {url}: {reason}") from None


db = Database()


def on_postgresql(session: Session) -> bool:
    """Whether the session's database is PostgreSQL (row locks, COPY, full-text search), not SQLite."""
    return session.get_bind().dialect.name == "postgresql"
