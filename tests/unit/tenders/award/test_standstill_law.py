"""Standstill as the Procurement Act 2023 counts it, in worked examples checked on a calendar.

s.51: "the period of eight working days beginning with the day on which the contract award
notice is published"; s.123: a working day is not a Saturday or Sunday, Christmas Day or Good
Friday, nor a bank holiday in any part of the United Kingdom."""
from datetime import date

import pytest

from tenders.award import scoring

WORKED_EXAMPLES = [
    # Mon 1 Feb 2027 is day 1; 1-5 and 8-10 February: the 8th is Wed 10.
    (date(2027, 2, 1), date(2027, 2, 10)),
    # Fri 31 Jul 2026 is day 1; Mon 3 Aug is Scotland's summer bank holiday; 4-7 and 10-12 August.
    (date(2026, 7, 31), date(2026, 8, 12)),
    # Mon 16 Mar 2026 is day 1; Tue 17 is St Patrick's Day (Northern Ireland); 18-20 and 23-26 March.
    (date(2026, 3, 16), date(2026, 3, 26)),
    # Fri 10 Jul 2026 is day 1; 12 July is a Sunday, so the Battle of the Boyne holiday is
    # observed on Mon 13 (Northern Ireland); 14-17 and 20-22 July.
    (date(2026, 7, 10), date(2026, 7, 22)),
    # Thu 8 and Fri 9 Jul 2027; Mon 12 is the Battle of the Boyne (Northern Ireland); 13-16 and 19-20 July.
    (date(2027, 7, 8), date(2027, 7, 20)),
    # Published on Sat 6 Feb 2027: Mon 8 is day 1; 8-12 and 15-17 February.
    (date(2027, 2, 6), date(2027, 2, 17)),
    # Wed 23 and Thu 24 Dec 2026; Christmas Day (Fri), Boxing Day (Mon 28), New Year's Day (Fri 1)
    # and Scotland's 2nd January (Mon 4) are not counted; 29-31 December and 5-7 January.
    (date(2026, 12, 23), date(2027, 1, 7)),
    # Published on Christmas Day 2026: Tue 29 Dec is day 1; 29-31 December and 5-8 and 11 January.
    (date(2026, 12, 25), date(2027, 1, 11)),
    # Thu 2 Apr 2026 is day 1; Good Friday 3 and Easter Monday 6 April; 7-10 and 13-15 April.
    (date(2026, 4, 2), date(2026, 4, 15)),
    # Published on Good Friday 2027 (26 March): Easter Monday too, so Tue 30 Mar is day 1;
    # 30-31 March and 1-2 and 5-8 April.
    (date(2027, 3, 26), date(2027, 4, 8)),
]


@pytest.mark.parametrize("published, ends", WORKED_EXAMPLES)
def test_standstill_counts_the_day_of_publication(published, ends):
    assert scoring.standstill_ends(published) == ends


@pytest.mark.parametrize("day", [date(2026, 8, 3), date(2026, 3, 17), date(2026, 7, 13), date(2026, 11, 30),
                                 date(2027, 1, 4)])
def test_a_bank_holiday_in_scotland_or_northern_ireland_is_not_a_working_day(day):
    assert scoring.is_working_day(day) is False


def test_christmas_day_and_good_friday_are_never_working_days_whatever_the_data_says():
    no_bank_holidays: frozenset[date] = frozenset()
    assert scoring.is_working_day(date(2026, 12, 25), no_bank_holidays) is False
    assert scoring.is_working_day(date(2026, 4, 3), no_bank_holidays) is False
    assert scoring.is_working_day(date(2026, 12, 28), no_bank_holidays) is True   # Boxing Day comes from the data
    # 2030 is past the bundled data: Good Friday is 19 April (Easter Sunday 21 April), Christmas a Wednesday.
    assert scoring.is_working_day(date(2030, 4, 19)) is False
    assert scoring.is_working_day(date(2030, 12, 25)) is False
    assert scoring.is_working_day(date(2030, 12, 24)) is True
    # Wed 17 and Thu 18 Apr 2030, Good Friday skipped, then 22-26 and 29 April.
    assert scoring.standstill_ends(date(2030, 4, 17), no_bank_holidays) == date(2030, 4, 29)


def test_a_paused_standstill_keeps_the_working_days_it_had_left():
    ends = date(2027, 2, 10)  # published Mon 1 Feb 2027
    left = scoring.working_days_from(date(2027, 2, 8), ends)  # challenged on Mon 8: Mon, Tue and Wed still to run
    assert left == 3
    assert scoring.period_ends(date(2027, 2, 8), left) == ends  # lifted the same day: nothing changes
    assert scoring.period_ends(date(2027, 2, 15), left) == date(2027, 2, 17)  # lifted on Mon 15: Mon to Wed
    assert scoring.working_days_from(date(2027, 2, 6), ends) == 3  # challenged on the Saturday before
    # Challenged once standstill had run out: nothing left, so it ended the day before it resumes.
    assert scoring.working_days_from(date(2027, 2, 11), ends) == 0
    assert scoring.period_ends(date(2027, 2, 12), 0) == date(2027, 2, 11)
