"""The shared catalogue: agency-curated items, supplier offers, price history and imports."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from procurement.core.clock import now
from procurement.core.db import Base, ExactDecimal, str_enum
from procurement.core.jobrecords import Job


class OfferStatus(str, enum.Enum):
    draft = "draft"
    published = "published"
    withdrawn = "withdrawn"


class ImportMode(str, enum.Enum):
    all_or_nothing = "all_or_nothing"
    valid_rows = "valid_rows"


class ImportOutcome(str, enum.Enum):
    """What came of an import. Whether it is still queued or running is its job's to say."""

    done = "done"          # rows written (or nothing to change)
    rejected = "rejected"  # all-or-nothing and some row was bad: nothing written
    failed = "failed"      # the file could not be read past its header: nothing written


class CatalogueItem(Base):
    """A supplier-independent definition of a thing, so that demand and offers meet on it."""

    __tablename__ = "catalogue_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    cpv_code: Mapped[str] = mapped_column(ForeignKey("cpv_code.code"), index=True)
    unit: Mapped[str] = mapped_column(String(40))
    key_attributes: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=now)


class Offer(Base):
    """A supplier's priced listing. Price breaks are all-units: [[min_quantity, "unit price"], ...]."""

    __tablename__ = "offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    sku: Mapped[str] = mapped_column(String(64))
    manufacturer: Mapped[str] = mapped_column(String(120), default="")
    manufacturer_part_number: Mapped[str] = mapped_column(String(80), default="")
    part_number_key: Mapped[str] = mapped_column(String(80), default="")
    gtin: Mapped[Optional[str]] = mapped_column(String(14))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    cpv_code: Mapped[str] = mapped_column(ForeignKey("cpv_code.code"))
    unit: Mapped[str] = mapped_column(String(40))
    list_price: Mapped[Decimal]
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2), default=Decimal("20.00"))
    price_breaks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    lead_time_days: Mapped[Optional[int]]
    valid_from: Mapped[Optional[date]] = mapped_column(Date)
    valid_to: Mapped[Optional[date]] = mapped_column(Date)
    status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus, "offer_status"), default=OfferStatus.draft)
    catalogue_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("catalogue_item.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)

    catalogue_item: Mapped[Optional[CatalogueItem]] = relationship()

    @property
    def status_note(self) -> str:
        """What a reader is told of the offer's status: nothing when it is published."""
        return "" if self.status is OfferStatus.published else self.status.value

    __table_args__ = (
        UniqueConstraint("supplier_id", "sku"),
        Index("ix_offer_gtin", "gtin"),
        Index("ix_offer_part_number_key", "part_number_key"),
        Index("ix_offer_cpv_code_list_price", "cpv_code", "list_price"),
        CheckConstraint("list_price > 0", name="list_price_positive"),
    )


class OfferPriceChange(Base):
    """Who changed an offer's price, when, from what to what."""

    __tablename__ = "offer_price_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    changed_at: Mapped[datetime] = mapped_column(default=now)
    changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    changed_by_label: Mapped[str] = mapped_column(String(254))
    import_id: Mapped[Optional[int]] = mapped_column(ForeignKey("catalogue_import.id", ondelete="SET NULL"))
    old_list_price: Mapped[Decimal]
    new_list_price: Mapped[Decimal]
    old_price_breaks: Mapped[list[Any]] = mapped_column(JSON)
    new_price_breaks: Mapped[list[Any]] = mapped_column(JSON)


class CatalogueImport(Base):
    """One uploaded file and, once its job has run, the result: rows, offers and outcome. Its job
    row (kind "catalogue_import") says whether it is queued or running and how far it has got."""

    __tablename__ = "catalogue_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_by_label: Mapped[str] = mapped_column(String(254))
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    file_format: Mapped[str] = mapped_column(String(4))
    mode: Mapped[ImportMode] = mapped_column(str_enum(ImportMode, "import_mode"))
    job_id: Mapped[Optional[int]] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"), index=True)
    outcome: Mapped[Optional[ImportOutcome]] = mapped_column(str_enum(ImportOutcome, "import_outcome"))
    rows_total: Mapped[Optional[int]]
    rows_done: Mapped[int] = mapped_column(default=0)
    rows_invalid: Mapped[int] = mapped_column(default=0)
    offers_created: Mapped[int] = mapped_column(default=0)
    offers_updated: Mapped[int] = mapped_column(default=0)
    offers_unchanged: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]

    job: Mapped[Optional[Job]] = relationship()

    @property
    def state(self) -> str:
        """The outcome once there is one; until then the job's status (queued, running, or failed
        and waiting to be tried again). An import run in-process by the CLI has no job."""
        if self.outcome is not None:
            return self.outcome.value
        return self.job.status.value if self.job is not None else "pending"


class ImportRowError(Base):
    __tablename__ = "import_row_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("catalogue_import.id", ondelete="CASCADE"), index=True)
    row_number: Mapped[int]
    column: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(300))
