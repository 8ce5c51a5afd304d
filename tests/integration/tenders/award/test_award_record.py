"""One record of the award decision per lot (award_share), and every reader of it agreeing:
the award notice, each assessment summary, each order summary, the orders, the savings
report, the supplier's results page and API, the evaluation workspace and the OCDS award
release. On the demo's optimised award (a bundle discount gives both lots to the bidder
ranked second on each) and on a ranked award."""
from __future__ import annotations

import json

import re
from decimal import Decimal

import pytest
from flask import current_app
from pypdf import PdfReader
from sqlalchemy import delete, select

from opendata import ocds
from procurement.core.access import SystemActor
from procurement.core.documents import Document
from procurement.parties.models import Organisation, User
from reports.savings import ReportQuery, build
from procurement.seed import seed_demo
from suppliers.models import Supplier
from tenders.award import record
from tenders.award import evaluation
from tenders.models import AwardBasis, AwardShare, CallOffOrder, Contract, Lot, OpenedBid, Tender
from tenders.seed import AWARDED_TITLE
from tests import factories
from tests.conftest import fresh_browser, sign_in
from tests.factories import stored_file

AGENCY = "agency.lead@demo.londonconnects.example"


def _text(document: Document) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(stored_file(document)).pages)
    return re.sub(r"\s+", " ", text)


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


@pytest.fixture()
def demo(session):
    seed_demo(session)
    session.commit()  # the award pack's jobs run once the seed commits (in-process here)
    tender = session.scalar(select(Tender).where(Tender.title == AWARDED_TITLE))
    users = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
    return {"tender": tender, "users": users}


def test_the_demo_award_is_recorded_once_and_every_document_agrees(session, demo):
    tender = demo["tender"]
    awards = record.lot_awards(session, tender)
    names = {s.id: s.legal_name for s in session.scalars(select(Supplier))}
    crm = next(i for i, n in names.items() if n == "Borough CRM Solutions Ltd")
    lot1, lot2 = (awards[l.id] for l in tender.lots)
    # Lot 1: 285 seats; Capital Network 335.00 (95,475.00, first), Borough CRM 352.00 (100,320.00, second);
    # Borough CRM's 6% bundle for lots 1 and 2 wins both: 100,320.00 - 6,019.20 = 94,300.80.
    for award, bid_total, value, first in [(lot1, "100320.00", "94300.80", "Capital Network Systems Ltd"),
                                           (lot2, "70700.00", "66458.00", "Thames Digital Hardware Ltd")]:
        (share,) = award.shares
        assert share.basis is AwardBasis.optimised and share.supplier_id == crm and share.rank == 2
        assert share.bid_total == share.list_value == Decimal(bid_total) and share.value == Decimal(value)
        assert share.discount_percent == Decimal(6) and share.discount == Decimal(bid_total) - Decimal(value)
        assert award.names[award.first.bid] == first
        assert "ranks second on this lot alone" in award.explanation and f"£{share.value:,.2f}" in award.explanation
    assert lot1.value + lot2.value == Decimal("160758.80") == lot1.optimised.total

    docs = list(session.scalars(select(Document).where(Document.tender_id == tender.id)))
    for award in (lot1, lot2):
        (share,) = award.shares
        notice = _text(next(d for d in docs if d.kind == "award_notice" and d.subject_id == award.lot.id))
        assert f"awarded to Borough CRM Solutions Ltd: £{_money(share.value)} ex VAT" in notice
        assert f"ranked {share.rank} of {award.counts.assessed} on this lot, with a total score of {share.score}" in notice
        assert award.names[award.first.bid] not in notice  # the other bidders are not named, nor their prices
        assert _money(award.first.total) not in notice and "None" not in notice
        # Neither the price before the discount nor the price score (with the value, it gives the lowest price).
        for figure in (_money(share.list_value), _money(share.discount), str(share.price_score)):
            assert figure not in notice, figure
        report = _text(next(d for d in docs if d.kind == "evaluation_report" and d.subject_id == award.lot.id))
        # Nor the optimised award's comparisons, nor any organisation's quantities (the names stay).
        assert "Optimised award across lots" not in notice and _money(award.optimised.lot_by_lot_total) not in notice
        items = {i.id: i.description for i in award.lot.items}
        assert "The organisations' lines" not in notice
        for line in award.lot.lines:  # as the notice used to list them: organisation, item, quantity
            assert f"{line.organisation.name} {items[line.lot_item_id]} {line.quantity.normalize():f}" not in notice
            assert f"{line.organisation.name} {items[line.lot_item_id]} {line.quantity.normalize():f}" in report
        assert f"6% bundle discount of £{_money(share.discount)}" in report and _money(award.first.total) in report
        assert f"{share.rank} Borough CRM Solutions Ltd {_money(share.bid_total)} {share.price_score} {share.quality_score} {share.score}" in report

    # Each bidder's letter covers exactly the lots it bid for, and names the awarded supplier as regulation 31 asks.
    crm_supplier = session.get(Supplier, crm)
    bid_lots = {o.supplier_id: {l.number for l in tender.lots if o.id in {e.bid for e in awards[l.id].entries}}
                for o in session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id))}
    assert bid_lots == {next(i for i, n in names.items() if n == "Capital Network Systems Ltd"): {1}, crm: {1, 2},
                        next(i for i, n in names.items() if n == "Thames Digital Hardware Ltd"): {2}}
    for supplier_id, lots in bid_lots.items():
        letter = _text(next(d for d in docs if d.kind == "assessment_letter" and d.audience_supplier_id == supplier_id))
        for lot in tender.lots:
            assert (f"Lot {lot.number}: {lot.title}:" in letter) == (lot.number in lots)
        if supplier_id != crm:
            assert crm_supplier.postal_address in letter and crm_supplier.contact_email in letter
            assert f"identifier GB-COH-{crm_supplier.companies_house_number}" in letter
            assert "Why: Your tender is not part of the optimised award" in letter
        assert "Where the award criteria are" in letter and "None" not in letter

    # The contracts follow the record; every organisation's order summary, orders and savings agree.
    lead = demo["users"]["agency.lead"]
    contracts = evaluation.enter_contracts(session, lead, tender.id)
    assert sorted(c.value for c in contracts) == sorted(a.value for a in (lot1, lot2))
    session.commit()
    orders = session.scalars(select(CallOffOrder).join(Contract).join(Lot).where(Lot.tender_id == tender.id)).all()
    report = build(session, lead, ReportQuery("tender", tender_id=tender.id))
    assert report.cost == sum((o.total for o in orders), Decimal(0)) == Decimal("160758.80")
    by_organisation = {name: (baseline, cost, saving) for name, baseline, cost, saving, _ in report.by_organisation()}
    for organisation_id in {o.organisation_id for o in orders}:
        mine = [o for o in orders if o.organisation_id == organisation_id]
        cost, baseline = sum((o.total for o in mine), Decimal(0)), sum((o.baseline for o in mine), Decimal(0))
        lines = record.tender_lines(session, tender, organisation_id)
        assert sum((l.cost for l in lines), Decimal(0)) == cost and sum((l.baseline for l in lines), Decimal(0)) == baseline
        name = session.get(Organisation, organisation_id).name
        assert by_organisation[name] == (baseline, cost, baseline - cost)
        summary = _text(next(d for d in docs if d.kind == "order_summary" and d.audience_organisation_id == organisation_id))
        assert f"Total {_money(cost)} {_money(baseline)} {_money(baseline - cost)}" in summary
        assert f"Saving: £{_money(baseline - cost)}" in summary and "What pooling is worth" in summary

    # Published data: each award's value is its share's, after the stated discount, and points at its bid.
    facts = ocds.tender_releases(session, tender, current_app.config["OCDS_OCID_PREFIX"])
    award_release = next(r for r in facts if "award" in r["tag"])
    bids = {b["id"]: b for b in award_release["bids"]["details"]}
    for award_data, award in zip(award_release["awards"], (lot1, lot2)):
        (share,) = award.shares
        assert Decimal(str(award_data["value"]["amount"])) == share.value
        bid = bids[award_data["relatedBid"]]
        assert Decimal(str(bid["value"]["amount"])) == share.bid_total
        assert award_data["description"] == award.explanation and str(share.score) in award_data["description"]
        assert "bundle discount for lots 1 and 2" in award_data["description"]
        assert _money(share.list_value) not in award_data["description"] and "lowest price" not in award_data["description"]


def test_the_pages_mark_the_award_and_a_bidder_sees_only_its_lots(app, session, demo):
    tender = demo["tender"]
    with fresh_browser(app) as browser:
        sign_in(browser, AGENCY, "london-demo-2026")
        page = browser.get(f"/tenders/{tender.id}/evaluation").get_data(as_text=True)
    assert page.count(">Recommended</strong>") == 2 and "ranks second on this lot alone" in page
    with fresh_browser(app) as browser:
        sign_in(browser, "supplier.thames@demo.londonconnects.example", "london-demo-2026")
        page = browser.get(f"/opportunities/{tender.id}/results").get_data(as_text=True)
    lot1, lot2 = tender.lots
    assert f"Lot {lot2.number}: {lot2.title}" in page and f"Lot {lot1.number}: {lot1.title}" not in page
    assert "40 Holloway Road" in page and "Not awarded to you" in page
    thames = demo["users"]["supplier.thames"]
    token = factories.token_for(session, thames)
    with app.test_client() as client:
        results = client.get(f"/api/v1/opportunities/{tender.id}/results",
                             headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [r["lot"] for r in results] == [2]
    (awarded,) = results[0]["awarded"]
    share = session.scalars(select(AwardShare).where(AwardShare.lot_id == lot2.id)).one()
    assert awarded["supplier"] == "Borough CRM Solutions Ltd" and awarded["score"] == str(share.score)
    assert results[0]["reason"]
    # Issue 18, finding 1: the API gave a losing bidder the winner's total, which its page and
    # letter hide; it now says what they say.
    assert "value" not in awarded and str(share.value) not in json.dumps(results)


def test_a_ranked_award_is_recorded_with_the_first_tender(session):
    world = factories.decided_tender(session)
    tender = world["tender"]
    (award,) = record.lot_awards(session, tender).values()
    (share,) = award.shares
    # AWARD_SCORES: bid 2 (745.00 each, 111,750.00) scores 96.38 and ranks first
    assert share.basis is AwardBasis.ranking and share.opened_bid_id == world["opened"][2].id
    assert share.rank == 1 and share.score == Decimal("96.38") and share.value == share.bid_total == Decimal("111750.00")
    assert share.discount == 0 and "ranked first on this lot with a score of 96.38" in award.explanation
    summary = evaluation.summary_for(session, tender, world["opened"][0])
    assert [r.lot.number for r in summary] == [1] and summary[0].awarded[0].share.score == Decimal("96.38")
    assert "not the most advantageous tender" in summary[0].reason


def test_a_decision_published_before_records_were_kept_gets_the_same_record_rebuilt(session, demo):
    """Decisions published before migration 0012 have no award_share rows: the rebuild writes
    exactly what publishing writes (the demo's optimised award, and a ranked award), once."""
    ranked = factories.decided_tender(session)["tender"]
    tenders = [demo["tender"], ranked]
    columns = ("lot_id", "opened_bid_id", "supplier_id", "basis", "optimised_award_id", "quantity", "share_percent",
               "unit_prices", "bid_total", "list_value", "discount_percent", "discount_lots", "value", "rank",
               "price_score", "quality_score", "score")

    def recorded() -> list[tuple]:
        lots = [l.id for t in tenders for l in t.lots]
        return sorted(tuple(getattr(s, c) for c in columns)
                      for s in session.scalars(select(AwardShare).where(AwardShare.lot_id.in_(lots))))

    published = recorded()
    assert len(published) == 3
    session.execute(delete(AwardShare))
    session.expire_all()
    system = SystemActor("test")
    assert evaluation.rebuild_award_records(session, system) == [
        f"{demo['tender'].reference} lot 1", f"{demo['tender'].reference} lot 2", f"{ranked.reference} lot 1"]
    assert recorded() == published
    assert evaluation.rebuild_award_records(session, system) == []  # a record is never rewritten
    assert recorded() == published
