"""Catalogue jobs: the import of an uploaded file, a kind of job on the kernel's job table. The
job row says whether it is queued, running or failed and how far it has got; the import row
keeps the result. The composition root registers JOB_KINDS."""
from __future__ import annotations

from typing import Any, Callable

from sqlalchemy.orm import Session

from catalogue.importing import run_import
from procurement.core.jobrecords import Kind, Progress
from procurement.core.jobs import JobOptions

IMPORT_JOB = JobOptions(timeout=3600, retries=2, retry_intervals=(30, 300))


def rows_checked(progress: Progress) -> Callable[[int, int | None], None]:
    """The import's (rows checked, rows estimated) as the job's percent and note. The estimate
    counts lines, so it can fall short of the rows; the percent stops at 99 until the end."""
    def report(done: int, estimated: int | None) -> None:
        if estimated and done <= estimated:
            progress(min(99, done * 100 // estimated), f"{done:,} of {estimated:,} rows checked")
        else:
            progress(0 if not estimated else 99, f"{done:,} rows checked")

    return report


def import_catalogue_file(session: Session, job: Any, progress: Progress) -> dict[str, Any]:
    """Run one catalogue import (job.subject_id). Idempotent: an import that has its outcome is
    left as it is. An unreadable file or rows with errors are the import's outcome, and the job
    is done; anything else raises, so the job fails and is tried again."""
    record = run_import(session, job.subject_id, rows_checked(progress))
    return {"import_id": record.id, "outcome": record.outcome.value if record.outcome else None,
            "rows": record.rows_done, "invalid": record.rows_invalid, "created": record.offers_created,
            "updated": record.offers_updated, "unchanged": record.offers_unchanged}


JOB_KINDS = [Kind("catalogue_import", "Catalogue import", import_catalogue_file, IMPORT_JOB)]
