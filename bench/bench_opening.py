"""Opening a tender box of 300 bids x 2,000 lines (600,000 lines) into evaluation rows on
PostgreSQL, beside a COPY of the same rows into a bare table in the same run.

Database: BENCH_POSTGRES_URL's server, in a database of its own (ljp_bench_opening).
"""
from __future__ import annotations

import io
import os
import random
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from bench import Benchmark, fresh_database

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres")
BIDS = int(os.environ.get("BENCH_OPENING_BIDS", "300"))
LOTS, ITEMS_PER_LOT = 20, 100  # 2,000 lines a bid
_shared: dict[str, Any] = {}


def _database() -> str:
    return fresh_database(SERVER, "ljp_bench_opening")


def _setup() -> dict[str, Any]:
    if _shared:
        return _shared
    from procurement import migrate
    from procurement.factory import create_app
    from procurement.core.access import SystemActor
    from procurement.core.clock import now
    from procurement.core.db import db
    from procurement.seed import load_cpv_codes
    from suppliers.models import Supplier
    from tenders import sealing
    from tenders.bidding.bids import pack_line
    from tenders.models import Bid, BidStatus, BidVersion, Criterion, Lot, LotItem, Tender, TenderStatus, VersionState

    url = _database()
    migrate.upgrade(url)
    os.environ["INSTANCE_PATH"] = str(Path(tempfile.mkdtemp(prefix="ljp-bench-opening-")) / "instance")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "BID_SEALING_KEY": "bench-key", "REDIS_URL": None})
    context = app.app_context()
    context.push()
    session = db.session
    load_cpv_codes(session)
    print(f"  sealing {BIDS} bids of {LOTS * ITEMS_PER_LOT:,} lines ...", flush=True)
    tender = Tender(reference="LC-BENCH-0001", title="Bench tender", confirm_by=date.today(), status=TenderStatus.closed,
                    submission_deadline=now() - timedelta(hours=1), price_weight=80)
    session.add(tender)
    session.flush()
    data_key = sealing.new_data_key()
    tender.wrapped_key = sealing.wrap_key(sealing.master_key("bench-key"), data_key, tender.id)
    tender.criteria.append(Criterion(number=1, name="Quality", weight=20, descriptors=[str(n) for n in range(6)]))
    for n in range(1, LOTS + 1):
        lot = Lot(number=n, title=f"Lot {n}", cpv_code="30213100", unit="each", pool_keys="bench")
        tender.lots.append(lot)
        for m in range(1, ITEMS_PER_LOT + 1):
            lot.items.append(LotItem(number=m, description=f"Item {n}.{m}", cpv_code="30213100", unit="each",
                                     quantity=Decimal(100)))
    session.flush()
    session.execute(insert(Supplier), [{"legal_name": f"Bench Bidder {n} Ltd", "contact_name": "B",
                                        "contact_email": f"b{n}@bench.example", "created_at": now()} for n in range(BIDS)])
    suppliers = list(session.scalars(select(Supplier.id).order_by(Supplier.id)))
    rng = random.Random(5)
    copy_rows = io.StringIO()
    for n, supplier_id in enumerate(suppliers):
        bid = Bid(tender_id=tender.id, supplier_id=supplier_id, status=BidStatus.submitted)
        session.add(bid)
        session.flush()
        lines = [pack_line({"lot": lot, "item": item, "unit_price": f"{rng.randint(1000, 99999) / 100:.2f}",
                            "tiers": [[1, 49, "10.00"], [50, None, "9.50"]] if item % 10 == 0 else []})
                 for lot in range(1, LOTS + 1) for item in range(1, ITEMS_PER_LOT + 1)]
        content = {"tender": tender.reference, "lines": lines, "bundles": [],
                   "quality": [{"criterion": 1, "text": f"Bidder {n} quality answer", "attachments": []}]}
        plain = sealing.canonical(content)
        session.add(BidVersion(bid_id=bid.id, version=1, state=VersionState.submitted, submitted_at=now(), size=len(plain),
                               digest=sealing.digest(plain), sealed=sealing.seal(data_key, plain, sealing.bid_context(tender.id, bid.id, 1))))
        for lot, item, price, _offer, _capacity, tiers, _sku in lines:  # the same rows, for the baseline COPY
            copy_rows.write(f"{n + 1}\t{lot * 1000 + item}\t{price}\t\\N\t\\N\t{tiers or '[]'}\n")
        if n % 50 == 49:
            session.flush()
            session.expunge_all()
    session.commit()
    with db.bound(app).engine.begin() as connection:
        connection.execute(text("CREATE TABLE bare_bid_line (opened_bid_id integer, lot_item_id integer, unit_price numeric(14,2), "
                                "offer_id integer, capacity numeric(14,3), tiers json)"))
    session.execute(text("ANALYZE"))
    session.commit()
    agency = [SystemActor("bench-a"), SystemActor("bench-b")]
    _shared.update(app=app, session=session, tender_id=tender.id, copy_text=copy_rows.getvalue(), engine=db.bound(app).engine,
                   agency=agency, result=None)
    return _shared


def _reset(state: dict[str, Any]) -> None:
    from tenders.models import Tender, TenderStatus

    session = state["session"]
    session.rollback()
    session.execute(text("TRUNCATE bid_line, bid_bundle, quality_response, opened_bid"))
    tender = session.get(Tender, state["tender_id"])
    tender.status, tender.opened_at, tender.opened_by_id = TenderStatus.closed, None, None
    session.commit()


def _open(state: dict[str, Any]) -> None:
    from tenders.models import Tender
    from tenders.bidding.opening import open_box

    session = state["session"]
    tender = session.get(Tender, state["tender_id"])
    state["result"] = open_box(session, tender)
    session.commit()


def _truncate_bare(state: dict[str, Any]) -> None:
    with state["engine"].begin() as connection:
        connection.execute(text("TRUNCATE bare_bid_line"))


def _copy(state: dict[str, Any]) -> None:
    raw = state["engine"].raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:
            with cursor.copy("COPY bare_bid_line FROM STDIN") as copy:
                copy.write(state["copy_text"])
        raw.commit()
    finally:
        raw.close()


def _describe(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
    result = state["result"]
    return (f"{result.opened} bids opened ({result.corrupt} corrupt), {result.lines:,} lines decrypted, digest-checked "
            f"and written as evaluation rows; goal: within 3x of the COPY")


BENCHMARKS = [
    Benchmark(f"opening {BIDS} bids x {LOTS * ITEMS_PER_LOT:,} lines into evaluation rows (PostgreSQL)", _open, _copy,
              "COPY of the same rows into a bare table", setup=_setup, before_each=_reset,
              baseline_before_each=_truncate_bare, describe=_describe,
              goal="within 3x of the COPY", met=lambda r: r.ratio is not None and r.ratio <= 3),
]
