"""The documents table."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from procurement.core.clock import now
from procurement.core.db import Base


class Document(Base):
    """One rendered file. Who may read it is said by its audience: the agency always; plus a
    supplier (a bidder's own letter) or an organisation (its order summary), or every party
    to the tender (a notice)."""

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
    audience_public: Mapped[bool] = mapped_column(default=False)  # every party to the tender
    job_id: Mapped[Optional[int]] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    __table_args__ = (UniqueConstraint("kind", "subject_type", "subject_id", "version"),
                      Index("ix_document_audience", "audience_supplier_id", "audience_organisation_id"))
