"""Supplier companies."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from procurement.core.clock import now
from procurement.core.db import Base


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
