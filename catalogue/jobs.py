"""Catalogue jobs."""
from __future__ import annotations

import logging

from catalogue.importing import begin_import, progress_reporter, run_import
from catalogue.models import CatalogueImport, ImportStatus
from catalogue.spreadsheets import FileProblem
from procurement.core.access import SystemActor
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.db import db, writing

log = logging.getLogger("procurement.jobs")


def import_catalogue_file(import_id: int) -> dict[str, object]:
    """Run one catalogue import. Idempotent: a finished import is left as it is."""
    with writing():  # on SQLite a job is a writer from its first statement (see db.writing)
        return _import_catalogue_file(import_id)


def _import_catalogue_file(import_id: int) -> dict[str, object]:
    bound = db.bound()
    session = bound.sessionmaker()
    try:
        record = begin_import(session, import_id)
        session.commit()
        if record is None:
            return {"import_id": import_id, "status": "already finished"}
        try:
            record = run_import(session, import_id, progress_reporter(session, bound.engine, import_id))
            record_event(session, SystemActor("job:catalogue_import"), f"catalogue_import.{record.status.value}",
                         subject=record, details={"rows": record.rows_done, "invalid": record.rows_invalid,
                                                  "created": record.offers_created, "updated": record.offers_updated})
            session.commit()
            return {"import_id": import_id, "status": record.status.value}
        except Exception as exc:
            session.rollback()
            failed = session.get(CatalogueImport, import_id)
            failed.status, failed.finished_at = ImportStatus.failed, now()
            failed.message = str(exc) if isinstance(exc, FileProblem) else "The import failed; it will be retried."
            session.commit()
            if isinstance(exc, FileProblem):
                return {"import_id": import_id, "status": "failed", "reason": str(exc)}
            raise
    finally:
        session.close()
