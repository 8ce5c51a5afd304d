"""Benchmarks: each module bench/bench_*.py defines BENCHMARKS, a list of `Benchmark`s.

`make bench` (python -m bench) runs them all, at least five times each, and writes
BENCHMARKS.md: the machine, the date, medians and the ratio to each benchmark's baseline.
The test suite never asserts a timing.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class Benchmark:
    name: str
    run: Callable[[Any], Any]
    baseline: Callable[[Any], Any] | None = None
    baseline_name: str = ""
    setup: Callable[[], Any] = lambda: None
    teardown: Callable[[Any], None] = lambda state: None
    before_each: Callable[[Any], None] = lambda state: None  # untimed reset before every run
    baseline_before_each: Callable[[Any], None] = lambda state: None
    describe: Callable[[Any, list[float], list[float] | None], str] | None = None  # extra figures
    repeats: int = 5  # fewer only where one run takes many minutes (a file of the size limit)
    note: str = ""
    # Alternate baseline and benchmark runs, so that drift in the machine's speed during the
    # command (other load, memory growth) falls on both alike; for ratios between short runs.
    interleave: bool = False
    goal: str = ""                                            # the goal, in words
    met: Callable[["Result"], bool | None] | None = None      # judged from the result and its figures


@dataclass
class Result:
    name: str
    median_s: float
    runs_s: list[float] = field(default_factory=list)
    baseline_name: str = ""
    baseline_median_s: float | None = None
    note: str = ""
    run_count: int = 0  # when the per-run times were not kept
    figures: dict[str, Any] = field(default_factory=dict)  # what a goal is judged on besides the median
    goal: str = ""
    met: str = ""       # yes | no | blank when it cannot be judged (no goal, or figures not kept)

    @property
    def ratio(self) -> float | None:
        if not self.baseline_median_s:
            return None
        return self.median_s / self.baseline_median_s


def time_runs(func: Callable[[Any], Any], state: Any, repeats: int,
              before_each: Callable[[Any], None] = lambda state: None) -> list[float]:
    return [_time_once(func, state, before_each) for _ in range(max(1, repeats))]


def _time_once(func: Callable[[Any], Any], state: Any, before_each: Callable[[Any], None]) -> float:
    before_each(state)
    start = time.perf_counter()
    func(state)
    return time.perf_counter() - start


def time_alternately(benchmark: Benchmark, state: Any) -> tuple[list[float], list[float]]:
    assert benchmark.baseline is not None
    base, runs = [], []
    _time_once(benchmark.baseline, state, benchmark.baseline_before_each)  # warm up both, untimed
    _time_once(benchmark.run, state, benchmark.before_each)
    for _ in range(max(5, benchmark.repeats)):
        base.append(_time_once(benchmark.baseline, state, benchmark.baseline_before_each))
        runs.append(_time_once(benchmark.run, state, benchmark.before_each))
    return runs, base


def measure(benchmark: Benchmark) -> Result:
    state = benchmark.setup()
    try:
        if benchmark.interleave and benchmark.baseline:
            runs, base = time_alternately(benchmark, state)
        else:
            base = (time_runs(benchmark.baseline, state, benchmark.repeats, benchmark.baseline_before_each)
                    if benchmark.baseline else None)
            runs = time_runs(benchmark.run, state, benchmark.repeats, benchmark.before_each)
        note = benchmark.describe(state, runs, base) if benchmark.describe else benchmark.note
        figures = dict(state.get("figures", {})) if isinstance(state, dict) else {}
    finally:
        benchmark.teardown(state)
    return Result(benchmark.name, statistics.median(runs), runs, benchmark.baseline_name,
                  statistics.median(base) if base else None, note, figures=figures)


def figure(result: Result, key: str, pattern: str) -> Any:
    """A figure the goal is judged on: kept with the result, or (for results measured before
    figures were kept) read back from the note the benchmark wrote."""
    import re

    if key in result.figures:
        return result.figures[key]
    found = re.search(pattern, result.note)
    if found is None:
        raise KeyError(key)
    return found.group(1)


def seconds_list(text: str) -> list[float | None]:
    """'0.2, -, 1.5' -> [0.2, None, 1.5]."""
    return [None if part.strip() == "-" else float(part) for part in str(text).split(",")]


def judge(benchmark: Benchmark, result: Result) -> None:
    """Fill in the goal and whether it is met (blank when the result lacks what it takes)."""
    result.goal = benchmark.goal
    if benchmark.met is None:
        result.met = ""
        return
    try:
        verdict = benchmark.met(result)
    except (KeyError, TypeError):
        verdict = None
    result.met = "" if verdict is None else ("yes" if verdict else "no")


def render_markdown(results: list[Result], machine: dict[str, str], date: str) -> str:
    lines = ["# Benchmarks", "", f"Written by `make bench` (python -m bench) on {date}.", "",
             "## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in machine.items()]
    lines += ["", "## Results", ""]
    if not results:
        lines.append("No benchmarks yet: each issue adds its own under bench/.")
        return "\n".join(lines) + "\n"
    lines += ["Medians of at least 5 runs; ratio = benchmark median / baseline median; met: whether the issue's "
              "goal is met by the figures measured (blank where no goal is set or the figures were not kept).", "",
              "| benchmark | median | runs | baseline | baseline median | ratio | goal | met | note |",
              "|---|---:|---:|---|---:|---:|---|---|---|"]
    for r in results:
        base = _duration(r.baseline_median_s) if r.baseline_median_s else "-"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        lines.append(f"| {r.name} | {_duration(r.median_s)} | {len(r.runs_s) or r.run_count} | {r.baseline_name or '-'} "
                     f"| {base} | {ratio} | {r.goal or '-'} | {r.met or '-'} | {r.note} |")
    return "\n".join(lines) + "\n"


def _duration(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 10 else f"{seconds * 1000:.2f} ms"


def fresh_database(server_url: str, name: str) -> str:
    """An empty PostgreSQL database of the benchmark's own on `server_url`'s server: its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)
