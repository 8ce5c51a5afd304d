"""Demand jobs: the check of an uploaded requirements file, a kind of job on the kernel's job
table. The job row says whether it is queued, running or failed and how far it has got; the
upload row keeps the outcome. The composition root registers JOB_KINDS."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalogue.jobs import rows_checked
from demand.uploads import check_upload
from procurement.core.jobrecords import Kind, Progress
from procurement.core.jobs import JobOptions

# A file of at most 5,000 rows checks in seconds; a retry covers a lost connection.
UPLOAD_JOB = JobOptions(timeout=600, retries=2, retry_intervals=(30, 300))


def check_requirement_upload(session: Session, job: Any, progress: Progress) -> dict[str, Any]:
    """Check one upload (job.subject_id). Idempotent: an upload that has its outcome is left as
    it is. Rows with errors or an unreadable file are the upload's outcome, and the job is done;
    anything else raises, so the job fails (nothing written) and is tried again."""
    upload = check_upload(session, job.subject_id, rows_checked(progress))
    return {"upload_id": upload.id, "outcome": upload.status.value, "rows": upload.rows_total,
            "invalid": upload.rows_invalid, "created": upload.requirements_created}


JOB_KINDS = [Kind("requirement_upload", "Requirements upload", check_requirement_upload, UPLOAD_JOB)]
