"""The one clock of the application.

Deadlines, standstill and lockouts are decided by this clock on the server. Tests move it
with `frozen_at`, and so does the demo's seed, which builds the demo's past by running the
services on the day each step happened; nothing else calls `datetime.now()`.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

_frozen: datetime | None = None


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc)


def today() -> date:
    """Today's date in London: the calendar that needed-by dates and deadlines are set in."""
    return now().astimezone(LONDON).date()


def london_moment(day: date, hhmm: str = "12:00") -> datetime:
    """A day and a 24-hour London time ('17:30') as a UTC moment; ValueError if not a time."""
    hours, colon, minutes = (hhmm or "12:00").strip().partition(":")
    if not (colon and hours.isdecimal() and minutes.isdecimal() and 0 <= int(hours) < 24 and 0 <= int(minutes) < 60):
        raise ValueError("Enter a time like 12:00 or 17:30")
    local = datetime(day.year, day.month, day.day, int(hours), int(minutes), tzinfo=LONDON)
    return local.astimezone(timezone.utc)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Make `now()` return `moment` inside the block (tests, and the demo's story)."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs a timezone-aware datetime")
    previous, _frozen = _frozen, moment.astimezone(timezone.utc)
    try:
        yield
    finally:
        _frozen = previous


def to_london(moment: datetime | None) -> datetime | None:
    """A stored UTC time as shown on screen, in Europe/London."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(LONDON)
