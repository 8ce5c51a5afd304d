"""Jobs go through a real Redis to a real RQ worker process, only after the commit."""
from __future__ import annotations

from sqlalchemy import func, select

from procurement.core.access import SystemActor
from procurement.core.audit import AuditEvent, record_event
from procurement.core.db import db
from procurement.core.jobs import enqueue_after_commit, queue_for
from procurement.core.audit import verify_audit_chain
from tests.integration.jobs.conftest import run_worker


def verified_events(app):
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.verified")
                                  .order_by(AuditEvent.seq)).all()


def test_a_job_is_enqueued_after_commit_and_run_by_a_real_worker(jobs_app):
    app = jobs_app
    before = len(verified_events(app))
    with app.app_context():
        session = db.session
        for n in range(3):
            record_event(session, SystemActor("test"), "test.event", details={"n": n})
        enqueue_after_commit(session, verify_audit_chain)
        queue = queue_for(app)
        assert queue.count == 0  # nothing leaves before the commit
        session.commit()
        events = session.scalar(select(func.count(AuditEvent.id)))
        assert queue.count == 1
        job = queue.jobs[0]
        assert job.timeout == 600 and job.retries_left == 3
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    job.refresh()
    assert job.get_status() == "finished"
    assert job.return_value() == {"ok": True, "events_checked": events, "broken_seq": None}
    after = verified_events(app)
    assert len(after) == before + 1
    assert after[-1].details == {"ok": True, "events_checked": events, "broken_seq": None}


def test_a_rolled_back_transaction_enqueues_nothing(jobs_app):
    app = jobs_app
    with app.app_context():
        session = db.session
        record_event(session, SystemActor("test"), "test.event")
        enqueue_after_commit(session, verify_audit_chain)
        session.rollback()
        session.commit()
        assert queue_for(app).count == 0


def test_without_redis_the_same_job_runs_in_process(committed_app):
    app = committed_app
    before = len(verified_events(app))
    with app.app_context():
        session = db.session
        record_event(session, SystemActor("test"), "test.event")
        enqueue_after_commit(session, verify_audit_chain)
        session.commit()
    after = verified_events(app)
    assert len(after) == before + 1 and after[-1].details["ok"] is True


def test_the_schedule_runs_through_rqs_cron_scheduler_and_a_real_worker(jobs_app):
    """`flask cron`'s scheduler enqueues each task at once and then at its interval; a worker
    runs it: a tender whose deadline has passed is closed, with its audit event."""
    from datetime import timedelta

    from procurement.core.clock import now
    from procurement.core.schedule import cron_scheduler
    from tenders.models import Tender, TenderStatus
    from tests import factories

    app = jobs_app
    with app.app_context():
        session = db.session
        tender = factories.published_tender(session)["tender"]
        tender.submission_deadline = now() - timedelta(minutes=1)  # due, as the clock would make it
        session.commit()
        tender_id = tender.id
        scheduler = cron_scheduler(app)
        tasks = [("tenders.tick", 60), ("tenders.draft_reminders", 900), ("tenders.confirmation_reminders", 900),
                 ("parties.prune_sessions", 3600), ("notifications.daily_digest", 3600), ("notices.poll", 300)]
        assert [(j.name, j.interval) for j in scheduler.get_jobs()] == tasks
        assert [j.name for j in scheduler.enqueue_jobs()] == [name for name, _ in tasks]
        assert scheduler.enqueue_jobs() == []  # not again before its interval
        queued = [j.func_name for j in queue_for(app).jobs]  # and the emails the tender's forming asked for
        assert len([name for name in queued if not name.endswith("jobrecords.run_job")]) == len(tasks)
    result = run_worker(app)
    assert result.returncode == 0, result.stderr
    with app.app_context():
        closed = db.session.get(Tender, tender_id)
        assert closed.status is TenderStatus.unsuccessful and closed.closed_at is not None
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "tender.unsuccessful", AuditEvent.subject_id == str(tender_id))) == 1
