"""Stored documents: the table, the file kept in the store (core.storage), and who a document's audience is.
Saving is once per (kind, subject, version): a second run replaces the file and keeps the row."""
from __future__ import annotations

from procurement.core.access import Actor

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from procurement.core import access
from procurement.core.clock import now
from procurement.core.db import Base
from procurement.core.storage import file_store


class Document(Base):
    """One rendered file. Who may read it is said by its audience: the agency always; plus a
    supplier (a bidder's own letter) or an organisation (its order summary), or every party
    to the tender (a notice). A document with none of these is the agency's alone (an
    evaluation report)."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(200))
    stored_path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    tender_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tender.id"), index=True)
    audience_supplier_id: Mapped[Optional[int]] = mapped_column(ForeignKey("supplier.id"))
    audience_organisation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisation.id"))
    # Every party to the tender (its domain says who), never the public: the column keeps the
    # name it was created with (migration 0007), the attribute says what it means.
    audience_parties: Mapped[bool] = mapped_column("audience_public", default=False)
    job_id: Mapped[Optional[int]] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    __table_args__ = (UniqueConstraint("kind", "subject_type", "subject_id", "version"),
                      Index("ix_document_audience", "audience_supplier_id", "audience_organisation_id"))


def save(session: Session, *, kind: str, subject_type: str, subject_id: int, version: int = 1, title: str,
         file_name: str, data: bytes, job_id: int | None = None, **audience: Any) -> Document:
    """Keep one document per (kind, subject, version): a second run replaces the file and
    keeps the one row."""
    stored = file_store(session).put(f"documents/{kind}/{subject_type}-{subject_id}-v{version}-{file_name}", data)
    stored_path, digest = stored.key, stored.sha256
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


def audience_allows(actor: Actor, document: Document) -> bool:
    """The agency, the supplier or organisation a document is addressed to. Whether a document
    for every party to a tender (audience_parties) reaches the actor is its domain's question."""
    if access.has_role(actor, access.AGENCY):
        return True
    if document.audience_supplier_id and access.can_bid_for(actor, document.audience_supplier_id):
        return True
    return bool(document.audience_organisation_id
                and access.can_act_for_organisation(actor, document.audience_organisation_id))
