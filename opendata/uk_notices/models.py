"""A Procurement Act notice: its kind, its body (an OCDS release in the UK profile), and where it
stands on its way to the central platform."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from procurement.core.clock import now
from procurement.core.db import Base, str_enum


class NoticeKind(str, enum.Enum):
    UK1 = "UK1"    # pipeline notice
    UK2 = "UK2"    # preliminary market engagement notice
    UK4 = "UK4"    # tender notice
    UK6 = "UK6"    # contract award notice
    UK7 = "UK7"    # contract details notice
    UK12 = "UK12"  # procurement termination notice


class NoticeState(str, enum.Enum):
    draft = "draft"
    submitted = "submitted"
    published = "published"
    rejected = "rejected"
    withdrawn = "withdrawn"


class UkNotice(Base):
    __tablename__ = "uk_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(str_enum(NoticeKind, "uk_notice_kind"))
    state: Mapped[NoticeState] = mapped_column(str_enum(NoticeState, "uk_notice_state"), default=NoticeState.draft)
    tender_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisation.id"))  # a pipeline's authority
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Sent on every submission of this notice, retries included: the platform makes one notice per key.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    created_by_label: Mapped[str] = mapped_column(String(254), default="")
    due_on: Mapped[Optional[date]] = mapped_column(Date)  # a contract details notice: 30 days after the contract
    contract_copy_path: Mapped[str] = mapped_column(String(300), default="")  # a copy of a contract over £5m
    contract_copy_name: Mapped[str] = mapped_column(String(200), default="")
    contract_copy_size: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[Optional[datetime]]
    submission_id: Mapped[str] = mapped_column(String(40), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # the platform's, when it rejects it
    published_at: Mapped[Optional[datetime]]
    platform_notice_id: Mapped[str] = mapped_column(String(60), default="")
    platform_link: Mapped[str] = mapped_column(String(300), default="")
    # Published with no API key configured: on this service only, never on the central platform.
    service_only: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, default="")  # what the agency must know (a period cut short)
    withdrawn_at: Mapped[Optional[datetime]]
    withdrawn_reason: Mapped[str] = mapped_column(String(500), default="")

    __table_args__ = (Index("ix_uk_notice_state", "state"),)

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


KIND_NAMES = {
    NoticeKind.UK1: "Pipeline notice",
    NoticeKind.UK2: "Preliminary market engagement notice",
    NoticeKind.UK4: "Tender notice",
    NoticeKind.UK6: "Contract award notice",
    NoticeKind.UK7: "Contract details notice",
    NoticeKind.UK12: "Procurement termination notice",
}
