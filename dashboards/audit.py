"""The audit log's subjects in words."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.parties.models import Organisation, User
from tenders.models import Tender


def audit_subjects(session: Session, events: list[Any]) -> dict[int, str]:
    """Each audit event's subject in words (a tender's reference, an account's email), by event seq."""
    def ids(kind: str) -> set[int]:
        return {int(e.subject_id) for e in events if e.subject_type == kind and str(e.subject_id or "").isdecimal()}

    names = {
        "tender": dict(session.execute(select(Tender.id, Tender.reference).where(Tender.id.in_(ids("tender")))).all()),
        "user_account": dict(session.execute(select(User.id, User.email).where(User.id.in_(ids("user_account")))).all()),
        "organisation": dict(session.execute(select(Organisation.id, Organisation.name)
                                             .where(Organisation.id.in_(ids("organisation")))).all()),
    }
    out = {}
    for event in events:
        if not event.subject_type:
            out[event.seq] = ""
            continue
        found = names.get(event.subject_type, {})
        key = int(event.subject_id) if str(event.subject_id or "").isdecimal() else None
        out[event.seq] = found.get(key) or f"{event.subject_type.replace('_', ' ').capitalize()} {event.subject_id or ''}".strip()
    return out
