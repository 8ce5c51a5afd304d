"""Test fixtures: the same database tests on SQLite and on PostgreSQL.

The schema is built by the migrations (so models and migrations are exercised together);
each test runs inside a transaction that is rolled back at its end, and the app's sessions
join it through savepoints. Nothing is skipped for want of a service: a missing PostgreSQL
or Redis fails the run with its name.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

# Cheaper argon2id for the suite (set before the hasher is built); still argon2id.
os.environ.setdefault("ARGON2_MEMORY_COST", "1024")
os.environ.setdefault("ARGON2_TIME_COST", "1")
# The suite signs in hundreds of times a minute from one address, and moves the clock days
# ahead of a sign-in to act after a deadline: rate limits are off and sessions last for years,
# except in the tests of those limits (tests/integration/parties), which set them back.
os.environ.setdefault("RATELIMIT_ENABLED", "0")
# Agency and admin accounts sign in with a password alone in the suite (hundreds of tests sign
# in as them); the tests of two-factor sign-in set app.config["TWO_FACTOR_ROLES"] themselves.
os.environ.setdefault("TWO_FACTOR_ROLES", "")
os.environ.setdefault("SESSION_IDLE_MINUTES", str(10 * 365 * 24 * 60))
os.environ.setdefault("SESSION_MAX_HOURS", str(10 * 365 * 24))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url

from procurement import migrate
from procurement.factory import create_app  # noqa: E402
from procurement.core.access import SystemActor  # noqa: E402
from procurement.core.db import db  # noqa: E402

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/ljp_test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
# Under pytest-xdist (`-n 2`) each worker process has databases and a Redis number of its own:
# ljp_test_gw0..., Redis 11 for gw0, 12 for gw1 (the base number plus the worker's index).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if WORKER:
    _url = make_url(POSTGRES_URL)
    POSTGRES_URL = _url.set(database=f"{_url.database}_{WORKER}").render_as_string(hide_password=False)
    _redis = make_url(REDIS_URL)
    REDIS_URL = _redis.set(database=str(int(_redis.database or 0) + int(WORKER.removeprefix("gw")))).render_as_string(
        hide_password=False)
BACKENDS = [b.strip() for b in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if b.strip()]
if os.environ.get("CI") == "true":
    BACKENDS = ["sqlite", "postgresql"]  # CI never narrows the suite


def postgres_database(name: str) -> str:
    """A fresh, empty PostgreSQL database of the project's own, created if missing. Names
    start with TEST_POSTGRES_URL's database ("ljp_test"), so a second run of the suite on
    the same server (another checkout, given its own URL and Redis number) never meets this one."""
    url = make_url(POSTGRES_URL)
    name = (url.database or "ljp_test") + name.removeprefix("ljp_test")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - turned into a plain failure naming the service
        pytest.fail(f"PostgreSQL is needed at {url.render_as_string()} and is not reachable: {exc}", pytrace=False)
    finally:
        admin.dispose()
    target = url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return target


def fresh_redis() -> Any:
    """A client of the tests' own Redis database, emptied; a missing Redis fails the run."""
    from redis import Redis

    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        connection.ping()
    except Exception as exc:  # noqa: BLE001 - a missing Redis fails the run, never skips
        pytest.fail(f"Redis is needed at {REDIS_URL} and is not reachable: {exc}", pytrace=False)
    connection.flushdb()
    return connection


def fresh_database_url(backend: str, name: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.db')}"
    return postgres_database(name)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp(f"app-{backend}")
    url = fresh_database_url(backend, "ljp_test", tmp)
    migrate.upgrade(url)
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    application = create_app(
        {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test-secret", "BID_SEALING_KEY": "test-key"}
    )
    from procurement.seed import load_cpv_codes

    with application.app_context():  # reference data every test may use, committed once
        load_cpv_codes(db.session)
        db.session.commit()
    yield application
    db.bound(application).engine.dispose()


@pytest.fixture()
def session(app: Any) -> Iterator[Any]:
    """A session in a transaction rolled back after the test; requests join it."""
    bound = db.bound(app)
    connection = bound.engine.connect()
    outer = connection.begin()
    bound.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    test_session = bound.sessionmaker()
    try:
        with app.app_context():
            yield test_session
    finally:
        test_session.close()
        outer.rollback()
        connection.close()
        bound.sessionmaker.configure(bind=bound.engine, join_transaction_mode="conservative_savepoint")


@pytest.fixture()
def client(app: Any, session: Any) -> Any:
    return app.test_client()


@pytest.fixture()
def system() -> SystemActor:
    return SystemActor("test")


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)" name="csrf_token"'
                        r'|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the page"
    return next(group for group in match.groups() if group)


def csrf_token(client: Any, page: str | None = None) -> str:
    """A CSRF token for this client's session, from a page that has a form."""
    for candidate in ([page] if page else ["/", "/sign-in"]):
        match = CSRF_INPUT.search(client.get(candidate).get_data(as_text=True))
        if match:
            return next(group for group in match.groups() if group)
    raise AssertionError("no CSRF token on the page")


def sign_in(client: Any, email: str, password: str) -> Any:
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"csrf_token": token, "email": email, "password": password})


def submit_bid_by_form(browser: Any, tender_id: int, fields: dict[str, Any], **post: Any) -> Any:
    """A supplier fills in the bid form, continues to check its answers, and submits from the
    review page (which carries the draft's digest): the last response (a redirect to the
    receipt, or whatever stopped the way there)."""
    page = f"/opportunities/{tender_id}/bid"
    token = csrf_token(browser, page)
    response = browser.post(page, data={"csrf_token": token, **fields, "action": "review"}, **post)
    if response.status_code != 302 or not response.headers["Location"].endswith("/bid/review"):
        return response
    review = browser.get(response.headers["Location"]).get_data(as_text=True)
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', review)
    assert digest, "the review page offers no submission"
    return browser.post(f"{page}/submit", data={"csrf_token": token, "digest": digest.group(1)})


@pytest.fixture(scope="module")
def committed_app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """An app on a database of its own whose commits are real, for work that runs as jobs
    (a worker process, or a second connection writing progress, must see it)."""
    from procurement.seed import load_cpv_codes

    tmp = tmp_path_factory.mktemp(f"committed-{backend}")
    url = fresh_database_url(backend, "ljp_test_jobs", tmp)
    migrate.upgrade(url)
    previous = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    application = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "jobs", "BID_SEALING_KEY": "k",
                              "REDIS_URL": None})
    with application.app_context():
        load_cpv_codes(db.session)
        db.session.commit()
    yield application
    db.bound(application).engine.dispose()
    if previous is not None:
        os.environ["INSTANCE_PATH"] = previous


def assert_page_access(response: Any, role: str, allowed: set[str], refused: int = 403) -> None:
    """Anonymous users are sent to sign in; allowed roles get the page (or a redirect after a
    form); the others get `refused` (403, or 404 where existence itself is private)."""
    if role == "anonymous":
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    elif role in allowed:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == refused, response.status_code
        if refused == 403:
            assert "You do not have access" in response.get_data(as_text=True)


@contextmanager
def fresh_browser(app: Any) -> Iterator[Any]:
    """A browser of its own. The tests share one app context, whose `g` holds Flask-Login's
    last signed-in user and Flask-WTF's CSRF token; a new browser starts without them."""
    from flask import g

    for key in ("_login_user", "csrf_token"):
        g.pop(key, None)
    with app.test_client() as browser:
        yield browser
    for key in ("_login_user", "csrf_token"):
        g.pop(key, None)


# ClamAV's daemon, run by the tests with a signature database of our own ------------------

# The EICAR anti-virus test file, in two halves so that this source file is not itself one.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
CLAMD_SIGNATURE = "LJP.Test.EICAR"


def _clamd_binary() -> str:
    import shutil

    found = shutil.which("clamd") or next((p for p in ("/usr/sbin/clamd", "/usr/local/sbin/clamd")
                                           if os.access(p, os.X_OK)), None)
    if found is None:
        where = " (CI)" if os.environ.get("CI") == "true" else ""
        pytest.fail(f"clamd (ClamAV's daemon) is needed for the virus-scanning tests{where}: "
                    "apt-get install clamav-daemon (scripts/test.sh does so as root)", pytrace=False)
    return found


@pytest.fixture(scope="session")
def clamd_url() -> Iterator[str]:
    """A clamd of the tests' own, on a unix socket: its database holds one body signature, the
    EICAR string (`LJP.Test.EICAR`), so it starts in a moment and needs no freshclam. Yields
    its CLAMD_URL; stopped at the end of the session."""
    import shutil
    import subprocess
    import tempfile
    import time

    from procurement.core.clamd import Clamd, ClamdError

    binary = _clamd_binary()
    folder = Path(tempfile.mkdtemp(prefix="ljp-clamd-"))  # short: a unix socket's path is at most 107 bytes
    (folder / "db").mkdir()
    (folder / "db" / "ljp-test.ndb").write_text(f"{CLAMD_SIGNATURE}:0:*:{EICAR.hex()}\n")
    socket_path, log = folder / "clamd.sock", folder / "clamd.log"
    # Foreground, no User (as root it then stays root: it has nothing to drop to), no self-check.
    (folder / "clamd.conf").write_text(
        f"LocalSocket {socket_path}\nForeground yes\nDatabaseDirectory {folder / 'db'}\n"
        f"TemporaryDirectory {folder}\nLogFile {log}\nStreamMaxLength 30M\nMaxThreads 4\nSelfCheck 0\n")
    process = subprocess.Popen([binary, "-c", str(folder / "clamd.conf")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    url = f"unix://{socket_path}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                Clamd(url, timeout=2).ping()
                break
            except ClamdError:
                if process.poll() is not None or time.monotonic() > deadline:
                    said = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    pytest.fail(f"clamd ({binary}) did not answer PING: {said}", pytrace=False)
                time.sleep(0.05)  # poll: the socket appears once the database is loaded
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def scanning(app: Any, clamd_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Uploads in this test are scanned by the tests' clamd."""
    monkeypatch.setitem(app.config, "CLAMD_URL", clamd_url)
    return clamd_url
