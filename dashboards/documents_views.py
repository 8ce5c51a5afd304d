"""Downloading documents (access checked, SHA-256 shown), and the agency's page of jobs."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import NotFound
from procurement.core.jobrecords import Job, JobStatus, retry_job
from dashboards.plain_words import STATUS_WORDS
from dashboards import documents, plain_words
from dashboards.forms import WhoWhatWhenForm
from procurement.core.http import send_stored
from procurement.core.storage import file_store
from procurement.parties.forms import ConfirmForm

bp = Blueprint("documents", __name__, template_folder="templates")


@bp.route("/documents/<int:document_id>")
@login_required
def download(document_id: int) -> Any:
    document = documents.get_document(db.session, page_actor(), document_id)
    return send_stored(file_store(db.session), document.stored_path,
                       download_name=documents.name_document(db.session, document).file_name,
                       size=document.size, sha256=document.sha256, mimetype="application/pdf")


@bp.app_template_global("named_documents")
def named_documents(found: list[Any]) -> list[documents.NamedDocument]:
    """For documents/_list.html, on whichever page lists documents: each one's name, subject and file name."""
    return documents.name_documents(db.session, list(found or []))


@bp.app_template_global("job_state")
def job_state(job: Job) -> str:
    """A job's state in a word ('Waiting', 'Done'), for documents/_job.html on any page."""
    return STATUS_WORDS.get(job.status.value, job.status.value)


@bp.app_template_global("job_words")
def job_words(job: Job) -> str:
    """How far a job has got, or what happened to it, in words."""
    said = [plain_words.progress_words(job.status.value, job.progress, job.progress_note),
            *plain_words.job_story(job.attempts, job.progress_note, job.error)]
    return ". ".join(line for line in said if line)


@bp.route("/jobs")
@login_required
def jobs() -> Any:
    """The background jobs in words, filtered by who asked, what kind and when, paged."""
    require(access.can_view_jobs(current_user))
    form = WhoWhatWhenForm(request.args, who=documents.job_who_choices(db.session), what=plain_words.job_what_choices())
    valid = form.validate()
    page = (form.page.data or 1) if valid else 1
    wanted = documents.JobFilter(form.who.data or "", form.what.data or "", form.start.data, form.end.data)
    found, total = documents.job_page(db.session, wanted, page) if valid else ([], 0)
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    return render_template("documents/jobs.html", entries=documents.job_entries(db.session, page_actor(), found),
                           button=ConfirmForm(), can_retry=lambda job: access.can_retry_job(current_user, job),
                           technical=documents.job_technical, status_words=STATUS_WORDS,
                           form=form if form.errors else None, filter_form=form, total=total, page=page,
                           page_size=documents.JOBS_PAGE_SIZE, args=args, filtered=bool(args)), 200 if valid else 400


@bp.route("/jobs/<int:job_id>.json")
@login_required
def job_status(job_id: int) -> Any:
    """Polled by pages for a job's live progress: the agency's, or the job of whoever asked for
    it (a buyer's savings report)."""
    job = db.session.get(Job, job_id)
    require(access.can_view_jobs(current_user) or (job is not None and job.requested_by_id == current_user.id))
    if job is None:
        raise NotFound("No such job")
    return {"status": job.status.value, "progress": job.progress, "note": job.progress_note, "error": job.error,
            "finished": job.status in (JobStatus.done, JobStatus.failed), "attempts": job.attempts,
            "state": job_state(job), "words": job_words(job)}


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@login_required
def retry(job_id: int) -> Any:
    require(access.can_view_jobs(current_user))
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("No such job")
    if ConfirmForm().validate_on_submit():
        if verdict := access.can_retry_job(current_user, job):
            retry_job(db.session, job)
            flash("Asked for the job again: it is waiting to run", "success")
        else:
            flash(verdict.reason, "error")
    return redirect(url_for("documents.jobs"))
