"""Append-only audit log kept as a hash chain.

Each event stores the SHA-256 of the previous event and its own digest over its fields, so
altering, deleting or reordering any stored event breaks the chain at that point;
`verify_chain` recomputes it and names the first broken link.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

from blinker import Namespace
from sqlalchemy import JSON, ForeignKey, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from procurement.core.access import Actor, SystemActor, actor_id
from procurement.core.clock import now
from procurement.core.db import Base, db, on_postgresql

GENESIS_HASH = "0" * 64

event_recorded = Namespace().signal("event-recorded", doc="""
An audit event has been appended, in the caller's transaction (not yet committed). Sent with the
event as sender and the session as `session`, so a face above the domains (the notices the Act
requires) can act on a domain's acts in the same transaction without the domain knowing it.""")


class AuditEvent(Base):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(80), index=True)
    subject_type: Mapped[Optional[str]] = mapped_column(String(40))
    subject_id: Mapped[Optional[str]] = mapped_column(String(64))
    request_id: Mapped[Optional[str]] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def event_digest(
    *,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    subject_type: str | None,
    subject_id: str | None,
    request_id: str | None,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 over a canonical JSON form of the event's fields and the previous digest."""
    canonical = json.dumps(
        {
            "seq": seq,
            "occurred_at": occurred_at.isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "request_id": request_id,
            "details": details,
            "prev_hash": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the digest is taken over exactly what the database returns.
    return json.loads(json.dumps(details, default=str, sort_keys=True))


def record_event(
    session: Session,
    actor: Actor,
    action: str,
    subject: Any = None,
    *,
    subject_type: str | None = None,
    subject_id: Any = None,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction. `actor` is a user, a system actor or None."""
    if subject is not None:
        subject_type = subject_type or type(subject).__tablename__
        subject_id = subject_id if subject_id is not None else getattr(subject, "id", None)
    if request_id is None:
        request_id = _current_request_id()
    if on_postgresql(session):
        # Serialise appenders so concurrent transactions extend the chain, never fork it.
        session.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last.seq + 1, last.hash) if last else (1, GENESIS_HASH)
    fields = dict(
        seq=seq,
        occurred_at=now(),
        actor_id=actor_id(actor),
        actor_label=getattr(actor, "audit_label", None) or "anonymous",
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        request_id=request_id,
        details=_json_safe(details or {}),
        prev_hash=prev_hash,
    )
    event = AuditEvent(**fields, hash=event_digest(**fields))
    session.add(event)
    session.flush()
    event_recorded.send(event, session=session)
    return event


@dataclass(frozen=True)
class _Who:
    """The actor of a kept event, read before the rollback that expires the user's row."""

    id: int | None
    audit_label: str


def keep_event(session: Session, actor: Actor, action: str, subject: Any = None, *,
               details: dict[str, Any] | None = None) -> None:
    """Record an event about a refusal that must outlive it (a file holding a virus): the
    request is rolled back, its other writes with it, and the commit boundary then writes this
    event in a transaction of its own (procurement.core.http). Outside a request it is
    recorded in the caller's session, as record_event does."""
    from flask import g, has_request_context

    if not has_request_context():
        record_event(session, actor, action, subject, details=details)
        return
    g.setdefault("kept_events", []).append(dict(
        actor=_Who(actor_id(actor), getattr(actor, "audit_label", None) or "anonymous"), action=action,
        subject_type=type(subject).__tablename__ if subject is not None else None,
        subject_id=getattr(subject, "id", None), details=_json_safe(details or {})))


def write_kept_events(session: Session) -> int:
    """Write the request's kept events (see keep_event) in `session`; how many there were."""
    from flask import g

    kept = g.pop("kept_events", [])
    for event in kept:
        record_event(session, event.pop("actor"), event.pop("action"), **event)
    return len(kept)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    events_checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.events_checked} events"
        return (
            f"audit chain broken at event seq {self.broken_seq} (id {self.broken_id}): {self.reason}"
        )


def verify_chain(session: Session, batch: int = 2000) -> ChainCheck:
    """Recompute every digest in order; report the first event whose link does not hold."""
    expected_seq, expected_prev, checked = 1, GENESIS_HASH, 0
    query = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    result = session.scalars(query)
    try:
        for event in result:
            fields = dict(
                seq=event.seq,
                occurred_at=event.occurred_at,
                actor_id=event.actor_id,
                actor_label=event.actor_label,
                action=event.action,
                subject_type=event.subject_type,
                subject_id=event.subject_id,
                request_id=event.request_id,
                details=event.details,
                prev_hash=event.prev_hash,
            )
            broken = None
            if event.seq != expected_seq:
                broken = f"expected seq {expected_seq}: an event is missing or out of order"
            elif event.prev_hash != expected_prev:
                broken = "its previous-hash does not match the event before it"
            elif event_digest(**fields) != event.hash:
                broken = "its contents do not match its stored digest (altered)"
            if broken:
                return ChainCheck(False, checked, event.seq, event.id, broken)
            checked += 1
            expected_seq, expected_prev = event.seq + 1, event.hash
    finally:
        result.close()
    return ChainCheck(True, checked)


def _current_request_id() -> str | None:
    from flask import g, has_app_context

    if has_app_context():
        return g.get("request_id")
    return None


def verify_audit_chain() -> dict[str, object]:
    """Recompute the audit chain and record the result in the log itself."""
    session = db.bound().sessionmaker()
    try:
        check = verify_chain(session)
        record_event(session, SystemActor("job:verify_audit_chain"), "audit.verified",
                     details={"ok": check.ok, "events_checked": check.events_checked,
                              "broken_seq": check.broken_seq})
        session.commit()
        return {"ok": check.ok, "events_checked": check.events_checked, "broken_seq": check.broken_seq}
    finally:
        session.close()
