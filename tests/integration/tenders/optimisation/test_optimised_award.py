"""The optimised award in the app: rules frozen with the tender, the optimisation from the
opened bids (a split award where the cheapest bidder's capacity runs out), adoption and
approval, contracts and orders per supplier, each organisation's share of the saving; each
role against the pages and the API."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask import current_app
from sqlalchemy import select

from procurement.core.clock import frozen_at, now
from procurement.core.errors import Conflict, InvalidInput, PermissionDenied
from tenders.award import record
from tenders.bidding import bids
from tenders.award import evaluation
from tenders.bidding import opening
from tenders.optimisation import optimised_award
from tenders.models import AwardDecision, CallOffOrder, Contract, OpenedBid, TenderStatus
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in
from tenders.forming import publication

RULES = optimised_award.AwardRules(optimised=True, max_suppliers_per_lot=2, min_share_percent=Decimal(20))


def _bid(price: str, capacity: str) -> dict:
    content = factories.bid_content(unit_price=price, tiers="")
    content["lots"][0]["items"][0]["capacity"] = capacity
    return content


@pytest.fixture()
def world(session):
    """150 laptops (Org A 60, Org B 90); bids 700.00 for at most 100, 740.00 and 745.00."""
    from catalogue.services import OfferInput, create_offer

    made = factories.published_tender(session, publish=False)
    tender, agency = made["tender"], made["agency"]
    factories.linked_offer(session, made["item"], "800.00", "100:750.00")  # what each would pay alone
    optimised_award.set_award_rules(session, agency, tender.id, RULES)
    publication.publish(session, agency, tender.id, master_secret=current_app.config["BID_SEALING_KEY"])
    bidders = [made["bidder"]]
    for _ in range(2):
        bidder = factories.user(session, "supplier")
        create_offer(session, factories.SYSTEM, next(iter(bidder.supplier_ids)), OfferInput(
            sku="BID-LAP", title="Laptop", cpv_code=made["item"].cpv_code, unit="each", list_price="800.00",
            price_breaks="100:750.00", status="published"))
        bidders.append(bidder)
    for bidder, (price, capacity) in zip(bidders, [("700.00", "100"), ("740.00", "500"), ("745.00", "500")]):
        bids.submit(session, bidder, tender.id, factories.bid(_bid(price, capacity)))
    after = tender.submission_deadline + timedelta(minutes=1)
    with frozen_at(after):
        opening.request_opening(session, agency, tender.id)
        opening.confirm_opening(session, made["second_agency"], tender.id)
    lead, panelist = agency, made["second_agency"]
    opened = list(session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)))
    with frozen_at(after + timedelta(hours=1)):
        factories.panel_marks(session, tender, lead, panelist, opened, 3, "Sound")
        for o in opened:
            for criterion in tender.criteria:
                evaluation.record_consensus(session, lead, tender.id, o.id, criterion.id, 3, "Agreed")
    made.update(bidders=bidders, opened=opened, after=after, lead=lead, panelist=panelist)
    return made


def test_rules_are_checked_and_frozen_at_publication(session, world):
    with pytest.raises(Conflict):
        optimised_award.set_award_rules(session, world["agency"], world["tender"].id, RULES)
    draft = factories.published_tender(session, publish=False)["tender"]
    with pytest.raises(InvalidInput) as error:
        optimised_award.set_award_rules(session, world["agency"], draft.id, optimised_award.AwardRules(
            optimised=True, max_suppliers_per_lot=3, min_share_percent=Decimal(40)))
    assert "min_share_percent" in error.value.field_errors
    with pytest.raises(PermissionDenied):
        optimised_award.set_award_rules(session, world["buyers"][0], draft.id, RULES)
    assert world["tender"].award_max_suppliers_per_lot == 2


def test_split_award_adopted_approved_and_contracted(session, world):
    tender, lead, panelist = world["tender"], world["lead"], world["panelist"]
    a, b = world["opened"][0], world["opened"][1]
    with frozen_at(world["after"] + timedelta(hours=2)):
        award = optimised_award.optimise(session, tender, time_limit=10)
        cost = award.result["cost"]
        # 100 x 700.00 + 50 x 740.00 = 107,000.00 against 150 x 740.00 = 111,000.00 lot by lot
        assert award.status == "optimal" and award.total == Decimal("107000.00")
        assert award.lot_by_lot_total == Decimal("111000.00")
        assert [(r["opened_bid_id"], r["quantity"], r["unit_price"]) for r in cost["allocation"]] == [
            (a.id, "100", "700.00"), (b.id, "50", "740.00")]
        from suppliers.models import Supplier

        a_name = session.get(Supplier, a.supplier_id).legal_name
        lot_label = f"Lot 1 {tender.lots[0].title}"
        assert cost["binding"] == [f"at most 2 suppliers for {lot_label}", f"{a_name}'s capacity on {lot_label} (100.000)"]

        single = next(c for c in cost["comparisons"] if c["name"].startswith("best single"))
        assert single["total"] == "111000.00" and single["note"] == session.get(Supplier, b.supplier_id).legal_name
        alone = next(c for c in cost["comparisons"] if c["name"].startswith("each organisation"))
        # alone at the catalogue's 800.00 (neither reaches the 100-unit break): 48,000 + 72,000
        assert alone["total"] == "120000.00" and alone["saving"] == "13000.00"
        shares = {o["baseline"]: (o["proportional"], o["shapley"]) for o in award.result["organisations"]}
        # by baseline 54,000 : 81,000; Shapley: alone groups save 6,000 and 9,000 of 13,000
        assert shares == {"54000.00": ("5200.00", "5000.00"), "81000.00": ("7800.00", "8000.00")}

        with pytest.raises(PermissionDenied):
            optimised_award.adopt(session, panelist, tender.id, award.id)  # not the lead (as for a recommendation by hand: 403)
        optimised_award.adopt(session, lead, tender.id, award.id)
        # The advantages every bidder reads carry the awarded total, never the lots' lowest
        # prices added up (a bidder knowing its own would work out a competitor's: issue 18).
        advantages = session.scalars(select(AwardDecision.advantages).where(
            AwardDecision.lot_id.in_([lot.id for lot in tender.lots]))).all()
        assert advantages and all("£107,000.00 ex VAT." in text and "111,000" not in text and "lot by lot" not in text
                                  for text in advantages)
        evaluation.approve(session, panelist, tender.id, tender.lots[0].id)
        assert tender.status is TenderStatus.award_proposed
        standstill = evaluation.publish_decision(session, lead, tender.id)
    with frozen_at(world["after"] + timedelta(days=30)):
        assert standstill.ends_on < (world["after"] + timedelta(days=30)).date()
        contracts = evaluation.enter_contracts(session, lead, tender.id)
    assert sorted((c.opened_bid_id, c.value) for c in contracts) == [(a.id, Decimal("70000.00")), (b.id, Decimal("37000.00"))]
    orders = session.scalars(select(CallOffOrder).join(Contract).where(Contract.lot_id == tender.lots[0].id)).all()
    quantities = sorted((o.organisation_id, Decimal(o.lines[0]["quantity"]), o.lines[0]["unit_price"]) for o in orders)
    org_a, org_b = sorted(o.id for o in world["orgs"])
    assert quantities == sorted([(org_a, Decimal(40), "700.00"), (org_a, Decimal(20), "740.00"),
                                 (org_b, Decimal(60), "700.00"), (org_b, Decimal(30), "740.00")])
    assert sum(o.total for o in orders) == Decimal("107000.00")
    from reports.savings import ReportQuery, build

    report = build(session, lead, ReportQuery("tender", tender_id=tender.id))
    names = {o.id: o.name for o in world["orgs"]}
    assert sorted((s.organisation, s.proportional, s.shapley, s.pooled) for s in report.shares) == sorted([
        (names[org_a], Decimal("5200.00"), Decimal("5000.00"), Decimal("13000.00")),
        (names[org_b], Decimal("7800.00"), Decimal("8000.00"), Decimal("13000.00"))])
    own = next(iter(world["buyers"][0].organisation_ids))
    mine = build(session, world["buyers"][0], ReportQuery("organisation", organisation_id=own))
    assert [s.organisation for s in mine.shares] == [names[own]]


def test_optimisation_only_where_the_rules_allow_and_for_the_agency(session, world):
    with pytest.raises(PermissionDenied):
        optimised_award.request_optimisation(session, world["buyers"][0], world["tender"].id)
    job = optimised_award.request_optimisation(session, world["agency"], world["tender"].id)
    assert job.kind == "optimise_award"
    plain = factories.opened_tender(session)
    evaluation.start_evaluation(session, plain["agency"], plain["tender"].id,
                                [plain["agency"].id, plain["second_agency"].id], plain["agency"].id)
    with pytest.raises(Conflict, match="do not allow an award optimised across lots"):
        optimised_award.request_optimisation(session, plain["agency"], plain["tender"].id)


def test_recommending_by_hand_drops_the_adoption(session, world):
    tender, lead = world["tender"], world["lead"]
    with frozen_at(world["after"] + timedelta(hours=2)):
        award = optimised_award.optimise(session, tender, time_limit=10)
        optimised_award.adopt(session, lead, tender.id, award.id)
        evaluation.recommend(session, lead, tender.id, tender.lots[0].id, "Lowest price for the whole lot")
    assert record.adopted(session, tender) is None


PAGES = [
    ("GET", "/tenders/{tender}/optimised-award", {"buyer": 403, "supplier": 403, "agency": 200, "admin": 403}),
    ("POST", "/tenders/{tender}/optimised-award", {"buyer": 403, "supplier": 403, "agency": 302, "admin": 403}),
    ("POST", "/tenders/{tender}/optimised-award/999999/adopt", {"buyer": 403, "supplier": 403, "agency": 404, "admin": 403}),
    ("POST", "/tenders/{tender}/award-rules", {"buyer": 403, "supplier": 403, "agency": 302, "admin": 403}),
]
API = [
    ("GET", "/api/v1/tenders/{tender}/optimised-award", {"buyer": 403, "supplier": 403, "agency": 404, "admin": 403}),
    ("POST", "/api/v1/tenders/{tender}/optimised-award", {"buyer": 403, "supplier": 403, "agency": 202, "admin": 403}),
    ("POST", "/api/v1/tenders/{tender}/optimised-award/999999/adopt", {"buyer": 403, "supplier": 403, "agency": 404, "admin": 403}),
    ("PUT", "/api/v1/tenders/{tender}/award-rules", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
]
ROLES = ["anonymous", "buyer", "supplier", "agency", "admin"]


def _users(session, world):
    return {"buyer": world["buyers"][0], "supplier": world["bidders"][0], "agency": world["agency"],
            "admin": factories.user(session, "admin")}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, expected", PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(app, session, world, role, method, path, expected):
    users = _users(session, world)
    with frozen_at(world["after"] + timedelta(hours=2)), fresh_browser(app) as browser:
        if role != "anonymous":
            sign_in(browser, users[role].email, factories.PASSWORD)
        data = {"csrf_token": csrf_token(browser), "optimised": "yes"} if method == "POST" else None
        response = browser.open(path.format(tender=world["tender"].id), method=method, data=data)
        if role == "anonymous":
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        else:
            assert response.status_code == expected[role], (role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, expected", API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api(client, session, world, role, method, path, expected):
    users = _users(session, world)
    headers = {} if role == "anonymous" else {
        "Authorization": f"Bearer {factories.token_for(session, users[role], days=90)}"}
    body = {"optimised": True} if method == "PUT" else None
    with frozen_at(world["after"] + timedelta(hours=2)):
        response = client.open(path.format(tender=world["tender"].id), method=method, headers=headers, json=body)
    assert response.status_code == (401 if role == "anonymous" else expected[role]), response.get_json()


def test_the_page_shows_the_award_its_explanation_and_the_shares(app, session, world):
    tender = world["tender"]
    with frozen_at(world["after"] + timedelta(hours=2)):
        optimised_award.optimise(session, tender, time_limit=10)
        session.flush()
        with fresh_browser(app) as browser:
            sign_in(browser, world["agency"].email, factories.PASSWORD)
            page = browser.get(f"/tenders/{tender.id}/optimised-award").get_data(as_text=True)
    assert "£107,000.00" in page and "£111,000.00 lot by lot" in page
    assert "lot-by-lot lowest price" in page and "each organisation buying alone at catalogue prices" in page
    assert "£5,200.00" in page and "£5,000.00" in page and "Adopt as the recommendation" in page


def test_an_award_that_leaves_a_lot_where_the_rules_allow_can_be_approved(session):
    """Two lots, one bidder for both, at most one lot per supplier and not every lot required:
    the optimised award takes the dearer lot (leaving a lot costs more than any award of it),
    and approving that one lot proposes the award."""
    import io


    from procurement.core.clock import today
    from demand.board import BoardFilter
    from tenders.forming import pooling

    agency, second = factories.user(session, "agency"), factories.user(session, "agency")
    buyer = factories.user(session, "buyer")
    items = [factories.catalogue_item(session, name=f"Two-lot item {n}") for n in range(2)]
    for item in items:
        factories.requirement(session, buyer, catalogue_item_id=item.id, unit="", quantity="10", baseline_unit_price="100.00")
    tender = pooling.form_tender(session, agency, board=BoardFilter(), pool_keys=[f"item-{i.id}" for i in items],
                                 title="Two lots", confirm_by=today() + timedelta(days=3))
    for lot in tender.lots:
        for line in lot.lines:
            pooling.respond(session, buyer, line.id, confirm=True)
    pooling.close_confirmation(session, agency, tender.id)
    publication.set_details(session, agency, tender.id, publication.TenderDetails(
        title="Two lots", description="Two lots", price_weight=60, clarification_deadline=now() + timedelta(days=25),
        submission_deadline=now() + timedelta(days=30), expected_award_on=None, lot_values={}))
    publication.set_criteria(session, agency, tender.id, [publication.CriterionInput("Support", 40, [f"m{n}" for n in range(6)])])
    publication.add_document(session, agency, tender.id, title="Specification", filename="spec.txt",
                           stream=io.BytesIO(b"Two lots"))
    optimised_award.set_award_rules(session, agency, tender.id, optimised_award.AwardRules(
        optimised=True, max_lots_per_supplier=1, every_lot=False))
    factories.conflicts_cleared(session, tender, agency)
    publication.publish(session, agency, tender.id, master_secret=current_app.config["BID_SEALING_KEY"])
    bidder = factories.user(session, "supplier")
    bids.submit(session, bidder, tender.id, factories.bid({
        "lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "90.00"}]}, {"lot": 2, "items": [{"item": 1, "unit_price": "95.00"}]}],
        "quality": [{"criterion": 1, "text": "Good support"}]}))
    after = tender.submission_deadline + timedelta(minutes=1)
    with frozen_at(after):
        opening.request_opening(session, agency, tender.id)
        opening.confirm_opening(session, second, tender.id)
        evaluation.start_evaluation(session, agency, tender.id, [agency.id, second.id], agency.id)
        opened = session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id)).one()
        for evaluator in (second, agency):
            evaluation.declare(session, evaluator, tender.id, "No conflict")
            evaluation.save_mark(session, evaluator, tender.id, opened.id, tender.criteria[0].id, 3, "Sound")
            evaluation.submit_marks(session, evaluator, tender.id)
        evaluation.record_consensus(session, agency, tender.id, opened.id, tender.criteria[0].id, 3, "Agreed")
        award = optimised_award.optimise(session, tender, time_limit=10)
        assert [r["lot"] for r in award.result["cost"]["allocation"]] == [2]  # 950.00 beats 900.00 left unawarded
        assert award.result["cost"]["unawarded"] == [1]
        optimised_award.adopt(session, agency, tender.id, award.id)
        evaluation.approve(session, second, tender.id, tender.lots[1].id)
    assert tender.status is TenderStatus.award_proposed

