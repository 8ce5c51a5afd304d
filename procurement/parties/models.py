"""Organisations, accounts, memberships (roles), API tokens, sign-in attempts and CPV codes."""
from __future__ import annotations

import functools

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from procurement.core.clock import now
from procurement.core.db import Base, str_enum

if TYPE_CHECKING:
    from suppliers.models import Supplier


class OrganisationKind(str, enum.Enum):
    london_borough = "london_borough"
    city_corporation = "city_corporation"
    gla = "gla"
    nhs_body = "nhs_body"
    police = "police"
    fire = "fire"
    transport = "transport"
    housing_association = "housing_association"
    voluntary = "voluntary"
    education = "education"
    library = "library"
    agency = "agency"
    other = "other"

    @property
    def label(self) -> str:
        """As people name it on screen."""
        return KIND_LABELS[self]


KIND_LABELS = {
    OrganisationKind.london_borough: "London borough", OrganisationKind.city_corporation: "City corporation",
    OrganisationKind.gla: "Greater London Authority group", OrganisationKind.nhs_body: "NHS body",
    OrganisationKind.police: "Police", OrganisationKind.fire: "Fire and rescue", OrganisationKind.transport: "Transport",
    OrganisationKind.housing_association: "Housing association", OrganisationKind.voluntary: "Voluntary sector",
    OrganisationKind.education: "Education", OrganisationKind.library: "Library service",
    OrganisationKind.agency: "The e-agency", OrganisationKind.other: "Other public body",
}


class Partnership(str, enum.Enum):
    """London's sub-regional partnerships, by which demand and reports can be filtered."""

    north = "north"
    east = "east"
    south = "south"
    west = "west"
    central = "central"


class Role(str, enum.Enum):
    buyer = "buyer"
    supplier = "supplier"
    agency = "agency"
    admin = "admin"


class CpvLevel(str, enum.Enum):
    division = "division"
    group = "group"
    class_ = "class"
    category = "category"
    subcategory = "subcategory"


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind, "organisation_kind"))
    gss_code: Mapped[Optional[str]] = mapped_column(String(9), unique=True)
    org_identifier: Mapped[Optional[str]] = mapped_column(String(40), unique=True)
    partnership: Mapped[Optional[Partnership]] = mapped_column(str_enum(Partnership, "partnership"))
    annual_savings_target: Mapped[Optional[Decimal]]
    # What it spends a year on procurement: over £100m, it must publish a pipeline notice (UK1).
    annual_spend: Mapped[Optional[Decimal]]
    created_at: Mapped[datetime] = mapped_column(default=now)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="organisation")

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique constraint is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=now)
    # A person who signed up has proved the address by its link; accounts an administrator
    # made are taken as verified.
    email_verified_at: Mapped[Optional[datetime]]
    # Failed sign-ins before this moment no longer count towards a lockout.
    unlocked_at: Mapped[Optional[datetime]]
    # Two-factor sign-in with an authenticator app: the shared secret (base32), kept
    # encrypted with the service's key; enabled once the person has entered a first code.
    totp_secret_encrypted: Mapped[Optional[str]] = mapped_column(String(300))
    totp_enabled_at: Mapped[Optional[datetime]]
    totp_last_step: Mapped[Optional[int]]  # the last code's time step, so no code is used twice
    # A permanent delivery failure (a bounce, Notify's "permanent-failure"): mail stops until
    # the address is changed or an administrator clears it.
    email_undeliverable_at: Mapped[Optional[datetime]]
    email_undeliverable_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    # What the access policy reads.
    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(membership.role for membership in self.memberships)

    @property
    def organisation_ids(self) -> frozenset[int]:
        return frozenset(
            m.organisation_id for m in self.memberships if m.role is Role.buyer and m.organisation_id
        )

    @property
    def supplier_ids(self) -> frozenset[int]:
        return frozenset(
            m.supplier_id for m in self.memberships if m.role is Role.supplier and m.supplier_id
        )

    @property
    def administered_organisation_ids(self) -> frozenset[int]:
        """The organisations whose buyers this person approves."""
        return frozenset(m.organisation_id for m in self.memberships
                         if m.role is Role.buyer and m.organisation_id and m.administers)

    @property
    def administered_supplier_ids(self) -> frozenset[int]:
        """The suppliers whose people this person invites and removes."""
        return frozenset(m.supplier_id for m in self.memberships
                         if m.role is Role.supplier and m.supplier_id and m.administers)

    @property
    def audit_label(self) -> str:
        return self.email

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Membership(Base):
    """A role held by a user: buyer of one organisation, supplier of one supplier, agency, admin."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    organisation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisation.id"))
    supplier_id: Mapped[Optional[int]] = mapped_column(ForeignKey("supplier.id"))
    # The person administers their own organisation or supplier: approves its buyers, or
    # invites and removes the supplier's colleagues.
    administers: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=now)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Optional[Organisation]] = relationship(back_populates="memberships")
    supplier: Mapped[Optional["Supplier"]] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint(
            "(role = 'buyer' AND organisation_id IS NOT NULL AND supplier_id IS NULL)"
            " OR (role = 'supplier' AND supplier_id IS NOT NULL AND organisation_id IS NULL)"
            " OR (role IN ('agency', 'admin') AND organisation_id IS NULL AND supplier_id IS NULL)",
            name="scope_matches_role",
        ),
    )


class ApiToken(Base):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[Optional[datetime]]
    last_used_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()

    def is_usable(self, at: datetime) -> bool:
        return self.revoked_at is None and at < self.expires_at and self.user.active


class UserSession(Base):
    """A signed-in browser: its cookie holds a random token, this row its SHA-256. The server
    ends a session by marking it ended (sign-out, a password change, deactivation), and the
    cookie then signs nobody in."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    ended_at: Mapped[Optional[datetime]]
    ended_because: Mapped[str] = mapped_column(String(40), default="")
    last_seen_at: Mapped[Optional[datetime]]  # touched at most once a minute (idle timeout)


class SignInAttempt(Base):
    """Every sign-in attempt, so lockout works across any number of web processes."""

    __tablename__ = "sign_in_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip_address: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool]
    attempted_at: Mapped[datetime] = mapped_column(default=now)

    __table_args__ = (
        Index("ix_sign_in_attempt_email_attempted_at", "email", "attempted_at"),
        Index("ix_sign_in_attempt_ip_address_attempted_at", "ip_address", "attempted_at"),
    )


class OrganisationDomain(Base):
    """An email domain a member organisation has registered (camden.gov.uk): a buyer may sign
    up only from one of these, and is then approved by that organisation."""

    __tablename__ = "organisation_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    domain: Mapped[str] = mapped_column(String(253), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)

    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (CheckConstraint("domain = lower(domain)", name="domain_lower_case"),)


class LinkPurpose(str, enum.Enum):
    verify_email = "verify_email"
    reset_password = "reset_password"
    change_email = "change_email"
    invitation = "invitation"


class EmailLink(Base):
    """A single-use, time-limited link sent by email. Only the SHA-256 of its token is kept;
    `used_at` is set when it is followed, after which it does nothing."""

    __tablename__ = "email_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[LinkPurpose] = mapped_column(str_enum(LinkPurpose, "link_purpose"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))  # where it was sent (the new address, for a change)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # an invitation's supplier, say
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime]
    used_at: Mapped[Optional[datetime]]


class RecoveryCode(Base):
    """A one-time code that signs in in place of the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)
    used_at: Mapped[Optional[datetime]]


class ApplicationStatus(str, enum.Enum):
    pending = "pending"
    approved = "approved"
    refused = "refused"


class BuyerApplication(Base):
    """A person who signed up as a buyer from an organisation's domain, waiting for that
    organisation's administrator (or the agency) to approve them; approval gives the role."""

    __tablename__ = "buyer_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    job_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus, "application_status"),
                                                      default=ApplicationStatus.pending)
    created_at: Mapped[datetime] = mapped_column(default=now)
    decided_at: Mapped[Optional[datetime]]
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500), default="", server_default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    organisation: Mapped[Organisation] = relationship()


@functools.cache
def cpv_check_digits() -> dict[str, str]:
    """Code -> check digit, from the CPV 2008 file shipped with the app (read once)."""
    import csv
    from importlib import resources

    with resources.files("procurement").joinpath("data/cpv_2008.csv").open(encoding="utf-8") as handle:
        return {row["code"]: row["check_digit"] for row in csv.DictReader(handle)}


class CpvCode(Base):
    """The CPV 2008 main vocabulary (8 digits, without the check digit)."""

    __tablename__ = "cpv_code"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    check_digit: Mapped[str] = mapped_column(String(1))
    description: Mapped[str] = mapped_column(String(400))
    level: Mapped[CpvLevel] = mapped_column(str_enum(CpvLevel, "cpv_level"))
    parent_code: Mapped[Optional[str]] = mapped_column(ForeignKey("cpv_code.code"), index=True)

    __table_args__ = (CheckConstraint("length(code) = 8", name="code_eight_digits"),)

    @property
    def display_code(self) -> str:
        return f"{self.code}-{self.check_digit}"


def lower_email(value: str) -> str:
    return value.strip().lower()


__all__ = [
    "ApiToken",
    "ApplicationStatus",
    "BuyerApplication",
    "EmailLink",
    "LinkPurpose",
    "OrganisationDomain",
    "RecoveryCode",
    "CpvCode",
    "CpvLevel",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "Partnership",
    "Role",
    "SignInAttempt",
    "User",
    "lower_email",
]
