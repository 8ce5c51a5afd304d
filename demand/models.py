"""Requirements (one organisation's need for a thing) and their bulk uploads."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.models import CatalogueItem
from procurement.core.clock import now
from procurement.core.db import Base, ExactDecimal, str_enum
from procurement.core.jobrecords import Job
from procurement.parties.models import Organisation


class RequirementStatus(str, enum.Enum):
    draft = "draft"            # being written by the buyer
    submitted = "submitted"    # on the demand board
    pooled = "pooled"          # in a draft joint tender, waiting for the buyer to confirm
    committed = "committed"    # confirmed into a joint tender
    awarded = "awarded"        # its lot was awarded
    fulfilled = "fulfilled"    # delivered
    withdrawn = "withdrawn"    # taken back by the buyer (or, once committed, by the agency)
    cancelled = "cancelled"    # stopped by the agency


class Requirement(Base):
    """One organisation's need: a catalogue item, or a CPV code with a specification."""

    __tablename__ = "requirement"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    raised_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    raised_by_label: Mapped[str] = mapped_column(String(254))
    catalogue_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("catalogue_item.id"))
    cpv_code: Mapped[str] = mapped_column(ForeignKey("cpv_code.code"))
    title: Mapped[str] = mapped_column(String(200))
    specification: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(14, 3))
    unit: Mapped[str] = mapped_column(String(40))
    delivery_location: Mapped[str] = mapped_column(String(200))
    needed_by: Mapped[date] = mapped_column(Date)
    baseline_unit_price: Mapped[Decimal]  # what the organisation pays today, ex VAT
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RequirementStatus] = mapped_column(str_enum(RequirementStatus, "requirement_status"),
                                                      default=RequirementStatus.draft)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    upload_id: Mapped[Optional[int]] = mapped_column(ForeignKey("requirement_upload.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)
    submitted_at: Mapped[Optional[datetime]]

    organisation: Mapped[Organisation] = relationship()
    catalogue_item: Mapped[Optional[CatalogueItem]] = relationship()

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("baseline_unit_price > 0", name="baseline_positive"),
        Index("ix_requirement_organisation_id_status", "organisation_id", "status"),
        Index("ix_requirement_status_needed_by", "status", "needed_by"),
    )


class UploadStatus(str, enum.Enum):
    checking = "checking"  # kept in the store; its job reads and checks the rows
    done = "done"          # every row became a draft or submitted requirement
    rejected = "rejected"  # some row (or the file as a whole) was bad: nothing was written


class RequirementUpload(Base):
    """One uploaded CSV or XLSX of requirements and what came of it (all or nothing). The
    request keeps the file in the store and asks for a job (kind "requirement_upload"), which
    checks every row and gives the outcome; until then the status is "checking" and the job
    row says whether it is queued, running or failed and how far it has got."""

    __tablename__ = "requirement_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_by_label: Mapped[str] = mapped_column(String(254))
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[UploadStatus] = mapped_column(str_enum(UploadStatus, "requirement_upload_status"))
    # The file as received, in the store (None for uploads checked before the job existed).
    stored_key: Mapped[Optional[str]] = mapped_column(String(500))
    file_format: Mapped[Optional[str]] = mapped_column(String(4))
    submit: Mapped[bool] = mapped_column(default=True)  # submitted requirements, or drafts
    job_id: Mapped[Optional[int]] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"), index=True)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_invalid: Mapped[int] = mapped_column(default=0)
    requirements_created: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now)

    checked_at: Mapped[Optional[datetime]]

    job: Mapped[Optional[Job]] = relationship()
    errors: Mapped[list["RequirementUploadError"]] = relationship(
        cascade="all, delete-orphan", order_by="RequirementUploadError.id")

    @property
    def written(self) -> bool:
        """Every row became a requirement (otherwise nothing was written)."""
        return self.status is UploadStatus.done

    @property
    def has_outcome(self) -> bool:
        return self.status is not UploadStatus.checking

    @property
    def state(self) -> str:
        """The outcome once there is one; until then its job's status (queued, running, or
        failed and waiting to be tried again)."""
        if self.has_outcome:
            return self.status.value
        return self.job.status.value if self.job is not None else "queued"


class RequirementUploadError(Base):
    __tablename__ = "requirement_upload_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("requirement_upload.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int]
    column: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(300))
