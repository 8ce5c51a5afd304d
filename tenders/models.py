"""Joint tenders, their lots, and the per-organisation lines behind every lot quantity."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from procurement.core.clock import now
from procurement.core.db import Base, ExactDecimal, str_enum
from procurement.demand.models import Requirement
from procurement.models import Organisation


class TenderStatus(str, enum.Enum):
    draft = "draft"            # formed from pools; buyers confirm their lines
    published = "published"    # open for bids
    closed = "closed"          # past its deadline, box not yet opened
    opened = "opened"          # bids opened for evaluation
    awarded = "awarded"
    cancelled = "cancelled"


class LineStatus(str, enum.Enum):
    pending = "pending"        # the buyer has not answered yet
    confirmed = "confirmed"    # counts in the lot's quantity
    declined = "declined"      # the buyer said no
    dropped = "dropped"        # not confirmed by the date
    withdrawn = "withdrawn"    # the requirement was withdrawn after it joined


class Tender(Base):
    __tablename__ = "tender"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[TenderStatus] = mapped_column(str_enum(TenderStatus, "tender_status"), default=TenderStatus.draft)
    confirm_by: Mapped[date] = mapped_column(Date)
    confirmation_closed_at: Mapped[Optional[datetime]]
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    lots: Mapped[list["Lot"]] = relationship(back_populates="tender", order_by="Lot.number",
                                             cascade="all, delete-orphan")


class Lot(Base):
    __tablename__ = "lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    catalogue_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("catalogue_item.id"))
    cpv_code: Mapped[str] = mapped_column(ForeignKey("cpv_code.code"))
    unit: Mapped[str] = mapped_column(String(40))
    pool_keys: Mapped[str] = mapped_column(String(500))  # the demand-board groups it was formed from
    estimated_unit_price: Mapped[Optional[Decimal]]      # from the catalogue when formed, ex VAT

    tender: Mapped[Tender] = relationship(back_populates="lots")
    lines: Mapped[list["LotLine"]] = relationship(back_populates="lot", order_by="LotLine.id",
                                                  cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("tender_id", "number"),)

    @property
    def quantity(self) -> Decimal:
        """The confirmed sum: only confirmed lines count."""
        return sum((line.quantity for line in self.lines if line.status is LineStatus.confirmed), Decimal(0))


class LotLine(Base):
    """One organisation's requirement in a lot, so every awarded unit traces back to it."""

    __tablename__ = "lot_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(14, 3))
    baseline_unit_price: Mapped[Decimal]
    status: Mapped[LineStatus] = mapped_column(str_enum(LineStatus, "lot_line_status"), default=LineStatus.pending)
    responded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    responded_at: Mapped[Optional[datetime]]

    lot: Mapped[Lot] = relationship(back_populates="lines")
    requirement: Mapped[Requirement] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (Index("ix_lot_line_organisation_id_status", "organisation_id", "status"),)
