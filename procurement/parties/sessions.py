"""Signed-in sessions the server keeps: started on signing in, ended on signing out, by a
password change or deactivation, and by the clock (idle and absolute limits); their records
pruned once old."""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.access import Actor
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.db import SQLITE_BUSY_MS
from procurement.core.errors import PermissionDenied
from procurement.core.security import session_end_reason, session_needs_touch
from procurement.parties.models import User, UserSession

log = logging.getLogger("procurement.sessions")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new signed-in session for `user`: the token its cookie carries (only its digest is
    kept here)."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(token_sha256=_digest(token), user_id=user.id))
    session.flush()
    return token


@dataclass(frozen=True)
class SessionPolicy:
    """How long a signed-in session lasts: `idle_minutes` without a request, `max_hours` in
    all; an ended session's row is kept `keep_days` (for the record) before it is pruned."""
    idle_minutes: int = 60
    max_hours: int = 12
    keep_days: int = 30

    @property
    def idle(self) -> timedelta:
        return timedelta(minutes=self.idle_minutes)

    @property
    def longest(self) -> timedelta:
        return timedelta(hours=self.max_hours)

    @classmethod
    def from_settings(cls, config: Any) -> "SessionPolicy":
        return cls(config["SESSION_IDLE_MINUTES"], config["SESSION_MAX_HOURS"], config["SESSION_KEEP_DAYS"])


@dataclass(frozen=True)
class SessionCheck:
    """The user a session cookie signs in (None if nobody), and why this request ended the
    session if the clock did ("idle", "expired")."""
    user: User | None
    ended_because: str | None = None


def signed_out_message(because: str, policy: SessionPolicy) -> str:
    """What the person is told on the sign-in page after the clock ended their session."""
    if because == "idle":
        return f"You were signed out after {policy.idle_minutes} minutes without activity. Sign in again to continue."
    return f"You were signed out because you signed in more than {policy.max_hours} hours ago. Sign in again to continue."


def session_user(session: Session, user_id: int, token: str | None, policy: SessionPolicy) -> SessionCheck:
    """The active user whose live session this token is, if any.

    A session past its idle or absolute limit is ended here (ended_because "idle" or
    "expired") and signs nobody in. Otherwise the request is recorded as its last activity,
    at most once a minute: this is the one write a read makes, and the only one it may. It is
    bookkeeping of access, like an API token's last use, not a change of anything a person
    sees: one UPDATE of one column of the session's own row, a minute apart at most, because
    the idle limit cannot be kept without knowing when the session was last used.
    """
    if not token or len(token) > 100:
        return SessionCheck(None)
    found = session.execute(select(User, UserSession).join(UserSession, UserSession.user_id == User.id).where(
        User.id == user_id, User.active, UserSession.token_sha256 == _digest(token),
        UserSession.ended_at.is_(None))).first()
    if found is None:
        return SessionCheck(None)
    user, live = found
    at = now()
    because = session_end_reason(live.created_at, live.last_seen_at, at, idle=policy.idle, longest=policy.longest)
    if because is not None:
        _keep(session, update(UserSession).where(UserSession.id == live.id, UserSession.ended_at.is_(None))
              .values(ended_at=at, ended_because=because))
        return SessionCheck(None, because)
    if session_needs_touch(live.created_at, live.last_seen_at, at):
        _keep(session, update(UserSession).where(UserSession.id == live.id).values(last_seen_at=at))
    return SessionCheck(user)


def _keep(session: Session, statement: Any) -> None:
    """Write the session's own bookkeeping and commit it at once, at the start of the request,
    before it has done anything else (a GET's transaction is otherwise rolled back, and the
    touch with it). Best effort: where SQLite's one write lock is held (a long import), wait
    a quarter of a second at most, then go on without it; the next request records it."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    try:
        if sqlite:
            session.connection().exec_driver_sql("PRAGMA busy_timeout=250")
        try:
            session.execute(statement)
        finally:
            if sqlite:
                session.connection().exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        session.commit()
    except OperationalError:
        session.rollback()
        log.info("session bookkeeping skipped: the database is busy")


def prune_sessions(session: Session, actor: Actor, policy: SessionPolicy) -> int:
    """Delete the rows of sessions that stopped being usable more than `policy.keep_days`
    ago: ended then, or idle or past their absolute limit by then without anyone noticing
    (a browser that never came back). Returns how many were deleted; idempotent."""
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators can prune sessions")
    cutoff = now() - timedelta(days=policy.keep_days)
    result = session.execute(delete(UserSession).where(or_(
        UserSession.ended_at < cutoff,
        UserSession.created_at < cutoff - policy.longest,
        func.coalesce(UserSession.last_seen_at, UserSession.created_at) < cutoff - policy.idle,
    )).execution_options(synchronize_session=False))
    deleted = result.rowcount or 0
    if deleted:
        record_event(session, actor, "user_session.pruned", subject_type="user_session",
                     details={"deleted": deleted, "ended_before": cutoff.isoformat()})
    return deleted


def end_session(session: Session, token: str | None, because: str) -> None:
    if token:
        session.execute(update(UserSession).where(UserSession.token_sha256 == _digest(token),
                                                  UserSession.ended_at.is_(None))
                        .values(ended_at=now(), ended_because=because))


def end_sessions_of(session: Session, user: User, because: str) -> int:
    """End every live session of `user` (a password changed, the account deactivated)."""
    result = session.execute(update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                             .values(ended_at=now(), ended_because=because))
    return result.rowcount or 0
