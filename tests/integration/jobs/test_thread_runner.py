"""The default set-up's job runner (no Redis): jobs run in a thread of the serving process,
never inside the request that asks for them; a failed attempt is tried again by its kind's
policy; two runners never run one job twice; and a job whose process died is resumed, or
failed with why, by the next runner to start (a real process killed with SIGKILL)."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select

from procurement.core.access import SystemActor
from procurement.core.clock import now
from procurement.core.db import db, writing
from procurement.core.documents import Document
from procurement.core.jobrecords import KINDS, Job, JobOptions, JobStatus, Kind, register_kinds, request_job
from procurement.core.runner import Runner, is_dead, runner_name
from tests import factories
from tests.integration.jobs.conftest import REPO

SYSTEM = SystemActor("test")
PACK = 7  # documents in a decided tender's award pack (tenders.award.documents.pack_contents)
RELEASE = threading.Event()
CALLS: list[tuple[int, str]] = []


def _waits(session: Any, job: Job, progress: Any) -> dict[str, Any]:
    CALLS.append((job.id, threading.current_thread().name))
    assert RELEASE.wait(30), "the test never released the job"
    return {"waited": True}


def _fails_once(session: Any, job: Job, progress: Any) -> dict[str, Any]:
    CALLS.append((job.id, threading.current_thread().name))
    if job.attempts == 1:
        raise RuntimeError("the first attempt fails")
    return {"attempt": job.attempts}


def _always_fails(session: Any, job: Job, progress: Any) -> dict[str, Any]:
    raise RuntimeError("nothing works")


def _counts(session: Any, job: Job, progress: Any) -> dict[str, Any]:
    CALLS.append((job.id, threading.current_thread().name))
    return {}


TEST_KINDS = [Kind("test_waits", "Waits", _waits, JobOptions(retries=0)),
              Kind("test_fails_once", "Fails once", _fails_once, JobOptions(retries=2, retry_intervals=(0,))),
              Kind("test_always_fails", "Always fails", _always_fails, JobOptions(retries=0)),
              Kind("test_counts", "Counts", _counts, JobOptions(retries=1))]


@pytest.fixture()
def thread_app(committed_app: Any) -> Iterator[Any]:
    """The committed app as the default set-up runs it: JOB_RUNNER=thread."""
    app = committed_app
    register_kinds(*TEST_KINDS)
    CALLS.clear()
    RELEASE.clear()
    app.config["JOB_RUNNER"] = "thread"
    try:
        yield app
    finally:
        RELEASE.set()
        runner = app.extensions.pop("job_runner", None)
        if runner is not None:
            runner.stop()
        app.config["JOB_RUNNER"] = "inline"
        for kind in TEST_KINDS:
            KINDS.pop(kind.name, None)
        with app.app_context(), writing():
            db.session.execute(Job.__table__.delete().where(Job.kind.like("test_%")))
            db.session.commit()


def _ask(app: Any, kind: str, subject_id: int = 1) -> int:
    with app.app_context(), writing():
        job = request_job(db.session, SYSTEM, kind, "test", subject_id)
        db.session.commit()  # handed on here: the runner is woken, nothing runs in this thread
        return job.id


def _job(app: Any, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def _until(condition: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.02)


def test_without_redis_the_default_is_the_thread_runner(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from procurement.core.config import load_settings
    from procurement.core.errors import StartupError

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("JOB_RUNNER", raising=False)
    assert load_settings(tmp_path)["JOB_RUNNER"] == "thread"
    assert load_settings(tmp_path, {"REDIS_URL": "redis://127.0.0.1:6379/0"})["JOB_RUNNER"] == "rq"
    assert load_settings(tmp_path, {"TESTING": True})["JOB_RUNNER"] == "inline"
    with pytest.raises(StartupError, match="JOB_RUNNER must be"):
        load_settings(tmp_path, {"JOB_RUNNER": "cron"})
    with pytest.raises(StartupError, match="needs REDIS_URL"):
        load_settings(tmp_path, {"JOB_RUNNER": "rq"})


def test_a_job_runs_in_the_runners_thread_not_in_the_request(thread_app: Any) -> None:
    app = thread_app
    assert app.test_client().get("/healthz").status_code == 200  # a serving process's first request
    runner = app.extensions["job_runner"]
    job_id = _ask(app, "test_waits")  # returns while the job waits: it is not run here
    _until(lambda: CALLS, "the runner to start the job")
    assert CALLS == [(job_id, "job-runner")]
    running = _job(app, job_id)
    assert running.status is JobStatus.running and running.runner == runner.name
    RELEASE.set()
    _until(lambda: _job(app, job_id).status is JobStatus.done, "the job to finish")
    done = _job(app, job_id)
    assert done.result == {"waited": True} and done.attempts == 1 and done.runner == runner.name


def test_a_real_document_job_is_made_by_the_runner(thread_app: Any) -> None:
    app = thread_app
    app.test_client().get("/healthz")
    with app.app_context(), writing():
        world = factories.decided_tender(db.session)
        db.session.commit()  # asks for the award pack
        tender_id = world["tender"].id
        job_id = db.session.scalars(select(Job.id).where(Job.kind == "award_pack", Job.subject_id == tender_id)).one()
    _until(lambda: _unfinished(app) == [], "the award pack and the jobs it asks for", 120)
    with app.app_context():
        made = db.session.scalar(select(func.count()).select_from(Document).where(Document.tender_id == tender_id))
        runners = set(db.session.scalars(select(Job.runner).where(Job.kind != "test_counts")))
    assert made == PACK and _job(app, job_id).status is JobStatus.done
    assert runners == {app.extensions["job_runner"].name}


def _unfinished(app: Any, status: tuple[JobStatus, ...] = (JobStatus.queued, JobStatus.running)) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Job.id).where(Job.status.in_(status)).order_by(Job.id)))


def test_a_failed_attempt_is_tried_again_by_its_kinds_policy_and_a_last_failure_kept(thread_app: Any) -> None:
    app = thread_app
    app.test_client().get("/healthz")
    retried, failing = _ask(app, "test_fails_once"), _ask(app, "test_always_fails")
    _until(lambda: _job(app, retried).status is JobStatus.done, "the retried job")
    _until(lambda: _job(app, failing).status is JobStatus.failed, "the failing job")
    assert _job(app, retried).attempts == 2 and _job(app, retried).result == {"attempt": 2}
    failed = _job(app, failing)
    assert failed.attempts == 1 and failed.error == "RuntimeError: nothing works"


def test_two_runners_on_one_database_run_each_job_once(thread_app: Any) -> None:
    app = thread_app
    app.extensions["job_runner"] = Runner(app)  # not started: commits only queue the rows
    ids = [_ask(app, "test_counts", subject) for subject in range(1, 21)]
    app.extensions.pop("job_runner")
    first, second = Runner(app, poll_seconds=0.05).start(), Runner(app, poll_seconds=0.05).start()
    try:
        _until(lambda: all(_job(app, i).status is JobStatus.done for i in ids), "20 jobs")
    finally:
        first.stop()
        second.stop()
    assert sorted(job_id for job_id, _ in CALLS) == ids
    assert {_job(app, i).runner for i in ids} <= {first.name, second.name}


def _dead_pid() -> int:
    finished = subprocess.run(["true"], check=True)
    process = subprocess.Popen(["true"])
    process.wait()
    assert finished.returncode == 0
    return process.pid


def _claimed_by(app: Any, kind: str, runner: str, attempts: int, heartbeat_ago: timedelta,
                subject_id: int = 1) -> int:
    app.extensions["job_runner"] = Runner(app)
    job_id = _ask(app, kind, subject_id)
    app.extensions.pop("job_runner")
    with app.app_context(), writing():
        job = db.session.get(Job, job_id)
        job.status, job.runner, job.attempts, job.heartbeat_at = JobStatus.running, runner, attempts, now() - heartbeat_ago
        db.session.commit()
    return job_id


def test_the_jobs_of_a_runner_that_died_are_resumed_or_failed_on_the_next_start(thread_app: Any) -> None:
    app = thread_app
    host = socket.gethostname()
    dead_here = _claimed_by(app, "test_counts", f"{host}:{_dead_pid()}:0000", 1, timedelta(0), 1)
    out_of_attempts = _claimed_by(app, "test_counts", f"{host}:{_dead_pid()}:0000", 2, timedelta(0), 2)
    silent_elsewhere = _claimed_by(app, "test_counts", "elsewhere:4242:abcd", 1, timedelta(minutes=10), 3)
    alive_elsewhere = _claimed_by(app, "test_counts", "elsewhere:4343:abcd", 1, timedelta(seconds=5), 4)
    alive_here = _claimed_by(app, "test_counts", f"{host}:{os.getppid()}:0000", 1, timedelta(minutes=10), 5)
    runner = Runner(app, poll_seconds=0.05)
    assert sorted(runner.release_abandoned()) == sorted([dead_here, out_of_attempts, silent_elsewhere])
    assert runner.run_pending() == 2
    for resumed in (dead_here, silent_elsewhere):
        job = _job(app, resumed)
        assert job.status is JobStatus.done and job.attempts == 2 and job.runner == runner.name
    failed = _job(app, out_of_attempts)
    assert failed.status is JobStatus.failed and "stopped after 2 attempt(s)" in failed.error
    for untouched in (alive_elsewhere, alive_here):
        assert _job(app, untouched).status is JobStatus.running


def test_the_death_rule() -> None:
    me, other = Runner(None), Runner(None)  # two runners of this process
    host, pid, _ = me.name.rsplit(":", 2)
    dead = is_dead(me.name, timedelta(minutes=5))
    assert dead(me.name, now())  # its own claim, asked between its jobs: cut short
    assert not dead(other.name, now())
    assert dead(runner_name(), now())  # this host and pid, not a runner of this process: an earlier life
    other.stop()
    assert dead(other.name, now())
    assert dead(f"{host}:{_dead_pid()}:x", now())
    assert not dead(f"{host}:{os.getppid()}:x", now() - timedelta(hours=1))  # alive here, however silent
    assert dead("other:1:x", now() - timedelta(minutes=6)) and not dead("other:1:x", now() - timedelta(minutes=4))
    assert dead("not a runner name", None)


def test_a_runner_process_killed_mid_job_is_resumed_by_the_next_and_finishes_once(thread_app: Any, tmp_path: Any) -> None:
    """`flask jobs run` (a runner process of its own) is killed with SIGKILL while it makes the
    award pack; the next start finds the job, resumes it, and each document exists once."""
    app = thread_app
    app.extensions["job_runner"] = Runner(app)  # not started: the commit only queues the row
    with app.app_context(), writing():
        world = factories.decided_tender(db.session)
        db.session.commit()
        tender_id = world["tender"].id
        job_id = db.session.scalars(select(Job.id).where(Job.kind == "award_pack", Job.subject_id == tender_id)).one()
    app.extensions.pop("job_runner")

    def documents() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(Document).where(Document.tender_id == tender_id))

    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "jobs", "BID_SEALING_KEY": "k",
           "INSTANCE_PATH": app.instance_path, "JOB_POLL_SECONDS": "0.1", "PYTHONPATH": str(REPO)}
    env.pop("REDIS_URL", None)
    log = (tmp_path / "runner.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "jobs", "run"], cwd=REPO, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:  # freeze it, and kill it only if it was caught mid-job with some documents made
            _until(lambda: documents() >= 1 or process.poll() is not None, "the first document", 120)
            os.killpg(process.pid, signal.SIGSTOP)
            if (_unfinished(app, (JobStatus.running,)) and documents() < PACK) or time.monotonic() > deadline:
                break
            os.killpg(process.pid, signal.SIGCONT)
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
    running = _unfinished(app, (JobStatus.running,))
    attempts = {killed: _job(app, killed).attempts for killed in running}  # 0 if killed between claim and start
    assert running, ("a job must have been killed while it ran", (tmp_path / "runner.log").read_text()[-2000:])
    assert 1 <= documents() < PACK
    resumed = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "jobs", "run", "--burst"], cwd=REPO,
                             env=env, capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed or failed the jobs of stopped runners: {running}" in resumed.stdout
    for killed in running:
        done = _job(app, killed)
        assert done.status is JobStatus.done and done.attempts == attempts[killed] + 1
    assert _job(app, job_id).status is JobStatus.done and _unfinished(app) == []
    with app.app_context():
        kinds = db.session.execute(select(Document.kind, Document.subject_id, func.count()).where(
            Document.tender_id == tender_id).group_by(Document.kind, Document.subject_id)).all()
    assert len(kinds) == PACK and all(count == 1 for *_, count in kinds)


def test_a_claim_whose_run_never_started_is_released_by_the_runners_next_pass(thread_app: Any,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The claim commits, then the run cannot begin (SQLite's lock held past the wait, a
    database restart): the job must not stay "running" for the life of the process."""
    from procurement.core import runner as runner_module

    app = thread_app
    app.extensions["job_runner"] = Runner(app)  # not started: the commit only queues the row
    job_id = _ask(app, "test_counts")
    app.extensions.pop("job_runner")
    runner = Runner(app, poll_seconds=0.05)

    def cannot_start(job_id: int, name: str) -> dict:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(runner_module, "run_job", cannot_start)
    assert runner.run_pending(limit=1) == 1
    stuck = _job(app, job_id)
    assert stuck.status is JobStatus.running and stuck.runner == runner.name and stuck.attempts == 0
    monkeypatch.undo()
    assert runner.run_pending() == 1  # its next pass releases its own cut-short claim, then runs it
    done = _job(app, job_id)
    assert done.status is JobStatus.done and done.attempts == 1 and CALLS == [(job_id, "MainThread")]
