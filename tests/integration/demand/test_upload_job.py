"""A requirements file is checked in a job, never in the web request (issue 18, finding 7): the
request receives the file (size, type, header), keeps it in the store and asks for the job;
the job checks every row and writes all or none; the report page and the API show the
status until then. On a database whose commits are real, as a worker sees them."""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from demand import uploads
from demand.models import Requirement, RequirementStatus, RequirementUpload, UploadStatus
from procurement.core.clock import today
from procurement.core.db import db
from procurement.core.jobrecords import Job, JobStatus, run_job
from procurement.core.runner import Runner
from procurement.parties.models import User
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in

HEADER = "title,catalogue_item_id,cpv_code,specification,quantity,unit,delivery_location,needed_by,current_unit_price,notes"


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _good_rows(count: int = 2) -> list[str]:
    soon = (today() + timedelta(days=40)).isoformat()
    return [f"Laptops {n},,30213100,14-inch laptops,{n + 1},each,Town Hall,{soon},845.00," for n in range(count)]


@pytest.fixture()
def buyers(committed_app):
    """Two buyers of two organisations, committed: (own id, other id)."""
    with committed_app.app_context():
        own = factories.user(db.session, "buyer", organisation_id=factories.organisation(db.session).id)
        other = factories.user(db.session, "buyer", organisation_id=factories.organisation(db.session).id)
        db.session.commit()
        return own.id, other.id


@pytest.fixture()
def queue_only(committed_app, monkeypatch):
    """Jobs as in the default set-up, with the runner not started: a commit only queues the job row."""
    monkeypatch.setitem(committed_app.config, "JOB_RUNNER", "thread")
    monkeypatch.setitem(committed_app.extensions, "job_runner", Runner(committed_app))


def _counts(app, organisation_of: int) -> tuple[int, int, int]:
    """(uploads, requirements, requirement-upload jobs) of the user's organisation."""
    with app.app_context():
        user = db.session.get(User, organisation_of)
        organisation_id = next(iter(user.organisation_ids))
        return (db.session.scalar(select(func.count()).select_from(RequirementUpload)
                                  .where(RequirementUpload.organisation_id == organisation_id)),
                db.session.scalar(select(func.count()).select_from(Requirement)
                                  .where(Requirement.organisation_id == organisation_id)),
                db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "requirement_upload")))


def _upload(app, user_id: int, content: bytes, filename: str = "requirements.csv", submit: bool = True):
    with app.app_context():
        actor = db.session.get(User, user_id)
        record = uploads.upload_requirements(db.session, actor, organisation_id=None, filename=filename,
                                             stream=io.BytesIO(content), max_bytes=1 << 20, submit=submit)
        upload_id = record.id
        db.session.commit()  # the job runs now (inline) or is queued (thread)
    return _read(app, upload_id)


def _read(app, upload_id: int):
    with app.app_context():
        record = db.session.get(RequirementUpload, upload_id)
        live = uploads.upload_progress(record)
        job = record.job
        errors = [(e.row_number, e.column) for e in record.errors]
        created = db.session.scalars(select(Requirement.status).where(Requirement.upload_id == upload_id)).all()
        db.session.expunge_all()
        return record, job, live, errors, created


def _form(browser, content: bytes, filename: str = "requirements.csv") -> dict:
    return {"csrf_token": csrf_token(browser, "/requirements/upload"), "submit_now": "y",
            "file": (io.BytesIO(content), filename)}


def test_the_request_checks_no_rows_and_the_job_gives_the_outcome(committed_app, buyers, queue_only):
    own, _ = buyers
    with committed_app.app_context():
        email = db.session.get(User, own).email
    with committed_app.app_context(), fresh_browser(committed_app) as browser:
        sign_in(browser, email, factories.PASSWORD)
        response = browser.post("/requirements/upload", data=_form(browser, _csv(*_good_rows(3))),
                                content_type="multipart/form-data")
        assert response.status_code == 302
        upload_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        record, job, live, _, created = _read(committed_app, upload_id)
        assert record.status is UploadStatus.checking and record.rows_total == 0 and created == []
        assert record.stored_key.startswith("uploads/requirements/") and record.stored_key.endswith(".csv")
        assert (job.kind, job.subject_id, job.status, job.attempts) == ("requirement_upload", upload_id, JobStatus.queued, 0)
        assert live == {"status": "queued", "label": "Waiting to be checked", "progress": 0, "note": "",
                        "message": "", "finished": False}
        page = browser.get(f"/requirements/uploads/{upload_id}").get_data(as_text=True)
        assert 'data-finished="false"' in page and "Waiting to be checked" in page and "progress.js" in page
        assert "Nothing was added" not in page
        assert browser.get(f"/requirements/uploads/{upload_id}/progress.json").get_json()["finished"] is False

    with committed_app.app_context():
        assert run_job(job.id, "test")["outcome"] == "done"  # what the runner does when it claims it
    record, job, live, _, created = _read(committed_app, upload_id)
    assert record.status is UploadStatus.done and record.requirements_created == 3 and record.checked_at
    assert created == [RequirementStatus.submitted] * 3 and job.status is JobStatus.done
    assert live["finished"] is True and live["note"] == "3 rows checked"
    with committed_app.app_context(), fresh_browser(committed_app) as browser:  # requests share the test's context
        sign_in(browser, email, factories.PASSWORD)
        page = browser.get(f"/requirements/uploads/{upload_id}").get_data(as_text=True)
        assert "3 requirements added and submitted" in page and "import-progress" not in page

    with committed_app.app_context():  # as if the sweeper found the job again after a lost message
        db.session.get(Job, job.id).status = JobStatus.queued
        db.session.commit()
        assert run_job(job.id, "test")["created"] == 3
    again, job, _, _, created = _read(committed_app, upload_id)
    assert len(created) == 3 and again.checked_at == record.checked_at and job.attempts == 2


def test_a_bad_header_is_refused_at_once_and_nothing_is_written(committed_app, buyers, queue_only):
    own, _ = buyers
    before = _counts(committed_app, own)
    with committed_app.app_context():
        email = db.session.get(User, own).email
    with committed_app.app_context(), fresh_browser(committed_app) as browser:
        sign_in(browser, email, factories.PASSWORD)
        response = browser.post("/requirements/upload", data=_form(browser, b"colour,size\nred,big\n"),
                                content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Unknown column(s): colour, size" in page and "govuk-error-summary" in page
    assert _counts(committed_app, own) == before


def test_a_zip_bomb_is_refused_by_its_directory_before_anything_unpacks_it(committed_app, buyers):
    """The zip's own record of what it unpacks to is read in the request (cheap: no member is
    unpacked); the API answers 422 naming the field, and nothing is written."""
    own, _ = buyers
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(200):
                member.write(b"<row>" + b" " * (1024 * 1024 - 11) + b"</row>")
    with committed_app.app_context():
        token = factories.token_for(db.session, db.session.get(User, own))
        db.session.commit()
    before = _counts(committed_app, own)
    response = committed_app.test_client().post(
        "/api/v1/requirements/uploads", data={"file": (io.BytesIO(bomb.getvalue()), "requirements.xlsx")},
        headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "unpacks to 200 MB" in response.get_json()["errors"]["file"][0]
    assert _counts(committed_app, own) == before


@pytest.mark.parametrize("content, message", [
    (_csv(*_good_rows(1), *[","] * (uploads.MAX_ROWS + uploads.MAX_BLANK_ROWS + 5)), "more than 5,000 rows"),
    (_csv(*_good_rows(150)) + b"Bad \xff byte,,30213100,x,1,each,Depot,2030-01-01,1,\n", "The CSV file cannot be read"),
])
def test_a_file_that_fails_past_its_header_is_the_uploads_outcome_not_an_error(committed_app, buyers, content,
                                                                                message):
    """Too many rows (counted as they stream) or a byte that is not UTF-8 past the 8 KB the
    request reads: the job is done, the upload rejected with the reason, nothing added."""
    own, _ = buyers
    assert len(content) > 8192
    record, job, live, errors, created = _upload(committed_app, own, content)
    assert record.status is UploadStatus.rejected and message in record.message and created == []
    assert job.status is JobStatus.done and job.error == "" and job.result["outcome"] == "rejected"
    assert live["finished"] is True and live["message"] == record.message and errors == []
    with committed_app.app_context():
        email = db.session.get(User, own).email
    with committed_app.app_context(), fresh_browser(committed_app) as browser:
        sign_in(browser, email, factories.PASSWORD)
        page = browser.get(f"/requirements/uploads/{record.id}")
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert "Download the error report" not in page.get_data(as_text=True)  # no rows to report: the file is the problem


def test_a_failing_job_writes_nothing_and_a_retry_gives_the_outcome(committed_app, buyers, monkeypatch):
    own, _ = buyers
    record_outcome, calls = uploads._record_outcome, []

    def failing_once(*args, **kwargs):
        record_outcome(*args, **kwargs)  # the requirements are flushed, then the connection goes
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("connection lost")

    monkeypatch.setattr(uploads, "_record_outcome", failing_once)
    record, job, live, _, created = _upload(committed_app, own, _csv(*_good_rows(2)))
    assert record.status is UploadStatus.checking and created == []
    assert job.status is JobStatus.failed and "connection lost" in job.error
    assert live == {"status": "failed", "label": "The check stopped", "progress": 0, "note": "",
                    "message": uploads.JOB_FAILED, "finished": True}
    with committed_app.app_context():
        run_job(job.id, "test")
    record, job, _, _, created = _read(committed_app, record.id)
    assert record.status is UploadStatus.done and len(created) == 2 and job.attempts == 2


def test_the_api_answers_202_with_the_upload_and_its_url_then_the_outcome(committed_app, buyers, queue_only):
    own, _ = buyers
    with committed_app.app_context():
        token = factories.token_for(db.session, db.session.get(User, own))
        db.session.commit()
    client, auth = committed_app.test_client(), {"Authorization": f"Bearer {token}"}
    soon = (today() + timedelta(days=40)).isoformat()
    response = client.post("/api/v1/requirements/uploads", headers=auth, content_type="multipart/form-data", data={
        "submit": "false", "file": (io.BytesIO(_csv(*_good_rows(1), f"Past,,30213100,x,0,each,Depot,{soon},800,")),
                                    "requirements.csv")})
    assert response.status_code == 202
    body = response.get_json()
    url = f"/api/v1/requirements/uploads/{body['id']}"
    assert (body["status"], body["job_status"], body["progress"], body["submit"]) == ("checking", "queued", 0, False)
    assert body["url"] == url and response.headers["Location"].endswith(url)
    assert (body["rows_total"], body["errors"], body["checked_at"]) == (0, [], None)
    assert client.get(url, headers=auth).get_json()["status"] == "checking"

    with committed_app.app_context():
        job_id = db.session.get(RequirementUpload, body["id"]).job_id
        run_job(job_id, "test")
    done = client.get(url, headers=auth).get_json()
    assert (done["status"], done["job_status"], done["progress"], done["rows_total"], done["rows_invalid"]) == (
        "rejected", None, 100, 2, 1)
    assert done["errors"] == [{"row_number": 3, "column": "quantity", "message": done["errors"][0]["message"]}]
    assert "nothing was added" in done["message"] and done["checked_at"]


def test_another_organisation_cannot_read_the_uploads_status(committed_app, buyers, queue_only):
    own, other = buyers
    record, *_ = _upload(committed_app, own, _csv(*_good_rows(1)))
    with committed_app.app_context():
        other_user = db.session.get(User, other)
        email, token = other_user.email, factories.token_for(db.session, other_user)
        supplier_email = factories.user(db.session, "supplier").email
        db.session.commit()
    with committed_app.app_context(), fresh_browser(committed_app) as browser:
        sign_in(browser, email, factories.PASSWORD)
        for path in (f"/requirements/uploads/{record.id}", f"/requirements/uploads/{record.id}/progress.json",
                     f"/requirements/uploads/{record.id}/errors.csv"):
            assert browser.get(path).status_code == 404, path
    assert committed_app.test_client().get(f"/api/v1/requirements/uploads/{record.id}",
                                           headers={"Authorization": f"Bearer {token}"}).status_code == 404
    with committed_app.app_context(), fresh_browser(committed_app) as browser:
        sign_in(browser, supplier_email, factories.PASSWORD)
        assert browser.get(f"/requirements/uploads/{record.id}/progress.json").status_code == 404


def test_an_xlsx_is_not_opened_in_the_request_and_its_bad_header_is_the_jobs_outcome(committed_app, buyers,
                                                                                      queue_only, monkeypatch):
    """Opening an XLSX parses its shared strings in full: the request checks only its zip
    directory; the job reads the header with the rows and reports a wrong one."""
    import openpyxl
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["colour", "size"])
    workbook.active.append(["red", "large"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    own, _ = buyers
    opened = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a) or real(*a, **k))
    record, job, _, _, created = _upload(committed_app, own, buffer.getvalue(), filename="requirements.xlsx")
    assert opened == [] and record.status.value == "checking" and created == []
    with committed_app.app_context():
        run_job(job.id)
    record, job, _, _, created = _read(committed_app, record.id)
    assert opened and record.status.value == "rejected" and created == []
    assert "current_unit_price" in record.message or "column" in record.message.lower(), record.message
