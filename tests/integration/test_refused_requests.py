"""A refused request leaves the database as it was (issue 16, point 5).

Views answer a service's refusal themselves (the form again, or a message and a redirect,
both under 400), so the request boundary used to commit whatever the service had flushed
before it refused. Here: the marks and moderation examples, then every write route of the
app (pages and /api/v1) as each role and anonymously, with nothing in the request but what
lets it in (a CSRF token; a bearer token and JSON that does not parse), each checked
against a fingerprint of every table before and after.
"""
from __future__ import annotations

import hashlib
import itertools
import os
import re
from typing import Any, Iterator

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from procurement.core.audit import AuditEvent, verify_chain
from procurement.core.clock import frozen_at
from tenders.award import evaluation
from tenders.models import Consensus, Evaluator, Mark, OpenedBid
from tests import factories
from tests.conftest import csrf_token, fresh_browser, fresh_database_url, sign_in
from tenders.bidding import clarifications

ROLES = ["anonymous", "buyer", "supplier", "agency", "admin"]
DEMO = {"buyer": "buyer.camden@demo.londonconnects.example", "supplier": "supplier.thames@demo.londonconnects.example",
        "agency": "agency.lead@demo.londonconnects.example", "admin": "admin@demo.londonconnects.example"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

# Routes that act on a request with nothing in it, as the sweep below finds them on the demo:
# their whole form is a button (a CSRF token, or a bearer token and no body, is the user's
# confirmation), or every field has a default. Only these may change the database in the
# sweep, and never when the answer is a refusal.
ACT_ON_CONFIRMATION = {
    "POST /sign-out": "signing out is the button; it is recorded in the audit log",
    "POST /notifications/<notification_id>/open": "opening one's own notification marks it read",
    "POST /notifications/read": "marking one's own notifications read is the button",
    "POST /supplier/alerts": "no CPV codes is a choice: the supplier hears of no new tender",
    "POST /account/tokens/<token_id>/revoke": "revoking one's own token is the button",
    "POST /admin/users/<user_id>/active": "deactivating an account is the button",
    "POST /admin/users/<user_id>/unlock": "unlocking an account is the button",
    "POST /admin/users/<user_id>/two-factor/off": "turning off someone's two-factor sign-in is the button",
    "POST /account/email/confirm/<token>": "confirming a new address is the button (the emailed link is the proof)",
    "POST /account/recovery-codes": "making new recovery codes is the button",
    "POST /catalogue/offers/<offer_id>/withdraw": "withdrawing one's own offer is the button",
    "POST /requirements/<requirement_id>/submit": "submitting one's own draft is the button",
    "POST /requirements/<requirement_id>/withdraw": "withdrawing one's own draft is the button",
    "POST /tenders/<tender_id>/criteria": "a draft's criteria are those entered: none clears them (publishing asks)",
    "POST /tenders/<tender_id>/award-rules": "every award rule has a default (not optimised, one supplier a lot)",
    "POST /opportunities/<tender_id>/follow": "following an open tender is the button",
    "POST /opportunities/<tender_id>/unfollow": "stopping following a tender is the button",
    "POST /tenders/<tender_id>/opening/request": "asking to open the box is the button (a second user confirms)",
    "POST /tenders/<tender_id>/evaluation/contracts": "entering the contracts once standstill is over is the button",
    "POST /tenders/<tender_id>/evaluation/pack": "asking for the award pack is the button",
    "POST /reports/savings": "asking for the PDF of a report with no filter: every organisation one may see",
    "DELETE /api/v1/tokens/<token_id>": "revokes the token; the request has no body",
    "DELETE /api/v1/catalogue/offers/<offer_id>": "withdraws one's own offer; the request has no body",
    "POST /api/v1/requirements/<requirement_id>/submit": "submits one's own draft; the request has no body",
    "POST /api/v1/tenders/<tender_id>/opening/request": "asks to open the box; the request has no body",
}
# Where an empty form is a request that may succeed, what makes it one that is refused.
REFUSED_WITH = {
    "POST /opportunities/<tender_id>/bid": {"action": "review"},  # an empty bid may be saved; not taken to its review
    "POST /tenders/<tender_id>/evaluation/marks": {"action": "submit"},
    "POST /sign-in": {"email": DEMO["buyer"], "password": "not the password"},
}
# A failed sign-in is refused and yet recorded: the attempt is what lockout counts, and the
# audit log keeps it. The one route allowed to change these tables on refusal.
SIGN_IN_RECORDS = {"sign_in_attempt", "audit_event"}


# The marks example ------------------------------------------------------------------------

def test_marks_saved_before_a_refused_submit_are_not_kept(app, session):
    """'Save and submit' with a response unmarked: the marks saved on the way are undone with
    the refusal (they were committed), and the audit chain holds."""
    world = factories.opened_tender(session)
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    with frozen_at(world["after"]):
        evaluation.start_evaluation(session, lead, tender.id, [lead.id, panelist.id], lead.id)
        evaluation.declare(session, lead, tender.id, "No conflict of interest")
        session.flush()
        first = session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)).first()
        criterion = tender.criteria[0]
        one_mark = {f"score-{first.id}-{criterion.id}": "4", f"why-{first.id}-{criterion.id}": "Seen in the answer"}
        page = f"/tenders/{tender.id}/evaluation"
        with fresh_browser(app) as browser:
            sign_in(browser, lead.email, factories.PASSWORD)
            token = csrf_token(browser, page)
            events_before = session.scalar(select(func.count()).select_from(AuditEvent))
            refused = browser.post(f"{page}/marks", data={"csrf_token": token, "action": "submit", **one_mark})
            assert refused.status_code == 302
            assert "response(s) not marked" in browser.get(page).get_data(as_text=True)
            evaluator = session.scalar(select(Evaluator).where(Evaluator.tender_id == tender.id,
                                                               Evaluator.user_id == lead.id))
            session.expire_all()
            assert session.scalars(select(Mark).where(Mark.evaluator_id == evaluator.id)).all() == []
            assert evaluator.marks_submitted_at is None
            assert session.scalar(select(func.count()).select_from(AuditEvent)) == events_before
            # The same mark saved without submitting is kept, and extends the chain unbroken.
            saved = browser.post(f"{page}/marks", data={"csrf_token": token, "action": "save", **one_mark})
            assert saved.status_code == 302
    marks = session.scalars(select(Mark).where(Mark.evaluator_id == evaluator.id)).all()
    assert [(m.opened_bid_id, m.score) for m in marks] == [(first.id, 4)]
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events_before + 1
    assert verify_chain(session).ok


def test_moderated_scores_recorded_before_an_invalid_one_are_not_kept(app, session):
    """The lead records the panel's moderated scores in one form: the first is recorded, the
    second has no rationale and is refused, and the first goes with it."""
    world = factories.opened_tender(session)
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    opened = list(session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)))
    first, second = tender.criteria[0], tender.criteria[1]
    with frozen_at(world["after"]):
        factories.panel_marks(session, tender, lead, panelist, opened)
        session.flush()
        page = f"/tenders/{tender.id}/evaluation"
        with fresh_browser(app) as browser:
            sign_in(browser, lead.email, factories.PASSWORD)
            token = csrf_token(browser, page)
            response = browser.post(f"{page}/consensus", data={
                "csrf_token": token,
                f"cons-{opened[0].id}-{first.id}": "4", f"rationale-{opened[0].id}-{first.id}": "Agreed",
                f"cons-{opened[0].id}-{second.id}": "2", f"rationale-{opened[0].id}-{second.id}": "",
            })
            assert response.status_code == 302
            assert "with its rationale" in browser.get(page).get_data(as_text=True)
    assert session.scalars(select(Consensus).where(Consensus.opened_bid_id == opened[0].id)).all() == []
    assert verify_chain(session).ok


# Every write route, as every role ------------------------------------------------------------

def _route_cases() -> list[tuple[str, str, str]]:
    """(method, path template, test id) for every write rule; a rule choosing among words
    (<any(withdraw, reconfirm):action>) is a case per word."""
    from werkzeug.routing.converters import AnyConverter

    from procurement.factory import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "SKIP_DATABASE_CHECK": True, "TESTING": True,
                      "SECRET_KEY": "routes", "BID_SEALING_KEY": "routes"})
    cases = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "_api_not_found":
            continue  # the API's answer to a path it does not have: a 404, writing nothing
        choices = [[(name, word) for word in sorted(converter.items)] if isinstance(converter, AnyConverter)
                   else [(name, None)]
                   for name, converter in rule._converters.items()]
        for method in sorted(rule.methods & WRITES):
            for chosen in itertools.product(*choices):
                path = rule.rule
                for name, word in chosen:
                    segment = re.search(rf"<[^>]*:{name}>|<{name}>", path).group(0)
                    path = path.replace(segment, word if word is not None else f"<{name}>")
                cases.append((method, path, f"{method} {path}"))
    return cases


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "route" in metafunc.fixturenames:
        cases = _route_cases()
        metafunc.parametrize("route", [(m, p) for m, p, _ in cases], ids=[i for _, _, i in cases])


def _demo_ids(session: Any) -> dict[str, Any]:
    """Real objects of the demo for every id a route takes, with the few the demo lacks."""
    from catalogue.models import CatalogueItem, Offer
    from opendata.uk_notices.models import NoticeState, UkNotice
    from procurement.core.jobrecords import Job
    from procurement.parties.models import ApiToken, User
    from tenders.models import Lot, LotLine, LowPriceCheck, OptimisedAward, Tender, TenderStatus

    users = {role: session.scalar(select(User).where(User.email == email)) for role, email in DEMO.items()}
    tenders = {t.status: t for t in session.scalars(select(Tender))}
    draft, published = tenders[TenderStatus.draft], tenders[TenderStatus.published]
    closed, decided = tenders[TenderStatus.closed], tenders[TenderStatus.standstill]
    buyer_org = next(iter(users["buyer"].organisation_ids))
    line = session.scalar(select(LotLine).join(Lot).where(Lot.tender_id == draft.id).order_by(
        (LotLine.organisation_id != buyer_org), LotLine.id).limit(1))
    # The demo has no question and no low-price check: one of each, so their routes find them.
    question = clarifications.ask(session, users["supplier"], published.id, "Is next-day delivery required?")
    opened = session.scalar(select(OpenedBid).where(OpenedBid.tender_id == decided.id).order_by(OpenedBid.id).limit(1))
    lot = session.scalar(select(Lot).where(Lot.tender_id == decided.id).order_by(Lot.number).limit(1))
    check = LowPriceCheck(opened_bid_id=opened.id, lot_id=lot.id, reason="Far below the other bids")
    session.add(check)
    requirement = factories.requirement(session, users["buyer"], submit=False, organisation_id=buyer_org)
    supplier_id = next(iter(users["supplier"].supplier_ids))
    tokens = {role: factories.token_for(session, user) for role, user in users.items()}
    from procurement.notifications.services import notify
    from procurement.parties.links import issue_link
    from procurement.parties.models import LinkPurpose

    # A live reset link of the buyer's: an empty form on it is refused; as any other kind of link it is unknown.
    link_token = issue_link(session, LinkPurpose.reset_password, users["buyer"].email, user=users["buyer"])
    [told] = notify(session, [users["buyer"]], kind="contracts_entered", key="refused:contracts", subject="Contracts",
                    body="Entered", link="/awards")
    session.flush()
    ids = {
        "notification_id": told.id,
        "tenders": {"draft": draft.id, "published": published.id, "closed": closed.id, "decided": decided.id},
        "token_id": session.scalar(select(ApiToken.id).where(ApiToken.user_id == users["buyer"].id)),
        "user_id": users["buyer"].id,
        "item_id": session.scalar(select(CatalogueItem.id).order_by(CatalogueItem.id).limit(1)),
        "offer_id": session.scalar(select(Offer.id).where(Offer.supplier_id == supplier_id).order_by(Offer.id).limit(1)),
        "job_id": session.scalar(select(Job.id).order_by(Job.id).limit(1)),
        "requirement_id": requirement.id, "line_id": line.id, "clarification_id": question.id,
        "check_id": check.id, "lot_id": lot.id, "supplier_id": supplier_id,
        "organisation_id": buyer_org, "token": "not-a-real-link",  # joining (issue 20)
        "award_id": session.scalar(select(OptimisedAward.id).where(OptimisedAward.tender_id == decided.id)),
        "tokens": tokens, "token": link_token,
        # A published notice (issue 21): submitting or withdrawing it again is refused.
        "notice_id": session.scalar(select(UkNotice.id).where(UkNotice.state == NoticeState.published)
                                    .order_by(UkNotice.id).limit(1)),
    }
    return ids


def _tender_for(path: str, tenders: dict[str, int]) -> int:
    """The tender in the state a route works on, so that it gets past 'no such tender'."""
    if "/evaluation" in path or "/optimised-award" in path or "/checks/" in path or "/exclusions" in path:
        return tenders["decided"]
    if "/opening" in path:
        return tenders["closed"]
    if re.search(r"/(details|criteria|documents|publish|abandon|close-confirmation|award-rules|conflicts/[a-z]+)$", path):
        return tenders["draft"]
    return tenders["published"]


@pytest.fixture(scope="module")
def demo(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The demo on a database of its own, committed once for the module, with a browser signed
    in per role and an API token per role; each test's requests then run in a transaction
    rolled back at its end (as the suite's `session` fixture does)."""
    from procurement import migrate
    from procurement.factory import create_app
    from procurement.core.db import db
    from procurement.seed import seed_demo

    tmp = tmp_path_factory.mktemp(f"refused-{backend}")
    url = fresh_database_url(backend, "ljp_test_refused", tmp)
    migrate.upgrade(url)
    previous = os.environ.get("INSTANCE_PATH")
    os.environ["INSTANCE_PATH"] = str(tmp / "instance")
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "refused", "BID_SEALING_KEY": "k"})
    with app.app_context():
        seed_demo(db.session)
        ids = _demo_ids(db.session)
        db.session.commit()
    browsers = {}
    for role in ROLES:
        browser = app.test_client()
        if role != "anonymous":
            assert sign_in(browser, DEMO[role], "london-demo-2026").status_code == 302, role
        browsers[role] = (browser, csrf_token(browser))
    engine = db.bound(app).engine
    tables = sorted(inspect(engine).get_table_names())
    columns = {t: [c["name"] for c in inspect(engine).get_columns(t)] for t in tables}
    # A signed-in request records the session's last activity (at most once a minute, whatever
    # the answer); that bookkeeping is no change a refusal made, so it is left out.
    columns["user_session"].remove("last_seen_at")
    yield {"app": app, "ids": ids, "browsers": browsers, "columns": columns}
    engine.dispose()
    if previous is not None:
        os.environ["INSTANCE_PATH"] = previous


@pytest.fixture()
def connection(demo: dict[str, Any]) -> Iterator[Any]:
    from procurement.core.db import db

    bound = db.bound(demo["app"])
    joined = bound.engine.connect()
    outer = joined.begin()
    bound.sessionmaker.configure(bind=joined, join_transaction_mode="create_savepoint")
    try:
        yield joined
    finally:
        outer.rollback()
        joined.close()
        bound.sessionmaker.configure(bind=bound.engine, join_transaction_mode="conservative_savepoint")


def fingerprint(connection: Any, columns: dict[str, list[str]]) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its rows (in a fixed order), in one query."""
    if connection.dialect.name == "postgresql":
        parts = []
        for table, names in columns.items():
            row = ", ".join(f'"{name}"' for name in names)
            parts.append(f"SELECT '{table}', count(*), md5(coalesce(string_agg(r, chr(10) ORDER BY r), '')) "
                         f'FROM (SELECT ROW({row})::text AS r FROM "{table}") s')
        return {table: (count, rows) for table, count, rows in connection.execute(text(" UNION ALL ".join(parts)))}
    parts = []
    for table, names in columns.items():
        row = " || '|' || ".join(f'quote("{name}")' for name in names)
        parts.append(f"SELECT '{table}', count(*), group_concat(r, char(10)) "
                     f'FROM (SELECT {row} AS r FROM "{table}" ORDER BY r)')
    return {table: (count, hashlib.sha256((rows or "").encode()).hexdigest())
            for table, count, rows in connection.execute(text(" UNION ALL ".join(parts)))}


def _changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {table for table in before if before[table] != after[table]}


def _send(demo: dict[str, Any], role: str, method: str, path: str, data: dict[str, str]) -> tuple[Any, bool]:
    """Send the refused request; returns the response and whether the user was shown a refusal."""
    browser, csrf = demo["browsers"][role]
    if path.startswith("/api/"):
        headers = {"Content-Type": "application/json"}
        if role != "anonymous":
            headers["Authorization"] = f"Bearer {demo['ids']['tokens'][role]}"
        response = demo["app"].test_client().open(path, method=method, data=b'{"not json', headers=headers)
        return response, response.status_code >= 400
    cookie = browser.get_cookie("session")
    response = browser.open(path, method=method, data={"csrf_token": csrf, **data})
    with browser.session_transaction() as after:
        categories = {category for category, _ in after.get("_flashes", [])}
    browser.set_cookie("session", cookie.value)  # the next request starts as this one did (signed in)
    page = response.get_data(as_text=True) if response.status_code == 200 else ""
    refused = (response.status_code >= 400 or "error" in categories or "govuk-error-summary" in page
               or "/sign-in" in response.headers.get("Location", ""))
    return response, refused


def test_a_refused_request_changes_no_row(demo, connection, route):
    method, template = route
    ids = demo["ids"]
    path = re.sub(r"<(\w+)>", lambda m: str(_tender_for(template, ids["tenders"]) if m.group(1) == "tender_id"
                                               else ids[m.group(1)]), template)
    listed = f"{method} {template}" in ACT_ON_CONFIRMATION
    problems = []
    before = fingerprint(connection, demo["columns"])
    for role in ROLES:
        response, refused = _send(demo, role, method, path, REFUSED_WITH.get(f"{method} {template}", {}))
        assert response.status_code < 500, (role, response.status_code, response.get_data(as_text=True)[:500])
        after = fingerprint(connection, demo["columns"])
        changed = _changed(before, after)
        if template == "/sign-in" and role == "anonymous":
            assert changed == SIGN_IN_RECORDS, "a failed sign-in is recorded, and nothing else"
            changed = set()
        if changed and (refused or not listed):
            problems.append(f"{role}: {response.status_code} {'refused' if refused else 'accepted'}, "
                            f"changed {sorted(changed)}")
        before = after
    assert not problems, f"{method} {path}: " + "; ".join(problems)
    with Session(bind=connection) as reading:
        assert verify_chain(reading).ok, "audit events rolled back with a refusal leave the chain whole"


def test_the_routes_named_above_exist():
    cases = {case_id for _, _, case_id in _route_cases()}
    named = set(ACT_ON_CONFIRMATION) | set(REFUSED_WITH)
    assert named <= cases, sorted(named - cases)
