"""The minimum tendering period (Procurement Act 2023, s.54) for an open procedure: 25 days,
or 10 on a recorded ground: a stated urgency, or a qualifying planned procurement notice
published 40 days to a year before the tender notice."""
from datetime import date, datetime, timedelta, timezone

import pytest

from procurement.core.clock import LONDON
from tenders import rules
from tenders.models import ShortPeriodGround as G

NOW = datetime(2027, 2, 3, 10, 0, tzinfo=LONDON)  # publication on Wednesday 3 February 2027
URGENCY = rules.ShortPeriod(G.urgency, short_period_reason="The current contract ends on 31 March")


def notice(published_on: date | None, reference: str = "") -> rules.ShortPeriod:
    return rules.ShortPeriod(G.planned_procurement_notice, planned_notice_published_on=published_on,
                             planned_notice_reference=reference)


def errors(days: float, period: rules.ShortPeriod = rules.ShortPeriod(), now: datetime = NOW) -> dict[str, list[str]]:
    deadline = now + timedelta(days=days)
    return rules.timeline_errors(now, deadline - timedelta(days=2), deadline, None, period)


def test_25_days_need_no_ground():
    assert errors(25) == {}
    assert "at least 25 days" in errors(24.9)["submission_deadline"][0]


def test_10_days_without_a_ground_are_refused():
    (message,) = errors(10)["submission_deadline"]
    assert "at least 25 days" in message and "stated urgency" in message and "planned procurement notice" in message


def test_urgency_must_be_stated():
    assert errors(10, URGENCY) == {}
    unstated = rules.ShortPeriod(G.urgency, short_period_reason="   ")
    assert list(errors(10, unstated)) == ["short_period_reason"]
    assert "State why urgency" in errors(10, unstated)["short_period_reason"][0]
    assert errors(9.9, URGENCY) == {"submission_deadline": ["The deadline must be at least 10 days after publication"]}


@pytest.mark.parametrize("published_on, accepted", [
    (date(2026, 12, 26), False),  # 39 days before 3 February 2027 (6 days of December, 31 of January, 2 of February)
    (date(2026, 12, 25), True),   # 40 days before
    (date(2026, 2, 3), True),     # a year before, to the day
    (date(2026, 2, 2), False),    # a year and a day
    (date(2027, 2, 4), False),    # after publication
])
def test_a_planned_procurement_notice_qualifies_from_40_days_to_a_year_before(published_on, accepted):
    found = errors(10, notice(published_on, "2026/S 000-123456"))
    assert (found == {}) is accepted
    if not accepted:
        assert list(found) == ["planned_notice_published_on"]


def test_the_planned_notice_messages_say_which_dates_would_do():
    assert "on or before 25 December 2026" in errors(10, notice(date(2026, 12, 26)))["planned_notice_published_on"][0]
    assert "on or after 3 February 2026" in errors(10, notice(date(2026, 2, 2)))["planned_notice_published_on"][0]
    assert "Enter the date" in errors(10, notice(None))["planned_notice_published_on"][0]


def test_the_days_before_count_from_the_london_date_of_publication():
    # 23:30 UTC on Wednesday 30 June 2027 is 00:30 on Thursday 1 July in London: 22 May is 40 days before.
    late_evening = datetime(2027, 6, 30, 23, 30, tzinfo=timezone.utc)
    assert errors(10, notice(date(2027, 5, 22)), now=late_evening) == {}
    assert "planned_notice_published_on" in errors(10, notice(date(2027, 5, 23)), now=late_evening)


def test_only_the_chosen_grounds_fields_count():
    urgency_with_a_bad_notice_date = rules.ShortPeriod(G.urgency, short_period_reason="Flooding",
                                                       planned_notice_published_on=date(2027, 2, 1))
    assert errors(10, urgency_with_a_bad_notice_date) == {}
    assert "short_period_reason" not in errors(10, notice(date(2026, 12, 1)))
    assert errors(25, rules.ShortPeriod(short_period_reason="Not a ground on its own")) == {}
    assert "submission_deadline" in errors(10, rules.ShortPeriod(short_period_reason="Not a ground on its own"))


def test_a_ground_may_be_given_by_its_value():
    assert rules.ShortPeriod("urgency").short_period_ground is G.urgency
    assert rules.ShortPeriod("").short_period_ground is None
    with pytest.raises(ValueError):
        rules.ShortPeriod("convenience")


def test_a_year_before_29_february_is_28_february():
    assert rules.year_before(date(2028, 2, 29)) == date(2027, 2, 28)
    assert rules.year_before(date(2027, 3, 1)) == date(2026, 3, 1)
