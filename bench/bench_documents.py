"""Documents: (1) a 2-page assessment letter and an award decision notice (200 lines, 33
organisations) through the job path, beside WeasyPrint alone on the same HTML in the same run
(its own API with the same URL fetcher, metadata and PDF/UA variant; runs alternate between the
two so that drift in the machine's speed falls on both);
(2) a 100-bidder award pack for three lots (136 documents) made by 1 and by 2 real RQ workers. The tender
has three lots so that a letter runs to two pages, as the issue asks; its notice for lot 1
lists 100 bidders and 200 lines, 13 pages.

Database: BENCH_POSTGRES_URL's server, database ljp_bench_documents; Redis: BENCH_REDIS_URL
(default database 12).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select

from bench import Benchmark, figure, fresh_database

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
BIDDERS, ORGANISATIONS, LINES = 100, 33, 200
LOT_TITLES = [("Business laptops", "30213100"), ("Monitors", "30231300"), ("Network switches", "32422000")]
REPO = Path(__file__).resolve().parents[1]
_shared: dict[str, Any] = {}


def _database() -> str:
    return fresh_database(SERVER, "ljp_bench_documents")


def _setup() -> dict[str, Any]:
    if _shared:
        return _shared
    from procurement import migrate
    from procurement.factory import create_app
    from procurement.core.clock import now
    from procurement.core.db import db
    from demand.models import Requirement, RequirementStatus
    from procurement.parties.models import Organisation
    from procurement.seed import load_cpv_codes
    from suppliers.models import Supplier
    from tenders.models import (AwardDecision, BidLine, Consensus, Criterion, LineStatus, Lot, LotItem, LotLine,
                                OpenedBid, Standstill, Tender, TenderStatus, Bid, BidStatus, BidVersion, VersionState)

    url = _database()
    migrate.upgrade(url)
    folder = Path(tempfile.mkdtemp(prefix="ljp-bench-documents-"))
    os.environ["INSTANCE_PATH"] = str(folder / "instance")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "BID_SEALING_KEY": "bench", "REDIS_URL": None})
    context = app.app_context()
    context.push()
    session = db.session
    load_cpv_codes(session)
    print(f"  building a decided tender: {BIDDERS} bidders, {LINES} lines, {ORGANISATIONS} organisations ...", flush=True)
    session.execute(insert(Organisation), [{"name": f"Bench Borough {n}", "kind": "london_borough", "created_at": now()}
                                           for n in range(ORGANISATIONS)])
    organisations = list(session.scalars(select(Organisation.id).order_by(Organisation.id)))
    session.execute(insert(Supplier), [{"legal_name": f"Bench Bidder {n} Ltd", "contact_name": "B",
                                        "contact_email": f"b{n}@bench.example", "created_at": now()} for n in range(BIDDERS)])
    suppliers = list(session.scalars(select(Supplier.id).order_by(Supplier.id)))
    tender = Tender(reference="LC-BENCH-0002", title="Bench joint laptop tender", confirm_by=date.today(),
                    status=TenderStatus.standstill, price_weight=60, submission_deadline=now() - timedelta(days=20),
                    confirmation_closed_at=now())
    session.add(tender)
    session.flush()
    for n, (name, weight) in enumerate((("Delivery and support", 25), ("Social value", 15)), start=1):
        tender.criteria.append(Criterion(number=n, name=name, weight=weight, descriptors=[str(m) for m in range(6)]))
    lots, items = [], []
    for number, (title, cpv) in enumerate(LOT_TITLES, start=1):  # a letter covering three lots runs to two pages
        lot = Lot(number=number, title=title, cpv_code=cpv, unit="each", pool_keys="bench")
        tender.lots.append(lot)
        session.flush()
        lines = LINES if number == 1 else 20
        item = LotItem(lot_id=lot.id, number=1, description=title, cpv_code=cpv, unit="each", quantity=Decimal(lines * 10))
        session.add(item)
        session.flush()
        lots.append(lot)
        items.append(item)
        for n in range(lines):
            requirement = Requirement(organisation_id=organisations[n % ORGANISATIONS], raised_by_label="bench",
                                      cpv_code=cpv, title=f"{title} {n}", specification=title, quantity=Decimal(10),
                                      unit="each", delivery_location="Town Hall", needed_by=date.today() + timedelta(days=90),
                                      baseline_unit_price=Decimal("900.00"), status=RequirementStatus.committed)
            session.add(requirement)
            session.flush()
            session.add(LotLine(lot_id=lot.id, requirement_id=requirement.id, organisation_id=requirement.organisation_id,
                                quantity=Decimal(10), baseline_unit_price=Decimal("900.00"), status=LineStatus.confirmed,
                                lot_item_id=item.id))
    for n, supplier_id in enumerate(suppliers):
        bid = Bid(tender_id=tender.id, supplier_id=supplier_id, status=BidStatus.submitted)
        session.add(bid)
        session.flush()
        session.add(BidVersion(bid_id=bid.id, version=1, state=VersionState.submitted, submitted_at=now() - timedelta(days=21),
                               size=1, digest="0" * 64, sealed=b"x"))
        opened = OpenedBid(tender_id=tender.id, bid_id=bid.id, supplier_id=supplier_id, version=1, digest="0" * 64, intact=True)
        session.add(opened)
        session.flush()
        for k, item in enumerate(items):
            session.add(BidLine(opened_bid_id=opened.id, lot_item_id=item.id, unit_price=Decimal(700 + n + k), tiers=[]))
        for criterion in tender.criteria:
            session.add(Consensus(opened_bid_id=opened.id, criterion_id=criterion.id, score=(n % 5) + 1,
                                  rationale="Evidence in the response: delivery plan, support desk and references"))
    session.flush()
    winner = session.scalars(select(OpenedBid.id).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)).first()
    for lot in lots:
        session.add(AwardDecision(lot_id=lot.id, opened_bid_id=winner, advantages="Lowest price", approved_at=now()))
    session.add(Standstill(tender_id=tender.id, published_at=now(), ends_on=date.today() + timedelta(days=12)))
    lot = lots[0]
    session.flush()
    from tenders.award.evaluation import record_decision_scores

    record_decision_scores(session, tender)
    session.commit()
    letter_subject = session.scalars(select(OpenedBid.id).order_by(OpenedBid.id)).all()[5]
    _shared.update(app=app, session=session, tender_id=tender.id, lot_id=lot.id, letter=letter_subject, url=url,
                   folder=folder, workers=[])
    return _shared


def _clear(state: dict[str, Any]) -> None:
    from procurement.core.jobrecords import Job
    from procurement.core.documents import Document

    session = state["session"]
    session.rollback()
    session.execute(delete(Document))
    session.execute(delete(Job))
    session.commit()


def _job_path(state: dict[str, Any], kind_name: str, subject_id: int) -> None:
    from procurement.core.access import SystemActor
    from procurement.core.jobrecords import request_job

    session = state["session"]
    request_job(session, SystemActor("bench"), kind_name, {"award_notice": "lot", "assessment_letter": "opened_bid"}[kind_name],
                subject_id)
    session.commit()  # no Redis: the job runs in-process after the commit, through run_job


def _html(state: dict[str, Any], kind_name: str, subject_id: int) -> tuple[str, str]:
    from tenders.award import documents
    from tenders.award import evaluation

    if "html" not in state.setdefault("cache", {}).setdefault(kind_name, {}):
        session = state["session"]
        tender, subject = documents._subject_of(session, kind_name, subject_id)
        title, html, _ = documents._render(session, tender, evaluation.standstill_of(session, tender), kind_name, subject)
        state["cache"][kind_name] = {"html": html, "title": title}
        session.rollback()
    return state["cache"][kind_name]["html"], state["cache"][kind_name]["title"]


def _weasyprint_only(state: dict[str, Any], kind_name: str, subject_id: int) -> None:
    """WeasyPrint's own API on the same HTML with the same URL fetcher, metadata and PDF/UA
    variant, as any process would call it: without our render_pdf's garbage-collector pause,
    whose deferred collection the job path pays inside the job."""
    from weasyprint import HTML

    from procurement.core.pdf import BASE_URL, _fetcher

    html, title = _html(state, kind_name, subject_id)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher()).render()
    document.metadata.title = title
    document.metadata.authors = ["London Joint Procurement e-agency"]
    state.setdefault("pages", {})[kind_name] = document.write_pdf(pdf_variant="pdf/ua-1").count(b"/Type /Page\n") or None


def _pages(state: dict[str, Any], kind_name: str) -> str:
    from pypdf import PdfReader

    from procurement.core.documents import Document
    from procurement.core.storage import file_store

    document = state["session"].scalars(select(Document).where(Document.kind == kind_name)).first()
    if document is None:
        return ""
    return f"{len(PdfReader(file_store().open(document.stored_path)).pages)} pages, {document.size:,} bytes"


def _start_workers(state: dict[str, Any], count: int) -> None:
    _stop_workers(state)
    state["app"].config.update(REDIS_URL=REDIS, JOB_RUNNER="rq")
    env = {**os.environ, "DATABASE_URL": state["url"], "REDIS_URL": REDIS, "SECRET_KEY": "bench",
           "BID_SEALING_KEY": "bench", "INSTANCE_PATH": os.environ["INSTANCE_PATH"]}
    state["workers"] = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=REPO, env=env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                        for _ in range(count)]
    time.sleep(4)  # workers started and warmed up (WeasyPrint loaded before forking)


def _stop_workers(state: dict[str, Any]) -> None:
    for worker in state.get("workers", []):
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    state["workers"] = []
    state["app"].config.update(REDIS_URL=None, JOB_RUNNER="inline")


def _pack(state: dict[str, Any]) -> None:
    from procurement.core.access import SystemActor
    from procurement.core.jobrecords import request_job
    from procurement.core.documents import Document

    session = state["session"]
    request_job(session, SystemActor("bench"), "award_pack", "tender", state["tender_id"])
    session.commit()
    expected = len(LOT_TITLES) + BIDDERS + ORGANISATIONS
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        made = session.scalar(select(func.count()).select_from(Document))
        session.rollback()
        if made >= expected:
            return
        time.sleep(0.2)
    raise RuntimeError("the award pack did not finish in 15 minutes")


def _pack_setup(workers: int) -> Any:
    def setup() -> dict[str, Any]:
        state = _setup()
        _start_workers(state, workers)
        return state

    return setup


def _describe_document(kind_name: str) -> Any:
    def describe(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
        return f"{_pages(state, kind_name)}; goal: within 1.15x of WeasyPrint alone on the same HTML"

    return describe


def _describe_pack(workers: int) -> Any:
    def describe(state: dict[str, Any], runs: list[float], base: list[float] | None) -> str:
        import statistics

        state.setdefault("pack_medians", {})[workers] = statistics.median(runs)
        one, two = state["pack_medians"].get(1), state["pack_medians"].get(2)
        speedup = f"; 2 workers are {one / two:.2f}x faster than 1 (goal 1.7x)" if one and two else ""
        if one and two:
            state["figures"] = {"speedup": one / two}
        _stop_workers(state)
        return (f"{len(LOT_TITLES) + BIDDERS + ORGANISATIONS} documents ({len(LOT_TITLES)} notices, {BIDDERS} letters, "
                f"{ORGANISATIONS} order summaries){speedup}")

    return describe


BENCHMARKS = [
    Benchmark("award decision notice (200 lines, 33 organisations) through the job path",
              lambda s: _job_path(s, "award_notice", s["lot_id"]), lambda s: _weasyprint_only(s, "award_notice", s["lot_id"]),
              "WeasyPrint alone on the same HTML (its own API)", setup=_setup, before_each=_clear, interleave=True, repeats=11,
              describe=_describe_document("award_notice"), goal="within 1.15x of WeasyPrint alone",
              met=lambda r: r.ratio is not None and r.ratio <= 1.15),
    Benchmark("assessment summary letter through the job path",
              lambda s: _job_path(s, "assessment_letter", s["letter"]),
              lambda s: _weasyprint_only(s, "assessment_letter", s["letter"]),
              "WeasyPrint alone on the same HTML (its own API)", setup=_setup, before_each=_clear, interleave=True, repeats=15,
              describe=_describe_document("assessment_letter"), goal="within 1.15x of WeasyPrint alone",
              met=lambda r: r.ratio is not None and r.ratio <= 1.15),
    Benchmark(f"award pack for {BIDDERS} bidders, 1 RQ worker", _pack, setup=_pack_setup(1), before_each=_clear,
              describe=_describe_pack(1)),
    Benchmark(f"award pack for {BIDDERS} bidders, 2 RQ workers", _pack, setup=_pack_setup(2), before_each=_clear,
              describe=_describe_pack(2), goal="2 workers at least 1.7x faster than 1",
              met=lambda r: float(figure(r, "speedup", r"are ([\d.]+)x faster")) >= 1.7),
]
