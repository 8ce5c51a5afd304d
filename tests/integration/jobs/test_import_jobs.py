"""The catalogue import through a real Redis and real RQ worker processes, as a job row: asked
for in the upload's transaction and enqueued after its commit, run by a worker, failed and
retried by the job system's policy, recovered by its sweeper after Redis lost the message."""
from __future__ import annotations

from pathlib import Path

from redis import Redis
from rq.job import Job as RQJob

from catalogue.models import CatalogueImport, ImportOutcome
from procurement.core.db import db
from procurement.core.jobrecords import Job, JobStatus, recover, retry_job, rq_id
from procurement.core.jobs import queue_for
from tests.integration.catalogue.test_import import GOOD, csv_bytes, offers_of, supplier_user, upload  # noqa: F401
from tests.integration.jobs.conftest import run_worker


def _rows(app, import_id):
    with app.app_context():
        record = db.session.get(CatalogueImport, import_id)
        job = record.job
        db.session.expunge_all()
        return record, job


def test_an_upload_is_a_job_a_real_worker_runs(jobs_app, supplier_user):
    app = jobs_app
    user_id, supplier_id = supplier_user
    record = upload(app, user_id, csv_bytes(GOOD))
    record, job = _rows(app, record.id)
    assert job.status is JobStatus.queued and record.state == "queued" and record.outcome is None
    [queued] = queue_for(app).jobs
    assert queued.id == rq_id(job.id) and queued.timeout == 3600 and queued.retries_left == 2
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    record, job = _rows(app, record.id)
    assert job.status is JobStatus.done and job.attempts == 1 and job.progress == 100
    assert record.outcome is ImportOutcome.done and job.result["created"] == 3
    assert set(offers_of(app, supplier_id)) == {"LAP-1", "MON-1", "CRM-1"}


def test_a_failed_import_is_retried_by_policy_and_by_hand(jobs_app, supplier_user):
    """The stored file is missing when the worker runs (a volume not mounted): not the file's
    fault, so the job fails and RQ will try again; asked for again once it is back, it is done."""
    app = jobs_app
    user_id, supplier_id = supplier_user
    record = upload(app, user_id, csv_bytes(GOOD))
    stored = Path(app.instance_path) / record.stored_path  # the local store
    kept = stored.read_bytes()
    stored.unlink()
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    record, job = _rows(app, record.id)
    assert job.status is JobStatus.failed and "FileNotFoundError" in job.error
    assert record.outcome is None and record.state == "failed" and offers_of(app, supplier_id) == {}
    rq_job = RQJob.fetch(rq_id(job.id), connection=queue_for(app).connection)
    assert rq_job.retries_left == 1 and rq_job.get_status() in ("scheduled", "queued")
    stored.write_bytes(kept)
    with app.app_context():
        retry_job(db.session, db.session.get(Job, job.id))
        db.session.commit()
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    record, job = _rows(app, record.id)
    assert job.status is JobStatus.done and job.attempts == 2 and record.outcome is ImportOutcome.done
    assert set(offers_of(app, supplier_id)) == {"LAP-1", "MON-1", "CRM-1"}


def test_redis_flushed_before_pick_up_the_sweeper_recovers_the_import(jobs_app, supplier_user):
    app = jobs_app
    user_id, supplier_id = supplier_user
    record = upload(app, user_id, csv_bytes(GOOD))
    Redis.from_url(app.config["REDIS_URL"]).flushdb()
    assert queue_for(app).count == 0
    with app.app_context():
        assert recover(app) == [record.job_id]
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    record, job = _rows(app, record.id)
    assert job.status is JobStatus.done and record.outcome is ImportOutcome.done
    assert len(offers_of(app, supplier_id)) == 3
