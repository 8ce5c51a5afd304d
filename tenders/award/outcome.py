"""A buying organisation's outcome of a joint tender, on screen as soon as the decision is
published: who won each lot it takes part in, the unit price it pays, its own lines with their
value and saving against what it pays today; once contracts are entered, its orders too.

Every figure is read from the award record (`record.lines_of`, the same lines the orders are
made from), never worked out a second way; a buyer sees only its own organisations' lines and
the awarded suppliers, never another organisation's lines or a losing bidder's price."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from demand.models import Requirement
from demand.services import RequirementTender
from procurement.core import access
from procurement.core.access import Actor
from procurement.core.clock import today
from procurement.core.errors import NotFound, PermissionDenied
from procurement.parties.models import Organisation
from tenders.award import record
from tenders.lifecycle import get_tender
from tenders.models import CallOffOrder, Contract, LineStatus, Lot, LotLine, Tender, TenderStatus

DECIDED = (TenderStatus.standstill, TenderStatus.awarded, TenderStatus.complete)
CONTRACTED = (TenderStatus.awarded, TenderStatus.complete)


@dataclass(frozen=True)
class OwnLine:
    organisation: str
    requirement_id: int
    requirement: str
    line: record.OrderLine   # as the award record allocates it

    @property
    def saving(self) -> Decimal:
        return self.line.baseline - self.line.cost


@dataclass
class LotOutcome:
    lot: Lot
    awarded_to: list[str]            # the awarded suppliers (with their share of a split lot)
    lines: list[OwnLine]
    orders: list[CallOffOrder] = field(default_factory=list)

    @property
    def cost(self) -> Decimal:
        return sum((l.line.cost for l in self.lines), Decimal(0))

    @property
    def baseline(self) -> Decimal:
        return sum((l.line.baseline for l in self.lines), Decimal(0))

    @property
    def saving(self) -> Decimal:
        return self.baseline - self.cost


@dataclass
class Outcome:
    tender: Tender
    lots: list[LotOutcome]
    contracted: bool
    standstill_ends: date | None = None
    standstill_over: bool = False

    @property
    def cost(self) -> Decimal:
        return sum((l.cost for l in self.lots), Decimal(0))

    @property
    def baseline(self) -> Decimal:
        return sum((l.baseline for l in self.lots), Decimal(0))

    @property
    def saving(self) -> Decimal:
        return self.baseline - self.cost


def is_decided(tender: Tender) -> bool:
    return tender.status in DECIDED


def own_organisations(actor: Actor) -> set[int]:
    if not access.can_raise_requirements(actor):
        raise PermissionDenied("The outcome is for the buying organisations taking part")
    return set(actor.organisation_ids)


def buyer_outcome(session: Session, actor: Actor, tender_id: int) -> Outcome:
    """The actor's organisations' outcome of the tender. NotFound if they take no part in it
    (or it is not theirs to see); PermissionDenied before the decision is published."""
    own = own_organisations(actor)
    tender = get_tender(session, actor, tender_id)
    lots_taken = set(session.scalars(select(LotLine.lot_id).join(Lot, Lot.id == LotLine.lot_id)
                                     .where(Lot.tender_id == tender.id, LotLine.organisation_id.in_(own),
                                            LotLine.status == LineStatus.confirmed)))
    if not lots_taken:
        raise NotFound("Your organisation takes no part in this tender")
    if not is_decided(tender):
        raise PermissionDenied("The award decision is not published yet")
    names = dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(own))).all())
    contracted = tender.status in CONTRACTED
    orders: dict[int, list[CallOffOrder]] = defaultdict(list)
    if contracted:
        for order, lot_id in session.execute(select(CallOffOrder, Contract.lot_id)
                                             .join(Contract, Contract.id == CallOffOrder.contract_id)
                                             .join(Lot, Lot.id == Contract.lot_id)
                                             .where(Lot.tender_id == tender.id, CallOffOrder.organisation_id.in_(own))
                                             .order_by(CallOffOrder.id)):
            orders[lot_id].append(order)
    awards = record.lot_awards(session, tender, approved_only=True)
    mine = [line for award in awards.values() for line in record.lines_of(award.lot, award.shares)
            if line.organisation_id in own]
    titles = dict(session.execute(select(Requirement.id, Requirement.title)
                                  .where(Requirement.id.in_([l.requirement_id for l in mine]))).all()) if mine else {}
    out = []
    for lot in sorted(tender.lots, key=lambda l: l.number):
        award = awards.get(lot.id)
        if lot.id not in lots_taken or award is None:
            continue
        winners = [award.supplier(s) + (f" ({s.share_percent.normalize():f}% of the lot)" if s.share_percent < 100 else "")
                   for s in award.shares]
        lines = [OwnLine(names.get(l.organisation_id, ""), l.requirement_id, titles.get(l.requirement_id, ""), l)
                 for l in mine if l.lot_id == lot.id]
        out.append(LotOutcome(lot, winners, lines, orders.get(lot.id, [])))
    ends = tender.standstill.ends_on if tender.standstill is not None else None
    return Outcome(tender, out, contracted, ends, ends is not None and today() > ends)


def decided_tenders(session: Session, actor: Actor) -> list[Tender]:
    """The tenders with a published decision in which the actor's organisations take part,
    newest first: each has an outcome page."""
    own = own_organisations(actor)
    return list(session.scalars(select(Tender).where(
        Tender.status.in_(DECIDED),
        Tender.id.in_(select(Lot.tender_id).join(LotLine, LotLine.lot_id == Lot.id).where(
            LotLine.organisation_id.in_(own), LotLine.status == LineStatus.confirmed)))
        .order_by(Tender.id.desc())))


def requirement_tender(requirement: Requirement, session: Session, **_: object) -> RequirementTender | None:
    """Answers demand's `requirement_tender`: the tender the requirement is confirmed into,
    and whether its decision is published (then its buyers have an outcome page)."""
    tender = session.scalars(select(Tender).join(Lot, Lot.tender_id == Tender.id).join(LotLine, LotLine.lot_id == Lot.id)
                             .where(LotLine.requirement_id == requirement.id, LotLine.status == LineStatus.confirmed)
                             .order_by(Tender.id.desc()).limit(1)).first()
    if tender is None:
        return None
    return RequirementTender(tender.id, tender.reference, tender.title, is_decided(tender))

