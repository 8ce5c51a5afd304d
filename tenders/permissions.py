"""Who may see a tender, in one place: the agency every tender; a supplier every tender past
its draft; a buyer every tender in which its organisation has lines. Services refuse with
these predicates and views hand their answers to templates."""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.errors import NotFound, PermissionDenied
from tenders.models import Lot, LotLine, Tender, TenderStatus


def require_agency(actor: Any, message: str = "Only the agency runs joint tenders") -> None:
    if not access.can_manage_tenders(actor):
        raise PermissionDenied(message)


def visible_tenders(actor: Any) -> ColumnElement[bool]:
    """The tenders an actor may see, as a condition on Tender."""
    if access.can_manage_tenders(actor):
        return true()
    seen: list[ColumnElement[bool]] = []
    if access.has_role(actor, access.SUPPLIER):
        seen.append(Tender.status != TenderStatus.draft)
    own = sorted(getattr(actor, "organisation_ids", ()) or ()) if access.has_role(actor, access.BUYER) else []
    if own:
        seen.append(Tender.id.in_(select(Lot.tender_id).join(LotLine).where(LotLine.organisation_id.in_(own))))
    return or_(*seen) if seen else false()


def can_see_tender(session: Session, actor: Any, tender: Tender) -> bool:
    if access.can_manage_tenders(actor):
        return True
    return session.scalar(select(Tender.id).where(Tender.id == tender.id, visible_tenders(actor))) is not None


def visible_tender(session: Session, actor: Any, tender_id: int) -> Tender:
    """The tender, or NotFound when it does not exist or the actor may not see it (its
    existence is private too). Reads only."""
    tender = session.get(Tender, tender_id)
    if tender is None or not can_see_tender(session, actor, tender):
        raise NotFound("No such tender")
    return tender
