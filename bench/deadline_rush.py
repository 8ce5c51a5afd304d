"""The deadline rush: suppliers submit sealed bids over the API to gunicorn and PostgreSQL on
127.0.0.1 in the last seconds before the deadline, and more try just after it. What must hold:
every bid acknowledged (201 with a receipt) before the deadline is in the box exactly once,
with the receipt's digest; every later one is refused (409) and stored nowhere; no 5xx.
Latencies of the submissions are kept for the report.

Used bounded by the test suite (tests/integration/tenders/bidding/test_deadline_rush.py) and in full by
the benchmark (bench/bench_rush.py: 200 suppliers, 200-line bids, 60 s, 50 late)."""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SEALING_KEY = "rush-key"


@dataclass
class Attempt:
    supplier_id: int
    late: bool                 # sent after the deadline on purpose
    status: int = 0
    seconds: float = 0.0
    sent_at: float = 0.0       # seconds from the start of the rush
    digest: str = ""
    error: str = ""


@dataclass
class Rush:
    attempts: list[Attempt] = field(default_factory=list)
    window: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def acknowledged(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == 201]

    @property
    def server_errors(self) -> int:
        return sum(1 for a in self.attempts if a.status >= 500 or a.status == 0)

    def latency_ms(self, quantile: float) -> float:
        times = sorted(a.seconds * 1000 for a in self.attempts if a.status)
        return times[min(len(times) - 1, int(len(times) * quantile))] if times else 0.0

    def summary(self) -> str:
        statuses = Counter(a.status for a in self.attempts)
        return (f"{len(self.attempts)} submissions ({sum(not a.late for a in self.attempts)} in the last {self.window:g} s, "
                f"{sum(a.late for a in self.attempts)} after the deadline): {len(self.acknowledged)} acknowledged, "
                f"{statuses.get(409, 0)} refused, {self.server_errors} server errors; latency p50 "
                f"{self.latency_ms(0.5):.0f} ms, p95 {self.latency_ms(0.95):.0f} ms (median "
                f"{statistics.median([a.seconds * 1000 for a in self.attempts if a.status] or [0]):.0f} ms)")


def prepare(database_url: str, suppliers: int, lines: int, instance: Path) -> dict[str, Any]:
    """A fresh schema with a published tender of one lot of `lines` items, and `suppliers`
    supplier users with API tokens. Returns what the rush needs."""
    from procurement import migrate
    from procurement.factory import create_app
    from procurement.parties.accounts import RoleGrant, create_api_token, create_user
    from procurement.core.access import SystemActor
    from procurement.core.clock import now
    from procurement.core.db import db
    from procurement.parties.models import Role
    from procurement.seed import load_cpv_codes
    from suppliers.services import create_supplier
    from suppliers import exclusions
    from tenders import sealing
    from tenders.models import Criterion, Lot, LotItem, Tender, TenderStatus

    migrate.upgrade(database_url)
    os.environ["INSTANCE_PATH"] = str(instance)
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "rush", "BID_SEALING_KEY": SEALING_KEY, "REDIS_URL": None})
    system = SystemActor("rush")
    with app.app_context():
        session = db.session
        load_cpv_codes(session)
        tender = Tender(reference="LC-RUSH-0001", title="Deadline rush", confirm_by=date.today(), status=TenderStatus.published,
                        published_at=now(), clarification_deadline=now() + timedelta(days=1),
                        submission_deadline=now() + timedelta(days=2), price_weight=80)
        session.add(tender)
        session.flush()
        tender.wrapped_key = sealing.wrap_key(sealing.master_key(SEALING_KEY), sealing.new_data_key(), tender.id)
        tender.criteria.append(Criterion(number=1, name="Quality", weight=20, descriptors=[str(n) for n in range(6)]))
        lot = Lot(number=1, title="Everything", cpv_code="30213100", unit="each", pool_keys="rush")
        tender.lots.append(lot)
        for n in range(1, lines + 1):
            lot.items.append(LotItem(number=n, description=f"Item {n}", cpv_code="30213100", unit="each", quantity=Decimal(10)))
        tokens = {}
        for n in range(suppliers):
            supplier = create_supplier(session, system, legal_name=f"Rush Supplier {n} Ltd",
                                       companies_house_number=f"{77000000 + n:08d}", contact_name="R",
                                       contact_email=f"rush{n}@supplier.example")
            exclusions.declare(session, system, supplier.id, grounds=exclusions.nothing_to_declare(), connected=[],
                               associated=[], evidence="")
            user = create_user(session, system, email=f"rush{n}@supplier.example", full_name=f"Rush {n}",
                               password="rush-password-2026", grants=[RoleGrant(Role.supplier, None, supplier.id)])
            session.flush()
            _token, plain = create_api_token(session, user, name="rush", days=1)
            tokens[supplier.id] = plain
        session.commit()
        return {"tender_id": tender.id, "tokens": tokens, "lines": lines}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(database_url: str, instance: Path, port: int, workers: int = 4) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:port, ready to take requests."""
    env = {**os.environ, "SCHEDULE_IN_PROCESS": "0", "DATABASE_URL": database_url, "SECRET_KEY": "rush", "BID_SEALING_KEY": SEALING_KEY,
           "INSTANCE_PATH": str(instance)}
    env.pop("REDIS_URL", None)  # bids need no jobs
    gunicorn = Path(sys.executable).with_name("gunicorn")
    instance.mkdir(parents=True, exist_ok=True)
    log = instance / "gunicorn.log"  # a file, not a pipe nobody reads: a full pipe would stall the server
    with log.open("wb") as out:
        process = subprocess.Popen([str(gunicorn), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120",
                                    "--log-level", "warning", "app:app"], cwd=REPO, env=env,
                                   stdout=subprocess.DEVNULL, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ocds/releases?limit=1", timeout=2):
                return process
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
    stop(process)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _content(lines: int, rng: random.Random) -> bytes:
    return json.dumps({"lots": [{"lot": 1, "items": [{"item": n, "unit_price": f"{rng.randint(5000, 99999) / 100:.2f}"}
                                                     for n in range(1, lines + 1)]}],
                       "quality": [{"criterion": 1, "text": "Delivery within ten working days across London."}]}).encode()


def rush(database_url: str, port: int, setting: dict[str, Any], window: float, late: int, threads: int = 64) -> Rush:
    """Move the deadline to `window` seconds from now, submit one bid per supplier spread over
    the window (all but `late` suppliers), and `late` more just after the deadline."""
    from sqlalchemy import text

    from procurement.core.db import make_engine

    engine = make_engine(database_url)
    suppliers = list(setting["tokens"])
    on_time, after = suppliers[:len(suppliers) - late], suppliers[len(suppliers) - late:]
    rng = random.Random(2026)
    bodies = {s: _content(setting["lines"], rng) for s in suppliers}
    schedule = [(s, False, window * 0.95 * n / max(1, len(on_time))) for n, s in enumerate(on_time)]
    schedule += [(s, True, window + 0.3 + 0.01 * n) for n, s in enumerate(after)]
    url = f"http://127.0.0.1:{port}/api/v1/opportunities/{setting['tender_id']}/bid/submit"
    with engine.begin() as connection:
        connection.execute(text("UPDATE tender SET submission_deadline = now() + make_interval(secs => :w) WHERE id = :id"),
                           {"w": window, "id": setting["tender_id"]})
    start = time.monotonic()

    def send(entry: tuple[int, bool, float]) -> Attempt:
        supplier_id, is_late, at = entry
        attempt = Attempt(supplier_id, is_late, sent_at=at)
        time.sleep(max(0.0, start + at - time.monotonic()))
        request = urllib.request.Request(url, data=bodies[supplier_id], method="POST", headers={
            "Authorization": f"Bearer {setting['tokens'][supplier_id]}", "Content-Type": "application/json"})
        began = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                attempt.status = response.status
                attempt.digest = json.loads(response.read()).get("digest", "")
        except urllib.error.HTTPError as error:
            attempt.status = error.code
            attempt.error = error.read().decode(errors="replace")[:300]
        except OSError as error:
            attempt.error = str(error)
        attempt.seconds = time.monotonic() - began
        return attempt

    with ThreadPoolExecutor(max_workers=threads) as pool:
        attempts = list(pool.map(send, schedule))
    result = Rush(attempts, window)
    result.problems = check(engine, setting["tender_id"], result)
    engine.dispose()
    return result


def check(engine: Any, tender_id: int, result: Rush) -> list[str]:
    """What the box holds against what the suppliers were told."""
    from sqlalchemy import text

    with engine.connect() as connection:
        stored = connection.execute(text(
            "SELECT b.supplier_id, v.digest FROM bid b JOIN bid_version v ON v.bid_id = b.id "
            "WHERE b.tender_id = :t AND v.state = 'submitted'"), {"t": tender_id}).all()
    by_supplier: dict[int, list[str]] = {}
    for supplier_id, digest in stored:
        by_supplier.setdefault(supplier_id, []).append(digest)
    problems = []
    for attempt in result.attempts:
        held = by_supplier.get(attempt.supplier_id, [])
        if attempt.status == 201 and held != [attempt.digest]:
            problems.append(f"supplier {attempt.supplier_id}: acknowledged, but the box holds {len(held)} bids for it")
        if attempt.status != 201 and held:
            problems.append(f"supplier {attempt.supplier_id}: refused ({attempt.status}), but a bid is in the box")
        if attempt.late and attempt.status != 409:
            problems.append(f"supplier {attempt.supplier_id}: sent after the deadline, answered {attempt.status}")
        if attempt.status >= 500 or attempt.status == 0:
            problems.append(f"supplier {attempt.supplier_id}: {attempt.status or 'no answer'} {attempt.error[:120]}")
    return problems


def run(database_url: str, suppliers: int, lines: int, window: float, late: int, workers: int = 4) -> Rush:
    """The whole thing, on a database of its own: prepare, serve, rush, check, stop."""
    instance = Path(tempfile.mkdtemp(prefix="ljp-rush-")) / "instance"
    setting = prepare(database_url, suppliers, lines, instance)
    port = free_port()
    process = serve(database_url, instance, port, workers)
    try:
        return rush(database_url, port, setting, window, late)
    finally:
        stop(process)
