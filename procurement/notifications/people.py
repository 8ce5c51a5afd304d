"""Who is told: the active people of a supplier, of an organisation (its buyers), and of the
agency; and a moment as a message writes it, in London. The domains' messages (tenders,
demand, catalogue) name their audiences through these, never by an email address."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core.clock import to_london
from procurement.parties.models import Membership, Role, User


def _members(session: Session, role: Role, *conditions: object) -> list[User]:
    return list(session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                                .where(Membership.role == role, User.active, *conditions)
                                .order_by(User.id).distinct()))


def supplier_people(session: Session, supplier_ids: Iterable[int]) -> list[User]:
    """The active users of each of these suppliers."""
    ids = sorted(set(supplier_ids))
    return _members(session, Role.supplier, Membership.supplier_id.in_(ids)) if ids else []


def buyer_people(session: Session, organisation_ids: Iterable[int]) -> list[User]:
    """The active buyers of each of these organisations."""
    ids = sorted(set(organisation_ids))
    return _members(session, Role.buyer, Membership.organisation_id.in_(ids)) if ids else []


def agency_people(session: Session, *, besides: Iterable[int | None] = ()) -> list[User]:
    """The active agency users, leaving out those whose ids are given (the one who acted)."""
    left_out = {user_id for user_id in besides if user_id is not None}
    return [user for user in _members(session, Role.agency) if user.id not in left_out]


def london_time(moment: datetime | None) -> str:
    """'3 December 2026 at 2:05pm' (London time), as GOV.UK writes a time in a message."""
    local = to_london(moment)
    if local is None:
        return ""
    hour = local.hour % 12 or 12
    clock = f"{hour}{local:%p}".lower() if local.minute == 0 else f"{hour}:{local:%M}{local:%p}".lower()
    if (local.hour, local.minute) == (12, 0):
        clock = "midday"
    elif (local.hour, local.minute) == (0, 0):
        clock = "midnight"
    return f"{local.day} {local:%B %Y} at {clock}"


def london_day(day: date | None) -> str:
    """'3 December 2026'."""
    return f"{day.day} {day:%B %Y}" if day else ""


def paragraphs(*parts: str) -> str:
    """A message's body: its paragraphs, the empty ones left out, a blank line between."""
    return "\n\n".join(part.strip() for part in parts if part and part.strip())
