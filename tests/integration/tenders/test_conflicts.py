"""Conflicts of interest (Procurement Act 2023 ss.81-83) through the services and the pages:
a tender cannot be published without its conflicts assessment, nor while anyone who shaped it
has not declared; a new conflict once the bidders are known reopens the assessment and stops
the award decision until it is reviewed; a conflicted evaluator cannot mark or moderate."""
from __future__ import annotations

import io
from typing import Any

import pytest
from flask import current_app
from sqlalchemy import func, select

from procurement.core.audit import AuditEvent
from procurement.core.clock import frozen_at
from procurement.core.errors import Conflict, InvalidInput, PermissionDenied
from tenders import conflicts
from tenders.award import evaluation
from tenders.forming import publication
from tenders.models import ConflictAssessment, ConflictDeclaration, ConflictStage, OpenedBid, TenderStatus
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in


def _publish(session: Any, world: dict[str, Any]) -> Any:
    return publication.publish(session, world["agency"], world["tender"].id,
                               master_secret=current_app.config["BID_SEALING_KEY"])


def _refused(session: Any, world: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        _publish(session, world)
    assert world["tender"].status is TenderStatus.draft and world["tender"].published_at is None
    return caught.value.field_errors["conflicts"]


def test_publication_waits_for_every_shaper_s_declaration_and_a_current_assessment(session):
    world = factories.published_tender(session, publish=False, conflicts=False)
    tender, agency, buyers = world["tender"], world["agency"], world["buyers"]
    required = conflicts.required_now(session, tender, ConflictStage.before_publication)
    # The agency user who formed and prepared it, and both buyers who confirmed their lines.
    assert set(required) == {agency.id, *(b.id for b in buyers)}
    assert "formed it from the pools" in required[agency.id] and "wrote its documents" in required[agency.id]
    problems = _refused(session, world)
    assert len(problems) == 2 and "not yet" in problems[0] and problems[1].startswith("Record the conflicts assessment")
    assert publication.publication_problems(session, tender)["conflicts"] == problems  # the publish page's checklist

    for person in (agency, *buyers):
        conflicts.declare(session, person, tender.id, answer="none")
    assert _refused(session, world) == ["Record the conflicts assessment (it must consider every declaration made)"]
    conflicts.assess(session, agency, tender.id, conflicts="", mitigation="", summary="None declared")

    # A second agency user changes the criteria: they shape it now, so they declare, and the assessment is reviewed again.
    second = world["second_agency"]
    publication.set_criteria(session, second, tender.id, [
        publication.CriterionInput("Delivery and support", 40, [f"mark {n}" for n in range(6)])])
    assert "not yet" in _refused(session, world)[0]
    conflicts.declare(session, second, tender.id, answer="potential", interest="Test Supplier Ltd",
                      nature="A former employer; no financial interest")
    assert _refused(session, world) == ["Record the conflicts assessment (it must consider every declaration made)"]
    with pytest.raises(InvalidInput) as caught:  # a conflict needs the steps taken
        conflicts.assess(session, agency, tender.id, conflicts="", mitigation="", summary="Reviewed")
    assert set(caught.value.field_errors) == {"conflicts", "mitigation"}
    with pytest.raises(PermissionDenied):  # who declared a conflict does not assess it
        conflicts.assess(session, second, tender.id, conflicts="x", mitigation="y", summary="z")
    conflicts.assess(session, agency, tender.id, conflicts="Sam's former employer may bid",
                     mitigation="Sam takes no part in the evaluation", summary="Potential conflict mitigated",
                     kept_out=[second.id])
    assert _publish(session, world).status is TenderStatus.published
    history = conflicts.assessments_of(session, tender)
    assert len(history) == 2 and history[0].kept_out == [second.id] and len(history[0].considered) == 4


def test_declaring_is_for_those_who_shape_it_and_refused_while_bids_are_sealed(session):
    world = factories.published_tender(session, publish=False, conflicts=False)
    outsider = factories.user(session, "agency")
    with pytest.raises(PermissionDenied):
        conflicts.declare(session, outsider, world["tender"].id, answer="none")
    with pytest.raises(InvalidInput) as caught:
        conflicts.declare(session, world["agency"], world["tender"].id, answer="conflict")
    assert set(caught.value.field_errors) == {"interest", "nature"}
    assert not session.scalars(select(ConflictDeclaration)).all()
    factories.conflicts_cleared(session, world["tender"], world["agency"])
    _publish(session, world)
    with pytest.raises(Conflict):  # between the notice and the opening there is nothing new to declare against
        conflicts.declare(session, world["agency"], world["tender"].id, answer="none")


def _proposed(session: Any) -> dict[str, Any]:
    """An opened tender marked by a panel of two, moderated, recommended and approved."""
    world = factories.opened_tender(session)
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    opened = list(session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)))
    with frozen_at(world["after"]):
        _marked(session, world, opened)
    world["opened"] = opened
    return world


def _marked(session: Any, world: dict[str, Any], opened: list[Any]) -> None:
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    factories.panel_marks(session, tender, lead, panelist, opened,
                          lambda n, criterion: factories.AWARD_SCORES[n][tender.criteria.index(criterion)])
    for n, pair in factories.AWARD_SCORES.items():
        for criterion, score in zip(tender.criteria, pair):
            evaluation.record_consensus(session, lead, tender.id, opened[n].id, criterion.id, score, f"Agreed {score}")
    lot = tender.lots[0]
    evaluation.recommend(session, lead, tender.id, lot.id, "Best quality at a close price")
    evaluation.approve(session, panelist, tender.id, lot.id)


def test_a_new_conflict_once_bidders_are_known_reopens_the_assessment_and_stops_the_decision(session):
    world = _proposed(session)
    tender, lead, buyer = world["tender"], world["agency"], world["buyers"][0]
    with frozen_at(world["after"]):
        # The panel's own declarations are the evaluators' second-round declarations, naming the bidders.
        made = conflicts.latest(conflicts.declarations_of(session, tender), ConflictStage.bidders_known)
        assert set(made) == {lead.id, world["second_agency"].id} and len(made[lead.id].bidders) == 3
        assert not conflicts.is_current(conflicts.current_assessment(session, tender), conflicts.declarations_of(session, tender))
        conflicts.declare(session, buyer, tender.id, answer="conflict", interest=made[lead.id].bidders[0],
                          nature="My partner is its account manager for our borough")
        with pytest.raises(InvalidInput) as caught:
            evaluation.publish_decision(session, lead, tender.id)
        assert "not yet reviewed" in caught.value.field_errors["conflicts"][0]
        assert tender.status is TenderStatus.award_proposed
        conflicts.assess(session, lead, tender.id, conflicts="The buyer's partner works for a bidder",
                         mitigation="The buyer had no part in the evaluation and sees no bid", summary="Mitigated")
        assert evaluation.publish_decision(session, lead, tender.id) is not None
    assert tender.status is TenderStatus.standstill


def test_a_conflicted_evaluator_cannot_mark_or_moderate(session):
    world = factories.opened_tender(session)
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    opened = list(session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)))
    criterion = tender.criteria[0]
    with frozen_at(world["after"]):
        evaluation.start_evaluation(session, lead, tender.id, [lead.id, panelist.id], lead.id)
        conflicts.declare(session, panelist, tender.id, answer="conflict", interest="Test Supplier",
                          nature="I hold shares in a bidder")
        with pytest.raises(PermissionDenied, match="not mitigated"):  # nor may they then declare none to the panel
            evaluation.declare(session, panelist, tender.id, "No conflict of interest")
        conflicts.assess(session, lead, tender.id, conflicts="Shares in a bidder", mitigation="Kept out of the evaluation",
                         summary="Panelist kept out", kept_out=[panelist.id])
        with pytest.raises(PermissionDenied):
            evaluation.declare(session, panelist, tender.id, "No conflict of interest")
        # The lead declares and marks; then declares a conflict of their own: marking and moderating stop.
        evaluation.declare(session, lead, tender.id, "No conflict of interest")
        evaluation.save_mark(session, lead, tender.id, opened[0].id, criterion.id, 3, "Seen")
        conflicts.declare(session, lead, tender.id, answer="potential", interest="Test Supplier 2",
                          nature="A friend was hired by a bidder")
        marks = session.scalar(select(func.count()).select_from(evaluation.Mark))
        with pytest.raises(PermissionDenied, match="cannot mark or moderate"):
            evaluation.save_mark(session, lead, tender.id, opened[0].id, criterion.id, 4, "Again")
        with pytest.raises(PermissionDenied):
            conflicts.assess(session, lead, tender.id, conflicts="x", mitigation="y", summary="z")
        second_reviewer = factories.user(session, "agency")
        conflicts.assess(session, second_reviewer, tender.id, conflicts="Lead: a friend at a bidder; panelist: shares",
                         mitigation="Lead's friend has no role in the bid; panelist kept out", summary="Reviewed",
                         kept_out=[panelist.id])
        evaluation.save_mark(session, lead, tender.id, opened[0].id, criterion.id, 4, "Again")
        assert session.scalar(select(func.count()).select_from(evaluation.Mark)) == marks
        # The panelist kept out marks nothing: once the lead has submitted, moderation does not wait for them.
        for bid in opened:
            for c in tender.criteria:
                evaluation.save_mark(session, lead, tender.id, bid.id, c.id, 3, "Seen")
        evaluation.submit_marks(session, lead, tender.id)
        evaluation.record_consensus(session, lead, tender.id, opened[0].id, criterion.id, 3, "Lead's mark")


def test_a_panel_cannot_name_someone_with_an_unmitigated_conflict(session):
    world = factories.opened_tender(session)
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    with frozen_at(world["after"]):
        conflicts.declare(session, lead, tender.id, answer="conflict", interest="A bidder", nature="Shares")
        with pytest.raises(InvalidInput) as caught:
            evaluation.start_evaluation(session, panelist, tender.id, [lead.id, panelist.id], panelist.id)
        assert "not mitigated" in caught.value.field_errors["evaluators"][0]
        assert tender.status is TenderStatus.opened
        conflicts.assess(session, panelist, tender.id, conflicts="The lead's shares in a bidder",
                         mitigation="Shares sold and the bidder's response read by a second evaluator", summary="Mitigated")
        evaluation.start_evaluation(session, panelist, tender.id, [lead.id, panelist.id], panelist.id)
    assert tender.status is TenderStatus.evaluation


# The pages -----------------------------------------------------------------------------------

def test_the_pages_are_for_the_agency_and_the_people_who_shape_the_tender(app, session):
    world = factories.published_tender(session, publish=False, conflicts=False)
    tender, agency, buyer = world["tender"], world["agency"], world["buyers"][0]
    outsider_buyer = factories.user(session, "buyer")
    supplier = world["bidder"]
    page, declare, assess = (f"/tenders/{tender.id}/conflicts", f"/tenders/{tender.id}/conflicts/declare",
                             f"/tenders/{tender.id}/conflicts/assessment")
    with fresh_browser(app) as browser:
        assert browser.get(page).status_code == 302  # to sign in
        assert browser.get(declare).status_code == 302
    for person, page_code, declare_code in ((buyer, 403, 200), (outsider_buyer, 403, 404), (supplier, 403, 404)):
        with fresh_browser(app) as browser:
            sign_in(browser, person.email, factories.PASSWORD)
            events = session.scalar(select(func.count(AuditEvent.id)))
            assert browser.get(page).status_code == page_code, person.email
            assert browser.get(declare).status_code == declare_code, person.email
            token = csrf_token(browser)
            assert browser.post(assess, data={"csrf_token": token, "summary": "x"}).status_code == 403
            if declare_code != 200:
                assert browser.post(declare, data={"csrf_token": token, "answer": "none"}).status_code == declare_code
            assert session.scalar(select(func.count(AuditEvent.id))) == events
    assert not session.scalars(select(ConflictDeclaration)).all()

    with fresh_browser(app) as browser:  # the buyer's task, form and declaration
        sign_in(browser, buyer.email, factories.PASSWORD)
        assert f"Declare conflicts for {tender.reference}" in browser.get("/").get_data(as_text=True)
        token = csrf_token(browser, declare)
        refused = browser.post(declare, data={"csrf_token": token, "answer": "conflict"})
        assert refused.status_code == 400 and "Name the supplier or the interest" in refused.get_data(as_text=True)
        assert browser.post(declare, data={"csrf_token": token, "answer": "none"}).status_code == 302
        assert f"Declare conflicts for {tender.reference}" not in browser.get("/").get_data(as_text=True)

    with fresh_browser(app) as browser:  # the agency's page: who has not declared, the assessment
        sign_in(browser, agency.email, factories.PASSWORD)
        assert f"Declare conflicts for {tender.reference}" in browser.get("/").get_data(as_text=True)
        shown = browser.get(page).get_data(as_text=True)
        assert "Not yet declared" in shown and agency.full_name in shown and "No conflicts assessment" in shown
        assert f"/tenders/{tender.id}/conflicts" in browser.get(f"/tenders/{tender.id}").get_data(as_text=True)
        publish_page = browser.get(f"/tenders/{tender.id}/build/publish").get_data(as_text=True)
        assert "Record the conflicts assessment" in publish_page and page in publish_page
        token = csrf_token(browser, page)
        assert browser.post(assess, data={"csrf_token": token, "summary": ""}).status_code == 400
        assert not session.scalars(select(ConflictAssessment)).all()
        token = csrf_token(browser, declare)
        browser.post(declare, data={"csrf_token": token, "answer": "none"})
        conflicts.declare(session, world["buyers"][1], tender.id, answer="none")
        assert browser.post(assess, data={"csrf_token": token, "summary": "Nobody declared a conflict"}).status_code == 302
        shown = browser.get(page).get_data(as_text=True)
        assert "The conflicts assessment is current" in shown and "Assessment history" in shown
        assert "conflicts" not in publication.publication_problems(session, tender)


def test_a_get_of_the_conflicts_pages_writes_nothing(app, session):
    world = factories.published_tender(session, publish=False, conflicts=False)
    with fresh_browser(app) as browser:
        sign_in(browser, world["agency"].email, factories.PASSWORD)
        before = session.scalar(select(func.count(AuditEvent.id)))
        for path in (f"/tenders/{world['tender'].id}/conflicts", f"/tenders/{world['tender'].id}/conflicts/declare"):
            assert browser.get(path).status_code == 200
        assert session.scalar(select(func.count(AuditEvent.id))) == before


def test_a_document_added_by_another_agency_user_makes_them_a_shaper(session):
    world = factories.published_tender(session, publish=False)
    publication.add_document(session, world["second_agency"], world["tender"].id, title="Annex", filename="annex.txt",
                             stream=io.BytesIO(b"Annex"))
    assert world["second_agency"].id in conflicts.required_now(session, world["tender"], ConflictStage.before_publication)
    assert conflicts.due_for(session, world["second_agency"]) == [(world["tender"], ConflictStage.before_publication)]
