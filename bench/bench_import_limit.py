"""A catalogue file of the size limit (CATALOGUE_IMPORT_MAX_BYTES, 512 MiB), uploaded through
the web page and imported, in the two set-ups the README describes:

- default: SQLite in the instance folder, no Redis, files in the instance folder; the job
  runs in the runner thread of a gunicorn worker (2 workers, gunicorn's default 30 s timeout);
- RQ: PostgreSQL, Redis and one `flask worker`, files in the database (STORAGE_URL=database),
  the same gunicorn.

Each run signs in as a demo supplier, posts the file to /catalogue/imports, and polls the
import's progress until it has an outcome. Reported: the upload request's time (it must end
well inside the web worker's timeout), the whole import's time and rows a second, and the
outcome. BENCH_IMPORT_BYTES sets the file's size (default the limit)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import Benchmark, fresh_database

REPO = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
LIMIT = 512 * 1024 * 1024
SIZE = int(os.environ.get("BENCH_IMPORT_BYTES", str(LIMIT - 1024 * 1024)))
SUPPLIER = "supplier.thames@demo.londonconnects.example"


def _csv(folder: Path) -> tuple[Path, int]:
    """A synthetic catalogue just under SIZE bytes: (path, rows)."""
    import csv
    import random

    from bench.catalogue_data import offer_row
    from catalogue.rows import COLUMN_NAMES

    path = folder / "catalogue.csv"
    rng, rows = random.Random(2026), 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMN_NAMES)
        writer.writeheader()
        while handle.tell() < SIZE - 4096:
            for _ in range(1000):
                rows += 1
                writer.writerow(offer_row(rng, rows))
            if handle.tell() >= SIZE - 4096:
                break
    return path, rows


def _flask(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def _start(setup: str, folder: Path) -> dict[str, Any]:
    from bench.deadline_rush import free_port

    instance = Path(tempfile.mkdtemp(prefix=f"instance-{setup}-", dir=folder))  # a fresh one each run
    env = {**os.environ, "SECRET_KEY": "bench", "BID_SEALING_KEY": "bench-import-limit", "INSTANCE_PATH": str(instance),
           "SCHEDULE_IN_PROCESS": "0", "PYTHONPATH": str(REPO), "JOB_POLL_SECONDS": "1"}
    for name in ("REDIS_URL", "DATABASE_URL", "STORAGE_URL", "JOB_RUNNER"):
        env.pop(name, None)
    if setup == "rq":
        from redis import Redis

        Redis.from_url(REDIS).flushdb()
        env.update(DATABASE_URL=fresh_database(SERVER, "ljp_bench_import_limit"), REDIS_URL=REDIS,
                   STORAGE_URL="database")
    _flask(env, "db", "upgrade")
    _flask(env, "seed-demo")
    port = free_port()
    log = folder / f"{setup}.log"
    processes = []
    with log.open("wb") as out:
        processes.append(subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level",
             "warning", "app:app"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=out, start_new_session=True))
        if setup == "rq":
            processes.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=REPO,
                                              env=env, stdout=subprocess.DEVNULL, stderr=out, start_new_session=True))
    from bench.bench_load import _wait_ready

    _wait_ready(f"http://127.0.0.1:{port}", processes, seconds=90)
    return {"port": port, "processes": processes, "log": log}


def _stop(server: dict[str, Any]) -> None:
    from bench.bench_load import _stop as stop

    for process in server["processes"]:
        stop(process)


def _import(state: dict[str, Any], setup: str) -> None:
    from bench.bench_load import _csrf, _sign_in

    server = _start(setup, state["folder"])
    try:
        base = f"http://127.0.0.1:{server['port']}"
        browser = _sign_in(base, SUPPLIER)
        token = _csrf(browser.get(f"{base}/catalogue/imports").text)
        started = time.monotonic()
        with state["csv"].open("rb") as handle:
            posted = browser.post(f"{base}/catalogue/imports", data={"csrf_token": token, "mode": "valid_rows"},
                                  files={"file": ("catalogue.csv", handle, "text/csv")}, allow_redirects=False,
                                  timeout=600)
        upload_s = time.monotonic() - started
        assert posted.status_code == 302, (posted.status_code, posted.text[:500])
        import_id = int(posted.headers["Location"].rstrip("/").split("/")[-1])
        last = {}
        deadline = time.monotonic() + 4 * 3600
        while time.monotonic() < deadline:
            polled = browser.get(f"{base}/catalogue/imports/{import_id}/progress.json", timeout=60)
            if polled.status_code != 200:
                raise RuntimeError(f"progress answered {polled.status_code}: {polled.text[:300]}; server log: "
                                   f"{server['log'].read_text(errors='replace')[-3000:]}")
            last = polled.json()
            if last.get("finished"):
                break
            time.sleep(2)
        total_s = time.monotonic() - started
        state["runs"][setup] = {"upload_s": upload_s, "total_s": total_s, "rows": state["rows"],
                                "outcome": {k: last.get(k) for k in ("status", "outcome", "message", "counts") if k in last}}
        print(f"  {setup}: upload {upload_s:.1f} s, import {total_s:.0f} s, {json.dumps(last)[:300]}", flush=True)
    finally:
        _stop(server)


def _setup() -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="ljp-bench-import-limit-"))
    print(f"  writing a catalogue file of {SIZE / 1024 / 1024:.0f} MiB ...", flush=True)
    path, rows = _csv(folder)
    return {"folder": folder, "csv": path, "rows": rows, "runs": {}}


def _teardown(state: dict[str, Any]) -> None:
    import shutil

    shutil.rmtree(state["folder"], ignore_errors=True)


def _describe(setup: str):
    def describe(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
        run = state["runs"][setup]
        outcome = run["outcome"]
        state["figures"] = {"upload_s": run["upload_s"], "outcome": outcome}
        return (f"{state['csv'].stat().st_size / 1024 / 1024:.0f} MiB, {run['rows']:,} rows: upload request "
                f"{run['upload_s']:.1f} s (gunicorn's timeout 30 s), whole import {run['total_s']:.0f} s "
                f"({run['rows'] / run['total_s']:,.0f} rows/s); outcome {json.dumps(outcome)[:200]}")
    return describe


def _completed(result: Any) -> bool:
    outcome = json.dumps(result.figures.get("outcome", {}))
    return result.figures.get("upload_s", 99) < 30 and '"done"' in outcome


BENCHMARKS = [
    Benchmark("catalogue import of the size limit, default set-up (SQLite, runner thread, gunicorn -w 2)",
              lambda state: _import(state, "default"), setup=_setup, teardown=_teardown, describe=_describe("default"),
              repeats=1, goal="completes; the upload request ends inside the web worker's timeout", met=_completed),
    Benchmark("catalogue import of the size limit, RQ set-up (PostgreSQL, Redis, worker, database storage)",
              lambda state: _import(state, "rq"), setup=_setup, teardown=_teardown, describe=_describe("rq"),
              repeats=1, goal="completes; the upload request ends inside the web worker's timeout", met=_completed),
]
