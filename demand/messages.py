"""What demand tells people: the buyer who uploaded a requirements file, once it is checked."""
from __future__ import annotations

from sqlalchemy.orm import Session

from demand.models import RequirementUpload, UploadStatus
from procurement.notifications.people import paragraphs
from procurement.notifications.services import notify
from procurement.parties.models import User


def tell_upload_checked(session: Session, upload: RequirementUpload) -> int:
    """The upload's outcome, in words, to whoever uploaded it."""
    person = session.get(User, upload.uploaded_by_id) if upload.uploaded_by_id else None
    if person is None or upload.status is UploadStatus.checking:
        return 0
    done = upload.status is UploadStatus.done
    said = "has been added" if done else "was not added"
    body = paragraphs(
        f"Your requirements file {upload.filename} {said}.",
        upload.message,
        "" if done else "See the upload's page for each row with an error, as a file you can correct and upload again.")
    return len(notify(session, [person], kind="import_finished", key=f"requirement_upload:{upload.id}",
                      subject=f"Requirements upload {'finished' if done else 'not added'}: {upload.filename}",
                      body=body, link=f"/requirements/uploads/{upload.id}"))
