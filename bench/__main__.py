"""Run the benchmarks in bench/ and write BENCHMARKS.md.

BENCH_ONLY=word runs only the benchmarks whose name contains it; the others keep their last
results (kept in bench/results.json with the date they were measured). A section "## Notes" at
the end of BENCHMARKS.md is written by hand and kept as it is."""
from __future__ import annotations

import dataclasses
import importlib
import json
import os
import platform
import pkgutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import bench
from bench import Result, judge, measure, render_markdown

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results.json")


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"CPU": cpu, "cores": str(os.cpu_count()), "memory": memory,
            "system": f"{platform.system()} {platform.release()}", "Python": sys.version.split()[0]}


def main() -> None:
    only = os.environ.get("BENCH_ONLY", "")
    benchmarks = []
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name.startswith("bench_"):
            benchmarks += importlib.import_module(f"bench.{info.name}").BENCHMARKS
    chosen = [b for b in benchmarks if only in b.name]
    kept = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    known = {b.name for b in benchmarks}
    kept = {name: value for name, value in kept.items() if name in known}
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for n, benchmark in enumerate(chosen, 1):
        print(f"[{n}/{len(chosen)}] {benchmark.name} ...", flush=True)
        result = measure(benchmark)
        kept[benchmark.name] = {**dataclasses.asdict(result), "measured": date}
        RESULTS.write_text(json.dumps(kept, indent=2) + "\n")  # after each, so nothing is lost
    fields = {f.name for f in dataclasses.fields(Result)}
    reported = [b for b in benchmarks if b.name in kept]
    ordered = [kept[b.name] for b in reported]
    results = [Result(**{k: v for k, v in r.items() if k in fields}) for r in ordered]
    for benchmark, result, raw in zip(reported, results, ordered):
        judge(benchmark, result)
        result.note = f"{result.note} (measured {raw['measured']})"
    written = ROOT / "BENCHMARKS.md"
    # The "## Notes" section (how a figure was got, what it means) is written by hand: kept.
    previous = written.read_text() if written.exists() else ""
    notes = previous[previous.index("\n## Notes"):] if "\n## Notes" in previous else ""
    written.write_text(render_markdown(results, machine(), date) + notes)
    print(f"{len(chosen)} benchmarks run, {len(results)} reported; wrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
