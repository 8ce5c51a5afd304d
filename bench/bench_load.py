"""The service under load in its production shape: gunicorn with 2 workers, PostgreSQL, Redis
and one RQ worker, files in the shared store (STORAGE_URL=database), the demo seeded.

For BENCH_LOAD_SECONDS (60) a run keeps 50 people browsing and 10 uploading, each a thread
with a session of its own signed in beforehand (sign-in is not counted):
- browsing, as the demo's roles (20 suppliers, 18 buyers, 10 agency staff, 2 administrators):
  a page of the role's navigation or one linked from it (home, catalogue search, catalogue
  items and offers, tenders and a tender, opportunities and an opportunity, requirements,
  awards, the demand board, savings reports, jobs, suppliers, organisations, CPV codes, award
  documents...), chosen at random, then a think time of 1-3 s (uniform);
- uploading: 7 agency staff add a tender document (a PDF of 100 KB-2 MB) to the demo's draft
  tender, and 3 suppliers a catalogue file (CSV of 100 KB-2 MB: the head of the supplier's
  price list, bench/catalogue_data.py's offers, a few prices changed; imported by the worker),
  each waiting 5-15 s between uploads (choosing the next file; BENCH_LOAD_UPLOAD_THINK).
Every response's time (to its last byte) and status is kept. Reported over all runs: page time
p50/p95/p99 (the browsing GETs), upload time p50/p95, pages and uploads a second, and the count
of 5xx (and of requests that got no answer); the goal is p95 page time under 300 ms and no 5xx.
Between runs (untimed) the worker's queue is left to drain and the tender documents the load
added are deleted, so each run starts alike.

Database: BENCH_POSTGRES_URL's server, database BENCH_LOAD_DATABASE (default ljp_bench_load);
Redis: BENCH_REDIS_URL (default database 12, emptied)."""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import Benchmark, figure, fresh_database
from bench.deadline_rush import free_port

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres")
DATABASE = os.environ.get("BENCH_LOAD_DATABASE", "ljp_bench_load")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
BROWSERS = {"supplier": 20, "buyer": 18, "agency": 10, "admin": 2}
UPLOADERS = {"tender_document": 7, "catalogue_file": 3}
THINK = (1.0, 3.0)
UPLOAD_THINK = tuple(float(s) for s in os.environ.get("BENCH_LOAD_UPLOAD_THINK", "5-15").split("-"))
THREADS = int(os.environ.get("BENCH_LOAD_THREADS", "1"))  # gunicorn's --threads (1: sync workers)
UPLOAD_BYTES = (100_000, 2_000_000)
GOAL_P95_MS = 300
REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEMO = "@demo.londonconnects.example"
USERS = {"supplier": ["supplier.thames", "supplier.capnet", "supplier.crm"],
         "buyer": ["buyer.camden", "buyer.hackney", "buyer.croydon", "buyer.gla"],
         "agency": ["agency.lead", "agency.evaluator"], "admin": ["admin"]}
DRAFT_TENDER = "LC-2026-0004"
# Pages linked from a list that a person opens next: one of each kind is enough.
DETAIL = re.compile(r"^/(tenders/\d+(/evaluation)?|opportunities/\d+|catalogue/items/\d+|catalogue/offers/\d+|documents/\d+"
                    r"|suppliers/\d+|organisations/\d+|awards/\d+|requirements/\d+)$")


@dataclass
class Hit:
    kind: str          # page | upload
    what: str          # the page's path, or the upload's kind
    status: int
    seconds: float
    error: str = ""


def _env(instance: Path, database_url: str, redis: bool) -> dict[str, str]:
    instance.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "DATABASE_URL": database_url, "SECRET_KEY": "bench-load", "BID_SEALING_KEY": "bench-load-key",
           "STORAGE_URL": "database", "SCHEDULE_IN_PROCESS": "0", "INSTANCE_PATH": str(instance),
           # The simulated agency staff and administrators sign in with a password alone (no app to read).
           "TWO_FACTOR_ROLES": ""}
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = REDIS
    return env


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:  # a file, never a pipe nobody reads
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_ready(base: str, processes: list[subprocess.Popen], seconds: float = 60) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/readyz", timeout=3).status_code == 200:
                return
        except requests.RequestException:
            pass
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a process of the service stopped while starting")
        time.sleep(0.2)
    raise RuntimeError(f"{base}/readyz did not answer 200 within {seconds:g} s")


def _sign_in(base: str, email: str) -> Any:
    import requests

    from procurement.core.security import DEMO_PASSWORD

    browser = requests.Session()
    token = _csrf(browser.get(f"{base}/sign-in", timeout=30).text)
    answer = browser.post(f"{base}/sign-in", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD},
                          allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"{email} could not sign in: {answer.status_code}")
    return browser


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def _pages_of(base: str, browser: Any) -> list[str]:
    """The role's navigation, and one page of each kind linked from it (a tender, an offer...)."""
    home = browser.get(f"{base}/", timeout=30).text
    navigation = list(dict.fromkeys(re.findall(r'class="govuk-service-navigation__link" href="(/[^"]*)"', home)))
    navigation.append("/catalogue/?q=laptop")
    details: dict[str, list[str]] = {}  # up to 3 of each kind: /tenders/N -> three tenders
    for hop in range(2):  # linked from the navigation, and from those pages (a tender's documents)
        for page in navigation if hop == 0 else [p for found in list(details.values()) for p in found]:
            for link in re.findall(r'href="(/[^"#?]*)"', browser.get(f"{base}{page}", timeout=30).text):
                same_kind = details.setdefault(re.sub(r"\d+", "N", link), []) if DETAIL.match(link) else None
                if same_kind is not None and link not in same_kind and len(same_kind) < 3:
                    same_kind.append(link)
    pages = [p for p in navigation + sorted(p for found in details.values() for p in found) if p != "/account/tokens"]
    return [p for p in pages if browser.get(f"{base}{p}", timeout=30, allow_redirects=False).status_code == 200]


def _setup() -> dict[str, Any]:
    from redis import Redis
    from sqlalchemy import create_engine, text

    url = fresh_database(SERVER, DATABASE)
    Redis.from_url(REDIS).flushdb()
    folder = Path(tempfile.mkdtemp(prefix="ljp-bench-load-"))
    for step in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([str(BIN / "flask"), "--app", "app", *step], cwd=REPO, env=_env(folder / "setup", url, False),
                       check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes = [
        _start([str(BIN / "gunicorn"), "--workers", "2", "--threads", str(THREADS), "--bind", f"127.0.0.1:{port}",
                "--timeout", "60", "app:app"],
               _env(folder / "web", url, True), folder / "web.log"),
        _start([str(BIN / "flask"), "--app", "app", "worker"], _env(folder / "worker", url, True), folder / "worker.log"),
    ]
    state: dict[str, Any] = {"url": url, "base": base, "folder": folder, "processes": processes, "hits": [], "runs": 0, "kept": []}
    try:
        _wait_ready(base, processes)
        engine = create_engine(url)
        with engine.connect() as connection:
            state["draft_id"] = connection.scalar(text("SELECT id FROM tender WHERE reference = :r"), {"r": DRAFT_TENDER})
        engine.dispose()
        # Each person's pages: what their navigation offers them (a buyer's own requirement...).
        state["pages"] = {name: _pages_of(base, _sign_in(base, f"{name}{DEMO}")) for names in USERS.values() for name in names}
        for name, pages in state["pages"].items():
            print(f"  {name}: {len(pages)} pages: {' '.join(pages)}", flush=True)
        people = [("browse", role, USERS[role][n % len(USERS[role])]) for role, count in BROWSERS.items() for n in range(count)]
        uploading_as = {"tender_document": USERS["agency"], "catalogue_file": USERS["supplier"]}
        people += [("upload", kind, uploading_as[kind][n % len(uploading_as[kind])])
                   for kind, count in UPLOADERS.items() for n in range(count)]
        print(f"  signing in {len(people)} people ...", flush=True)
        with ThreadPoolExecutor(max_workers=2) as pool:
            sessions = list(pool.map(lambda person: _sign_in(base, f"{person[2]}{DEMO}"), people))
        state["people"] = list(zip(people, sessions))
        state["price_lists"] = _price_lists()
        return state
    except BaseException:
        _teardown(state)
        raise


def _pdf(rng: random.Random) -> bytes:
    size = rng.randint(*UPLOAD_BYTES)
    return b"%PDF-1.7\n%" + rng.randbytes(size - 20) + b"\n%%EOF\n"


def _price_lists() -> dict[str, list[dict[str, str]]]:
    """Each demo supplier's price list (bench/catalogue_data.py's offers: laptops, monitors,
    switches, licences...), long enough for the largest upload."""
    from bench.catalogue_data import offer_row

    rows = UPLOAD_BYTES[1] // 200
    return {name: [offer_row(random.Random(f"{name}-{n}"), n) for n in range(rows)] for name in USERS["supplier"]}


def _price_list(rng: random.Random, rows: list[dict[str, str]]) -> bytes:
    """The head of a supplier's price list, 100 KB-2 MB of it, with a few prices changed."""
    import csv
    import io

    from catalogue.rows import COLUMN_NAMES

    wanted, out = rng.randint(*UPLOAD_BYTES), io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMN_NAMES)
    writer.writeheader()
    for row in rows:
        if out.tell() >= wanted:
            break
        if rng.random() < 0.05:  # a new price (its breaks dropped: they must stay below it)
            row = {**row, "list_price": f"{float(row['list_price']) * rng.uniform(0.9, 1.1):.2f}", "price_breaks": ""}
        writer.writerow(row)
    return out.getvalue().encode()


def _browse(base: str, browser: Any, pages: list[str], rng: random.Random, end: float, hits: list[Hit]) -> None:
    import requests

    time.sleep(rng.uniform(0, THINK[1]))  # people do not all start at once
    while time.monotonic() < end:
        page = rng.choice(pages)
        began = time.perf_counter()
        try:
            answer = browser.get(f"{base}{page}", timeout=60, allow_redirects=False)
            hit = Hit("page", page, answer.status_code, time.perf_counter() - began)
        except requests.RequestException as error:
            hit = Hit("page", page, 0, time.perf_counter() - began, str(error)[:200])
        hits.append(hit)
        time.sleep(min(rng.uniform(*THINK), max(0.0, end - time.monotonic())))


def _upload(base: str, browser: Any, kind: str, user: str, draft_id: int, price_lists: dict[str, list[dict[str, str]]],
            rng: random.Random, end: float, hits: list[Hit]) -> None:
    import requests

    form_page = f"/tenders/{draft_id}" if kind == "tender_document" else "/catalogue/imports"
    token = _csrf(browser.get(f"{base}{form_page}", timeout=60).text)
    time.sleep(rng.uniform(0, UPLOAD_THINK[1]))
    n = 0
    while time.monotonic() < end:
        n += 1
        if kind == "tender_document":
            target, data = f"{base}/tenders/{draft_id}/documents", {"csrf_token": token, "title": f"Load specification {n}"}
            files = {"file": (f"load-specification-{n}.pdf", _pdf(rng), "application/pdf")}
        else:
            target, data = f"{base}/catalogue/imports", {"csrf_token": token, "mode": "all_or_nothing"}
            files = {"file": (f"price-list-{n}.csv", _price_list(rng, price_lists[user]), "text/csv")}
        began = time.perf_counter()
        try:
            answer = browser.post(target, data=data, files=files, timeout=60, allow_redirects=False)
            hit = Hit("upload", kind, answer.status_code, time.perf_counter() - began)
        except requests.RequestException as error:
            hit = Hit("upload", kind, 0, time.perf_counter() - began, str(error)[:200])
        hits.append(hit)
        time.sleep(min(rng.uniform(*UPLOAD_THINK), max(0.0, end - time.monotonic())))


def _load(state: dict[str, Any]) -> None:
    hits: list[Hit] = []
    end = time.monotonic() + SECONDS
    threads = []
    for n, ((mode, what, user), browser) in enumerate(state["people"]):
        rng = random.Random(f"{state['runs']}-{n}")
        if mode == "browse":
            args: tuple[Any, ...] = (state["base"], browser, state["pages"][user], rng, end, hits)
            threads.append(threading.Thread(target=_browse, args=args))
        else:
            args = (state["base"], browser, what, user, state["draft_id"], state["price_lists"], rng, end, hits)
            threads.append(threading.Thread(target=_upload, args=args))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state["runs"] += 1
    state["hits"].append(hits)
    state["kept"].append(_kept(state["url"]))


def _kept(url: str) -> tuple[int, int]:
    """The tender documents the load added, and the catalogue files it asked to import: a
    tender document sent back with a refusal is a redirect too, so what is kept is counted."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        documents = connection.scalar(text("SELECT count(*) FROM tender_document WHERE title LIKE 'Load specification %'"))
        imports = connection.scalar(text("SELECT count(*) FROM catalogue_import WHERE filename LIKE 'price-list-%'"))
    engine.dispose()
    return documents, imports


def _between_runs(state: dict[str, Any]) -> None:
    """Untimed: the worker's queue drained, the load's tender documents deleted."""
    from sqlalchemy import create_engine, text

    _drain(state["url"])
    engine = create_engine(state["url"])
    with engine.begin() as connection:
        keys = connection.scalars(text("SELECT stored_path FROM tender_document WHERE title LIKE 'Load specification %'")).all()
        connection.execute(text("DELETE FROM tender_document WHERE title LIKE 'Load specification %'"))
        if keys:
            connection.execute(text("DELETE FROM stored_file WHERE key = ANY(:keys)"), {"keys": list(keys)})
    engine.dispose()


def _drain(url: str, seconds: float = 900) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            with engine.connect() as connection:
                if not connection.scalar(text("SELECT count(*) FROM job WHERE status IN ('queued', 'running')")):
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not finish the load's imports within {seconds:g} s")
            time.sleep(1)
    finally:
        engine.dispose()


def _imports(url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    _drain(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        found = dict(connection.execute(text("SELECT coalesce(outcome, 'none'), count(*) FROM catalogue_import "
                                             "WHERE filename LIKE 'price-list-%' GROUP BY 1")).all())
    engine.dispose()
    return {str(k): int(v) for k, v in found.items()}


def _teardown(state: dict[str, Any]) -> None:
    for process in state.get("processes", []):
        _stop(process)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def _describe(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
    hits = [h for run in state["hits"] for h in run]
    pages = [h for h in hits if h.kind == "page"]
    uploads = [h for h in hits if h.kind == "upload"]
    page_ms = [h.seconds * 1000 for h in pages if h.status]
    upload_ms = [h.seconds * 1000 for h in uploads if h.status]
    server_errors = sum(1 for h in hits if h.status >= 500)
    unanswered = sum(1 for h in hits if h.status == 0)
    statuses = Counter(h.status for h in hits)
    slowest = Counter()
    for h in pages:
        if h.seconds * 1000 > _quantile(page_ms, 0.95):
            slowest[re.sub(r"\d+", "N", h.what)] += 1
    seconds = SECONDS * len(state["hits"])
    acknowledged = [sum(1 for h in run if h.what == "tender_document" and h.status == 302) for run in state["hits"]]
    lost_documents = sum(a - kept for a, (kept, _) in zip(acknowledged, state["kept"]))
    imports = _imports(state["url"])
    asked = sum(1 for h in uploads if h.what == "catalogue_file" and h.status == 302)
    figures = {"p50_ms": round(_quantile(page_ms, 0.5), 1), "p95_ms": round(_quantile(page_ms, 0.95), 1),
               "p99_ms": round(_quantile(page_ms, 0.99), 1), "upload_p50_ms": round(_quantile(upload_ms, 0.5), 1),
               "upload_p95_ms": round(_quantile(upload_ms, 0.95), 1), "pages": len(pages), "uploads": len(uploads),
               "server_errors": server_errors, "unanswered": unanswered,
               "refused_uploads": sum(1 for h in uploads if h.status not in (302, 0) and h.status < 500),
               "documents_not_kept": lost_documents, "imports": imports, "imports_asked": asked}
    state["figures"] = figures
    print(f"  statuses {dict(sorted(statuses.items()))}; slowest pages (over p95) {slowest.most_common(6)}", flush=True)
    return (f"{len(state['hits'])} runs of {SECONDS:g} s, {sum(BROWSERS.values())} browsing (think {THINK[0]:g}-{THINK[1]:g} s) "
            f"and {sum(UPLOADERS.values())} uploading ({UPLOADERS['tender_document']} tender documents, "
            f"{UPLOADERS['catalogue_file']} catalogue files, 100 KB-2 MB, think {UPLOAD_THINK[0]:g}-{UPLOAD_THINK[1]:g} s): "
            f"{len(pages):,} pages, p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, "
            f"{len(pages) / seconds:.1f} pages/s; {len(uploads):,} uploads ({figures['refused_uploads']} refused), "
            f"p50 {figures['upload_p50_ms']:.0f} ms, p95 {figures['upload_p95_ms']:.0f} ms, {len(uploads) / seconds:.2f} uploads/s, "
            f"{lost_documents} tender documents not kept, {asked} catalogue files imported by the worker "
            f"({', '.join(f'{n} {k}' for k, n in sorted(imports.items()))}); "
            f"{server_errors} 5xx, {unanswered} unanswered; goal p95 < {GOAL_P95_MS} ms, no 5xx")


def _met(result: Any) -> bool:
    return (float(figure(result, "p95_ms", r"p95 (\d+) ms")) < GOAL_P95_MS
            and int(figure(result, "server_errors", r"(\d+) 5xx")) == 0
            and int(result.figures.get("unanswered", 0)) == 0)


BENCHMARKS = [
    Benchmark(f"load: {sum(BROWSERS.values())} browsing and {sum(UPLOADERS.values())} uploading for {SECONDS:g} s "
              "(gunicorn 2 workers, PostgreSQL, Redis, 1 RQ worker)",
              _load, setup=_setup, before_each=_between_runs, teardown=_teardown, describe=_describe,
              goal=f"p95 page time under {GOAL_P95_MS} ms, no 5xx", met=_met),
]
