"""Scoring, ranking, abnormally low totals and standstill dates: worked examples checked by
hand, written as tables."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tenders.award import scoring

D = Decimal
T0 = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)

# Price weight 70; totals A 100,000, B 125,000, C 140,000 (lowest 100,000).
#   bid | ratio: 70 x lowest / total | linear: 70 x max(0, 1 - (total - lowest) / lowest)
#   A   | 70.00                       | 70.00
#   B   | 56.00                       | 52.50
#   C   | 50.00                       | 42.00
PRICES = [
    ("lowest_price_ratio", "100000", "70.00"), ("lowest_price_ratio", "125000", "56.00"),
    ("lowest_price_ratio", "140000", "50.00"), ("linear", "100000", "70.00"), ("linear", "125000", "52.50"),
    ("linear", "140000", "42.00"), ("linear", "300000", "0.00"),          # 200% dearer: floored at 0
    ("lowest_price_ratio", "115000", "60.87"),                            # 60.8695... rounds to 60.87
]


@pytest.mark.parametrize("formula, total, expected", PRICES)
def test_price_formulas(formula, total, expected):
    assert scoring.price_score(formula, 70, D("100000"), D(total)) == D(expected)


def test_scores_round_half_up_to_two_places():
    assert scoring.price_score("lowest_price_ratio", 1, D(1), D(8)) == D("0.13")  # 0.125: half up, not to even
    assert scoring.quality_score(7, 3) == D("4.20") and scoring.quality_score(15, 3) == D("9.00")


def test_tiered_lines_are_priced_at_the_lots_quantity():
    tiers = [[1, 99, "760.00"], [100, None, "740.00"]]
    assert scoring.unit_price_at(D("800"), tiers, D(150)) == D("740.00")
    assert scoring.unit_price_at(D("800"), tiers, D(50)) == D("760.00")
    assert scoring.unit_price_at(D("800"), [[200, None, "700"]], D(150)) == D("800")  # no band: the unit price
    assert scoring.bid_total([(D("800"), tiers, D(150)), (D("12.50"), [], D(4))]) == D("111050.00")


# A full ranking, price weight 70 (ratio), quality 30 = criterion 1 (weight 20) + criterion 2 (weight 10):
#   bid | total   | price | c1 | c2 | quality 20x/5 + 10x/5 | score
#   A   | 100,000 | 70.00 | 3  | 2  | 12.00 + 4.00 = 16.00   | 86.00
#   B   | 125,000 | 56.00 | 5  | 4  | 20.00 + 8.00 = 28.00   | 84.00
#   C   | 140,000 | 50.00 | 4  | 5  | 16.00 + 10.00 = 26.00  | 76.00
def _entry(bid, total, c1, c2, minutes=0, **kwargs):
    return scoring.Entry(bid=bid, total=D(total), submitted_at=T0 + timedelta(minutes=minutes),
                         quality={1: (20, c1), 2: (10, c2)}, **kwargs)


def test_a_full_ranking():
    ranked = scoring.rank([_entry(3, "140000", 4, 5), _entry(1, "100000", 3, 2), _entry(2, "125000", 5, 4)],
                          "lowest_price_ratio", 70)
    assert [(e.bid, e.price_score, e.quality_score, e.score) for e in ranked] == [
        (1, D("70.00"), D("16.00"), D("86.00")), (2, D("56.00"), D("28.00"), D("84.00")), (3, D("50.00"), D("26.00"), D("76.00"))]


def test_the_same_bids_by_the_linear_formula():
    ranked = scoring.rank([_entry(3, "140000", 4, 5), _entry(1, "100000", 3, 2), _entry(2, "125000", 5, 4)], "linear", 70)
    assert [(e.bid, e.score) for e in ranked] == [(1, D("86.00")), (2, D("80.50")), (3, D("68.00"))]


def test_ties_go_to_quality_then_the_earlier_submission():
    # Price weight 50, one criterion of weight 50. Same score 60.00:
    #   X: total 100 -> 50.00 price + 50 x 1/5 = 10.00 quality; Y: total 125 -> 40.00 + 50 x 2/5 = 20.00.
    x = scoring.Entry(bid=1, total=D("100"), submitted_at=T0, quality={1: (50, 1)})
    y = scoring.Entry(bid=2, total=D("125"), submitted_at=T0, quality={1: (50, 2)})
    ranked = scoring.rank([x, y], "lowest_price_ratio", 50)
    assert [e.bid for e in ranked] == [2, 1] and ranked[0].score == ranked[1].score == D("60.00")
    # Same price and quality: the earlier submission.
    late, early = _entry(1, "100", 3, 3, minutes=5), _entry(2, "100", 3, 3, minutes=1)
    assert [e.bid for e in scoring.rank([late, early], "lowest_price_ratio", 70)] == [2, 1]


def test_a_mark_below_the_pass_mark_disqualifies_and_the_lowest_price_is_among_the_rest():
    cheap = _entry(1, "90000", 1, 5, pass_marks={1: 2})   # fails criterion 1
    other = _entry(2, "100000", 3, 3, pass_marks={1: 2})
    ranked = scoring.rank([cheap, other], "lowest_price_ratio", 70)
    assert [e.bid for e in ranked] == [2, 1] and ranked[1].failed == [1] and not ranked[1].eligible
    assert ranked[0].price_score == D("70.00")  # the lowest eligible total sets the price scale


# Abnormally low: at least 30% below the next lowest total, or at least 40% below the mean of the others.
ALT = [
    ("70", ["100", "110"], "30.0% below the next lowest total", True),     # exactly 30% below
    ("70.01", ["100", "110"], "below the next lowest", False),             # just under 30%
    ("330", ["100", "1000"], "40.0% below the mean of the other bids", True),   # mean 550: exactly 40% below
    ("330.01", ["100", "1000"], "below the mean", False),
    ("80", ["100", "1000"], "85.5% below the mean of the other bids", True),
    ("100", [], "", False),                                                 # a lone bid is never flagged
]


@pytest.mark.parametrize("total, others, reason, present", ALT)
def test_abnormally_low_at_its_edges(total, others, reason, present):
    found = scoring.abnormally_low(D(total), [D(o) for o in others]) or ""
    assert (reason in found) is present if reason else found == ""


# Standstill: 8 working days beginning with the day of publication, without weekends and any
# part of the UK's bank holidays (tests/unit/tenders/award/test_standstill_law.py has the law's examples).
STANDSTILL = [
    (date(2026, 12, 18), date(2026, 12, 31)),  # Christmas (25th), Boxing Day (Mon 28th)
    (date(2027, 12, 22), date(2028, 1, 6)),   # substitute days 27-28 Dec 2027, Mon 3 and (Scotland) Tue 4 Jan 2028
    (date(2026, 4, 1), date(2026, 4, 14)),    # Good Friday 3 April and Easter Monday 6 April 2026
    (date(2027, 3, 24), date(2027, 4, 6)),    # Good Friday 26 March and Easter Monday 29 March 2027
    (date(2026, 11, 30), date(2026, 12, 10)),  # published on St Andrew's Day (Scotland): counting starts on Tuesday
    (date(2026, 12, 5), date(2026, 12, 16)),  # published on a Saturday: counting starts on Monday
]


@pytest.mark.parametrize("published, ends", STANDSTILL)
def test_standstill_dates(published, ends):
    assert scoring.standstill_ends(published) == ends


def test_working_days_between_counts_after_the_start():
    # 21-24 and 29-31 December: Monday 4 January 2027 is Scotland's 2nd January holiday
    assert scoring.working_days_between(date(2026, 12, 18), date(2027, 1, 4)) == 7
    assert scoring.is_working_day(date(2026, 12, 28)) is False and scoring.is_working_day(date(2026, 12, 29))


@pytest.mark.parametrize("n, words", [(1, "first"), (2, "second"), (10, "tenth"), (11, "11th"), (12, "12th"),
                                      (13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd"), (101, "101st")])
def test_a_rank_is_written_in_words(n, words):
    from tenders.award.record import ordinal

    assert ordinal(n) == words
