"""The deadline rush in full: 200 suppliers submit 200-line bids over the API to gunicorn and
PostgreSQL on 127.0.0.1 in the 60 s before the deadline, and 50 more try after it (see
bench/deadline_rush.py). Each run is one rush on the same tender and suppliers, the box emptied
between runs. Reported: submission latency p50 and p95 over all runs, and whether every
acknowledged bid was in the box exactly once, every late one refused, with no 5xx.

Database: BENCH_POSTGRES_URL's server, database ljp_bench_rush. BENCH_RUSH_WINDOW (seconds,
default 60) and BENCH_RUSH_SUPPLIERS (default 200 on time) scale it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from bench import Benchmark, fresh_database

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres")
ON_TIME = int(os.environ.get("BENCH_RUSH_SUPPLIERS", "200"))
LATE, LINES = 50, 200
WINDOW = float(os.environ.get("BENCH_RUSH_WINDOW", "60"))


def _setup() -> dict[str, Any]:
    from bench import deadline_rush

    url = fresh_database(SERVER, "ljp_bench_rush")
    instance = Path(tempfile.mkdtemp(prefix="ljp-bench-rush-")) / "instance"
    print(f"  {ON_TIME + LATE} suppliers with API tokens, a tender of {LINES} lines ...", flush=True)
    setting = deadline_rush.prepare(url, ON_TIME + LATE, LINES, instance)
    port = deadline_rush.free_port()
    return {"url": url, "setting": setting, "port": port, "server": deadline_rush.serve(url, instance, port, workers=4),
            "rushes": []}


def _empty_box(state: dict[str, Any]) -> None:
    from sqlalchemy import text

    from procurement.core.db import make_engine

    engine = make_engine(state["url"])
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM bid_version"))
        connection.execute(text("DELETE FROM bid"))
        connection.execute(text("UPDATE tender SET status = 'published', closed_at = NULL"))
    engine.dispose()


def _rush(state: dict[str, Any]) -> None:
    from bench import deadline_rush

    state["rushes"].append(deadline_rush.rush(state["url"], state["port"], state["setting"], WINDOW, LATE))


def _teardown(state: dict[str, Any]) -> None:
    from bench import deadline_rush

    deadline_rush.stop(state["server"])


def _describe(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
    from bench.deadline_rush import Rush

    everything = Rush([a for r in state["rushes"] for a in r.attempts], WINDOW)
    problems = [p for r in state["rushes"] for p in r.problems]
    state["figures"] = {"problems": len(problems), "p50_ms": everything.latency_ms(0.5), "p95_ms": everything.latency_ms(0.95),
                        "server_errors": everything.server_errors}
    return (f"{len(state['rushes'])} rushes of {ON_TIME} bids of {LINES} lines in {WINDOW:g} s and {LATE} late: "
            f"{everything.summary()}; {len(problems)} problems" + (f" (first: {problems[0]})" if problems else ""))


BENCHMARKS = [
    Benchmark(f"deadline rush: {ON_TIME} suppliers, {LINES}-line bids over the API, {LATE} late (gunicorn, PostgreSQL)",
              _rush, setup=_setup, before_each=_empty_box, teardown=_teardown, describe=_describe,
              goal="every acknowledged bid in the box once, every late one refused, no 5xx",
              met=lambda r: r.figures["problems"] == 0 and r.figures["server_errors"] == 0),
]
