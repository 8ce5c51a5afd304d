"""Downloading documents (access checked, SHA-256 shown), and the agency's page of jobs."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from procurement.parties.auth import page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import NotFound
from procurement.core.jobrecords import Job, JobStatus, retry_job
from dashboards.plain_words import STATUS_WORDS
from dashboards import documents
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


@bp.route("/jobs")
@login_required
def jobs() -> Any:
    require(access.can_view_jobs(current_user))
    found = db.session.scalars(select(Job).order_by(Job.id.desc()).limit(200)).all()
    return render_template("documents/jobs.html", entries=documents.job_entries(db.session, page_actor(), list(found)),
                           button=ConfirmForm(), can_retry=lambda job: access.can_retry_job(current_user, job),
                           technical=documents.job_technical, status_words=STATUS_WORDS)


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
            "finished": job.status in (JobStatus.done, JobStatus.failed), "attempts": job.attempts}


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
