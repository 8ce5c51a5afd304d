"""Catalogue benchmarks on PostgreSQL: the import path against a raw COPY of the same file,
search latency and matching speed over the imported offers.

Size: BENCH_CATALOGUE_ROWS (default 1,000,000). Database: BENCH_POSTGRES_URL's server, in a
database of its own (ljp_bench), rebuilt from the migrations at the start.
"""
from __future__ import annotations

import os
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import Benchmark, figure, fresh_database
from bench.catalogue_data import NOUNS, write_csv

ROWS = int(os.environ.get("BENCH_CATALOGUE_ROWS", "1000000"))
SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres")
_shared: dict[str, Any] = {}


def _database() -> str:
    return fresh_database(SERVER, "ljp_bench")


def _existing_database() -> str | None:
    """With BENCH_REUSE_DB=1, the database a previous run left, if it holds the offers."""
    if os.environ.get("BENCH_REUSE_DB") != "1":
        return None
    url = make_url(SERVER).set(database="ljp_bench").render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.scalar(text("SELECT count(*) FROM offer"))
    except Exception:  # noqa: BLE001 - no usable database: build one
        return None
    finally:
        engine.dispose()
    return url if count == ROWS else None


def _setup() -> dict[str, Any]:
    if _shared:
        return _shared
    from procurement import migrate
    from procurement.factory import create_app
    from procurement.core.access import SystemActor
    from procurement.core.db import db
    from procurement.seed import load_cpv_codes
    from suppliers.services import create_supplier

    folder = Path(tempfile.mkdtemp(prefix="ljp-bench-"))
    reused = _existing_database()
    if reused:
        url, csv_path = reused, folder / "not-generated.csv"
    else:
        print(f"  generating {ROWS:,} offers ...", flush=True)
        csv_path = write_csv(folder / "offers.csv", ROWS)
        url = _database()
        migrate.upgrade(url)
    os.environ["INSTANCE_PATH"] = str(folder / "instance")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "BID_SEALING_KEY": "bench",
                      "CATALOGUE_IMPORT_MAX_BYTES": 1 << 32, "REDIS_URL": None})
    context = app.app_context()
    context.push()
    session = db.session
    engine = db.bound(app).engine
    if reused:
        supplier_id = session.scalar(text("SELECT id FROM supplier WHERE legal_name = 'Bench Supplies Ltd'"))
    else:
        load_cpv_codes(session)
        supplier_id = create_supplier(session, SystemActor("bench"), legal_name="Bench Supplies Ltd",
                                      contact_name="Bench", contact_email="bench@bench.example").id
        session.commit()
        with engine.begin() as connection:
            columns = ", ".join(f"{c} text" for c in _header(csv_path))
            connection.execute(text(f"CREATE TABLE bare_copy ({columns})"))
    _shared.update(app=app, session=session, supplier_id=supplier_id, csv=csv_path, engine=engine, folder=folder,
                   rates=[], copy_rates=[])
    return _shared


def _header(path: Path) -> list[str]:
    with path.open() as handle:
        return handle.readline().strip().split(",")


def _reset_offers(state: dict[str, Any]) -> None:
    state["session"].rollback()
    with state["engine"].begin() as connection:
        connection.execute(text("TRUNCATE offer, offer_price_change, import_row_error, catalogue_import CASCADE"))


def _import(state: dict[str, Any]) -> None:
    from catalogue.importing import run_import
    from catalogue.services import start_import
    from procurement.core.access import SystemActor

    session = state["session"]
    start = time.perf_counter()
    with state["csv"].open("rb") as stream:
        record = start_import(session, SystemActor("bench"), supplier_id=state["supplier_id"], filename="offers.csv",
                              stream=stream, mode="all_or_nothing", upload_dir=state["folder"] / "uploads",
                              max_bytes=1 << 32, enqueue=False)
    session.commit()
    record = run_import(session, record.id)
    session.commit()
    assert record.state == "done" and record.offers_created == ROWS, record.message
    state["rates"].append(ROWS / (time.perf_counter() - start))


def _truncate_bare(state: dict[str, Any]) -> None:
    with state["engine"].begin() as connection:
        connection.execute(text("TRUNCATE bare_copy"))


def _copy(state: dict[str, Any]) -> None:
    start = time.perf_counter()
    raw = state["engine"].raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor, state["csv"].open("rb") as handle:
            with cursor.copy("COPY bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        raw.commit()
    finally:
        raw.close()
    state["copy_rates"].append(ROWS / (time.perf_counter() - start))


def _describe_import(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
    rate, copy_rate = statistics.median(state["rates"]), statistics.median(state["copy_rates"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (f"{rate:,.0f} rows/s vs COPY {copy_rate:,.0f} rows/s = {rate / copy_rate:.2f} of COPY "
            f"(goal 0.5, floor 0.25); peak RSS of the benchmark process {peak:,.0f} MB (goal < 300 MB)")


QUERIES = 200


def _search_queries(rng: random.Random) -> list[tuple[str, str]]:
    from bench.catalogue_data import ADJECTIVES, SPECS

    queries = []
    for _ in range(QUERIES):
        cpv = rng.choice(list(NOUNS))
        noun = rng.choice(NOUNS[cpv]).split()[-1]
        queries.append((f"{rng.choice(ADJECTIVES + SPECS)} {noun}", cpv[:4] + "0000"))
    return queries


def _search_setup() -> dict[str, Any]:
    state = _setup()
    state.setdefault("latencies", [])
    state["queries"] = _search_queries(random.Random(7))
    return state


def _search(state: dict[str, Any]) -> None:
    from catalogue.search import SearchQuery, search_offers
    from procurement.core.access import SystemActor

    actor = SystemActor("bench")
    session = state["session"]
    for words, cpv in state["queries"]:
        start = time.perf_counter()
        search_offers(session, actor, SearchQuery(text=words, cpv=cpv))
        state["latencies"].append(time.perf_counter() - start)
    session.rollback()


def _describe_search(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
    latencies = sorted(state["latencies"])
    p50 = latencies[len(latencies) // 2] * 1000
    p95 = latencies[int(len(latencies) * 0.95)] * 1000
    state["figures"] = {"p50_ms": p50, "p95_ms": p95}
    return f"{QUERIES} two-word queries with a CPV filter a run: p50 {p50:.1f} ms, p95 {p95:.1f} ms a query (goal p95 < 50 ms)"


MATCH_LINES = 10_000


def _match_setup() -> dict[str, Any]:
    from sqlalchemy import select

    from bench.catalogue_data import ADJECTIVES
    from catalogue.matching import Line
    from catalogue.models import Offer

    state = _setup()
    rng = random.Random(11)
    session = state["session"]
    sample = session.execute(select(Offer.gtin, Offer.manufacturer_part_number, Offer.title, Offer.cpv_code)
                             .order_by(Offer.id).limit(20_000)).all()
    lines = []
    for n in range(MATCH_LINES):
        gtin, part, title, cpv = rng.choice(sample)
        kind = n % 3
        if kind == 0 and gtin:
            lines.append(Line(description=title, gtin=gtin))
        elif kind == 1:
            lines.append(Line(description=title, part_number=part.lower().replace("-", " ")))
        else:
            words = title.split()
            lines.append(Line(description=" ".join(words[1:3] + [rng.choice(ADJECTIVES)]), cpv=cpv))
    state["lines"] = lines
    session.rollback()
    return state


def _match(state: dict[str, Any]) -> None:
    from catalogue.matching import match_lines
    from procurement.core.access import SystemActor

    results = match_lines(state["session"], SystemActor("bench"), state["lines"])
    state["matched"] = sum(r.status == "matched" for r in results)
    state["session"].rollback()


def _describe_match(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
    return (f"{MATCH_LINES:,} lines (a third each by GTIN, part number, text in a CPV branch) against {ROWS:,} "
            f"offers; {state['matched']:,} matched; goal < 10 s")


BENCHMARKS = [
    Benchmark(f"catalogue import: {ROWS:,} offers into PostgreSQL (real path)", _import, _copy,
              "COPY of the same file into a bare table", setup=_setup, before_each=_reset_offers,
              baseline_before_each=_truncate_bare, describe=_describe_import,
              goal="at least 0.5 of a bare COPY's rows a second (floor 0.25)",
              met=lambda r: r.ratio is not None and 1 / r.ratio >= 0.5),
    Benchmark(f"catalogue search over {ROWS:,} offers", _search, setup=_search_setup, describe=_describe_search,
              goal="p95 under 50 ms a query", met=lambda r: float(figure(r, "p95_ms", r"p95 ([\d.]+) ms")) < 50),
    Benchmark(f"match {MATCH_LINES:,} lines against {ROWS:,} offers", _match, setup=_match_setup,
              describe=_describe_match, goal="under 10 s", met=lambda r: r.median_s < 10),
]
