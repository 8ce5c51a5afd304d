"""A published tender's clarification questions and answers, and the opportunities open to
suppliers."""
from __future__ import annotations


from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from procurement.core.access import Actor, actor_id
from tenders import messages, permissions
from tenders.following import start_following
from tenders.permissions import require_agency
from tenders.models import (
    Clarification,
    Lot,
    Tender,
)

from tenders.lifecycle import get_tender, locked, open_for_bids


def ask(session: Session, actor: Actor, tender_id: int, question: str) -> Clarification:
    permissions.asker(actor).enforce()
    tender = get_tender(session, actor, tender_id)
    permissions.can_ask(actor, tender).enforce()
    supplier_id = permissions.own_supplier(actor)
    if not question.strip() or len(question) > 5000:
        raise InvalidInput("Enter your question", field_errors={"question": ["Enter a question of at most 5,000 characters"]})
    clarification = Clarification(tender_id=tender.id, supplier_id=supplier_id, asked_by_id=actor_id(actor),
                                  question=question.strip())
    session.add(clarification)
    session.flush()
    record_event(session, actor, "clarification.asked", subject=clarification, details={"tender_id": tender.id})
    start_following(session, tender, supplier_id)
    return clarification


def answer(session: Session, actor: Actor, clarification_id: int, text: str) -> Clarification:
    require_agency(actor)
    clarification = session.get(Clarification, clarification_id)
    if clarification is None:
        raise NotFound("No such question")
    get_tender(session, actor, clarification.tender_id)
    tender = locked(session, clarification.tender_id)  # past its deadline it closes first
    permissions.can_answer_questions(actor, tender).enforce()
    if not text.strip():
        raise InvalidInput("Enter the answer", field_errors={"answer": ["Enter the answer"]})
    clarification.answer, clarification.answered_at = text.strip(), now()
    clarification.answered_by_id = actor_id(actor)
    session.flush()
    record_event(session, actor, "clarification.answered", subject=clarification, details={"tender_id": tender.id})
    messages.tell_answer(session, clarification)
    return clarification


def clarifications(session: Session, actor: Actor, tender_id: int) -> list[Clarification]:
    """Answered questions for everyone who may see the tender, without who asked; the agency
    also sees unanswered ones; a supplier also its own unanswered ones."""
    tender = get_tender(session, actor, tender_id)
    found = session.scalars(select(Clarification).where(Clarification.tender_id == tender.id)
                            .order_by(Clarification.asked_at, Clarification.id)).all()
    own = set(getattr(actor, "supplier_ids", ()) or ()) if access.has_role(actor, access.SUPPLIER) else set()
    agency = access.can_manage_tenders(actor)
    return [c for c in found if c.answered_at or agency or c.supplier_id in own]


def opportunities(session: Session, actor: Actor, cpv: str | None = None) -> list[Tender]:
    """Published tenders open for bids, by the clock."""
    if not access.can_view_opportunities(actor):
        raise PermissionDenied("Opportunities are for suppliers")
    statement = select(Tender).where(open_for_bids()).order_by(Tender.submission_deadline)
    if cpv:
        from catalogue.rules import cpv_prefix

        prefix = cpv_prefix(cpv)
        statement = statement.where(Tender.id.in_(select(Lot.tender_id).where(Lot.cpv_code.like(prefix + "%"))))
    return list(session.scalars(statement))
