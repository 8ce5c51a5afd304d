"""What the catalogue tells people: the supplier user who uploaded an import, when it is done."""
from __future__ import annotations

from sqlalchemy.orm import Session

from catalogue.models import CatalogueImport, ImportOutcome
from procurement.notifications.people import paragraphs
from procurement.notifications.services import notify
from procurement.parties.models import User

OUTCOME_WORDS = {  # (the body's words, the subject's)
    ImportOutcome.done: ("has finished", "finished"),
    ImportOutcome.rejected: ("found errors in some rows, so nothing was imported", "not imported"),
    ImportOutcome.failed: ("could not be read, so nothing was imported", "not imported"),
}


def tell_import_finished(session: Session, record: CatalogueImport) -> int:
    """The import's outcome, in words, to whoever uploaded it."""
    person = session.get(User, record.uploaded_by_id) if record.uploaded_by_id else None
    if person is None or record.outcome is None:
        return 0
    said, headline = OUTCOME_WORDS[record.outcome]
    message = record.message.strip()
    body = paragraphs(
        f"Your catalogue import of {record.filename} {said}.",
        message + ("." if message and not message.endswith(".") else ""),
        "See the import's page for each row with an error, as a file you can correct and upload again."
        if record.rows_invalid else "")
    return len(notify(session, [person], kind="import_finished", key=f"catalogue_import:{record.id}",
                      subject=f"Catalogue import {headline}: {record.filename}", body=body,
                      link=f"/catalogue/imports/{record.id}"))
