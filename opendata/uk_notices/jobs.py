"""The notices' background work: sending a submitted notice to Find a Tender (or asking where it
stands), as a job kind, and the scheduled task that asks after every submitted notice until the
platform publishes or rejects it. The composition root registers JOB_KINDS and SCHEDULED."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from opendata.uk_notices import services
from procurement.core.db import db, writing
from procurement.core.jobrecords import Job, Kind, Progress
from procurement.core.jobs import JobOptions
from procurement.core.schedule import Task

# A timeout or an unreadable answer fails the attempt and it is tried again with the same key.
SEND_OPTIONS = JobOptions(timeout=120, retries=5, retry_intervals=(30, 60, 300, 900, 3600))
POLL_EVERY_SECONDS = 5 * 60


def send_notice(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    progress(10, "sending to Find a Tender")
    return services.send(session, job.subject_id)


def poll_notices() -> int:
    """Ask after every submitted notice (a send job each, never two at once); idempotent."""
    with writing():
        session = db.bound().sessionmaker()
        try:
            asked = services.ask_after_submitted(session)
            session.commit()
            return asked
        finally:
            session.close()


JOB_KINDS = [Kind(services.SEND_JOB, "Procurement Act notice", send_notice, SEND_OPTIONS)]
SCHEDULED = [Task("notices.poll", POLL_EVERY_SECONDS, poll_notices)]
