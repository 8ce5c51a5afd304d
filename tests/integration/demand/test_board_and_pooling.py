"""The demand board's arithmetic on both databases, a buyer's view of their pools, and the
path from pools to a draft tender with confirmed lines."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from procurement.core.clock import LONDON, frozen_at, today
from procurement.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from demand import board as boards
from demand.models import Requirement, RequirementStatus as S
from procurement.parties.models import Partnership
from tenders import lifecycle
from tenders.forming import pooling
from tenders.models import LineStatus
from tests import factories
from tenders.forming import publication

D = Decimal


@pytest.fixture()
def demand(session):
    """Three boroughs pooling laptops (the worked example of the unit tests), one monitors
    line, and two CPV-only lines (one in hours)."""
    item = factories.catalogue_item(session, name="Pool laptop", unit="each")
    factories.linked_offer(session, item, "812.50", "25:789.00; 100:755.00; 500:729.00")
    factories.linked_offer(session, item, "829.00", "50:779.00; 250:742.00; 1000:715.00")
    factories.linked_offer(session, item, "500.00", status="draft")  # unpublished: does not count
    orgs = [factories.organisation(session, partnership=p) for p in ("north", "east", "south")]
    buyers = [factories.user(session, "buyer", organisation_id=o.id) for o in orgs]
    for buyer, quantity, price in zip(buyers, ("100", "240", "60"), ("845.00", "829.00", "869.00")):
        factories.requirement(session, buyer, catalogue_item_id=item.id, unit="", quantity=quantity,
                              baseline_unit_price=price)
    factories.requirement(session, buyers[0], cpv_code="30231300", specification="Monitors", quantity="50",
                          baseline_unit_price="150.00", days=200)
    factories.requirement(session, buyers[1], cpv_code="72000000", specification="Consultancy", quantity="37.5",
                          unit="hours", baseline_unit_price="65.40")
    factories.requirement(session, buyers[2], cpv_code="72200000", specification="Consultancy", quantity="12.25",
                          unit="Hours", baseline_unit_price="64.99")
    factories.requirement(session, buyers[2], submit=False)  # a draft is not on the board
    return {"item": item, "orgs": orgs, "buyers": buyers, "agency": factories.user(session, "agency")}


def _by_key(pools):
    return {p.key: p for p in pools}


def test_the_board_adds_up_exactly(session, demand):
    pools = _by_key(boards.demand_board(session, demand["agency"], boards.BoardFilter(depth="division", min_organisations=1)))
    laptops = pools[f"item-{demand['item'].id}"]
    assert laptops.totals.quantity == 400 and len(laptops.totals.organisation_ids) == 3 and laptops.totals.lines == 3
    e = laptops.estimate
    assert (e.baseline_spend, e.joint_unit_price, e.joint_spend, e.saving, e.saving_percent) == (
        D("335600.00"), D("742.00"), D("296800.00"), D("38800.00"), D("11.6"))
    assert e.value_inc_vat == D("356160.00") and e.above_threshold
    assert [name for _, name in laptops.organisations] == sorted(o.name for o in demand["orgs"])
    # Hours from two organisations pool by CPV division and unit, whatever the case of the unit.
    hours = pools["cpv-72000000|hours"]
    assert hours.totals.quantity == D("49.75") and hours.estimate.baseline_spend == D("3248.63")
    assert hours.estimate.joint_unit_price is None and hours.label.startswith("72000000 ")
    assert "cpv-30000000|each" in pools and len(pools) == 3


def test_depth_window_partnership_and_organisation_filters(session, demand):
    agency = demand["agency"]
    by_category = _by_key(boards.demand_board(session, agency, boards.BoardFilter(depth="category", min_organisations=1)))
    assert {"cpv-72000000|hours", "cpv-72200000|hours"} <= set(by_category)
    soon = boards.BoardFilter(needed_to=today() + timedelta(days=100), min_organisations=1)
    assert "cpv-30230000|each" not in _by_key(boards.demand_board(session, agency, soon))
    north = boards.demand_board(session, agency, boards.BoardFilter(partnership=Partnership.north, min_organisations=1))
    assert {p.key for p in north} == {f"item-{demand['item'].id}", "cpv-30230000|each"}
    assert sum(p.totals.quantity for p in north if p.catalogue_item_id) == 100
    several = boards.demand_board(session, agency, boards.BoardFilter(min_organisations=2, depth="division"))
    assert {p.key for p in several} == {f"item-{demand['item'].id}", "cpv-72000000|hours"}
    # By default the board shows only pools of two or more organisations.
    by_default = boards.demand_board(session, agency, boards.BoardFilter(depth="division"))
    assert {p.key for p in by_default} == {p.key for p in several}
    above = boards.demand_board(session, agency, boards.BoardFilter(above_threshold_only=True))
    assert [p.key for p in above] == [f"item-{demand['item'].id}"]
    with pytest.raises(InvalidInput):
        boards.demand_board(session, agency, boards.BoardFilter(depth="galaxy"))
    with pytest.raises(InvalidInput):
        boards.demand_board(session, agency, boards.BoardFilter(needed_from=today(), needed_to=today() - timedelta(days=1)))


def test_only_the_agency_sees_the_board(session, demand):
    for role in ("buyer", "supplier", "admin"):
        with pytest.raises(PermissionDenied):
            boards.demand_board(session, factories.user(session, role), boards.BoardFilter())


def test_the_csv_export_is_safe_and_exact(session, demand):
    pools = boards.demand_board(session, demand["agency"], boards.BoardFilter())
    rows = boards.board_csv_rows(pools)
    laptops = next(r for r in rows if r[0] == f"item-{demand['item'].id}")
    header = rows[0]
    assert laptops[header.index("saving")] == D("38800.00") and laptops[header.index("total_quantity")] == "400"
    assert laptops[header.index("above_threshold")] == "yes"


def test_a_buyer_sees_pooled_totals_and_their_own_part_only(session, demand):
    buyer, organisation = demand["buyers"][0], demand["orgs"][0]
    shares = boards.pools_for_organisation(session, buyer, organisation.id)
    laptops = next(s for s in shares if s.pool.catalogue_item_id)
    assert laptops.pool.totals.quantity == 400 and len(laptops.pool.totals.organisation_ids) == 3
    assert laptops.pool.organisations == []  # no other organisation named
    assert laptops.own.quantity == 100 and laptops.own_baseline_spend == D("84500.00")
    assert laptops.own_saving == D("10300.00")  # 84,500 - 100 x 742.00
    with pytest.raises(PermissionDenied):
        boards.pools_for_organisation(session, buyer, demand["orgs"][1].id)


def _form(session, demand, **overrides):
    data = dict(board=boards.BoardFilter(), pool_keys=[f"item-{demand['item'].id}"], title="Laptop refresh",
                confirm_by=today() + timedelta(days=7))
    data.update(overrides)
    return pooling.form_tender(session, demand["agency"], **data)


def test_from_pools_to_a_draft_tender_with_confirmed_lines(session, demand):
    tender = _form(session, demand)
    assert tender.reference.startswith(f"LC-{today().year}-") and len(tender.lots) == 1
    lot = tender.lots[0]
    assert lot.estimated_unit_price == D("742.00") and len(lot.lines) == 3 and lot.quantity == 0
    requirements = {l.organisation_id: session.get(Requirement, l.requirement_id) for l in lot.lines}
    assert {r.status for r in requirements.values()} == {S.pooled}
    # The pool has left the board.
    assert f"item-{demand['item'].id}" not in _by_key(boards.demand_board(session, demand["agency"], boards.BoardFilter()))
    first, second, third = (next(l for l in lot.lines if l.organisation_id == o.id) for o in demand["orgs"])
    pooling.respond(session, demand["buyers"][0], first.id, confirm=True)
    pooling.respond(session, demand["buyers"][1], second.id, confirm=False)
    assert requirements[demand["orgs"][0].id].status is S.committed
    assert requirements[demand["orgs"][1].id].status is S.submitted  # back on the board
    with pytest.raises(Conflict):
        pooling.respond(session, demand["buyers"][0], first.id, confirm=False)  # already answered
    with pytest.raises(NotFound):
        pooling.respond(session, demand["buyers"][0], third.id, confirm=True)  # not theirs
    with pytest.raises(Conflict, match="until"):
        pooling.close_confirmation(session, demand["agency"], tender.id)  # the third may still answer
    after = datetime.combine(tender.confirm_by + timedelta(days=1), time(9), LONDON).astimezone(timezone.utc)
    with frozen_at(after):
        with pytest.raises(Conflict):
            pooling.respond(session, demand["buyers"][2], third.id, confirm=True)  # too late
        pooling.close_confirmation(session, demand["agency"], tender.id)
    assert third.status is LineStatus.dropped and requirements[demand["orgs"][2].id].status is S.submitted
    assert lot.quantity == D("100")  # the confirmed line only, traced to its organisation
    assert [(l.organisation_id, l.requirement_id) for l in lot.lines if l.status is LineStatus.confirmed] == [
        (demand["orgs"][0].id, requirements[demand["orgs"][0].id].id)]
    with pytest.raises(Conflict):
        pooling.close_confirmation(session, demand["agency"], tender.id)


def test_merged_pools_make_one_lot_and_units_must_agree(session, demand):
    keys = ["cpv-72000000|hours"]
    board = boards.BoardFilter(depth="division")
    with pytest.raises(InvalidInput) as caught:
        _form(session, demand, board=board, pool_keys=[f"item-{demand['item'].id}", *keys], merge=True)
    assert "merge" in caught.value.field_errors
    tender = _form(session, demand, board=boards.BoardFilter(depth="category"),
                   pool_keys=["cpv-72000000|hours", "cpv-72200000|hours"], merge=True)
    assert len(tender.lots) == 1 and tender.lots[0].cpv_code == "72000000" and len(tender.lots[0].lines) == 2


def test_forming_refuses_bad_input_and_other_roles(session, demand):
    for role in ("buyer", "supplier", "admin"):
        with pytest.raises(PermissionDenied):
            pooling.form_tender(session, factories.user(session, role), board=boards.BoardFilter(),
                                pool_keys=[f"item-{demand['item'].id}"], title="x", confirm_by=today())
    errors = pytest.raises(InvalidInput, _form, session, demand, title=" ", confirm_by=today() - timedelta(days=1),
                           pool_keys=["nonsense"]).value.field_errors
    assert set(errors) == {"title", "confirm_by", "pool_keys"}
    with pytest.raises(InvalidInput, match="formed"):
        _form(session, demand, pool_keys=["item-999999"])


def test_withdrawing_a_pooled_or_committed_line_takes_it_out_of_the_lot(session, demand):
    from demand import services

    tender = _form(session, demand)
    lot = tender.lots[0]
    mine = next(l for l in lot.lines if l.organisation_id == demand["orgs"][0].id)
    theirs = next(l for l in lot.lines if l.organisation_id == demand["orgs"][1].id)
    services.withdraw_requirement(session, demand["buyers"][0], mine.requirement_id)  # pooled: the buyer may
    assert mine.status is LineStatus.withdrawn
    pooling.respond(session, demand["buyers"][1], theirs.id, confirm=True)
    assert lot.quantity == D("240")
    services.agency_withdraw(session, demand["agency"], theirs.requirement_id, "The borough asked in writing")
    assert theirs.status is LineStatus.withdrawn and lot.quantity == 0


def test_abandoning_a_draft_puts_its_demand_back(session, demand):
    tender = _form(session, demand)
    publication.cancel_draft(session, demand["agency"], tender.id, "Re-scoping")
    statuses = {session.get(Requirement, l.requirement_id).status for l in tender.lots[0].lines}
    assert statuses == {S.submitted}


def test_buyers_see_only_tenders_they_are_in_and_only_their_lines(session, demand):
    tender = _form(session, demand)
    view = pooling.tender_view(session, demand["buyers"][0], tender.id)
    assert [l.organisation_id for l in view.lots[0]["visible_lines"]] == [demand["orgs"][0].id]
    outsider = factories.user(session, "buyer")
    with pytest.raises(NotFound):
        lifecycle.get_tender(session, outsider, tender.id)
    assert pooling.list_tenders(session, outsider) == []
    assert [l.id for l in pooling.lines_to_answer(session, demand["buyers"][0])] == [view.lots[0]["visible_lines"][0].id]
