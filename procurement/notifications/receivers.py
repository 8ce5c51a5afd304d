"""What the notifications hear from the kernel: a job that failed for good tells the agency.
Connected in the composition root (the kernel does not import this package)."""
from __future__ import annotations

from typing import Any

from procurement.core.db import db, writing
from procurement.core.jobrecords import KINDS, Job
from procurement.notifications.models import OutgoingEmail, OutgoingState
from procurement.notifications.people import agency_people, london_time, paragraphs
from procurement.notifications.services import SEND_JOB, notify

FAILED_ERROR_SHOWN = 300  # characters of the error in the message


def tell_job_failed(session: Any, job: Job) -> int:
    """The agency's active users, once per job. Failed emails are not announced by email: the
    outbox and the undeliverable notices cover them, and a loop of failures must not start."""
    if job.kind == SEND_JOB:
        return 0
    title = KINDS[job.kind].title if job.kind in KINDS else job.kind.replace("_", " ")
    body = paragraphs(
        f"A background job has failed after {job.attempts} attempt{'s' if job.attempts != 1 else ''} and will not be "
        f"tried again: {title} (job {job.id}), asked for by {job.requested_by_label or 'the service'}.",
        f"It failed at {london_time(job.finished_at)}. The error: {(job.error or 'not recorded')[:FAILED_ERROR_SHOWN]}",
        "Check the jobs page. Once the cause is fixed, the job can be tried again from there.")
    return len(notify(session, agency_people(session), kind="job_failed", key=f"job_failed:{job.id}",
                      subject=f"Background job failed: {title}", body=body, link="/jobs"))


def mark_email_failed(session: Any, job: Job) -> bool:
    """An email whose every attempt failed is marked failed (with why), so that the outbox and
    the jobs page say it was not sent; it is never left looking queued or sent."""
    email = session.get(OutgoingEmail, job.subject_id) if job.subject_type == "outgoing_email" else None
    if email is None or email.status is not OutgoingState.queued:
        return False
    email.status, email.error = OutgoingState.failed, (job.error or "every attempt failed")[:2000]
    return True


def job_failed(job_id: int, **_: Any) -> None:
    """The `job_failed` signal's receiver: in a session of its own, committed."""
    with writing():
        session = db.bound().sessionmaker()
        try:
            job = session.get(Job, job_id)
            if job is None:
                return
            changed = mark_email_failed(session, job) if job.kind == SEND_JOB else bool(tell_job_failed(session, job))
            if changed:
                session.commit()
        finally:
            session.close()
