"""A read never writes: every GET route of the app (pages and /api), as anonymous and as each
role, issues no INSERT, UPDATE or DELETE and takes no row lock, on the demo at a moment when
the clock has made moves due (the open tender's deadline has passed). The one write a read
may make is listed below with its reason."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Iterator

import pytest
from sqlalchemy import event, select

from procurement.core.clock import frozen_at
from tests.integration.test_refused_requests import DEMO, ROLES, _tender_for, connection, demo  # noqa: F401  (fixtures)

WRITING = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b|\bFOR (NO KEY )?UPDATE\b", re.IGNORECASE)
# Writes a read makes on purpose, with why: access records, never a change of state.
ACCESS_RECORDS = {
    "UPDATE api_token SET last_used_at": "an API token's last use, shown to its owner so a forgotten token can be revoked",
    "UPDATE user_session SET last_seen_at": "a session's last activity, at most once a minute, which the idle limit ends it by",
}
SKIP = {"/static/<path:filename>", "/assets/<path:filename>", "/api/", "/api/<path:path>"}


def _get_routes() -> list[str]:
    from procurement.factory import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "SKIP_DATABASE_CHECK": True, "TESTING": True,
                      "SECRET_KEY": "routes", "BID_SEALING_KEY": "routes"})
    return sorted({r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and r.rule not in SKIP})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "get_route" in metafunc.fixturenames:
        metafunc.parametrize("get_route", _get_routes())


@pytest.fixture(scope="module")
def read_ids(demo: dict[str, Any]) -> dict[str, Any]:
    """Ids for the routes the write sweep does not take, and the moment after the open
    tender's deadline."""
    from opendata.ocds import ocid
    from procurement.core.db import db
    from procurement.core.documents import Document
    from procurement.parties.models import User
    from tenders.models import Bid, BidVersion, Tender

    with demo["app"].app_context():
        session = db.session
        tenders = demo["ids"]["tenders"]
        published = session.get(Tender, tenders["published"])
        decided = session.get(Tender, tenders["decided"])
        supplier_id = session.scalar(select(Bid.supplier_id).where(Bid.tender_id == published.id).limit(1))
        ids = {
            "document_id": session.scalar(select(Document.id).order_by(Document.id).limit(1)),
            "organisation_id": next(iter(session.scalar(select(User).where(User.email == DEMO["buyer"])).organisation_ids)),
            "supplier_id": supplier_id or 1,
            "version": session.scalar(select(BidVersion.version).join(Bid).where(Bid.tender_id == published.id).limit(1)) or 1,
            "ocid": ocid(demo["app"].config["OCDS_OCID_PREFIX"], decided.id),
            "import_id": 1, "upload_id": 1, "request_id": 1,
            "after_deadline": published.submission_deadline + timedelta(hours=1),
        }
    return ids


def _path(template: str, demo: dict[str, Any], read_ids: dict[str, Any]) -> str:
    known = {**demo["ids"], **read_ids}

    def fill(match: re.Match) -> str:
        name = match.group(2)
        if name == "tender_id":
            return str(_tender_for(template, demo["ids"]["tenders"]))
        return str(known.get(name, 1))

    return re.sub(r"<(\w+:)?(\w+)>", fill, template)


@pytest.fixture()
def statements(demo: dict[str, Any], connection: Any) -> Iterator[list[str]]:
    from procurement.core.db import db

    seen: list[str] = []
    engine = db.bound(demo["app"]).engine

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_get_writes_nothing(demo, read_ids, statements, get_route):
    path = _path(get_route, demo, read_ids)
    problems = []
    with frozen_at(read_ids["after_deadline"]):
        for role in ROLES:
            statements.clear()
            browser, _ = demo["browsers"][role]
            headers = {}
            if path.startswith("/api/v1/") and role != "anonymous":
                headers["Authorization"] = f"Bearer {demo['ids']['tokens'][role]}"
            response = (demo["app"].test_client() if headers else browser).get(path, headers=headers)
            response.close()  # a file sent is closed once read
            assert response.status_code < 500, (role, path, response.status_code)
            written = [s.split("\n")[0][:120] for s in statements
                       if WRITING.search(s) and not s.lstrip().startswith(tuple(ACCESS_RECORDS))]
            if written:
                problems.append(f"{role}: {written}")
    assert not problems, f"GET {path} wrote: " + "; ".join(problems)
