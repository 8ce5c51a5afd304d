"""Evaluation and award through the services: conflict declarations, blind marking,
moderation, ranking, abnormally low totals, four-eyes approval, standstill, contracts,
orders and savings."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from procurement.core.clock import LONDON, frozen_at
from procurement.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from demand.models import Requirement, RequirementStatus
from tenders.award import evaluation
from tenders.award import scoring
from tenders.models import OpenedBid, TenderStatus
from tests import factories


@pytest.fixture()
def world(session):
    made = factories.opened_tender(session)
    made["lead"], made["panelist"] = made["agency"], made["second_agency"]
    made["bids"] = {o.supplier_id: o for o in session.scalars(select(OpenedBid).order_by(OpenedBid.id))}
    return made


def _at(world):
    return frozen_at(world["after"] + timedelta(hours=1))


def _start(session, world):
    return evaluation.start_evaluation(session, world["agency"], world["tender"].id,
                                       [world["lead"].id, world["panelist"].id], world["lead"].id)


def _mark_all(session, world, evaluator, scores):
    """scores: opened bid index -> (criterion 1, criterion 2)."""
    tender = world["tender"]
    evaluation.declare(session, evaluator, tender.id, "I have no conflict of interest")
    opened = list(world["bids"].values())
    for n, (c1, c2) in scores.items():
        for criterion, score in zip(tender.criteria, (c1, c2)):
            evaluation.save_mark(session, evaluator, tender.id, opened[n].id, criterion.id, score, f"Reason {score}")
    evaluation.submit_marks(session, evaluator, tender.id)


def _consensus(session, world, scores):
    tender, opened = world["tender"], list(world["bids"].values())
    for n, (c1, c2) in scores.items():
        for criterion, score in zip(tender.criteria, (c1, c2)):
            evaluation.record_consensus(session, world["lead"], tender.id, opened[n].id, criterion.id, score, f"Agreed {score}")


SCORES = {0: (4, 3), 1: (3, 3), 2: (5, 5)}


def test_the_panel_declares_before_seeing_responses_and_marks_blind(session, world):
    with _at(world):
        tender = _start(session, world)
        assert tender.status is TenderStatus.evaluation
        with pytest.raises(PermissionDenied, match="Declare"):
            evaluation.responses(session, world["lead"], tender.id)
        with pytest.raises(PermissionDenied):
            evaluation.responses(session, factories.user(session, "agency"), tender.id)  # not on the panel
        evaluation.declare(session, world["lead"], tender.id, "I have no conflict of interest")
        assert len(evaluation.responses(session, world["lead"], tender.id)) == 3
        _mark_all(session, world, world["panelist"], SCORES)
        opened = list(world["bids"].values())
        evaluation.save_mark(session, world["lead"], tender.id, opened[0].id, tender.criteria[0].id, 2, "Thin")
        seen = evaluation.visible_marks(session, world["lead"], tender.id)
        assert {e.user_id for e, _ in seen} == {world["lead"].id}  # not the panelist's, before submitting
        with pytest.raises(Conflict, match="moderation"):
            evaluation.record_consensus(session, world["lead"], tender.id, opened[0].id, tender.criteria[0].id, 3, "x")
        with pytest.raises(InvalidInput):
            evaluation.submit_marks(session, world["lead"], tender.id)  # not every response marked
        with pytest.raises(InvalidInput):
            evaluation.save_mark(session, world["lead"], tender.id, opened[0].id, tender.criteria[0].id, 6, "")


def test_from_marks_to_contracts_orders_and_savings(session, world):
    tender = world["tender"]
    opened = list(world["bids"].values())
    with _at(world):
        _start(session, world)
        _mark_all(session, world, world["panelist"], SCORES)
        _mark_all(session, world, world["lead"], SCORES)
        assert len(evaluation.visible_marks(session, world["lead"], tender.id)) == 12
        with pytest.raises(PermissionDenied):
            evaluation.record_consensus(session, world["panelist"], tender.id, opened[0].id, tender.criteria[0].id, 3, "x")
        _consensus(session, world, SCORES)
        (ranking,) = evaluation.rankings(session, world["lead"], tender.id)
        # Totals over 150 laptops: 740 -> 111,000; 700 -> 105,000; 745 -> 111,750 (tiers: 100+ at the bid's price).
        # Price weight 60: 105,000 is lowest. Quality: c1 weight 25, c2 weight 15.
        #   bid 0: 60 x 105000/111000 = 56.76 + 25x4/5 20.00 + 15x3/5 9.00 = 85.76
        #   bid 1: 60.00 + 15.00 + 9.00 = 84.00
        #   bid 2: 60 x 105000/111750 = 56.38 + 25.00 + 15.00 = 96.38
        assert [(e.bid, e.score) for e in ranking.entries] == [
            (opened[2].id, D("96.38")), (opened[0].id, D("85.76")), (opened[1].id, D("84.00"))]
        with pytest.raises(PermissionDenied):
            evaluation.recommend(session, world["panelist"], tender.id, ranking.lot.id, "Best")
        decision = evaluation.recommend(session, world["lead"], tender.id, ranking.lot.id, "Best quality at a close price")
        assert decision.opened_bid_id == opened[2].id
        with pytest.raises(Conflict, match="second, different"):
            evaluation.approve(session, world["lead"], tender.id, ranking.lot.id)
        evaluation.approve(session, world["panelist"], tender.id, ranking.lot.id)
        assert tender.status is TenderStatus.award_proposed
        standstill = evaluation.publish_decision(session, world["lead"], tender.id)
        assert standstill.ends_on == scoring.standstill_ends(standstill.published_at.astimezone(LONDON).date())
        with pytest.raises(Conflict, match="Standstill runs until"):
            evaluation.enter_contracts(session, world["lead"], tender.id)
        summary = evaluation.assessment_summary(session, world["bidders"][0], tender.id)
        (awarded,) = summary[0].awarded
        assert not summary[0].won and summary[0].own.score == D("85.76") and awarded.share.score == D("96.38")
        assert [(m.criterion.number, m.score) for m in summary[0].marks] == [(1, 4), (2, 3)]
        assert [(m.criterion.number, m.score) for m in awarded.marks] == [(1, 5), (2, 5)]
        assert "not the most advantageous tender" in summary[0].reason
        assert summary[0].advantages == "Best quality at a close price"
    after_standstill = datetime.combine(standstill.ends_on + timedelta(days=1), time(9), LONDON)
    with frozen_at(after_standstill):
        (contract,) = evaluation.enter_contracts(session, world["lead"], tender.id)
    assert tender.status is TenderStatus.awarded and contract.supplier_id == opened[2].supplier_id
    assert contract.value == D("111750.00") and len(contract.orders) == 2
    by_org = {o.organisation_id: o for o in contract.orders}
    first, second = (by_org[org.id] for org in world["orgs"])
    # 60 and 90 laptops at 745.00 against 900.00 paid today.
    assert (first.total, first.baseline, first.saving) == (D("44700.00"), D("54000.00"), D("9300.00"))
    assert (second.total, second.baseline, second.saving) == (D("67050.00"), D("81000.00"), D("13950.00"))
    assert {r.status for r in session.scalars(select(Requirement).where(
        Requirement.organisation_id.in_([o.id for o in world["orgs"]])))} == {RequirementStatus.awarded}
    mine = evaluation.savings(session, world["buyers"][0], tender.id)
    assert [(s.organisation_id, s.saving, s.percent) for s in mine] == [(world["orgs"][0].id, D("9300.00"), D("17.2"))]
    assert len(evaluation.savings(session, world["agency"], tender.id)) == 2
    with pytest.raises(PermissionDenied):
        evaluation.savings(session, world["bidders"][0], tender.id)


def test_a_challenge_pauses_standstill(session, world):
    tender = world["tender"]
    with _at(world):
        _start(session, world)
        _mark_all(session, world, world["panelist"], SCORES)
        _mark_all(session, world, world["lead"], SCORES)
        _consensus(session, world, SCORES)
        lot = tender.lots[0]
        evaluation.recommend(session, world["lead"], tender.id, lot.id, "Best")
        evaluation.approve(session, world["panelist"], tender.id, lot.id)
        standstill = evaluation.publish_decision(session, world["lead"], tender.id)
        evaluation.challenge(session, world["lead"], tender.id, "A bidder disputes the quality scores")
        assert standstill.working_days_left_at_pause == 8  # challenged the day it began: all of it, today included
    late = datetime.combine(standstill.ends_on + timedelta(days=10), time(9), LONDON)
    with frozen_at(late):
        with pytest.raises(Conflict, match="challenge"):
            evaluation.enter_contracts(session, world["lead"], tender.id)
        resumed = evaluation.lift_challenge(session, world["lead"], tender.id)
        assert resumed.ends_on > late.date()
        with pytest.raises(Conflict):
            evaluation.enter_contracts(session, world["lead"], tender.id)


def test_an_abnormally_low_bid_is_explained_and_decided(session):
    world = factories.opened_tender(session, prices=("740.00", "745.00", "480.00"))
    tender = world["tender"]
    with frozen_at(world["after"] + timedelta(hours=1)):
        evaluation.start_evaluation(session, world["agency"], tender.id, [world["agency"].id, world["second_agency"].id],
                                    world["agency"].id)
        (ranking,) = evaluation.rankings(session, world["agency"], tender.id)
        (check,) = ranking.checks.values()
        assert "35.1% below the next lowest total" in check.reason  # 72,000 vs 111,000
        low = next(e for e in ranking.entries if e.bid == check.opened_bid_id)
        assert not low.eligible and "awaiting" in low.excluded
        evaluation.declare(session, world["agency"], tender.id, "No conflict")
        evaluation.write_about_low_price(session, world["agency"], check.id, "Please explain your price")
        cheap_bidder = world["bidders"][2]
        evaluation.write_about_low_price(session, cheap_bidder, check.id, "Refurbished stock")
        with pytest.raises(PermissionDenied):
            evaluation.write_about_low_price(session, world["bidders"][0], check.id, "Not mine")
        assert [m.from_supplier for m in check.messages] == [False, True]
        evaluation.decide_low_price(session, world["agency"], check.id, False, "Below cost; not credible")
        (ranking,) = evaluation.rankings(session, world["agency"], tender.id)
        rejected = next(e for e in ranking.entries if e.bid == check.opened_bid_id)
        assert rejected.excluded == "rejected as abnormally low" and not rejected.eligible


def test_other_roles_cannot_evaluate(session, world):
    with _at(world):
        for role in ("buyer", "supplier", "admin"):
            with pytest.raises((PermissionDenied, NotFound)):
                evaluation.start_evaluation(session, factories.user(session, role), world["tender"].id, [], 0)
        with pytest.raises(InvalidInput):
            evaluation.start_evaluation(session, world["agency"], world["tender"].id, [world["lead"].id], world["lead"].id)


D = Decimal
