"""The deadline rush, bounded: suppliers submit bids over the API to gunicorn and PostgreSQL in
the last seconds before the deadline and some just after. Every acknowledged bid is in the box
exactly once with its receipt's digest; every later one is refused and stored nowhere; no 5xx.
The full rush (200 suppliers, 200-line bids, 60 s, 50 late) is bench/bench_rush.py."""
from __future__ import annotations

from bench import deadline_rush
from tests.conftest import postgres_database


def test_the_deadline_rush_keeps_every_acknowledged_bid_once_and_refuses_the_late():
    result = deadline_rush.run(postgres_database("ljp_test_rush"), suppliers=24, lines=50, window=8.0, late=6, workers=3)
    assert result.problems == [], "\n".join(result.problems)
    assert result.server_errors == 0
    assert len(result.acknowledged) >= 15  # most on-time bids arrive well before the deadline
    assert all(a.status == 409 for a in result.attempts if a.late)
    print(result.summary())
