"""Saving documents once per (kind, subject, version), and reading them with access checks."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.errors import NotFound
from procurement.documents.models import Document
from procurement.documents.storage import FileStorage


def storage() -> FileStorage:
    return FileStorage(Path(current_app.instance_path) / "documents")


def save(session: Session, *, kind: str, subject_type: str, subject_id: int, version: int = 1, title: str,
         file_name: str, data: bytes, job_id: int | None = None, **audience: Any) -> Document:
    """Keep one document per (kind, subject, version): a second run replaces the file and
    keeps the one row."""
    stored_path, digest = storage().put(f"{kind}/{subject_type}-{subject_id}-v{version}-{file_name}", data)
    document = session.scalar(select(Document).where(Document.kind == kind, Document.subject_type == subject_type,
                                                     Document.subject_id == subject_id, Document.version == version))
    if document is None:
        document = Document(kind=kind, subject_type=subject_type, subject_id=subject_id, version=version)
        session.add(document)
    document.title, document.file_name, document.stored_path = title[:300], file_name, stored_path
    document.size, document.sha256, document.job_id = len(data), digest, job_id
    for name, value in audience.items():
        setattr(document, name, value)
    session.flush()
    return document


def may_read(session: Session, actor: Any, document: Document) -> bool:
    if access.has_role(actor, access.AGENCY):
        return True
    if document.audience_supplier_id and access.can_bid_for(actor, document.audience_supplier_id):
        return True
    if document.audience_organisation_id and access.can_act_for_organisation(actor, document.audience_organisation_id):
        return True
    if document.audience_public and document.tender_id:
        from tenders.lifecycle import can_see
        from tenders.models import Tender

        tender = session.get(Tender, document.tender_id)
        return bool(tender and can_see(session, actor, tender))
    return False


def get_document(session: Session, actor: Any, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or not may_read(session, actor, document):
        raise NotFound("No such document")
    return document


def readable(session: Session, actor: Any, tender_id: int) -> list[Document]:
    found = session.scalars(select(Document).where(Document.tender_id == tender_id).order_by(Document.kind, Document.id))
    return [d for d in found if may_read(session, actor, d)]
