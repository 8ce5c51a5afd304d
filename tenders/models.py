"""Joint tenders, their lots, and the per-organisation lines behind every lot quantity."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from procurement.core.clock import now, today
from procurement.core.db import Base, ExactDecimal, str_enum
from demand.models import Requirement
from procurement.parties.models import Organisation


class TenderStatus(str, enum.Enum):
    draft = "draft"                    # formed from pools; buyers confirm their lines; details set
    published = "published"            # open for questions and bids until the deadline
    closed = "closed"                  # past its deadline, the box not yet opened
    opened = "opened"                  # bids decrypted into rows for evaluation
    evaluation = "evaluation"
    award_proposed = "award_proposed"
    standstill = "standstill"
    awarded = "awarded"
    complete = "complete"
    cancelled = "cancelled"            # stopped, with a reason
    unsuccessful = "unsuccessful"      # closed with no bids

    @property
    def label(self) -> str:
        """As people read it on screen."""
        return STATUS_LABELS[self]


STATUS_LABELS = {
    TenderStatus.draft: "Draft", TenderStatus.published: "Open for bids", TenderStatus.closed: "Closed: waiting to be opened",
    TenderStatus.opened: "Opened", TenderStatus.evaluation: "In evaluation", TenderStatus.award_proposed: "Award proposed",
    TenderStatus.standstill: "Standstill", TenderStatus.awarded: "Awarded", TenderStatus.complete: "Complete",
    TenderStatus.cancelled: "Cancelled", TenderStatus.unsuccessful: "Unsuccessful: no bids",
}


class Procedure(str, enum.Enum):
    open = "open"


class ShortPeriodGround(str, enum.Enum):
    """Why a tender may close 10 days after publication instead of 25 (Procurement Act 2023, s.54)."""
    urgency = "urgency"                                        # the authority states why 25 days is impractical
    planned_procurement_notice = "planned_procurement_notice"  # a qualifying UK3 was published 40 days to a year before


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
    # What bidders are told, frozen at publication.
    procedure: Mapped[Procedure] = mapped_column(str_enum(Procedure, "tender_procedure"), default=Procedure.open)
    price_weight: Mapped[int] = mapped_column(default=60)
    price_formula: Mapped[str] = mapped_column(String(40), default="lowest_price_ratio")
    clarification_deadline: Mapped[Optional[datetime]]
    submission_deadline: Mapped[Optional[datetime]]
    expected_award_on: Mapped[Optional[date]] = mapped_column(Date)
    # A tendering period shorter than 25 days needs a ground: its stated urgency, or its planned procurement notice.
    short_period_ground: Mapped[Optional[ShortPeriodGround]] = mapped_column(
        str_enum(ShortPeriodGround, "tender_short_period_ground"))
    short_period_reason: Mapped[str] = mapped_column(String(500), default="")  # the stated urgency
    planned_notice_published_on: Mapped[Optional[date]] = mapped_column(Date)
    planned_notice_reference: Mapped[str] = mapped_column(String(100), default="")
    # The award rules, published with the tender and frozen with it (tenders/optimised_award.py).
    award_optimised: Mapped[bool] = mapped_column(default=False)  # the award may be optimised across lots
    award_max_suppliers_per_lot: Mapped[int] = mapped_column(default=1)
    award_min_share_percent: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2), default=Decimal(0))
    award_max_lots_per_supplier: Mapped[Optional[int]]
    award_min_suppliers: Mapped[int] = mapped_column(default=1)
    award_every_lot: Mapped[bool] = mapped_column(default=True)
    # The lifecycle.
    published_at: Mapped[Optional[datetime]]
    closed_at: Mapped[Optional[datetime]]
    opening_requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    opening_requested_at: Mapped[Optional[datetime]]
    opened_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    opened_at: Mapped[Optional[datetime]]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The tender notice (UK4) on the central platform: while it is submitted and not yet
    # published no bid is taken; its publication starts the tendering period.
    tender_notice_pending: Mapped[bool] = mapped_column(default=False, server_default=false())
    tender_notice_published_at: Mapped[Optional[datetime]]
    wrapped_key: Mapped[Optional[bytes]] = mapped_column(LargeBinary)  # the tender box's data key, wrapped

    lots: Mapped[list["Lot"]] = relationship(back_populates="tender", order_by="Lot.number",
                                             cascade="all, delete-orphan")
    criteria: Mapped[list["Criterion"]] = relationship(order_by="Criterion.number", cascade="all, delete-orphan")
    documents: Mapped[list["TenderDocument"]] = relationship(order_by="TenderDocument.id", cascade="all, delete-orphan")
    amendments: Mapped[list["Amendment"]] = relationship(order_by="Amendment.number", cascade="all, delete-orphan")
    standstill: Mapped[Optional["Standstill"]] = relationship(viewonly=True, uselist=False)

    @property
    def effective_status(self) -> TenderStatus:
        """The status with the clock's due move made: past its deadline a published tender is
        closed. Computed on every read; the move itself is recorded by `flask tenders tick` (on
        a schedule) or by the next act on the tender, never by a read."""
        if self.status is TenderStatus.published and self.submission_deadline is not None and now() >= self.submission_deadline:
            return TenderStatus.closed
        return self.status

    @property
    def forming(self) -> bool:
        """A draft: being formed from pools, its buyers confirming their lines (for display;
        what may be done is asked of tenders.permissions)."""
        return self.status is TenderStatus.draft

    @property
    def stage(self) -> str:
        """The status as people read it, the deadline and standstill's end taken into account
        (computed, never stored)."""
        held = self.standstill
        if self.status is TenderStatus.standstill and held is not None and held.paused_at is None and today() > held.ends_on:
            return "Standstill over: contracts to be entered"
        if self.effective_status is not self.status:
            return "Closed: the deadline has passed"
        return self.status.label

    __table_args__ = (
        # A ground is only as good as what backs it: urgency is stated, a planned notice is dated.
        CheckConstraint("short_period_ground <> 'urgency' OR short_period_reason <> ''",
                        name="short_period_urgency_stated"),
        CheckConstraint("short_period_ground <> 'planned_procurement_notice'"
                        " OR planned_notice_published_on IS NOT NULL", name="short_period_notice_dated"),
    )


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
    estimated_value: Mapped[Optional[Decimal]]           # ex VAT, set by the agency before publication

    tender: Mapped[Tender] = relationship(back_populates="lots")
    lines: Mapped[list["LotLine"]] = relationship(back_populates="lot", order_by="LotLine.id",
                                                  cascade="all, delete-orphan")
    items: Mapped[list["LotItem"]] = relationship(back_populates="lot", order_by="LotItem.number",
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
    lot_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("lot_item.id"))  # set at publication

    lot: Mapped[Lot] = relationship(back_populates="lines")
    requirement: Mapped[Requirement] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (Index("ix_lot_line_organisation_id_status", "organisation_id", "status"),)


class LotItem(Base):
    """One thing a lot buys, with its quantity: the confirmed lines for it, frozen at
    publication. Bids price each item of each lot they cover."""

    __tablename__ = "lot_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    description: Mapped[str] = mapped_column(String(300))
    catalogue_item_id: Mapped[Optional[int]] = mapped_column(ForeignKey("catalogue_item.id"))
    cpv_code: Mapped[str] = mapped_column(ForeignKey("cpv_code.code"))
    unit: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(14, 3))

    lot: Mapped[Lot] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("lot_id", "number"),)


class Criterion(Base):
    """A quality criterion: its weight and what each mark from 0 to 5 means."""

    __tablename__ = "criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[int]
    descriptors: Mapped[list[str]] = mapped_column(JSON)  # six: for marks 0, 1, 2, 3, 4, 5
    pass_mark: Mapped[Optional[int]]

    __table_args__ = (
        UniqueConstraint("tender_id", "number"),
        CheckConstraint("weight > 0 AND weight <= 100", name="weight_range"),
        CheckConstraint("pass_mark IS NULL OR (pass_mark >= 0 AND pass_mark <= 5)", name="pass_mark_range"),
    )


class TenderDocument(Base):
    __tablename__ = "tender_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    amendment_number: Mapped[Optional[int]]
    uploaded_by_label: Mapped[str] = mapped_column(String(254))
    uploaded_at: Mapped[datetime] = mapped_column(default=now)


class Amendment(Base):
    """A formal change after publication, published to every supplier."""

    __tablename__ = "amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    summary: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=now)
    previous_deadline: Mapped[datetime]
    new_deadline: Mapped[datetime]
    published_by_label: Mapped[str] = mapped_column(String(254))

    __table_args__ = (UniqueConstraint("tender_id", "number"),)


class Clarification(Base):
    """A supplier's question and the agency's answer, published to all without the asker."""

    __tablename__ = "clarification"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    asked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=now)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[Optional[datetime]]
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class TenderFollower(Base):
    """A supplier that follows a tender (it asked to, asked a question, or began a bid): it is
    told of each answer published and each amendment."""

    __tablename__ = "tender_follower"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)

    __table_args__ = (UniqueConstraint("tender_id", "supplier_id"),)


class BidStatus(str, enum.Enum):
    draft = "draft"            # being prepared: only its supplier can read it
    submitted = "submitted"    # in the box
    withdrawn = "withdrawn"    # taken out before the deadline


class VersionState(str, enum.Enum):
    submitted = "submitted"    # the version that counts
    superseded = "superseded"  # replaced by a later version
    withdrawn = "withdrawn"    # the bid was withdrawn


class Bid(Base):
    """One supplier's bid for one tender. Its draft and every submitted version are sealed
    with the tender's key; before opening only the facts below are readable."""

    __tablename__ = "bid"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    status: Mapped[BidStatus] = mapped_column(str_enum(BidStatus, "bid_status"), default=BidStatus.draft)
    needs_reconfirmation: Mapped[bool] = mapped_column(default=False)
    draft_sealed: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    draft_saved_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)

    versions: Mapped[list["BidVersion"]] = relationship(order_by="BidVersion.version", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("tender_id", "supplier_id"),)


class BidVersion(Base):
    __tablename__ = "bid_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    state: Mapped[VersionState] = mapped_column(str_enum(VersionState, "bid_version_state"))
    submitted_at: Mapped[datetime]
    submitted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    size: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("bid_id", "version"),)


# Evaluation rows: written only by the opening, from each bid's latest submitted version.

class OpenedBid(Base):
    __tablename__ = "opened_bid"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    version: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    intact: Mapped[bool]
    reconfirmed: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(String(500), default="")


class BidLine(Base):
    """One priced line of an opened bid: an append-only fact table. Written only by the
    opening, in bulk, with ids it has just taken from the tender's own items and from the
    opened bids it created in the same transaction, and each (bid, item) once (a bid pricing
    an item twice is refused when submitted). So it carries no foreign keys and no unique
    index, whose per-row work made opening 600,000 lines 1.6 to 7 times slower (measured in
    psql: 0.51 s with a BRIN index only, 0.99 s with a primary key, 3.5 s with foreign keys);
    the BRIN index serves reading one tender's lines, which are written together."""

    __tablename__ = "bid_line"
    __mapper_args__ = {"primary_key": ["opened_bid_id", "lot_item_id"]}

    opened_bid_id: Mapped[int]
    lot_item_id: Mapped[int]
    unit_price: Mapped[Decimal]
    offer_id: Mapped[Optional[int]]
    capacity: Mapped[Optional[Decimal]] = mapped_column(ExactDecimal(14, 3))
    tiers: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[min, max or null, "unit price"], ...]

    __table_args__ = (Index("ix_bid_line_opened_bid_id", "opened_bid_id", postgresql_using="brin"),)


class BidBundle(Base):
    __tablename__ = "bid_bundle"

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id", ondelete="CASCADE"), index=True)
    lot_numbers: Mapped[list[int]] = mapped_column(JSON)
    discount_percent: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2))


class QualityResponse(Base):
    __tablename__ = "quality_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"filename", "size", "sha256", "data" (base64)}]


# Evaluation and award ----------------------------------------------------------------------

class Evaluator(Base):
    """An agency user on a tender's panel; sees responses only after declaring no conflict of
    interest, and others' marks only after submitting their own."""

    __tablename__ = "evaluator"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    is_lead: Mapped[bool] = mapped_column(default=False)
    declaration: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[Optional[datetime]]
    marks_submitted_at: Mapped[Optional[datetime]]

    __table_args__ = (UniqueConstraint("tender_id", "user_id"),)


class Mark(Base):
    __tablename__ = "mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("evaluator.id", ondelete="CASCADE"), index=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    score: Mapped[int]
    justification: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=now)

    __table_args__ = (
        UniqueConstraint("evaluator_id", "opened_bid_id", "criterion_id"),
        CheckConstraint("score >= 0 AND score <= 5", name="score_range"),
    )


class Consensus(Base):
    """The lead evaluator's moderated score for one bid and criterion, with its rationale."""

    __tablename__ = "consensus"

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    score: Mapped[int]
    rationale: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=now)

    __table_args__ = (
        UniqueConstraint("opened_bid_id", "criterion_id"),
        CheckConstraint("score >= 0 AND score <= 5", name="score_range"),
    )


class LowPriceCheck(Base):
    """An abnormally low total: the supplier is asked to explain; an evaluator accepts or
    rejects the bid for the lot with reasons."""

    __tablename__ = "low_price_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(300))
    decision: Mapped[Optional[str]] = mapped_column(String(8))  # accepted / rejected
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[Optional[datetime]]

    messages: Mapped[list["LowPriceMessage"]] = relationship(order_by="LowPriceMessage.id", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("opened_bid_id", "lot_id"),)


class LowPriceMessage(Base):
    __tablename__ = "low_price_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("low_price_check.id", ondelete="CASCADE"), index=True)
    from_supplier: Mapped[bool]
    author_label: Mapped[str] = mapped_column(String(254))
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(default=now)


class AwardDecision(Base):
    """A lot's award: recommended by the lead evaluator, approved by a second agency user."""

    __tablename__ = "award_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), unique=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id"))
    advantages: Mapped[str] = mapped_column(Text)  # the winning bid's relative advantages, for every bidder
    recommended_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recommended_at: Mapped[datetime] = mapped_column(default=now)
    approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    approved_at: Mapped[Optional[datetime]]


class Standstill(Base):
    """The standstill after the decision is published: 8 working days; a challenge pauses it."""

    __tablename__ = "standstill"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), unique=True)
    published_at: Mapped[datetime]
    ends_on: Mapped[date] = mapped_column(Date)
    challenge: Mapped[str] = mapped_column(Text, default="")
    paused_at: Mapped[Optional[datetime]]
    working_days_left_at_pause: Mapped[Optional[int]]
    # Standstill begins with the day the contract award notice (UK6) is published (s.51):
    # while it waits on the central platform, no contract may be entered.
    notice_pending: Mapped[bool] = mapped_column(default=False, server_default=false())


class TenderParticipant(Base):
    """An organisation taking part in a joint tender (its lines confirmed into a lot): the
    subject of what is made for it alone, such as its order summary."""

    __tablename__ = "tender_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))

    tender: Mapped[Tender] = relationship()
    organisation: Mapped[Organisation] = relationship()

    __table_args__ = (UniqueConstraint("tender_id", "organisation_id"),)


class Contract(Base):
    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))  # a split lot has a contract per supplier
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id"))
    value: Mapped[Decimal]  # ex VAT, exact
    entered_at: Mapped[datetime] = mapped_column(default=now)
    entered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    orders: Mapped[list["CallOffOrder"]] = relationship(order_by="CallOffOrder.id", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("lot_id", "supplier_id"),)


class CallOffOrder(Base):
    """One organisation's order under a lot's contract: its pooled lines at the awarded
    unit price for the pooled quantity; and what it saves against what it paid before."""

    __tablename__ = "call_off_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    lines: Mapped[list[Any]] = mapped_column(JSON)  # [{requirement_id, lot_item, quantity, unit_price, total, baseline}]
    total: Mapped[Decimal]
    baseline: Mapped[Decimal]

    organisation: Mapped[Organisation] = relationship()

    @property
    def saving(self) -> Decimal:
        return self.baseline - self.total


class DecisionScore(Base):
    """Each bid's scores for each lot as they stood when the award decision was published:
    the decision's record, read by the assessment summaries and notices."""

    __tablename__ = "decision_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id", ondelete="CASCADE"))
    position: Mapped[int]  # order in the ranking, 1 first
    total: Mapped[Decimal]
    price_score: Mapped[Decimal] = mapped_column(ExactDecimal(7, 2))
    quality_score: Mapped[Decimal] = mapped_column(ExactDecimal(7, 2))
    eligible: Mapped[bool]
    excluded: Mapped[str] = mapped_column(String(200), default="")
    failed: Mapped[list[int]] = mapped_column(JSON, default=list)
    submitted_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("lot_id", "opened_bid_id"),)


class OptimisedAward(Base):
    """An optimised joint award across lots, worked out by a job from the opened bids and the
    tender's award rules: the allocation, its cost, proven gap, explanation and comparisons,
    and each organisation's share of the saving. The agency may adopt one as its
    recommendation, which then needs the usual second approval."""

    __tablename__ = "optimised_award"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[Optional[int]] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(40))  # optimal | feasible | infeasible | no award found in time
    total: Mapped[Optional[Decimal]]
    lot_by_lot_total: Mapped[Optional[Decimal]]
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=now)
    adopted_at: Mapped[Optional[datetime]]
    adopted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class AwardBasis(str, enum.Enum):
    ranking = "ranking"      # the lot's most advantageous tender: first in the lot's ranking
    optimised = "optimised"  # an adopted optimised award across lots, under the published award rules


class AwardShare(Base):
    """The award decision's one record: who is awarded (a share of) a lot, how much of it, at
    what prices, less what discount, for what value, with what scores, and on what basis.
    Written when the lead recommends (or adopts an optimised award) and again, with the
    scores as decided, when the decision is published. Every page, letter, notice, order,
    report, API response and OCDS release reads the award from here."""

    __tablename__ = "award_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("award_decision.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="CASCADE"), index=True)
    opened_bid_id: Mapped[int] = mapped_column(ForeignKey("opened_bid.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    basis: Mapped[AwardBasis] = mapped_column(str_enum(AwardBasis, "award_basis"))
    optimised_award_id: Mapped[Optional[int]] = mapped_column(ForeignKey("optimised_award.id", ondelete="SET NULL"))
    # How much of the lot: in the lot's unit for a lot of one item, else in percent of the lot.
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(14, 3))
    share_percent: Mapped[Decimal] = mapped_column(ExactDecimal(6, 2))
    unit_prices: Mapped[dict[str, str]] = mapped_column(JSON)  # lot item id -> unit price bid, before any discount
    bid_total: Mapped[Decimal]          # the bid's total for the whole lot, as ranked
    list_value: Mapped[Decimal]         # this share at the bid's prices, before any discount
    discount_percent: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2), default=Decimal(0))
    discount_lots: Mapped[list[int]] = mapped_column(JSON, default=list)  # the lots of the bundle it earns
    value: Mapped[Decimal]              # what the organisations pay: the orders' total
    rank: Mapped[Optional[int]]         # the bid's place in the lot's ranking (None: not eligible)
    price_score: Mapped[Decimal] = mapped_column(ExactDecimal(7, 2))
    quality_score: Mapped[Decimal] = mapped_column(ExactDecimal(7, 2))
    score: Mapped[Decimal] = mapped_column(ExactDecimal(7, 2))

    __table_args__ = (
        UniqueConstraint("lot_id", "opened_bid_id"),
        # A share is part of the lot, and never negative (CAST: SQLite keeps exact decimals as text).
        CheckConstraint("CAST(share_percent AS REAL) > 0 AND CAST(share_percent AS REAL) <= 100", name="share_is_part_of_the_lot"),
        # The discount is stated, not hidden: value is the list value less it.
        CheckConstraint("CAST(discount_percent AS REAL) >= 0 AND CAST(discount_percent AS REAL) < 100", name="discount_is_a_percentage"),
    )

    @property
    def discount(self) -> Decimal:
        return self.list_value - self.value


class ExclusionChoice(str, enum.Enum):
    exclude = "exclude"
    do_not_exclude = "do_not_exclude"


class ExclusionDecision(Base):
    """The agency's decision, for one tender, on a supplier that is excludable (a discretionary
    ground, or a mandatory one it says it has remedied: s.58), with its reasons. Made on what
    was known (`basis`, the declaration version): a newer declaration asks for a new decision."""

    __tablename__ = "exclusion_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="CASCADE"))
    declaration_id: Mapped[Optional[int]] = mapped_column(ForeignKey("exclusion_declaration.id", ondelete="SET NULL"))
    decision: Mapped[ExclusionChoice] = mapped_column(str_enum(ExclusionChoice, "exclusion_choice"))
    reasons: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text, default="", server_default="")  # the grounds as the agency saw them
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=now)

    __table_args__ = (UniqueConstraint("tender_id", "supplier_id"),)


# Conflicts of interest (Procurement Act 2023 ss.81-83) -----------------------------------------

class ConflictStage(str, enum.Enum):
    """When a person declares: before the tender notice, and again once the bidders are known."""

    before_publication = "before_publication"
    bidders_known = "bidders_known"

    @property
    def label(self) -> str:
        return "Before publication" if self is ConflictStage.before_publication else "Once the bidders are known"


class ConflictAnswer(str, enum.Enum):
    none = "none"              # no conflict of interest
    conflict = "conflict"      # a conflict of interest
    potential = "potential"    # a potential conflict of interest

    @property
    def label(self) -> str:
        return {"none": "No conflict", "conflict": "A conflict of interest",
                "potential": "A potential conflict of interest"}[self.value]


class ConflictDeclaration(Base):
    """One person's declaration on one tender at one stage; a later one at the same stage
    replaces it (a change of circumstances) but every declaration is kept."""

    __tablename__ = "conflict_declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    stage: Mapped[ConflictStage] = mapped_column(str_enum(ConflictStage, "conflict_stage"))
    answer: Mapped[ConflictAnswer] = mapped_column(str_enum(ConflictAnswer, "conflict_answer"))
    interest: Mapped[str] = mapped_column(String(300), default="")   # the supplier or interest concerned
    nature: Mapped[str] = mapped_column(Text, default="")            # what the interest is
    bidders: Mapped[list[Any]] = mapped_column(JSON, default=list)   # the bidders' names it was made against
    declared_at: Mapped[datetime] = mapped_column(default=now)


class ConflictAssessment(Base):
    """The agency's conflicts assessment (s.83): the conflicts and potential conflicts it
    identifies, the steps taken to mitigate them, a summary; each review kept, the latest
    current while it has considered every declaration."""

    __tablename__ = "conflict_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    stage: Mapped[ConflictStage] = mapped_column(str_enum(ConflictStage, "conflict_stage"))
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_by_label: Mapped[str] = mapped_column(String(254))
    reviewed_at: Mapped[datetime] = mapped_column(default=now)
    conflicts: Mapped[str] = mapped_column(Text, default="")     # conflicts and potential conflicts identified
    mitigation: Mapped[str] = mapped_column(Text, default="")    # the steps taken to mitigate them
    summary: Mapped[str] = mapped_column(Text)
    considered: Mapped[list[Any]] = mapped_column(JSON, default=list)   # the declarations' ids it considered
    kept_out: Mapped[list[Any]] = mapped_column(JSON, default=list)     # user ids kept out of the evaluation
