"""Suppliers following a tender, to be told of each answer published and each amendment: one
follows when it asks a question, begins a bid, or presses "Follow this tender"; and stops
when it presses "Stop following"."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core.access import Actor
from procurement.core.audit import record_event
from tenders import permissions
from tenders.lifecycle import get_tender
from tenders.models import Tender, TenderFollower


def is_following(session: Session, tender_id: int, supplier_id: int | None) -> bool:
    if supplier_id is None:
        return False
    return session.scalar(select(TenderFollower.id).where(TenderFollower.tender_id == tender_id,
                                                          TenderFollower.supplier_id == supplier_id)) is not None


def start_following(session: Session, tender: Tender, supplier_id: int) -> bool:
    """The supplier follows the tender (for the acts that make it follow); whether it is new."""
    if is_following(session, tender.id, supplier_id):
        return False
    session.add(TenderFollower(tender_id=tender.id, supplier_id=supplier_id))
    session.flush()
    return True


def follow_tender(session: Session, actor: Actor, tender_id: int) -> Tender:
    """The acting supplier follows an open tender; following twice changes nothing."""
    tender = get_tender(session, actor, tender_id)
    permissions.can_follow(actor, tender).enforce()
    supplier_id = permissions.own_supplier(actor)
    assert supplier_id is not None
    if start_following(session, tender, supplier_id):
        record_event(session, actor, "tender.followed", subject=tender, details={"supplier_id": supplier_id})
    return tender


def stop_following(session: Session, actor: Actor, tender_id: int) -> Tender:
    """The acting supplier stops following; it is told no more of answers (an amendment still
    reaches it while it has a bid in, as the law requires)."""
    tender = get_tender(session, actor, tender_id)
    permissions.can_follow(actor, tender).enforce()
    supplier_id = permissions.own_supplier(actor)
    found = session.scalar(select(TenderFollower).where(TenderFollower.tender_id == tender.id,
                                                        TenderFollower.supplier_id == supplier_id))
    if found is not None:
        session.delete(found)
        session.flush()
        record_event(session, actor, "tender.unfollowed", subject=tender, details={"supplier_id": supplier_id})
    return tender


def followers(session: Session, tender_id: int) -> set[int]:
    """The ids of the suppliers following the tender."""
    return set(session.scalars(select(TenderFollower.supplier_id).where(TenderFollower.tender_id == tender_id)))
