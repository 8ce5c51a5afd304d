"""Run every benchmark in bench/ and write BENCHMARKS.md."""
from __future__ import annotations

import importlib
import os
import platform
import pkgutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import bench
from bench import measure, render_markdown

ROOT = Path(__file__).resolve().parents[1]


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
    benchmarks = []
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name.startswith("bench_"):
            benchmarks += importlib.import_module(f"bench.{info.name}").BENCHMARKS
    results = []
    for n, benchmark in enumerate(benchmarks, 1):
        print(f"[{n}/{len(benchmarks)}] {benchmark.name} ...", flush=True)
        results.append(measure(benchmark))
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    (ROOT / "BENCHMARKS.md").write_text(render_markdown(results, machine(), date))
    print(f"{len(results)} benchmarks; wrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
