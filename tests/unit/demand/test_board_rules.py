"""The demand board's rules for 'worth tendering?': like-for-like prices, pools of two or more
organisations by default, pools ranked by value whether priced or not, tenders under way."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from catalogue.rules import condition_of
from demand import board as boards
from demand import rules

D = Decimal
ON = date(2026, 11, 28)
NEW = rules.OfferPrice(1, D("812.50"), [(25, D("789.00")), (100, D("755.00"))])
REFURBISHED = rules.OfferPrice(2, D("389.00"), [(20, D("369.00")), (100, D("349.00"))], condition="refurbished")


@pytest.mark.parametrize("texts, expected", [
    (("Refurbished ThinkPad T14 laptop, 16GB, 512GB, 2-year warranty", ""), "refurbished"),
    (("ThinkPad T14", "Reconditioned by the maker"), "refurbished"),
    (("Second-hand desktop",), "refurbished"),
    (("Latitude 14 business laptop, 16GB, 512GB SSD", "14-inch laptop, 16 GB RAM"), "new"),
    (("Business laptop, 14-inch", ""), "new"),
    (("Users' guide included",), "new"),  # 'users' is not 'used'
])
def test_the_condition_is_read_from_the_words(texts, expected):
    assert condition_of(*texts) == expected


def test_a_refurbished_offer_is_no_saving_against_new_ones():
    pool = rules.totals([rules.PoolLine(1, D("100"), D("845.00"))])
    new = rules.estimate(pool, [NEW, REFURBISHED], ON)  # the item is new
    assert new.best_offer_id == 1 and new.joint_unit_price == D("755.00") and new.saving == D("9000.00")
    refurbished = rules.estimate(pool, [NEW, REFURBISHED], ON, condition="refurbished")
    assert refurbished.best_offer_id == 2 and refurbished.joint_unit_price == D("349.00")
    # Only refurbished offers, new item: no like-for-like price, so no saving is claimed.
    nothing = rules.estimate(pool, [REFURBISHED], ON)
    assert nothing.joint_unit_price is None and nothing.saving is None and nothing.value_inc_vat == D("101400.00")


def _pool(key: str, organisations: int, baseline: str, offers: list[rules.OfferPrice] = ()) -> boards.Pool:
    totals = rules.totals([rules.PoolLine(n, D("10"), D(baseline)) for n in range(1, organisations + 1)])
    return boards.Pool(key, key, None, "30213100", "each", totals, ON, ON, rules.estimate(totals, offers, ON))


def test_by_default_only_pools_of_two_or_more_organisations_show():
    alone, pair = _pool("alone", 1, "845.00", [NEW]), _pool("pair", 2, "845.00", [NEW])
    assert boards.BoardFilter().min_organisations == 2
    assert [p.key for p in boards.shown([alone, pair], boards.BoardFilter())] == ["pair"]
    assert {p.key for p in boards.shown([alone, pair], boards.BoardFilter(min_organisations=1))} == {"alone", "pair"}


def test_pools_without_a_catalogue_price_rank_by_value_not_last():
    small_priced = _pool("small priced", 2, "845.00", [NEW])       # 20 x 845 = 16,900 today
    large_unpriced = _pool("large unpriced", 3, "9000.00")          # 30 x 9,000 = 270,000 today
    middle_priced = _pool("middle priced", 2, "4000.00", [NEW])      # 20 x 4,000 = 80,000 today
    ranked = boards.shown([small_priced, large_unpriced, middle_priced], boards.BoardFilter())
    assert boards.BoardFilter().sort == "value"
    assert [p.key for p in ranked] == ["large unpriced", "middle priced", "small priced"]
    by_saving = boards.shown([small_priced, large_unpriced, middle_priced], boards.BoardFilter(sort="saving"))
    assert [p.key for p in by_saving] == ["middle priced", "small priced", "large unpriced"]


def test_a_tender_under_way_is_matched_by_item_or_cpv_branch():
    laptops = boards.Pool("item-7", "Laptops", 7, "30213100", "each", rules.PoolTotals(), ON, ON)
    by_cpv = boards.Pool("cpv-30210000|each", "30210000", None, "30210000", "each", rules.PoolTotals(), ON, ON)
    elsewhere = boards.Pool("cpv-48440000|system", "48440000", None, "48440000", "system", rules.PoolTotals(), ON, ON)
    tender = boards.TenderUnderWay(3, "LC-2026-0003", "Laptops", "Open for bids", frozenset({7}), frozenset({"30213100"}))
    digits = rules.DEPTHS["class"]
    assert tender.buys(laptops, digits) and tender.buys(by_cpv, digits) and not tender.buys(elsewhere, digits)
    other_item = boards.Pool("item-8", "Desktops", 8, "30213300", "each", rules.PoolTotals(), ON, ON)
    assert not tender.buys(other_item, digits)
