"""A bid's content loaded at the edge: typed values out, each problem named by where it is."""
from __future__ import annotations

import base64
from decimal import Decimal as D

import pytest
from marshmallow import ValidationError

from tenders.bidding.content import Attachment, BidContentSchema, BidInput, Bundle, Tier, bid_problems


def _load(raw):
    return BidContentSchema().load(raw)


def _problems(raw):
    with pytest.raises(ValidationError) as caught:
        _load(raw)
    return bid_problems(caught.value.messages, raw)


def test_the_form_and_the_api_give_the_same_values():
    from_form = _load({"lots": [{"lot": 1, "items": [{"item": 2, "unit_price": "£1,250.5", "offer_sku": " SKU-1 ",
                                                      "capacity": "1,000", "tiers": "1-99:1300; 100-:1250.50"}]},
                                {"lot": 2, "items": [{"item": 1, "unit_price": "10"}]}],
                       "bundles": "1 + 2:3.5", "quality": [{"criterion": 1, "text": "  Fast  "}]})
    from_api = _load({"lots": [{"lot": 1, "items": [{"item": 2, "unit_price": 1250.5, "offer_sku": "SKU-1", "capacity": 1000,
                                                     "tiers": [{"min_quantity": 1, "max_quantity": 99, "unit_price": "1300"},
                                                               {"min_quantity": 100, "unit_price": "1250.50"}]}]},
                               {"lot": 2, "items": [{"item": 1, "unit_price": "10.00"}]}],
                      "bundles": [{"lots": [2, 1], "discount_percent": "3.5"}], "quality": [{"criterion": 1, "text": "Fast"}]})
    assert from_form == from_api
    line = from_form.lots[0].items[0]
    assert (line.unit_price, line.capacity, line.offer_sku) == (D("1250.50"), D("1000"), "SKU-1")
    assert line.tiers == (Tier(1, 99, D("1300.00")), Tier(100, None, D("1250.50")))
    assert from_form.bundles == (Bundle((1, 2), D("3.5")),)


def test_nothing_given_is_an_empty_bid():
    assert _load({}) == BidInput()


def test_each_problem_names_its_line_and_field():
    raw = {"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "-3"}, {"item": 2, "unit_price": "abc", "capacity": "0"},
                                         {"item": 3, "unit_price": "1.00001", "tiers": "1-99:760; 50-:700"},
                                         {"unit_price": "1"}]},
                    {"lot": "two"}],
           "quality": [{"criterion": 1, "text": "x" * 20001}]}
    assert _problems(raw) == [
        ("lot 1, item 1: the unit price must be more than 0", "lots.0.items.0.unit_price"),
        ("Enter the unit price for lot 1, item 2 as a number of pounds, like 720.00", "lots.0.items.1.unit_price"),
        ("lot 1, item 2: the capacity must be a positive number of units", "lots.0.items.1.capacity"),
        ("lot 1, item 3: the unit price may have at most 4 decimal places", "lots.0.items.2.unit_price"),
        ("lot 1, item 3: tiers: band 50- overlaps the band before it", "lots.0.items.2.tiers"),
        ("lot 1, line 4: give the item number", "lots.0.items.3.item"),
        ("lots[2]: give the lot number", "lots.1.lot"),
        ("criterion 1: the answer is longer than 20,000 characters", "quality.0.text"),
    ]


def test_structured_tiers_are_checked_band_by_band_and_as_a_whole():
    item = {"item": 1, "unit_price": "5", "tiers": [{"min_quantity": 1, "unit_price": "0"}, {"min_quantity": "x", "unit_price": "4"}]}
    assert [text for text, _ in _problems({"lots": [{"lot": 1, "items": [item]}]})] == [
        "lot 1, item 1, tier 1: the tier price must be more than 0",
        "lot 1, item 1, tier 2: the from quantity must be a whole number of units"]
    item["tiers"] = [{"min_quantity": 1, "unit_price": "5"}, {"min_quantity": 10, "unit_price": "4"}]
    assert _problems({"lots": [{"lot": 1, "items": [item]}]}) == [
        ("lot 1, item 1: tiers: only the last band may be open-ended", "lots.0.items.0.tiers")]


def test_bundles_and_answers_are_checked_against_the_bid_itself():
    raw = {"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "5"}, {"item": 1, "unit_price": "6"}]}, {"lot": 2}],
           "bundles": "1+3:5", "quality": [{"criterion": 1, "text": "a"}, {"criterion": 1, "text": "b"}]}
    assert _problems(raw) == [
        ("lot 1, item 1: priced twice", "lots.0.items.1.item"),
        ("Bundle 1: tick two or more lots that you bid for", "bundles.0.lots"),
        ("criterion 1: answered twice", "quality.1.criterion"),
    ]
    assert [text for text, _ in _problems({"bundles": "1+x:5; 1+2:100; 1"})] == [
        "Bundle 1: give the lot number", "Bundle 2: the discount must be a percentage above 0 and below 100, to 2 places",
        "Bundle 3: tick two or more lots that you bid for",
        "Bundle 3: the discount must be a percentage above 0 and below 100, to 2 places"]


def test_attachments_are_decoded_and_limited():
    content = base64.b64encode(b"%PDF-1.7").decode()
    loaded = _load({"quality": [{"criterion": 1, "attachments": [
        {"filename": "../plan.pdf", "content_base64": content, "size": 8, "sha256": "kept from a draft"}]}]})
    assert loaded.quality[0].attachments == (Attachment(".._plan.pdf", b"%PDF-1.7"),)
    raw = {"quality": [{"criterion": 2, "attachments": [{"filename": "a.pdf", "content_base64": "not base64!"},
                                                        {"filename": "b.pdf", "content_base64": ""}]}]}
    assert _problems(raw) == [
        ("criterion 2, attachment 1: the content is not base64 text", "quality.0.attachments.0.content_base64"),
        ("criterion 2, attachment 2: attachments are 1 byte to 2 MB, as base64 text", "quality.0.attachments.1.content_base64")]
    six = [{"filename": f"{n}.pdf", "content_base64": content} for n in range(6)]
    assert _problems({"quality": [{"criterion": 1, "attachments": six}]}) == [
        ("criterion 1: at most 5 attachments", "quality.0.attachments")]


@pytest.mark.parametrize("raw, expected", [
    ([], "The bid: give an object with its fields"),
    ({"lots": "1"}, "The bid: give the lots as a list"),
    ({"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "5", "colour": "red"}]}]}, "lot 1, item 1: 'colour': there is no such field"),
    ({"lots": [{"lot": True, "items": [None]}]}, "lots[1], line 1: give an object with its fields"),
    ({"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": None}]}]}, "lot 1, item 1: the unit price is missing"),
    ({"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "5", "tiers": 7}]}]}, "lot 1, item 1: tiers: give the tiers as a list of bands, or as text like 1-199:760.00; 200-:742.00"),
    ({"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "5", "offer_sku": "S" * 65}]}]},
     "lot 1, item 1: the offer SKU is at most 64 characters"),
    ({"lots": [{"lot": 1, "items": [{"item": 1, "unit_price": "5", "capacity": "1e999"}]}]},
     "lot 1, item 1: the capacity must be under 100,000,000,000 units, to at most 3 decimal places"),
    ({"lots": [{"lot": 10 ** 7}]}, "lot 10000000: the lot number is 1 to 1,000,000"),
])
def test_what_is_not_bid_content_is_named_not_raised(raw, expected):
    with pytest.raises(ValidationError) as caught:
        _load(raw)
    assert expected in [text for text, _ in bid_problems(caught.value.messages, raw)]
