"""Supplier companies."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from procurement.core.clock import now
from procurement.core.db import Base, str_enum


class Supplier(Base):
    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    companies_house_number: Mapped[Optional[str]] = mapped_column(String(8), unique=True)
    is_sme: Mapped[bool] = mapped_column(default=False)
    is_voluntary_sector: Mapped[bool] = mapped_column(default=False)
    vat_number: Mapped[Optional[str]] = mapped_column(String(14))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(40))
    # The registered postal address: an assessment summary names the winner's (regulation 31).
    postal_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    # What it wants to hear of: CPV codes (8 digits; a code matches itself and every code
    # below it) and London's sub-regional partnerships (none: all of London).
    alert_cpv_codes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    alert_regions: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(default=now)

    @property
    def org_identifier(self) -> Optional[str]:
        """The identifier UK OCDS data uses for a company."""
        return f"GB-COH-{self.companies_house_number}" if self.companies_house_number else None

    def __repr__(self) -> str:
        return f"<Supplier {self.id} {self.legal_name!r}>"


# Exclusions (Procurement Act 2023 ss.26-29, 57-62; Schedules 6 and 7) -----------------------

class ExclusionDeclaration(Base):
    """What a supplier declares of the exclusion grounds, once, for every procurement: for
    itself, its connected persons and the associated persons it relies on. A change is a new
    version; the old is kept (superseded_at) for the record. Answers are kept as declared, in
    the shape suppliers.exclusions reads: grounds {code: {"applies", "details", "mitigation"}};
    each person {"name", "role", "grounds": [code...], "details", "mitigation"}."""

    __tablename__ = "exclusion_declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    grounds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    connected_persons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    associated_persons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    evidence: Mapped[str] = mapped_column(Text, default="", server_default="")
    declared_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    declared_at: Mapped[datetime] = mapped_column(default=now)
    superseded_at: Mapped[Optional[datetime]]

    __table_args__ = (UniqueConstraint("supplier_id", "version"),)


class DebarmentKind(str, enum.Enum):
    mandatory = "mandatory"
    discretionary = "discretionary"


class DebarmentImport(Base):
    """One import of the published debarment list (s.62): the list as published then. The
    latest import is the list in force; earlier ones are kept for the record."""

    __tablename__ = "debarment_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the file as imported
    rows: Mapped[int]
    imported_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(default=now)


class DebarmentEntry(Base):
    __tablename__ = "debarment_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("debarment_import.id", ondelete="CASCADE"), index=True)
    row: Mapped[int]  # its row in the imported file
    supplier_name: Mapped[str] = mapped_column(String(200))
    normalised_name: Mapped[str] = mapped_column(String(200), index=True)
    companies_house_number: Mapped[Optional[str]] = mapped_column(String(8), index=True)
    grounds: Mapped[str] = mapped_column(String(500))
    kind: Mapped[DebarmentKind] = mapped_column(str_enum(DebarmentKind, "debarment_kind"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    listed_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(500))
