"""A joint tender's states through time: the one writer of its moves (`move`), the lock an
act takes (which makes the clock's due moves first), the scheduled tick, and who may read
a tender and its documents. Reads compute the effective state; they never move it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from procurement.core.access import Actor
from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.documents import Document, audience_allows
from procurement.core.errors import Conflict, NotFound
from procurement.core.db import on_postgresql
from tenders import rules
from tenders.permissions import is_party_to, visible_tender
from tenders.models import (
    Bid,
    BidStatus,
    Tender,
    TenderStatus,
)



def locked(session: Session, tender_id: int) -> Tender:
    """The tender for an act, locked for this transaction (PostgreSQL row lock; SQLite writes
    one at a time anyway), so a deadline check and the write it allows cannot be split; the
    moves the clock has made due are recorded first, so the act sees the tender as it is now."""
    tender = session.get(Tender, tender_id, with_for_update=on_postgresql(session),
                         populate_existing=True)
    if tender is None:
        raise NotFound("No such tender")
    if tender.effective_status is not tender.status:
        _close_at_deadline(session, tender)
    return tender


def _close_at_deadline(session: Session, tender: Tender) -> None:
    """Past its deadline a published tender closes (unsuccessful if no bid is in the box)."""
    bids = session.scalar(select(func.count()).select_from(Bid).where(
        Bid.tender_id == tender.id, Bid.status == BidStatus.submitted)) or 0
    tender.closed_at = tender.submission_deadline
    clock = access.SystemActor("clock")
    if bids:
        move(session, clock, tender, TenderStatus.closed, "tender.closed", bids=bids)
    else:
        move(session, clock, tender, TenderStatus.unsuccessful, "tender.unsuccessful", reason="no bids by the deadline")


def move(session: Session, actor: Actor, tender: Tender, target: TenderStatus, action: str, **details: Any) -> Tender:
    if not rules.TRANSITIONS.allows(tender.status, target):
        raise Conflict(f"A {tender.status.value.replace('_', ' ')} tender cannot become {target.value.replace('_', ' ')}")
    previous = tender.status
    tender.status = target
    session.flush()
    record_event(session, actor, action, subject=tender,
                 details={"from": previous.value, "to": target.value, **details})
    return tender


def await_tender_notice(session: Session, tender: Tender) -> None:
    """The tender notice (UK4) has gone to the central platform: no bid until it is published."""
    tender.tender_notice_pending = True
    session.flush()


def tender_notice_published(session: Session, tender: Tender, at: datetime) -> str | None:
    """The tender notice was published at `at`: the tendering period starts then (published_at
    moves to it) and bids are taken. Returns what the agency must be told if the minimum period
    to the deadline no longer holds (also recorded), or None."""
    tender.tender_notice_pending, tender.tender_notice_published_at = False, at
    tender.published_at = at  # the platform's moment of publication is the one the Act counts from
    session.flush()
    problem = rules.period_from_notice(at, tender.submission_deadline, tender.short_period_ground is not None)
    if problem:
        record_event(session, access.SystemActor("find_a_tender"), "tender.period_short", subject=tender,
                     details={"notice_published_at": at.isoformat(), "problem": problem})
    return problem


def advance(session: Session, tender: Tender) -> Tender:
    """Record the moves the clock has made due (for the tick and the seed: a read never calls
    it). Safe to call any number of times."""
    if tender.effective_status is not tender.status:
        return locked(session, tender.id)
    return tender


def tick(session: Session) -> int:
    """Every time-driven move that is due (`flask tenders tick`, a scheduler or cron)."""
    due = session.scalars(select(Tender.id).where(Tender.status == TenderStatus.published,
                                                  Tender.submission_deadline <= now())).all()
    for tender_id in due:
        tender = session.get(Tender, tender_id)
        assert tender is not None
        advance(session, tender)
    return len(due)


def get_tender(session: Session, actor: Actor, tender_id: int) -> Tender:
    """The agency sees every tender; buyers those their organisation takes part in; suppliers
    published ones (and later states). A read: it moves nothing. Past its deadline a tender is
    shown closed (`Tender.effective_status`) until the tick or the next act records the move."""
    return visible_tender(session, actor, tender_id)


def open_for_bids() -> ColumnElement[bool]:
    """Tenders taking bids now, by the clock: published, before their deadline."""
    return and_(Tender.status == TenderStatus.published,
                or_(Tender.submission_deadline.is_(None), Tender.submission_deadline > now()))


def may_read_document(session: Session, actor: Actor, document: Document) -> bool:
    """A document addressed to the actor, or one for every party to a tender the actor is a
    party to (seeing the tender is not enough: every supplier sees a published tender). The
    one rule for the lists and the downloads alike."""
    if audience_allows(actor, document):
        return True
    if not (document.audience_parties and document.tender_id):
        return False
    tender = session.get(Tender, document.tender_id)
    return bool(tender and is_party_to(session, actor, tender))


def readable_documents(session: Session, actor: Actor, tender_id: int) -> list[Document]:
    """The tender's documents the actor may read, by the same rule as their downloads."""
    found = session.scalars(select(Document).where(Document.tender_id == tender_id).order_by(Document.kind, Document.id))
    return [d for d in found if may_read_document(session, actor, d)]
