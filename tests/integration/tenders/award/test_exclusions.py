"""Exclusions at the award (issue 21, item 3): a debarred or excluded bidder's bid cannot win a
ranked award nor an optimised one (the next eligible bid wins); on an excludable bidder the agency
decides, with reasons, and no award is recommended while a decision is outstanding; a newer
declaration asks for the decision again. The agency's pages, and nobody else's."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from procurement.core.clock import frozen_at
from procurement.core.errors import Conflict, InvalidInput
from suppliers import exclusions as supplier_exclusions
from suppliers.models import Supplier
from tenders.award import evaluation, exclusions
from tenders.award.ranking import rank_lot
from tenders.models import ExclusionDecision, OpenedBid
from tenders.optimisation import optimised_award
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in
from tests.integration.tenders.optimisation.test_optimised_award import world as optimised_world  # noqa: F401

HEADER = "supplier_name,companies_house_number,grounds,kind,start_date,end_date,date_listed,source\n"


@pytest.fixture()
def evaluated(session: Any) -> dict[str, Any]:
    """An opened tender with three bids, marked and moderated (factories.AWARD_SCORES), not yet recommended."""
    world = factories.opened_tender(session)
    tender, lead, panelist = world["tender"], world["agency"], world["second_agency"]
    opened = list(session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)))
    world["at"] = world["after"] + timedelta(hours=1)
    with frozen_at(world["at"]):
        factories.panel_marks(session, tender, lead, panelist, opened,
                              lambda n, criterion: factories.AWARD_SCORES[n][tender.criteria.index(criterion)])
        for n, pair in factories.AWARD_SCORES.items():
            for criterion, score in zip(tender.criteria, pair):
                evaluation.record_consensus(session, lead, tender.id, opened[n].id, criterion.id, score, f"Agreed {score}")
    world["opened"] = opened
    return world


def debar(session: Any, agency: Any, supplier_id: int, kind: str = "mandatory") -> None:
    number = session.get(Supplier, supplier_id).companies_house_number
    supplier_exclusions.import_debarment_list(session, agency, "list.csv", (
        HEADER + f"Listed Under Another Name Ltd,{number},Fraud,{kind},2025-06-01,2030-01-01,2025-06-01,List of June 2025\n").encode())


def declare_ground(session: Any, supplier_id: int, code: str = "poor_performance") -> None:
    factories.exclusion_declaration(session, supplier_id, **{code: {
        "applies": True, "details": "A contract ended early in 2024", "mitigation": "A new delivery team and monthly reviews"}})


def test_a_debarred_bidder_cannot_win_a_ranked_award_the_next_eligible_does(session, evaluated):
    tender, lead = evaluated["tender"], evaluated["agency"]
    lot = tender.lots[0]
    with frozen_at(evaluated["at"]):
        first = rank_lot(session, tender, lot).winner
        runner_up = rank_lot(session, tender, lot).entries[1]
        winner_supplier = session.get(OpenedBid, first.bid).supplier_id
        debar(session, lead, winner_supplier)
        ranking = rank_lot(session, tender, lot)
        barred = next(e for e in ranking.entries if e.bid == first.bid)
        assert not barred.eligible and "debarment list for a mandatory ground" in barred.excluded
        assert ranking.winner.bid == runner_up.bid
        with pytest.raises(Conflict):  # excluded whatever the agency decides
            exclusions.decide(session, lead, tender.id, winner_supplier, "do_not_exclude", "They asked nicely")
        decision = evaluation.recommend(session, lead, tender.id, lot.id, "Next best eligible tender")
        assert decision.opened_bid_id == runner_up.bid


def test_an_excludable_bidder_waits_for_the_agencys_decision_with_reasons(session, evaluated):
    tender, lead = evaluated["tender"], evaluated["agency"]
    lot = tender.lots[0]
    with frozen_at(evaluated["at"]):
        first = rank_lot(session, tender, lot).winner
        supplier_id = session.get(OpenedBid, first.bid).supplier_id
        declare_ground(session, supplier_id)
        assert "awaiting the agency's decision" in next(e for e in rank_lot(session, tender, lot).entries
                                                         if e.bid == first.bid).excluded
        with pytest.raises(Conflict) as waiting:
            evaluation.recommend(session, lead, tender.id, lot.id, "Best")
        assert "Decide on the exclusion grounds" in waiting.value.message
        with pytest.raises(InvalidInput) as incomplete:
            exclusions.decide(session, lead, tender.id, supplier_id, "exclude", "  ")
        assert list(incomplete.value.field_errors) == ["reasons"]
        assert session.scalar(select(func.count()).select_from(ExclusionDecision)) == 0
        with pytest.raises(Conflict):  # a bidder with nothing to decide
            exclusions.decide(session, lead, tender.id, evaluated["opened"][0].supplier_id
                              if evaluated["opened"][0].supplier_id != supplier_id else evaluated["opened"][1].supplier_id,
                              "exclude", "No")

        exclusions.decide(session, lead, tender.id, supplier_id, "exclude", "The remedy is not yet shown to work")
        ranking = rank_lot(session, tender, lot)
        assert ranking.winner.bid != first.bid
        assert "excluded by the agency's decision" in next(e for e in ranking.entries if e.bid == first.bid).excluded

        exclusions.decide(session, lead, tender.id, supplier_id, "do_not_exclude", "Independent audit confirms the remedy")
        assert rank_lot(session, tender, lot).winner.bid == first.bid
        assert evaluation.recommend(session, lead, tender.id, lot.id, "Best").opened_bid_id == first.bid

        declare_ground(session, supplier_id, "environmental")  # a newer declaration: asked again
        assert [b.supplier.id for b in exclusions.bidders(session, tender) if b.outstanding] == [supplier_id]


def test_an_excluded_bidder_is_left_out_of_the_optimised_award(session, optimised_world):  # noqa: F811
    world = optimised_world
    tender, lead = world["tender"], world["lead"]
    cheapest, b = world["opened"][0], world["opened"][1]
    with frozen_at(world["after"] + timedelta(hours=2)):
        stale = optimised_award.optimise(session, tender, time_limit=10)
        assert cheapest.id in {r["opened_bid_id"] for r in stale.result["cost"]["allocation"]}
        debar(session, lead, cheapest.supplier_id)
        with pytest.raises(Conflict) as refused:
            optimised_award.adopt(session, lead, tender.id, stale.id)
        assert "optimise the award again" in refused.value.message
        award = optimised_award.optimise(session, tender, time_limit=10)
        allocation = [(r["opened_bid_id"], Decimal(r["quantity"])) for r in award.result["cost"]["allocation"]]
        assert cheapest.id not in {bid for bid, _ in allocation}
        assert allocation == [(b.id, Decimal(150))]  # the next eligible bid takes the lot (at most 2 suppliers, min 20%)
        optimised_award.adopt(session, lead, tender.id, award.id)


def test_an_outstanding_decision_stops_the_optimisation(session, optimised_world):  # noqa: F811
    world = optimised_world
    with frozen_at(world["after"] + timedelta(hours=2)):
        declare_ground(session, world["opened"][1].supplier_id)
        with pytest.raises(Conflict):
            optimised_award.request_optimisation(session, world["lead"], world["tender"].id)


@pytest.mark.parametrize("role", ["buyer", "supplier", "agency", "admin"])
def test_the_pages_are_the_agencys(app, session, evaluated, role):
    tender = evaluated["tender"]
    supplier_id = evaluated["opened"][0].supplier_id
    declare_ground(session, supplier_id)
    person = evaluated["agency"] if role == "agency" else factories.user(session, role)
    with fresh_browser(app) as browser:
        sign_in(browser, person.email, factories.PASSWORD)
        token = csrf_token(browser)
        pages = [f"/tenders/{tender.id}/exclusions", f"/tenders/{tender.id}/exclusions/{supplier_id}"]
        for page in pages:
            response = browser.get(page)
            assert response.status_code == (200 if role == "agency" else 403), (role, page)
        response = browser.post(pages[1], data={"csrf_token": token, "decision": "exclude", "reasons": ""})
        if role == "agency":
            assert "Give the reasons for the decision" in response.get_data(as_text=True)
            listing = browser.get(pages[0]).get_data(as_text=True)
            assert "Decide" in listing and "awaiting the agency" in listing
            done = browser.post(pages[1], data={"csrf_token": token, "decision": "do_not_exclude", "reasons": "Remedied"})
            assert done.status_code == 302
        else:
            assert response.status_code == 403
    decided = session.scalars(select(ExclusionDecision)).all()
    assert [(d.supplier_id, d.decision.value) for d in decided] == ([(supplier_id, "do_not_exclude")] if role == "agency" else [])


def test_the_agency_s_home_asks_for_an_outstanding_decision(session, evaluated):
    from dashboards.worklist import worklists

    tender, lead = evaluated["tender"], evaluated["agency"]
    supplier_id = evaluated["opened"][0].supplier_id
    titles = lambda: [i.title for w in worklists(session, lead, attempts=5, minutes=15) for s in w.sections  # noqa: E731
                      for i in s.items]
    assert not any("Decide on exclusions" in t for t in titles())
    declare_ground(session, supplier_id)
    assert any("Decide on exclusions" in t for t in titles())
    exclusions.decide(session, lead, tender.id, supplier_id, "do_not_exclude", "Remedied, as the audit shows")
    assert not any("Decide on exclusions" in t for t in titles())


def test_a_supplier_cannot_declare_its_way_back_in_after_the_agency_excludes_it(session, evaluated):
    tender, lead = evaluated["tender"], evaluated["agency"]
    lot = tender.lots[0]
    with frozen_at(evaluated["at"]):
        first = rank_lot(session, tender, lot).winner
        supplier_id = session.get(OpenedBid, first.bid).supplier_id
        declare_ground(session, supplier_id)
        exclusions.decide(session, lead, tender.id, supplier_id, "exclude", "The remedy is not yet shown to work")
        factories.exclusion_declaration(session, supplier_id)  # a new version, every ground "no"
        ranking = rank_lot(session, tender, lot)
        assert ranking.winner.bid != first.bid
        assert "excluded by the agency's decision" in next(e for e in ranking.entries if e.bid == first.bid).excluded


def test_a_decision_not_to_exclude_is_asked_again_when_the_debarment_list_adds_a_ground(session, evaluated):
    tender, lead = evaluated["tender"], evaluated["agency"]
    lot = tender.lots[0]
    with frozen_at(evaluated["at"]):
        first = rank_lot(session, tender, lot).winner
        supplier_id = session.get(OpenedBid, first.bid).supplier_id
        declare_ground(session, supplier_id)
        exclusions.decide(session, lead, tender.id, supplier_id, "do_not_exclude", "Independent audit confirms the remedy")
        assert not [b for b in exclusions.bidders(session, tender) if b.outstanding]
        debar(session, lead, supplier_id, kind="discretionary")
        assert [b.supplier.id for b in exclusions.bidders(session, tender) if b.outstanding] == [supplier_id]
