"""Document jobs through a real Redis and real RQ worker processes: a worker killed with
SIGKILL mid-job, Redis flushed between enqueue and pick-up, a job that raises."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import func, select

from procurement.core.db import db
from procurement.core.jobrecords import SENT_AGAIN_NOTE, Job, JobStatus, recover, request_job
from procurement.core.access import SystemActor
from procurement.core.documents import Document
from tests import factories
from tests.integration.jobs.conftest import REPO, run_worker
from tests.integration.jobs.processes import kill_worker


def _worker_env(app):
    return {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
            "SECRET_KEY": "jobs", "BID_SEALING_KEY": "k", "INSTANCE_PATH": app.instance_path}


def _decided(app, bidders=3):
    with app.app_context():
        session = db.session
        world = factories.decided_tender(session) if bidders == 3 else None
        session.commit()  # the award pack's job is enqueued now
        tender_id = world["tender"].id
        job = session.scalars(select(Job).where(Job.kind == "award_pack", Job.subject_id == tender_id)).one()
        return tender_id, job.id


def _job(app, job_id):
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.expunge(job)
        return job


def _running(app):
    with app.app_context():
        return list(db.session.scalars(select(Job.id).where(Job.status == JobStatus.running)))


def _documents(app, tender_id):
    with app.app_context():
        rows = db.session.execute(select(Document.kind, Document.subject_id, func.count()).where(Document.tender_id == tender_id)
                                  .group_by(Document.kind, Document.subject_id)).all()
        return rows


def test_a_worker_killed_mid_job_is_recovered_and_finishes_once(jobs_app):
    app = jobs_app
    tender_id, job_id = _decided(app)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=REPO, env=_worker_env(app),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill while a document job runs, some documents made
            if _documents(app, tender_id) and _running(app):
                break
            time.sleep(0.01)
        kill_worker(worker)  # the work horse and the worker, none left holding a lock
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    running = _running(app)
    assert running, "a job must have been killed while it ran"
    made_before = len(_documents(app, tender_id))
    assert 1 <= made_before < 7
    with app.app_context():
        assert set(running) <= set(recover(app, stale_after=timedelta(0)))
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    for job in running:
        done = _job(app, job)
        assert done.status is JobStatus.done and done.attempts == 2
    assert _job(app, job_id).status is JobStatus.done
    documents = _documents(app, tender_id)
    assert len(documents) == 7 and all(count == 1 for _, _, count in documents)


def test_redis_flushed_before_pick_up_is_recovered_by_the_sweeper(jobs_app):
    from redis import Redis

    app = jobs_app
    tender_id, job_id = _decided(app)
    Redis.from_url(app.config["REDIS_URL"]).flushdb()
    from procurement.core.jobs import queue_for

    assert queue_for(app).count == 0 and _job(app, job_id).status is JobStatus.queued  # the message is gone
    with app.app_context():
        recovered = recover(app)
        kinds = {job.id: job.kind for job in db.session.scalars(select(Job).where(Job.id.in_(recovered)))}
    # The award pack's job, and the emails the decision asked for (its bidders are told).
    assert job_id in recovered and set(kinds.values()) == {"award_pack", "send_email"}
    assert _job(app, job_id).progress_note == SENT_AGAIN_NOTE  # the jobs page says it was sent again
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    assert _job(app, job_id).status is JobStatus.done and len(_documents(app, tender_id)) == 7


def test_a_job_that_raises_is_failed_retried_by_policy_and_shown(jobs_app):
    from rq.job import Job as RQJob

    from procurement.core.jobrecords import rq_id
    from procurement.core.jobs import queue_for

    app = jobs_app
    with app.app_context():
        session = db.session
        world = factories.published_tender(session)  # no award decision: the pack cannot be made
        job = request_job(session, SystemActor("test"), "award_pack", "tender", world["tender"].id)
        agency = world["agency"]
        session.commit()
        job_id, email = job.id, agency.email
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    failed = _job(app, job_id)
    assert failed.status is JobStatus.failed and "has no published award decision" in failed.error
    rq_job = RQJob.fetch(rq_id(job_id), connection=queue_for(app).connection)
    assert rq_job.retries_left == 2 and rq_job.get_status() in ("scheduled", "queued")  # retried by policy
    from tests.conftest import fresh_browser, sign_in

    with app.app_context(), fresh_browser(app) as browser:
        sign_in(browser, email, factories.PASSWORD)
        page = browser.get("/jobs").get_data(as_text=True)
        assert "could not be asked for" in page and "Why: " in page and "has no published award decision" in page
        assert f"/jobs/{job_id}/retry" in page
