"""The service on several machines: two gunicorn instances and one RQ worker, each with an
instance folder of its own (nothing on local disk is shared), on one PostgreSQL database, one
Redis and one file store (the database's, or S3: moto's server, started here). A supplier's
catalogue upload through the first instance is imported by the worker and its report read
through the second; a contract award notice and a savings report the worker makes download
from both, byte for byte the file whose SHA-256 the database keeps. PostgreSQL only: it is
about many machines, each holding its own connections. Each wait is a poll with a deadline
generous enough for a busy machine; on a quiet one the two cases take about 20 s each."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Any, Callable

import pytest
import requests
from sqlalchemy import create_engine, text

from procurement.core.security import DEMO_PASSWORD
from tests.conftest import REDIS_URL, csrf_from, fresh_redis, postgres_database

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SUPPLIER = "supplier.thames@demo.londonconnects.example"
AGENCY = "agency.lead@demo.londonconnects.example"
AWARDED_TENDER = "LC-2026-0001"  # the demo's tender in standstill, its standstill over
S3_BUCKET, S3_PREFIX = "ljp-files", "multi"
AWS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "eu-west-2"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, condition: Callable[[], Any], seconds: float, processes: list[subprocess.Popen] = ()) -> Any:
    """Poll `condition` until it returns something true; fail naming `what` after `seconds`,
    or as soon as one of `processes` has stopped."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = condition()
        except requests.RequestException:
            found = None
        if found:
            return found
        stopped = [p.args[0] for p in processes if p.poll() is not None]
        if stopped:
            pytest.fail(f"waiting for {what}: {stopped} stopped")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds:g} s")
        time.sleep(0.1)


class Machines:
    """The subprocesses of the test, each in a process group of its own, stopped together."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder, self.env, self.processes = folder, env, []

    def run(self, name: str, *args: str) -> None:
        done = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=REPO, env=self._env("setup"),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{name}: {done.stdout[-1500:]}{done.stderr[-1500:]}"

    def start(self, name: str, command: list[str], instance: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("wb")  # a file, never a pipe nobody reads
        process = subprocess.Popen(command, cwd=REPO, env=self._env(instance), stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        log.close()
        self.processes.append(process)
        return process

    def web(self, name: str, port: int) -> str:
        self.start(name, [str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}", "--timeout", "60",
                          "app:app"], instance=name)
        return f"http://127.0.0.1:{port}"

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(self.folder.glob("*.log")))

    def stop(self) -> None:
        for process in self.processes:
            with suppress(ProcessLookupError):  # its whole group: gunicorn's workers, RQ's work horse
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def _env(self, instance: str) -> dict[str, str]:
        folder = self.folder / instance
        folder.mkdir(exist_ok=True)
        return {**self.env, "INSTANCE_PATH": str(folder)}


def s3_server(machines: Machines) -> str:
    """moto's S3-compatible server as a process of the test's own (stopped with the others),
    with the store's bucket: its endpoint."""
    import boto3

    port = free_port()
    process = machines.start("moto", [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], instance="moto")
    endpoint = f"http://127.0.0.1:{port}"
    wait_for("moto's server answering", lambda: requests.get(f"{endpoint}/moto-api/", timeout=2).ok, 60, [process])
    client = boto3.client("s3", endpoint_url=endpoint, region_name=AWS["AWS_DEFAULT_REGION"],
                          aws_access_key_id="test", aws_secret_access_key="test")
    client.create_bucket(Bucket=S3_BUCKET, CreateBucketConfiguration={"LocationConstraint": AWS["AWS_DEFAULT_REGION"]})
    return endpoint


def sign_in(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    token = csrf_from(browser.get(f"{base}/sign-in", timeout=30).text)
    answer = browser.post(f"{base}/sign-in", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    return browser


def catalogue_csv(rows: int) -> bytes:
    lines = ["sku,title,cpv_code,unit,list_price,price_breaks"]
    lines += [f"MULTI-{n:04d},Docking station model {n},30213100,each,{100 + n}.00,10:{95 + n}.00" for n in range(rows)]
    lines.append("MULTI-BAD,A row with no price,30213100,each,,")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("storage", ["database", "s3"])
def test_two_web_instances_and_a_worker_share_one_database_redis_and_file_store(storage: str) -> None:
    database_url = postgres_database(f"ljp_test_multi_{storage}")
    fresh_redis().close()
    folder = Path(tempfile.mkdtemp(prefix="ljp-multi-"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
           "DATABASE_URL": database_url, "SECRET_KEY": "multi-secret", "BID_SEALING_KEY": "multi-sealing-key",
           "STORAGE_URL": "database", "SCHEDULE_IN_PROCESS": "0", **AWS}
    env.pop("REDIS_URL", None)
    machines = Machines(folder, env)
    try:
        if storage == "s3":
            env["S3_ENDPOINT_URL"] = s3_server(machines)
            env["STORAGE_URL"] = f"s3://{S3_BUCKET}/{S3_PREFIX}"
        machines.run("migrations", "db", "upgrade")
        machines.run("the demo", "seed-demo")  # its award pack made in-process, into the shared store
        env["REDIS_URL"] = REDIS_URL
        one, two = machines.web("web-1", free_port()), machines.web("web-2", free_port())
        worker = machines.start("worker", [str(BIN / "flask"), "--app", "app", "worker"], instance="worker")
        for base in (one, two):
            ready = wait_for(f"{base}/readyz", lambda: requests.get(f"{base}/readyz", timeout=5), 90, machines.processes)
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "storage": "ok", "clamd": "not configured"}
        engine = create_engine(database_url)
        try:
            with engine.connect() as connection:
                seeded = connection.scalar(text("SELECT max(id) FROM job"))  # the demo's, made in-process
            _an_upload_through_one_is_imported_by_the_worker_and_read_through_two(one, two, machines)
            _documents_the_worker_makes_download_from_both(one, two, machines, engine, storage, env)
            with engine.connect() as connection:
                asked = connection.scalars(text("SELECT id FROM job WHERE kind IN ('catalogue_import', 'award_pack', "
                                                "'contract_award_notice', 'savings_report') AND id > :seeded"),
                                           {"seeded": seeded}).all()
        finally:
            engine.dispose()
        assert worker.poll() is None
        worked = (folder / "worker.log").read_text(errors="replace")
        assert len(asked) == 4 and all(f"run_job({job_id})" in worked for job_id in asked), asked
        # Nothing was kept on any machine's own disk: every file is in the shared store.
        assert [p.name for name in ("web-1", "web-2", "worker") for p in (folder / name).iterdir()] == []
    except BaseException:
        print(machines.logs())  # shown with the failure
        raise
    finally:
        machines.stop()
    shutil.rmtree(folder, ignore_errors=True)


def _an_upload_through_one_is_imported_by_the_worker_and_read_through_two(one: str, two: str, machines: Machines) -> None:
    supplier = sign_in(one, SUPPLIER)
    token = csrf_from(supplier.get(f"{one}/catalogue/imports", timeout=30).text)
    answer = supplier.post(f"{one}/catalogue/imports", data={"csrf_token": token, "mode": "valid_rows"},
                           files={"file": ("docking-stations.csv", catalogue_csv(40), "text/csv")},
                           allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:1000]
    page = answer.headers["Location"]
    assert re.fullmatch(r"(http://[^/]+)?/catalogue/imports/\d+", page), page
    path = re.sub(r"^http://[^/]+", "", page)

    progress = wait_for("the worker importing the upload", lambda: (
        lambda status: status if status["finished"] else None)(supplier.get(f"{two}{path}/progress.json", timeout=5).json()),
        90, machines.processes)
    assert progress["status"] == "done", progress
    report = supplier.get(f"{two}{path}", timeout=30).text
    assert "41 checked, 1 with errors" in report and "40 added, 0 updated, 0 unchanged" in report
    errors = supplier.get(f"{two}{path}/errors.csv", timeout=30)
    assert errors.status_code == 200
    assert errors.text.splitlines()[0] == "row,column,message" and ",list_price," in errors.text.splitlines()[1]
    found = supplier.get(f"{two}/catalogue/my-offers", timeout=30).text
    assert "MULTI-0039" in found or "Docking station model 39" in found


def _documents_the_worker_makes_download_from_both(one: str, two: str, machines: Machines, engine: Any, storage: str,
                                                   env: dict[str, str]) -> None:
    agency = sign_in(one, AGENCY)
    with engine.connect() as connection:
        tender_id = connection.scalar(text("SELECT id FROM tender WHERE reference = :r"), {"r": AWARDED_TENDER})
    # The standstill is over: contracts entered through the first instance ask for the award
    # pack again, whose job asks for the one document missing, the contract award notice.
    token = csrf_from(agency.get(f"{one}/tenders/{tender_id}/evaluation", timeout=30).text)
    entered = agency.post(f"{one}/tenders/{tender_id}/evaluation/contracts", data={"csrf_token": token}, timeout=30)
    assert entered.status_code == 200 and "Contracts entered and orders made" in entered.text, entered.text[:2000]
    # With orders made, a savings report of the tender, asked for through the first instance.
    asked = agency.post(f"{one}/reports/savings", data={"csrf_token": token, "kind": "tender", "tender_id": str(tender_id)},
                        allow_redirects=False, timeout=30)
    assert asked.status_code == 302, asked.text[:2000]
    report_page = re.sub(r"^http://[^/]+", "", asked.headers["Location"])

    page = agency.get(f"{two}{report_page}", timeout=30).text
    job_url = re.search(r'data-progress-url="(/jobs/\d+\.json)"', page).group(1)
    job = wait_for("the savings report's job done", lambda: (
        lambda status: status if status["finished"] else None)(agency.get(f"{two}{job_url}", timeout=5).json()),
        90, machines.processes)
    assert job["status"] == "done", job
    wait_for("the contract award notice made", lambda: _document(engine, "contract_award_notice"), 90, machines.processes)

    for kind in ("savings_report", "contract_award_notice"):
        document_id, sha256, size, key = _document(engine, kind)
        for base in (one, two):
            download = agency.get(f"{base}/documents/{document_id}", timeout=30)
            assert download.status_code == 200, (base, download.text[:500])
            assert download.content.startswith(b"%PDF-") and len(download.content) == size
            assert hashlib.sha256(download.content).hexdigest() == sha256, (kind, base)
        _assert_kept_in_the_shared_store(engine, storage, key, sha256, env)


def _document(engine: Any, kind: str) -> tuple[int, str, int, str] | None:
    with engine.connect() as connection:
        row = connection.execute(text("SELECT id, sha256, size, stored_path FROM document WHERE kind = :k "
                                      "ORDER BY id DESC LIMIT 1"), {"k": kind}).first()
    return tuple(row) if row else None


def _assert_kept_in_the_shared_store(engine: Any, storage: str, key: str, sha256: str, env: dict[str, str]) -> None:
    if storage == "database":
        with engine.connect() as connection:
            kept = connection.scalar(text("SELECT sha256 FROM stored_file WHERE key = :k"), {"k": key})
        assert kept == sha256
        return
    import boto3

    client = boto3.client("s3", endpoint_url=env["S3_ENDPOINT_URL"], region_name=AWS["AWS_DEFAULT_REGION"],
                          aws_access_key_id="test", aws_secret_access_key="test")
    body = client.get_object(Bucket=S3_BUCKET, Key=f"{S3_PREFIX}/{key}")["Body"].read()
    assert hashlib.sha256(body).hexdigest() == sha256
