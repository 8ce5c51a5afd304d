"""Times in messages are London's, as GOV.UK writes them."""
from datetime import date, datetime, timezone

from procurement.notifications.people import london_day, london_time, paragraphs


def test_a_time_is_written_in_london_the_gov_uk_way():
    assert london_time(datetime(2026, 12, 3, 14, 5, tzinfo=timezone.utc)) == "3 December 2026 at 2:05pm"
    assert london_time(datetime(2026, 7, 3, 13, 0, tzinfo=timezone.utc)) == "3 July 2026 at 2pm"  # BST
    assert london_time(datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)) == "3 December 2026 at midday"
    assert london_time(datetime(2026, 12, 3, 0, 0, tzinfo=timezone.utc)) == "3 December 2026 at midnight"
    assert london_time(datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)) == "3 December 2026 at 9:30am"
    assert london_time(None) == ""
    assert london_day(date(2026, 1, 9)) == "9 January 2026"


def test_a_body_is_paragraphs_with_blank_lines_between():
    assert paragraphs("One.", "", "  Two.  ") == "One.\n\nTwo."
