"""The bid form's rules as plain functions: tier rows as bands, where a problem is, what a
draft keeps when one answer is wrong, and a bid read back with its totals."""
from __future__ import annotations

from decimal import Decimal as D
from types import SimpleNamespace

from tenders.bidding.drafting import where_in, without
from tenders.bidding.form import field_finder, inline_errors, tiers_from_rows
from tenders.bidding.summary import summarise, tiers_in_words


def test_tier_rows_become_bands_in_quantity_order_each_to_the_next_row():
    bands, rows = tiers_from_rows([(1, "200", "742.00"), (2, "", ""), (3, "1", "760.00")])
    assert bands == [{"min_quantity": 1, "max_quantity": 199, "unit_price": "760.00"},
                     {"min_quantity": 200, "max_quantity": None, "unit_price": "742.00"}]
    assert rows == [3, 1]  # each band's form row, for its problems
    bands, _ = tiers_from_rows([(1, "1,000", "5"), (2, "x", "4")])
    assert bands[0]["min_quantity"] == 1000 and bands[1]["min_quantity"] == "x"  # kept for the schema to name


def test_a_problem_s_path_is_where_it_is_by_the_bid_s_own_numbers():
    raw = {"lots": [{"lot": 2, "items": [{"item": 1}, {"item": 4}]}], "quality": [{"criterion": 3, "attachments": [{}]}]}
    assert where_in("lots.0.items.1.unit_price", raw) == ("line", 2, 4, "unit_price")
    assert where_in("lots.0.items.1.tiers.0.min_quantity", raw) == ("line", 2, 4, "tiers", "0", "min_quantity")
    assert where_in("lots.0.lot", raw) == ("lot", 2)
    assert where_in("bundles.1.discount_percent", raw) == ("bundle", 1, "discount_percent")
    assert where_in("quality.0.attachments.0.filename", raw) == ("attachment", 3, 1)
    assert where_in("quality.0.text", raw) == ("quality", 3, "text")
    assert where_in("lots", raw) == ("bid",)


def test_a_draft_leaves_out_only_the_entries_with_problems():
    raw = {"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "9"}, {"item": 2, "unit_price": "8"}]},
                    {"lot": 2, "items": [{"item": 1, "unit_price": "7"}]}],
           "bundles": [{"lots": [1, 2], "discount_percent": "3"}, {"lots": [1], "discount_percent": "x"}],
           "quality": [{"criterion": 1, "text": "Fast", "attachments": [{"filename": "a"}, {"filename": "b"}]},
                       {"criterion": 2, "text": "x" * 5}]}
    kept = without(raw, [("line", 1, 1, "unit_price"), ("bundle", 1, "lots"), ("attachment", 1, 2), ("quality", 2, "text")])
    assert kept["lots"] == [{"lot": 1, "items": [{"item": 2, "unit_price": "8"}]}, {"lot": 2, "items": [{"item": 1, "unit_price": "7"}]}]
    assert kept["bundles"] == [{"lots": [1, 2], "discount_percent": "3"}]
    assert kept["quality"] == [{"criterion": 1, "text": "Fast", "attachments": [{"filename": "a"}]}]


def test_each_problem_is_shown_at_the_field_it_is_about():
    tender = SimpleNamespace(lots=[SimpleNamespace(number=1, items=[SimpleNamespace(number=1)])])
    posted = SimpleNamespace(tier_rows={(1, 1): [3, 1]}, bundle_rows=[2])
    find = field_finder(tender, posted)
    assert find(("line", 1, 1, "unit_price")) == "price-1-1"
    assert find(("line", 1, 1, "offer_sku")) == "sku-1-1"
    assert find(("line", 1, 1, "tiers", "1", "unit_price")) == "tier-1-1-1-price"
    assert find(("line", 1, 1, "tiers", "0", "max_quantity")) == "tier-1-1-1-from"
    assert find(("line", 1, 1, "tiers")) == "tier-1-1-3-from"
    assert find(("bundle", 0, "discount_percent")) == "bundle-2-discount"
    assert find(("lot", 1)) == "price-1-1" and find(("quality", 2)) == "quality-2" and find(("bid",)) is None
    assert field_finder(tender, None)(("bundle", 1, "lots")) == "bundle-2-lots"  # the review page: rows as stored
    assert inline_errors([("a", "price-1-1"), ("b", "price-1-1"), ("c", None)]) == {"price-1-1": "a; b"}


def test_a_bid_read_back_has_each_line_s_and_lot_s_total_and_the_bundles():
    items = [SimpleNamespace(number=1, description="Laptop", quantity=D("150"), unit="each"),
             SimpleNamespace(number=2, description="Dock", quantity=D("2.5"), unit="each")]
    tender = SimpleNamespace(lots=[SimpleNamespace(number=1, title="Laptops", items=items),
                                   SimpleNamespace(number=2, title="Desktops", items=[SimpleNamespace(
                                       number=1, description="Desktop", quantity=D("10"), unit="each")])],
                             criteria=[SimpleNamespace(number=1, name="Delivery", weight=25)])
    content = {"lines": [[1, 1, "745.00", None, "300", '[[1,99,"748.00"],[100,null,"740.00"]]', "BID-LAP"],
                         [1, 2, "10.005", None, None, "", None], [2, 1, "500", None, None, "", None]],
               "bundles": [{"lots": [1, 2], "discount_percent": "2.5"}],
               "quality": [{"criterion": 1, "text": "Fast", "attachments": [{"filename": "plan.pdf"}]}]}
    summary = summarise(tender, content)
    laptops = summary.lots[0]
    assert [line.total for line in laptops.lines] == [D("111750.00"), D("25.01")] and laptops.total == D("111775.01")
    assert summary.total == D("116775.01") and summary.bundles[0].discounted_total == D("113855.63")
    assert laptops.lines[0].tiers_text == "1 to 99: £748.00 each; 100 or more: £740.00 each"
    assert summary.answers[0].attachments == ("plan.pdf",)
    assert tiers_in_words([]) == ""


def test_a_bid_read_back_names_the_lots_it_does_not_bid_for():
    tender = SimpleNamespace(lots=[SimpleNamespace(number=1, title="Laptops", items=[SimpleNamespace(
                                       number=1, description="Laptop", quantity=D("150"), unit="each")]),
                                   SimpleNamespace(number=2, title="GIS desktop licence", items=[SimpleNamespace(
                                       number=1, description="GIS licence", quantity=D("70"), unit="each")])],
                             criteria=[])
    summary = summarise(tender, {"lines": [[1, 1, "745.00", None, None, "", None]], "bundles": [], "quality": []})
    assert [lot.number for lot in summary.lots] == [1] and summary.not_bid == ((2, "GIS desktop licence"),)
