"""The demand board over 100,000 submitted requirement lines from 33 organisations across
2,000 pools (1,600 catalogue items with three priced offers each, and 400 CPV classes), on
PostgreSQL, beside one hand-written GROUP BY over the same rows in the same run.

Database: BENCH_POSTGRES_URL's server, in a database of its own (ljp_bench_demand).
"""
from __future__ import annotations

import os
import random
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from bench import Benchmark, fresh_database

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres")
LINES = int(os.environ.get("BENCH_DEMAND_LINES", "100000"))
ITEMS, CLASSES, ORGANISATIONS = 1600, 400, 33
_shared: dict[str, Any] = {}

HAND_WRITTEN = """
SELECT catalogue_item_id,
       CASE WHEN catalogue_item_id IS NULL THEN substr(cpv_code, 1, 4) END AS cpv_class,
       CASE WHEN catalogue_item_id IS NULL THEN lower(unit) END AS unit,
       count(*), count(DISTINCT organisation_id), sum(quantity), sum(quantity * baseline_unit_price),
       min(needed_by), max(needed_by)
FROM requirement WHERE status = 'submitted'
GROUP BY 1, 2, 3
"""


def _database() -> str:
    return fresh_database(SERVER, "ljp_bench_demand")


def _setup() -> dict[str, Any]:
    if _shared:
        return _shared
    from catalogue.models import CatalogueItem, Offer
    from procurement import migrate
    from procurement.factory import create_app
    from procurement.core.access import SystemActor
    from procurement.core.clock import now, today
    from procurement.core.db import db
    from demand.models import Requirement
    from procurement.parties.models import CpvCode, CpvLevel, Organisation
    from procurement.seed import load_cpv_codes
    from suppliers.services import create_supplier

    url = _database()
    migrate.upgrade(url)
    folder = Path(tempfile.mkdtemp(prefix="ljp-bench-demand-"))
    os.environ["INSTANCE_PATH"] = str(folder / "instance")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "BID_SEALING_KEY": "bench", "REDIS_URL": None})
    context = app.app_context()
    context.push()
    session = db.session
    load_cpv_codes(session)
    rng = random.Random(2026)
    print(f"  generating {LINES:,} requirement lines ...", flush=True)
    session.execute(insert(Organisation), [
        {"name": f"Bench Borough {n}", "kind": "london_borough", "created_at": now()} for n in range(ORGANISATIONS)])
    organisation_ids = list(session.scalars(select(Organisation.id)))
    categories = list(session.scalars(select(CpvCode.code).where(CpvCode.level == CpvLevel.category).order_by(CpvCode.code)))
    classes = list(session.scalars(select(CpvCode.code).where(CpvCode.level == CpvLevel.class_).order_by(CpvCode.code)))
    session.execute(insert(CatalogueItem), [
        {"name": f"Bench item {n}", "cpv_code": categories[n % len(categories)], "unit": "each", "key_attributes": "",
         "created_at": now()} for n in range(ITEMS)])
    items = list(session.execute(select(CatalogueItem.id, CatalogueItem.cpv_code)))
    supplier_id = create_supplier(session, SystemActor("bench"), legal_name="Bench Supplies Ltd", contact_name="Bench",
                                  contact_email="bench@bench.example").id
    offers = []
    for item_id, cpv in items:
        for k in range(3):
            price = Decimal(rng.randint(2000, 200000)) / 100
            breaks = [[25, str((price * Decimal("0.95")).quantize(Decimal("0.01")))],
                      [250, str((price * Decimal("0.88")).quantize(Decimal("0.01")))]]
            offers.append({"supplier_id": supplier_id, "sku": f"B-{item_id}-{k}", "title": f"Offer {item_id}/{k}",
                           "cpv_code": cpv, "unit": "each", "list_price": price, "price_breaks": breaks,
                           "status": "published", "catalogue_item_id": item_id, "created_at": now(),
                           "updated_at": now()})
    session.execute(insert(Offer), offers)
    chosen_classes = rng.sample(classes, CLASSES)
    start = today()
    rows = []
    for n in range(LINES):
        on_item = n % 5 != 0  # four lines in five name a catalogue item
        item_id, cpv = items[rng.randrange(ITEMS)] if on_item else (None, rng.choice(chosen_classes))
        price = Decimal(rng.randint(2000, 250000)) / 100
        rows.append({
            "organisation_id": rng.choice(organisation_ids), "raised_by_label": "bench", "catalogue_item_id": item_id,
            "cpv_code": cpv, "title": "Bench line", "specification": "Bench", "quantity": Decimal(rng.randint(1, 500)),
            "unit": "each" if on_item else rng.choice(["each", "licence", "Each"]), "delivery_location": "Depot",
            "needed_by": start + timedelta(days=rng.randint(1, 365)), "baseline_unit_price": price,
            "status": "submitted", "created_at": now(), "updated_at": now(), "submitted_at": now(),
        })
        if len(rows) == 10_000:
            session.execute(insert(Requirement), rows)
            rows.clear()
    if rows:
        session.execute(insert(Requirement), rows)
    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()
    _shared.update(app=app, session=session, actor=SystemActor("bench"), board_times=[], pools=0)
    return _shared


def _board(state: dict[str, Any]) -> None:
    from demand.board import BoardFilter, demand_board

    pools = demand_board(state["session"], state["actor"], BoardFilter(depth="class"))
    state["pools"] = len(pools)
    state["session"].rollback()


def _group_by(state: dict[str, Any]) -> None:
    state["groups"] = len(state["session"].execute(text(HAND_WRITTEN)).all())
    state["session"].rollback()


def _describe(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
    return (f"{LINES:,} submitted lines, {ORGANISATIONS} organisations, {state['pools']:,} pools "
            f"({state['groups']:,} groups in the hand-written GROUP BY) with joint price, saving and threshold "
            f"from {ITEMS * 3:,} linked offers; goal: under 1 s and within 3x of the GROUP BY")


BENCHMARKS = [
    Benchmark(f"demand board over {LINES:,} requirement lines (PostgreSQL)", _board, _group_by,
              "one hand-written GROUP BY over the same rows", setup=_setup, describe=_describe,
              goal="under 1 s, and within 3x of the GROUP BY",
              met=lambda r: r.ratio is not None and r.median_s < 1 and r.ratio <= 3),
]
