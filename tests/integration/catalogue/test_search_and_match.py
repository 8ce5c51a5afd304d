"""Search and matching over the demo catalogue, on SQLite (FTS5) and PostgreSQL (tsvector)."""
from decimal import Decimal

import pytest

from catalogue.matching import Line, match_lines
from catalogue.models import Offer
from catalogue.search import SearchQuery, search_offers
from catalogue.services import OfferInput, create_offer
from procurement.seed import seed_demo
from tests import factories


@pytest.fixture()
def demo(session):
    seed_demo(session)
    buyer = factories.user(session, "buyer")
    return buyer


def titles(page):
    return [o.title for o in page.offers]


def test_full_text_finds_words_in_title_description_maker_and_part_number(session, demo):
    assert any("laptop" in t.lower() for t in titles(search_offers(session, demo, SearchQuery(text="laptops"))))
    by_maker = search_offers(session, demo, SearchQuery(text="iiyama"))
    assert titles(by_maker) == ["24-inch USB-C monitor, height adjustable"]
    by_part = search_offers(session, demo, SearchQuery(text="C9200L"))
    assert by_part.total == 1 and "PoE+" in by_part.offers[0].title
    assert search_offers(session, demo, SearchQuery(text="MasterMap")).total == 1
    assert search_offers(session, demo, SearchQuery(text="zebra unicorn")).total == 0


def test_cpv_filter_takes_a_code_and_everything_under_it(session, demo):
    personal_computers = search_offers(session, demo, SearchQuery(cpv="30213000", per_page=100))
    assert {o.cpv_code for o in personal_computers.offers} == {"30213100", "30213300"}
    assert personal_computers.total == 5
    laptops = search_offers(session, demo, SearchQuery(cpv="30213100"))
    assert laptops.total == 3
    two_words = search_offers(session, demo, SearchQuery(text="business laptop", cpv="30210000"))
    assert two_words.total >= 1 and all(o.cpv_code.startswith("3021") for o in two_words.offers)


def test_price_range_and_sorting(session, demo):
    page = search_offers(session, demo, SearchQuery(min_price=Decimal("100"), max_price=Decimal("700"),
                                                    sort="price_asc", per_page=100))
    prices = [o.list_price for o in page.offers]
    assert prices == sorted(prices) and all(Decimal("100") <= p <= Decimal("700") for p in prices)
    assert Decimal("139.00") in prices and Decimal("389.00") in prices
    desc = search_offers(session, demo, SearchQuery(sort="price_desc", per_page=3))
    assert desc.offers[0].list_price == Decimal("4250.00")


def test_pagination(session, demo):
    first = search_offers(session, demo, SearchQuery(per_page=5, page=1, sort="price_asc"))
    second = search_offers(session, demo, SearchQuery(per_page=5, page=2, sort="price_asc"))
    assert first.total == 16 and first.pages == 4
    assert not {o.id for o in first.offers} & {o.id for o in second.offers}


def test_word_search_counts_every_hit_on_every_page(session, demo):
    query = SearchQuery(text="laptop", per_page=1)
    first = search_offers(session, demo, query)
    assert first.total >= 2 and not first.total_is_capped
    second = search_offers(session, demo, SearchQuery(text="laptop", per_page=1, page=2))
    assert second.total == first.total and second.offers[0].id != first.offers[0].id
    beyond = search_offers(session, demo, SearchQuery(text="laptop", per_page=1, page=first.total + 1))
    assert beyond.offers == [] and beyond.total == first.total


def test_drafts_are_seen_only_by_their_supplier_and_the_agency(session, demo):
    seller = factories.user(session, "supplier")
    supplier_id = next(iter(seller.supplier_ids))
    create_offer(session, seller, supplier_id, OfferInput(sku="DRAFT-1", title="Secret prototype laptop",
                                                          cpv_code="30213100", unit="each", list_price="10.00"))
    query = SearchQuery(text="prototype")
    assert search_offers(session, seller, query).total == 1
    assert search_offers(session, demo, query).total == 0
    assert search_offers(session, factories.user(session, "supplier"), query).total == 0
    assert search_offers(session, factories.user(session, "agency"), query).total == 1


# A labelled set: each line and the offer (by SKU) it means, or None when nothing should match.
LABELLED = [
    (Line(description="laptop", gtin=None, part_number="lat 5450 u5"), "TDH-LAP-14", "part_number"),
    (Line(description="24 inch monitor", part_number="XUB2492HSU-B6"), "MDT-MON-24", "part_number"),
    (Line(description="Cisco Catalyst 9200L 48 port PoE switch", cpv="32422000"), "CNS-SW48-POE", "similar"),
    (Line(description="contact centre agent seat call recording", cpv="48510000"), "CPT-SEAT-STD", "similar"),
    (Line(description="USB smart card reader ISO 7816", cpv="30233300"), None, "similar"),
    (Line(description="refurbished ThinkPad T14 laptop"), "LRC-REFURB-T14", "similar"),
    (Line(description="GIS desktop licence MasterMap"), "GLM-GIS-DESK", "similar"),
    (Line(description="hovercraft spare parts"), None, None),
]


def test_matching_a_labelled_set(session, demo):
    by_sku = {o.sku: o for o in session.query(Offer).all()}
    laptop = by_sku["TDH-LAP-14"]
    lines = [Line(description="anything", gtin=laptop.gtin)] + [line for line, _, _ in LABELLED]
    results = match_lines(session, demo, lines)
    assert results[0].best.offer_id == laptop.id and results[0].best.reason == "same gtin"
    assert results[0].best.confidence == 1.0 and results[0].status == "matched"
    for result, (_, expected_sku, reason) in zip(results[1:], LABELLED):
        if reason is None:
            assert result.status == "no_match", result
            continue
        assert result.best is not None, result.line
        if expected_sku:
            assert result.best.offer_id == by_sku[expected_sku].id, (result.line, result.best)
        assert result.best.reason.startswith(f"same {reason.replace('_', ' ')}" if reason != "similar" else "similar")


def test_matching_for_a_bid_uses_only_that_suppliers_offers_and_its_skus(session, demo):
    from sqlalchemy import select

    from suppliers.models import Supplier

    thames = session.scalar(select(Supplier.id).where(Supplier.legal_name == "Thames Digital Hardware Ltd"))
    results = match_lines(session, demo, [Line(sku="TDH-SFF-PC"), Line(part_number="XUB2492HSU-B6")],
                          supplier_id=thames)
    assert results[0].best.reason == "same sku" and results[0].status == "matched"
    assert results[1].status == "no_match"  # another supplier's part number


def test_text_matches_below_the_threshold_need_review(session, demo):
    from catalogue.models import CatalogueItem

    monitors = session.query(CatalogueItem).filter_by(name="Monitor, 24-inch").one()
    [result] = match_lines(session, demo, [Line(description="24 inch monitor with speakers")])
    assert result.best.catalogue_item_id == monitors.id and result.best.reason.startswith("similar text")
    assert session.get(Offer, result.best.offer_id).cpv_code == "30231300"
    assert 0.45 <= result.best.confidence < 0.75 and result.status == "needs_review"
