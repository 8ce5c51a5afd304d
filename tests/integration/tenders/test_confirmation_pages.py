"""Destructive and irreversible acts on a tender each have a confirmation page of their own:
its GET says what will happen and changes nothing; it is refused to everyone but the agency
(buyers, suppliers and administrators 403, anonymous sent to sign in); the agency's POST does
the act. And the draft's builder pages are the agency's alone."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

import pytest
from sqlalchemy import func, select

from demand.board import BoardFilter
from procurement.core.audit import AuditEvent
from procurement.core.clock import today
from tenders.forming import pooling
from tenders.models import LineStatus, Standstill, Tender, TenderStatus
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in

REFUSED = {"buyer": 403, "supplier": 403, "admin": 403}


def _draft(session: Any, *, answered: bool) -> dict[str, Any]:
    """A draft of two organisations' lines; both answered (one confirmed, one declined), or both pending."""
    item = factories.catalogue_item(session, name="Confirmation page monitor")
    orgs = [factories.organisation(session) for _ in range(2)]
    buyers = [factories.user(session, "buyer", organisation_id=o.id) for o in orgs]
    for buyer in buyers:
        factories.requirement(session, buyer, catalogue_item_id=item.id, unit="", quantity="40", baseline_unit_price="150.00")
    agency = factories.user(session, "agency")
    tender = pooling.form_tender(session, agency, board=BoardFilter(), pool_keys=[f"item-{item.id}"],
                                 title="Joint monitor tender", confirm_by=today() + timedelta(days=20))
    if answered:
        for buyer, line, yes in zip(buyers, sorted(tender.lots[0].lines, key=lambda l: l.organisation_id), (True, False)):
            pooling.respond(session, buyer, line.id, confirm=yes)
    return {"tender": tender, "agency": agency, "buyer": buyers[0], "supplier": factories.user(session, "supplier"),
            "admin": factories.user(session, "admin")}


def _published(session: Any) -> dict[str, Any]:
    made = factories.published_tender(session)
    return {"tender": made["tender"], "agency": made["agency"], "buyer": made["buyers"][0], "supplier": made["bidder"],
            "admin": factories.user(session, "admin")}


def _decided(session: Any) -> dict[str, Any]:
    made = factories.decided_tender(session)
    return {"tender": made["tender"], "agency": made["agency"], "buyer": made["buyers"][0], "supplier": made["bidder"],
            "admin": factories.user(session, "admin")}


def _state(session: Any, tender_id: int) -> tuple[Any, ...]:
    session.expire_all()
    tender = session.get(Tender, tender_id)
    standstill = session.scalar(select(Standstill).where(Standstill.tender_id == tender_id))
    return (tender.status, tender.confirmation_closed_at, tender.cancel_reason,
            tuple(sorted((l.id, l.status) for lot in tender.lots for l in lot.lines)),
            standstill.paused_at if standstill else None,
            session.scalar(select(func.count(AuditEvent.id))))


CASES: list[tuple[str, Callable[[Any], dict[str, Any]], str, dict[str, str], str, Callable[[Tender], bool]]] = [
    ("close confirmation", lambda s: _draft(s, answered=True), "/tenders/{id}/close-confirmation", {},
     "This cannot be undone", lambda t: t.confirmation_closed_at is not None),
    ("abandon the draft", lambda s: _draft(s, answered=False), "/tenders/{id}/abandon", {"reason": "Demand fell away"},
     "go back on\n      the demand board", lambda t: t.status is TenderStatus.cancelled
     and all(l.status is LineStatus.withdrawn for lot in t.lots for l in lot.lines)),
    ("cancel a tender", _published, "/tenders/{id}/cancel", {"reason": "Budget withdrawn"},
     "see it as cancelled with your reason", lambda t: t.status is TenderStatus.cancelled and t.cancel_reason == "Budget withdrawn"),
    ("record a challenge", _decided, "/tenders/{id}/evaluation/challenge", {"text": "A bidder disputes the scores"},
     "no contract can be entered", lambda t: t.standstill is not None and t.standstill.paused_at is not None),
]


@pytest.mark.parametrize("name, make, path, data, says, done", CASES, ids=[c[0] for c in CASES])
def test_a_confirmation_page_reads_then_acts(app, session, name, make, path, data, says, done) -> None:
    world = make(session)
    tender_id = world["tender"].id
    url = path.format(id=tender_id)
    before = _state(session, tender_id)
    with fresh_browser(app) as browser:
        response = browser.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    for role, status in REFUSED.items():
        with fresh_browser(app) as browser:
            assert sign_in(browser, world[role].email, factories.PASSWORD).status_code == 302
            assert browser.get(url).status_code == status, role
            assert browser.post(url, data={"csrf_token": csrf_token(browser), **data}).status_code == status, role
    assert _state(session, tender_id)[:-1] == before[:-1]  # refused: nothing changed (audit aside)
    with fresh_browser(app) as browser:
        assert sign_in(browser, world["agency"].email, factories.PASSWORD).status_code == 302
        before = _state(session, tender_id)
        page = browser.get(url)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and says in html and "govuk-button--warning" in html and "govuk-warning-text" in html
        assert "No, go back" in html
        assert _state(session, tender_id) == before  # a GET writes nothing, not even an audit event
        token = csrf_token(browser, url)
        response = browser.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    session.expire_all()
    assert done(session.get(Tender, tender_id)), name


@pytest.mark.parametrize("path, data, field", [
    ("/tenders/{id}/abandon", {"reason": ""}, "Give a reason"),
    ("/tenders/{id}/evaluation/challenge", {"text": " "}, "Describe the challenge"),
])
def test_a_missing_reason_changes_nothing_and_says_so(app, session, path, data, field) -> None:
    world = _draft(session, answered=False) if "abandon" in path else _decided(session)
    tender_id = world["tender"].id
    url = path.format(id=tender_id)
    before = _state(session, tender_id)
    with fresh_browser(app) as browser:
        sign_in(browser, world["agency"].email, factories.PASSWORD)
        response = browser.post(url, data={"csrf_token": csrf_token(browser, url), **data}, follow_redirects=True)
        assert field in response.get_data(as_text=True)
    assert _state(session, tender_id)[:-1] == before[:-1]


def test_close_confirmation_waits_while_buyers_may_still_answer(app, session) -> None:
    """Before the date, with lines pending, the page is refused (409) and the task page says why."""
    world = _draft(session, answered=False)
    tender_id = world["tender"].id
    with fresh_browser(app) as browser:
        sign_in(browser, world["agency"].email, factories.PASSWORD)
        assert browser.get(f"/tenders/{tender_id}/close-confirmation").status_code == 409
        task = browser.get(f"/tenders/{tender_id}/build/confirmation").get_data(as_text=True)
        assert "Buyers have until" in task and "close-confirmation" not in task
        home = browser.get(f"/tenders/{tender_id}").get_data(as_text=True)
        assert "Next: buyers confirm their lines by" in home and "(0 of 2 confirmed)" in home


@pytest.mark.parametrize("task", ["details", "lots", "criteria", "documents", "confirmation", "publish"])
def test_the_builder_pages_are_the_agencys(app, session, task) -> None:
    world = _draft(session, answered=True)
    url = f"/tenders/{world['tender'].id}/build/{task}"
    before = _state(session, world["tender"].id)
    for role, status in {**REFUSED, "agency": 200}.items():
        with fresh_browser(app) as browser:
            sign_in(browser, world[role].email, factories.PASSWORD)
            assert browser.get(url).status_code == status, role
    with fresh_browser(app) as browser:
        assert browser.get(url).status_code == 302
    assert _state(session, world["tender"].id)[:-1] == before[:-1]


def test_the_task_list_leads_to_publication(app, session) -> None:
    """A draft with everything but its confirmation closed: publish cannot start; once closed and
    the lot valued, every task is completed and the publish page is linked."""
    made = factories.published_tender(session, publish=False)
    tender_id = made["tender"].id
    with fresh_browser(app) as browser:
        sign_in(browser, made["agency"].email, factories.PASSWORD)
        page = browser.get(f"/tenders/{tender_id}").get_data(as_text=True)
        assert page.count('<li class="govuk-task-list__item') == 7
        assert f'href="/tenders/{tender_id}/build/publish"' in page
        assert "Next: the agency checks and publishes the tender" in page
        assert page.count("Cannot start yet") == 0


def test_the_lots_task_saves_names_and_values_for_the_agency_only(app, session) -> None:
    made = factories.published_tender(session, publish=False)
    tender_id = made["tender"].id
    url = f"/tenders/{tender_id}/lots"
    for role in ("buyer", "supplier"):
        who = made["buyers"][0] if role == "buyer" else made["bidder"]
        with fresh_browser(app) as browser:
            sign_in(browser, who.email, factories.PASSWORD)
            response = browser.post(url, data={"csrf_token": csrf_token(browser), "lot-title-1": "Mine", "lot-value-1": "1"})
            assert response.status_code == 403, role
    with fresh_browser(app) as browser:
        sign_in(browser, made["agency"].email, factories.PASSWORD)
        token = csrf_token(browser, f"/tenders/{tender_id}/build/lots")
        refused = browser.post(url, data={"csrf_token": token, "lot-title-1": "Laptops", "lot-value-1": "lots"},
                               follow_redirects=True)
        assert "Lot 1: enter an amount in pounds" in refused.get_data(as_text=True)
        session.expire_all()
        assert session.get(Tender, tender_id).lots[0].title != "Laptops"
        saved = browser.post(url, data={"csrf_token": token, "lot-title-1": "Laptops, 14-inch", "lot-value-1": "£95,000.50"})
        assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/tenders/{tender_id}")
    session.expire_all()
    lot = session.get(Tender, tender_id).lots[0]
    assert (lot.title, str(lot.estimated_value)) == ("Laptops, 14-inch", "95000.50")
