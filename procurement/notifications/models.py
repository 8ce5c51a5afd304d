"""A notification to one person, each person's preferences, and each email sent."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from procurement.core.clock import now
from procurement.core.db import Base, str_enum


class Frequency(str, enum.Enum):
    """How a person wants a kind of notification by email (it is always on the site)."""

    immediately = "immediately"
    daily = "daily"      # in one digest a day
    never = "never"


class EmailState(str, enum.Enum):
    pending = "pending"        # an email will be sent for it now
    in_digest = "in_digest"    # waiting for the daily digest
    digested = "digested"      # sent within a digest
    sent = "sent"
    not_wanted = "not_wanted"  # the person asked for none of this kind
    undeliverable = "undeliverable"  # the address bounces; on the site only


class Notification(Base):
    """One thing one person is told. `key` names the event and the person
    ("answer:12:user:7"), so the same event never tells the same person twice."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    statutory: Mapped[bool] = mapped_column(default=False)  # the law requires it be sent: no preference stops it
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # plain text, paragraphs split by a blank line
    link: Mapped[str] = mapped_column(String(500), default="")  # the page, as a path on this service
    created_at: Mapped[datetime] = mapped_column(default=now)
    read_at: Mapped[Optional[datetime]]
    email_state: Mapped[EmailState] = mapped_column(str_enum(EmailState, "email_state"), default=EmailState.pending)

    __table_args__ = (Index("ix_notification_user_id_read_at", "user_id", "read_at"),
                      Index("ix_notification_email_state", "email_state"))


class NotificationPreference(Base):
    __tablename__ = "notification_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency, "frequency"))

    __table_args__ = (UniqueConstraint("user_id", "kind"),)


class OutgoingState(str, enum.Enum):
    queued = "queued"
    sent = "sent"
    failed = "failed"          # a temporary failure after every retry
    undeliverable = "undeliverable"  # refused for good (5xx, Notify's permanent-failure)


class OutgoingEmail(Base):
    """An email to send, written in the transaction that asks for it; `key` (the notification's,
    or a link's) makes it one email however often the job runs. With no SMTP or Notify set up,
    it is kept here and the development outbox shows it."""

    __tablename__ = "outgoing_email"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500), default="", server_default="")  # a path here, or a full URL
    status: Mapped[OutgoingState] = mapped_column(str_enum(OutgoingState, "outgoing_state"), default=OutgoingState.queued)
    provider: Mapped[str] = mapped_column(String(20), default="", server_default="")  # outbox, smtp, notify
    provider_reference: Mapped[str] = mapped_column(String(200), default="", server_default="")  # Message-ID, Notify id
    created_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[Optional[datetime]]
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
