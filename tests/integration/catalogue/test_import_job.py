"""The catalogue import runs as a job on the job table (in-process here, without Redis): the
job row says queued, running, done or failed and how far it got; the import row keeps the
result. Bad rows or an unreadable file are the import's outcome and the job is done; anything
else fails the job, changes nothing, and is tried again."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from catalogue import importing
from catalogue.models import CatalogueImport, ImportOutcome, ImportRowError, Offer
from catalogue.services import JOB_FAILED, import_progress
from procurement.core.db import db
from procurement.core.jobrecords import Job, JobStatus
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in
from tests.integration.catalogue.test_import import BAD_ROWS, GOOD, csv_bytes, offers_of, supplier_user, upload  # noqa: F401


def job_of(app, record):
    with app.app_context():
        job = db.session.get(Job, record.job_id)
        db.session.expunge(job)
        return job


def import_row(app, import_id):
    with app.app_context():
        record = db.session.get(CatalogueImport, import_id)
        live = import_progress(record)
        db.session.expunge_all()
        return record, live


def test_an_upload_asks_for_one_job_whose_row_says_how_it_went(committed_app, supplier_user):
    user_id, _ = supplier_user
    record = upload(committed_app, user_id, csv_bytes(GOOD))
    job = job_of(committed_app, record)
    assert (job.kind, job.subject_type, job.subject_id) == ("catalogue_import", "catalogue_import", record.id)
    assert job.status is JobStatus.done and job.attempts == 1 and job.requested_by_id == user_id
    assert (job.progress, job.progress_note, job.error) == (100, "finished", "")
    assert job.result == {"import_id": record.id, "outcome": "done", "rows": 3, "invalid": 0, "created": 3,
                          "updated": 0, "unchanged": 0}
    assert record.outcome is ImportOutcome.done and record.state == "done"
    assert record.started_at is not None and record.finished_at >= record.started_at


def test_a_rejected_file_is_a_done_job_with_a_rejected_import(committed_app, supplier_user):
    user_id, supplier_id = supplier_user
    record = upload(committed_app, user_id, csv_bytes(GOOD + [row for row, _ in BAD_ROWS]))
    job = job_of(committed_app, record)
    assert job.status is JobStatus.done and job.attempts == 1 and job.error == ""
    assert job.result["outcome"] == "rejected" and job.result["invalid"] == len(BAD_ROWS)
    assert record.outcome is ImportOutcome.rejected and "nothing was imported" in record.message
    assert offers_of(committed_app, supplier_id) == {}


def test_a_file_unreadable_past_its_header_is_a_done_job_with_a_failed_import(committed_app, supplier_user):
    """Past the 8 KB the upload checks, a byte that is not UTF-8: the rows staged before it
    (PostgreSQL's COPY under way) are undone, the import fails with the reason, and the job is
    done: trying the same file again would not help."""
    user_id, supplier_id = supplier_user
    many = [[f"S-{n}", "Stapler", "", "", "", "", "30192000", "each", "3.50", "", "", "", "", "", ""]
            for n in range(400)]
    content = csv_bytes(many) + b"S-X,Bad \xff byte,,,,,30192000,each,1,,,,,,\n"
    assert len(content) > 8192
    record = upload(committed_app, user_id, content, mode="valid_rows")
    job = job_of(committed_app, record)
    assert job.status is JobStatus.done and job.result["outcome"] == "failed"
    assert record.outcome is ImportOutcome.failed and "The CSV file cannot be read" in record.message
    assert offers_of(committed_app, supplier_id) == {}
    with committed_app.app_context():
        assert db.session.scalar(select(func.count()).where(ImportRowError.import_id == record.id)) == 0


def test_a_failure_fails_the_job_changes_nothing_and_a_retry_finishes_it(committed_app, supplier_user, monkeypatch):
    user_id, supplier_id = supplier_user
    merge, calls = importing._merge, []

    def merge_failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("connection lost mid-merge")
        return merge(*args, **kwargs)

    monkeypatch.setattr(importing, "_merge", merge_failing_once)
    record = upload(committed_app, user_id, csv_bytes(GOOD))
    job = job_of(committed_app, record)
    assert job.status is JobStatus.failed and job.attempts == 1 and "connection lost mid-merge" in job.error
    record, live = import_row(committed_app, record.id)
    assert record.outcome is None and record.state == "failed" and record.finished_at is None
    assert live == {"status": "failed", "progress": 0, "note": "", "message": JOB_FAILED, "finished": True}
    assert offers_of(committed_app, supplier_id) == {}
    with committed_app.app_context():
        assert db.session.scalar(select(func.count()).where(ImportRowError.import_id == record.id)) == 0
        agency = factories.user(db.session, "agency")
        db.session.commit()
        with fresh_browser(committed_app) as browser:  # the agency's jobs page shows it and asks again
            sign_in(browser, agency.email, factories.PASSWORD)
            page = browser.get("/jobs").get_data(as_text=True)
            assert "catalogue file offers.csv could not be imported" in page and "Why: " in page
            assert "connection lost mid-merge" in page and "Ask for it again" in page
            retried = browser.post(f"/jobs/{job.id}/retry", data={"csrf_token": csrf_token(browser, "/jobs")})
            assert retried.status_code == 302  # without Redis the job ran again then, in-process
    job = job_of(committed_app, record)
    assert job.status is JobStatus.done and job.attempts == 2 and job.error == ""
    record, live = import_row(committed_app, record.id)
    assert record.outcome is ImportOutcome.done and record.offers_created == 3 and live["finished"] is True
    assert set(offers_of(committed_app, supplier_id)) == {"LAP-1", "MON-1", "CRM-1"}


def test_running_the_job_again_changes_nothing(committed_app, supplier_user):
    from procurement.core.jobrecords import run_job

    user_id, supplier_id = supplier_user
    record = upload(committed_app, user_id, csv_bytes(GOOD))
    with committed_app.app_context():
        job = db.session.get(Job, record.job_id)
        job.status = JobStatus.queued  # as if the sweeper found it again after a lost message
        db.session.commit()
        assert run_job(record.job_id)["outcome"] == "done"
        assert db.session.scalar(select(func.count(Offer.id)).where(Offer.supplier_id == supplier_id)) == 3
    again, _ = import_row(committed_app, record.id)
    assert (again.offers_created, again.finished_at) == (record.offers_created, record.finished_at)
    assert job_of(committed_app, record).attempts == 2


def test_while_queued_the_page_shows_the_jobs_state(committed_app, supplier_user):
    """What the import page polls, before the job has run: the job row's state, not the import's."""
    from catalogue.services import start_import
    from procurement.parties.models import User
    import io

    user_id, _ = supplier_user
    with committed_app.app_context():
        session = db.session
        actor = session.get(User, user_id)
        record = start_import(session, actor, supplier_id=next(iter(actor.supplier_ids)), filename="offers.csv",
                              stream=io.BytesIO(csv_bytes(GOOD)), mode="all_or_nothing", max_bytes=1 << 20)
        session.flush()
        assert record.job.status is JobStatus.queued and record.job_id == record.job.id
        assert import_progress(record) == {"status": "queued", "progress": 0, "note": "", "message": "",
                                           "finished": False}
        record.job.status, record.job.progress, record.job.progress_note = JobStatus.running, 24, "12,000 of 50,000 rows checked"
        assert import_progress(record)["note"] == "12,000 of 50,000 rows checked"
        assert record.state == "running" and import_progress(record)["progress"] == 24
        session.rollback()  # nothing committed, nothing enqueued


def test_the_import_page_shows_the_running_job_and_its_reads_write_nothing(committed_app, supplier_user):
    """While the job runs, the page, its progress.json and the API read the job row; none of
    them writes (a read never writes)."""
    from sqlalchemy import event, update

    from procurement.parties.models import User

    user_id, _ = supplier_user
    record = upload(committed_app, user_id, csv_bytes(GOOD))
    with committed_app.app_context():  # back to mid-run: no outcome yet, the job a quarter through
        db.session.execute(update(CatalogueImport).where(CatalogueImport.id == record.id).values(outcome=None))
        db.session.execute(update(Job).where(Job.id == record.job_id).values(
            status=JobStatus.running, progress=24, progress_note="12,000 of 50,000 rows checked"))
        db.session.commit()
        email = db.session.get(User, user_id).email
        token = factories.token_for(db.session, db.session.get(User, user_id))
        db.session.commit()
        engine = db.bound(committed_app).engine
        with fresh_browser(committed_app) as browser:
            sign_in(browser, email, factories.PASSWORD)
            seen = []

            def record_statement(conn, cursor, statement, *args):
                seen.append(statement)

            event.listen(engine, "before_cursor_execute", record_statement)
            try:
                page = browser.get(f"/catalogue/imports/{record.id}").get_data(as_text=True)
                live = browser.get(f"/catalogue/imports/{record.id}/progress.json").get_json()
                listed = browser.get("/catalogue/imports").get_data(as_text=True)
                api = browser.get(f"/api/v1/catalogue/imports/{record.id}",
                                  headers={"Authorization": f"Bearer {token}"}).get_json()
            finally:
                event.remove(engine, "before_cursor_execute", record_statement)
    assert 'data-finished="false"' in page and "Running" in page and "12,000 of 50,000 rows checked" in page
    assert 'value="24"' in page and "offers added" not in page
    assert live == {"status": "running", "progress": 24, "note": "12,000 of 50,000 rows checked", "message": "",
                    "finished": False}
    assert "Running" in listed
    assert (api["status"], api["outcome"], api["progress"], api["progress_note"]) == (
        "running", None, 24, "12,000 of 50,000 rows checked")
    written = [s for s in seen if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
               and not s.lstrip().startswith("UPDATE api_token SET last_used_at")]
    assert any("FROM job" in s for s in seen) and written == []
