"""The rules of requirements and pooled demand, with worked examples checked by hand."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from demand import rules
from demand.models import RequirementStatus as S
from demand.thresholds import threshold_for, thresholds

D = Decimal
ON = date(2026, 11, 28)


@pytest.mark.parametrize("raw, unit, expected", [
    ("120", "each", D("120")), ("1,500", "licence", D("1500")), (" 7 ", "user per year", D("7")),
    ("37.5", "hours", D("37.5")), ("0.125", "TB", D("0.125")),
])
def test_quantities_that_are_accepted(raw, unit, expected):
    assert rules.parse_quantity(raw, unit) == expected


@pytest.mark.parametrize("raw, unit, message", [
    ("", "each", "Enter a quantity"), ("ten", "each", "not a number"), ("0", "each", "more than 0"),
    ("-3", "hours", "more than 0"), ("2.5", "each", "whole number"), ("2.5", "seat per year", "whole number"),
    ("1.0001", "hours", "3 decimal places"), ("NaN", "hours", "more than 0"), ("20000000", "each", "at most"),
])
def test_quantities_that_are_refused(raw, unit, message):
    with pytest.raises(ValueError, match=message):
        rules.parse_quantity(raw, unit)


def test_countable_units_are_all_but_measures():
    assert rules.is_countable("each") and rules.is_countable("Licence per year")
    assert not rules.is_countable("Hours") and not rules.is_countable("metres")


def test_a_needed_by_date_in_the_past_is_refused():
    rules.check_needed_by(ON, ON)
    with pytest.raises(ValueError):
        rules.check_needed_by(date(2026, 11, 27), ON)


@pytest.mark.parametrize("depth, expected", [("division", "30000000"), ("group", "30200000"),
                                             ("class", "30210000"), ("category", "30213000")])
def test_cpv_groups_at_each_depth(depth, expected):
    assert rules.cpv_group("30213100", depth) == expected


def test_state_rules():
    assert rules.TRANSITIONS.allows(S.draft, S.submitted) and rules.TRANSITIONS.allows(S.submitted, S.pooled)
    assert rules.TRANSITIONS.allows(S.pooled, S.committed) and rules.TRANSITIONS.allows(S.committed, S.awarded)
    assert rules.TRANSITIONS.allows(S.awarded, S.fulfilled)
    assert rules.TRANSITIONS.allows(S.pooled, S.submitted)  # declined or dropped: back on the board
    assert not rules.TRANSITIONS.allows(S.draft, S.committed) and not rules.TRANSITIONS.allows(S.submitted, S.awarded)
    assert not rules.TRANSITIONS.allows(S.awarded, S.withdrawn) and not rules.TRANSITIONS.allows(S.fulfilled, S.cancelled)
    for final in (S.withdrawn, S.cancelled, S.fulfilled):
        assert not rules.TRANSITIONS[final]
    assert rules.BUYER_EDITABLE == {S.draft, S.submitted}
    assert S.committed not in rules.BUYER_WITHDRAWABLE and S.pooled in rules.BUYER_WITHDRAWABLE
    assert rules.AGENCY_WITHDRAWABLE == {S.committed}


LAPTOP_OFFERS = [
    # list 812.50; 25+ 789.00; 100+ 755.00; 500+ 729.00
    rules.OfferPrice(1, D("812.50"), [(25, D("789.00")), (100, D("755.00")), (500, D("729.00"))]),
    # list 829.00; 50+ 779.00; 250+ 742.00; 1000+ 715.00
    rules.OfferPrice(2, D("829.00"), [(50, D("779.00")), (250, D("742.00")), (1000, D("715.00"))]),
]


def test_worked_example_three_boroughs_pooling_laptops():
    pool = rules.totals([
        rules.PoolLine(1, D("100"), D("845.00")),   # 84,500.00
        rules.PoolLine(2, D("240"), D("829.00")),   # 198,960.00
        rules.PoolLine(3, D("60"), D("869.00")),    # 52,140.00
    ])
    assert pool.quantity == 400 and pool.lines == 3 and pool.organisation_ids == {1, 2, 3}
    estimate = rules.estimate(pool, LAPTOP_OFFERS, ON)
    assert estimate.baseline_spend == D("335600.00")
    # At 400: offer 1 reaches its 100 break (755.00), offer 2 its 250 break (742.00).
    assert estimate.joint_unit_price == D("742.00") and estimate.best_offer_id == 2
    assert estimate.joint_spend == D("296800.00")
    assert estimate.saving == D("38800.00")
    assert estimate.saving_percent == D("11.6")          # 38,800 / 335,600 = 11.56%
    assert estimate.value_inc_vat == D("356160.00")      # 296,800 x 1.20
    assert estimate.threshold.amount_inc_vat == D("207720") and estimate.above_threshold is True


def test_worked_example_below_every_break_pays_the_list_price():
    pool = rules.totals([rules.PoolLine(1, D("20"), D("850.00"))])
    estimate = rules.estimate(pool, LAPTOP_OFFERS, ON)
    assert estimate.joint_unit_price == D("812.50")      # 20 is below both first breaks
    assert estimate.joint_spend == D("16250.00") and estimate.saving == D("750.00")
    assert estimate.saving_percent == D("4.4")           # 750 / 17,000 = 4.41%
    assert estimate.value_inc_vat == D("19500.00") and estimate.above_threshold is False


def test_worked_example_measured_units_without_a_catalogue_price():
    pool = rules.totals([rules.PoolLine(1, D("37.5"), D("65.40")),    # 2,452.50
                         rules.PoolLine(2, D("12.25"), D("64.99"))])  # 796.1275
    estimate = rules.estimate(pool, [], ON)
    assert pool.baseline_spend == D("3248.6275")                      # exact until shown
    assert estimate.baseline_spend == D("3248.63")
    assert estimate.joint_unit_price is None and estimate.saving is None and estimate.saving_percent is None
    assert estimate.value_inc_vat == D("3898.35")                     # 3,248.6275 x 1.2 = 3,898.353


def test_a_dearer_catalogue_shows_a_negative_saving():
    pool = rules.totals([rules.PoolLine(1, D("10"), D("700.00"))])
    estimate = rules.estimate(pool, LAPTOP_OFFERS, ON)
    assert estimate.saving == D("-1125.00") and estimate.saving_percent == D("-16.1")


def test_offers_out_of_date_do_not_count_and_ties_go_to_the_lowest_id():
    expired = rules.OfferPrice(1, D("100.00"), [], valid_to=date(2026, 11, 27))
    later = rules.OfferPrice(2, D("100.00"), [], valid_from=date(2026, 11, 29))
    same_a = rules.OfferPrice(4, D("120.00"), [])
    same_b = rules.OfferPrice(3, D("120.00"), [])
    best = rules.joint_unit_price([expired, later, same_a, same_b], D("5"), ON)
    assert best.unit_price == D("120.00") and best.offer_id == 3
    assert rules.joint_unit_price([expired], D("5"), ON) is None


def test_the_threshold_is_compared_including_vat_at_or_above():
    # 173,100.00 ex VAT is exactly 207,720.00 with VAT: covered.
    at = rules.estimate(rules.totals([rules.PoolLine(1, D("1"), D("173100.00"))]), [], ON)
    assert at.value_inc_vat == D("207720.00") and at.above_threshold is True
    below = rules.estimate(rules.totals([rules.PoolLine(1, D("1"), D("173099.99"))]), [], ON)
    assert below.above_threshold is False


def test_thresholds_in_force_by_date_with_their_source():
    assert threshold_for("sub_central", date(2026, 1, 1)).amount_inc_vat == D("207720")
    assert threshold_for("central", date(2026, 6, 1)).amount_inc_vat == D("135018")
    assert threshold_for("sub_central", date(2025, 12, 31)).amount_inc_vat == D("214904")
    assert threshold_for("central", date(2024, 1, 1)).amount_inc_vat == D("139688")
    assert threshold_for("sub_central", date(2023, 12, 31)) is None
    assert all(t.source for t in thresholds())


def test_a_pool_with_a_central_body_takes_the_lower_threshold(monkeypatch):
    monkeypatch.setattr(rules, "CENTRAL_KINDS", frozenset({"central_department"}))
    assert rules.authority_class(["london_borough", "central_department"]) == "central"
    assert rules.authority_class(["london_borough", "gla"]) == "sub_central"
    pool = rules.totals([rules.PoolLine(1, D("1"), D("120000.00"))])  # 144,000 with VAT
    assert rules.estimate(pool, [], ON, "central").above_threshold is True
    assert rules.estimate(pool, [], ON, "sub_central").above_threshold is False


def test_quantities_are_written_as_people_write_them():
    assert rules.quantity_text(D("120.000")) == "120" and rules.quantity_text(D("2.500")) == "2.5"
    assert rules.quantity_text(D("1000")) == "1000"
