"""A tender's lifecycle: publication checks, freezing, amendments, clarifications, the
clock's moves and cancellation."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from procurement.core.audit import AuditEvent
from procurement.core.clock import frozen_at, now, today
from procurement.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.core.storage import file_store
from tenders import lifecycle, rules
from tenders.bidding import bids
from tenders.bidding import opening
from tenders.models import ShortPeriodGround as G
from tenders.models import TenderStatus as T
from tests import factories
from tenders.forming import publication
from tenders.bidding import clarifications


def _publish(session, world, period=rules.ShortPeriod()):
    return publication.publish(session, world["agency"], world["tender"].id, short_period=period,
                             master_secret=current_app.config["BID_SEALING_KEY"])


def _refused(session, world, period):
    """The field errors of a refused publication, having checked it wrote nothing."""
    with pytest.raises(InvalidInput) as caught:
        _publish(session, world, period)
    tender = world["tender"]
    assert tender.status is T.draft and tender.published_at is None and tender.short_period_ground is None
    assert tender.wrapped_key is None and not session.scalars(select(AuditEvent).where(
        AuditEvent.action == "tender.published", AuditEvent.subject_id == str(tender.id))).all()
    return caught.value.field_errors


def test_publication_freezes_lots_and_items_from_confirmed_lines(session):
    world = factories.published_tender(session)
    tender = world["tender"]
    assert tender.status is T.published and tender.reference.startswith("LC-") and tender.wrapped_key
    (item,) = tender.lots[0].items
    assert item.quantity == 150 and item.catalogue_item_id == world["item"].id
    with pytest.raises(Conflict, match="frozen"):
        publication.set_criteria(session, world["agency"], tender.id, [])
    with pytest.raises(Conflict, match="frozen"):
        publication.set_details(session, world["agency"], tender.id, publication.TenderDetails(title="New"))


def test_the_minimum_tendering_period(session):
    world = factories.published_tender(session, days=15, publish=False)
    assert "25 days" in _refused(session, world, rules.ShortPeriod())["submission_deadline"][0]
    assert "25 days" in _refused(session, world, rules.ShortPeriod(
        short_period_reason="Urgent: the current contract ends in March"))["submission_deadline"][0]
    assert list(_refused(session, world, rules.ShortPeriod(G.urgency))) == ["short_period_reason"]
    tender = _publish(session, world, rules.ShortPeriod(
        G.urgency, short_period_reason=" Urgent: the current contract ends in March ",
        planned_notice_published_on=today() - timedelta(days=60), planned_notice_reference="ignored"))
    assert tender.status is T.published and tender.short_period_ground is G.urgency
    assert tender.short_period_reason == "Urgent: the current contract ends in March"
    assert tender.planned_notice_published_on is None and tender.planned_notice_reference == ""
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "tender.published",
                                                        AuditEvent.subject_id == str(tender.id)))
    assert event.details["short_period_ground"] == "urgency"
    assert event.details["short_period_reason"] == "Urgent: the current contract ends in March"


def test_25_days_need_no_ground(session):
    with frozen_at(now()):  # the deadline exactly 25 days after publication
        world = factories.published_tender(session, days=25, publish=False)
        tender = _publish(session, world)
    assert tender.status is T.published and tender.short_period_ground is None and tender.short_period_reason == ""


def test_a_planned_procurement_notice_from_40_days_to_a_year_before(session):
    world = factories.published_tender(session, days=12, publish=False)
    for too_late_or_too_early in (today() - timedelta(days=39), rules.year_before(today()) - timedelta(days=1)):
        period = rules.ShortPeriod(G.planned_procurement_notice, planned_notice_published_on=too_late_or_too_early)
        assert list(_refused(session, world, period)) == ["planned_notice_published_on"]
    tender = _publish(session, world, rules.ShortPeriod(
        G.planned_procurement_notice, short_period_reason="ignored", planned_notice_published_on=today() - timedelta(days=40),
        planned_notice_reference="2026/S 000-123456"))
    assert tender.short_period_ground is G.planned_procurement_notice and tender.short_period_reason == ""
    assert (tender.planned_notice_published_on, tender.planned_notice_reference) == (
        today() - timedelta(days=40), "2026/S 000-123456")
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "tender.published",
                                                        AuditEvent.subject_id == str(tender.id)))
    assert event.details["short_period_ground"] == "planned_procurement_notice"
    assert event.details["planned_notice_published_on"] == (today() - timedelta(days=40)).isoformat()


def test_weights_criteria_documents_and_confirmation_are_checked(session):
    world = factories.published_tender(session, publish=False)
    publication.set_criteria(session, world["agency"], world["tender"].id,
                           [publication.CriterionInput("Support", 30, [str(n) for n in range(6)])])
    errors = pytest.raises(InvalidInput, _publish, session, world).value.field_errors
    assert "add up to 100" in errors["criteria"][0]
    bad = pytest.raises(InvalidInput, publication.set_criteria, session, world["agency"], world["tender"].id,
                        [publication.CriterionInput("Support", 40, ["only one"], pass_mark=9)]).value.field_errors
    assert len(bad["criteria"]) == 2


def test_roles_other_than_the_agency_cannot_run_a_tender(session):
    world = factories.published_tender(session, publish=False)
    for role in ("buyer", "supplier", "admin"):
        with pytest.raises((PermissionDenied, NotFound)):
            publication.publish(session, factories.user(session, role), world["tender"].id, master_secret="x")
        with pytest.raises((PermissionDenied, NotFound)):
            publication.cancel(session, factories.user(session, role), world["tender"].id, "no")


def test_an_amendment_moves_a_near_deadline_and_asks_bids_to_reconfirm(session):
    world = factories.published_tender(session)
    tender = world["tender"]
    bids.submit(session, world["bidder"], tender.id, factories.bid())
    deadline = tender.submission_deadline
    with frozen_at(deadline - timedelta(days=1)):
        amendment = publication.amend(session, world["agency"], tender.id, summary="Adds a docking station")
        assert amendment.new_deadline == now() + timedelta(days=4) and tender.submission_deadline > deadline
        mine = bids.my_bid(session, world["bidder"], tender.id).bid
        assert mine.needs_reconfirmation
        bids.reconfirm(session, world["bidder"], tender.id)
        assert not mine.needs_reconfirmation
    with pytest.raises(InvalidInput):
        publication.amend(session, world["agency"], tender.id, summary="Earlier", new_deadline=deadline - timedelta(days=9))


def test_past_its_deadline_a_tender_reads_closed_and_the_tick_or_the_next_act_closes_it(session):
    world = factories.published_tender(session)
    tender = world["tender"]
    bids.submit(session, world["bidder"], tender.id, factories.bid())
    with frozen_at(tender.submission_deadline + timedelta(seconds=1)):
        read = lifecycle.get_tender(session, world["bidder"], tender.id)
        assert read.status is T.published and read.effective_status is T.closed  # a read moves nothing
        assert read.stage == "Closed: the deadline has passed"
        assert clarifications.opportunities(session, world["bidder"]) == []
        assert lifecycle.tick(session) == 1 and tender.status is T.closed and tender.closed_at == tender.submission_deadline
        assert lifecycle.tick(session) == 0  # already moved: idempotent
    empty = factories.published_tender(session)["tender"]
    with frozen_at(empty.submission_deadline):
        assert lifecycle.tick(session) >= 1 and empty.status is T.unsuccessful
    acted = factories.published_tender(session)
    bids.submit(session, acted["bidder"], acted["tender"].id, factories.bid())
    with frozen_at(acted["tender"].submission_deadline + timedelta(minutes=5)):
        opening.request_opening(session, acted["agency"], acted["tender"].id)  # the act records the close first
        assert acted["tender"].status is T.closed and acted["tender"].opening_requested_at is not None


def test_the_scheduled_tick_closes_what_is_due_in_its_own_transaction(app, session):
    """The schedule's task (run by RQ's cron scheduler or the web process's thread) commits
    its own work; here on the test's connection, so the test's rollback undoes it."""
    from tenders.jobs import SCHEDULED, tick_tenders

    world = factories.published_tender(session)
    session.commit()  # the task opens a session of its own: it sees what is committed (a savepoint here)
    with frozen_at(world["tender"].submission_deadline):
        assert tick_tenders() == 1
    session.expire_all()
    assert world["tender"].status is T.unsuccessful
    assert [(t.name, t.every_seconds) for t in SCHEDULED] == [
        ("tenders.tick", 60), ("tenders.draft_reminders", 900), ("tenders.confirmation_reminders", 900)]


def test_moves_out_of_turn_are_refused(session):
    world = factories.published_tender(session)
    with pytest.raises(Conflict):
        _publish(session, world)
    publication.cancel(session, world["agency"], world["tender"].id, "Budget withdrawn")
    with pytest.raises(Conflict):
        publication.cancel(session, world["agency"], world["tender"].id, "again")
    with pytest.raises(InvalidInput):
        publication.cancel(session, world["agency"], factories.published_tender(session)["tender"].id, " ")


def test_clarifications_are_answered_to_all_without_the_asker(session):
    world = factories.published_tender(session)
    tender = world["tender"]
    asked = clarifications.ask(session, world["bidder"], tender.id, "Is a docking station included?")
    other = factories.user(session, "supplier")
    assert clarifications.clarifications(session, other, tender.id) == []  # not answered yet
    clarifications.answer(session, world["agency"], asked.id, "No.")
    seen = clarifications.clarifications(session, other, tender.id)
    assert [c.answer for c in seen] == ["No."]
    with frozen_at(tender.clarification_deadline):
        with pytest.raises(Conflict, match="clarification"):
            clarifications.ask(session, world["bidder"], tender.id, "Late question")
    with pytest.raises(PermissionDenied):
        clarifications.ask(session, world["buyers"][0], tender.id, "Buyer question")
    unanswered = clarifications.ask(session, world["bidder"], tender.id, "Is setup included?")
    with frozen_at(tender.submission_deadline):  # not yet moved by the tick: the answer closes it first
        with pytest.raises(Conflict, match="while the tender is open"):
            clarifications.answer(session, world["agency"], unanswered.id, "Too late")
    assert not unanswered.answer and unanswered.answered_at is None


def test_documents_are_kept_in_the_one_store_with_their_digest(session):
    world = factories.published_tender(session, publish=False)
    document = publication.add_document(session, world["agency"], world["tender"].id, title="Pricing schedule",
                                      filename="../../etc/passwd.csv", stream=io.BytesIO(b"x,y"))
    with file_store(session).open(document.stored_path) as stored:
        assert document.filename == "passwd.csv" and stored.read() == b"x,y"
    assert document.sha256 == hashlib.sha256(b"x,y").hexdigest() and document.stored_path.endswith("-passwd.csv")
    assert document.stored_path.startswith(f"documents/tenders/{world['tender'].id}/")
    with pytest.raises(InvalidInput):
        publication.add_document(session, world["agency"], world["tender"].id, title="Empty", filename="e.txt",
                               stream=io.BytesIO(b""))
