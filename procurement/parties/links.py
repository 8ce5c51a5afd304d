"""Single-use, time-limited links sent by email (verify an address, reset a password, confirm
a new address, accept an invitation). The token is in the link; only its SHA-256 is stored.

Following a link is two steps, because a read never writes: GET checks the link (`check_link`)
and shows a page with a button; POST uses it (`use_link`), once. A link that is unknown (or
tampered with), used already, expired, or meant for something else is refused, saying which,
and changes nothing."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from procurement.core.clock import now
from procurement.parties.models import EmailLink, LinkPurpose, User

LIFETIMES = {
    LinkPurpose.verify_email: timedelta(hours=24),
    LinkPurpose.reset_password: timedelta(hours=1),
    LinkPurpose.change_email: timedelta(hours=24),
    LinkPurpose.invitation: timedelta(days=7),
}
MAX_TOKEN_LENGTH = 100


class LinkRefused(Exception):
    """Why a link does nothing: `reason` is "unknown", "used", "expired" or "superseded"."""

    MESSAGES = {
        "unknown": "This link is not valid. Check you copied the whole link from the email, or ask for a new one.",
        "used": "This link has already been used. Each link works once: ask for a new one if you need it.",
        "expired": "This link has expired. Ask for a new one.",
        "superseded": "A newer link has been sent since this one. Use the link in the latest email.",
    }

    def __init__(self, reason: str):
        super().__init__(self.MESSAGES[reason])
        self.reason = reason
        self.message = self.MESSAGES[reason]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(session: Session, purpose: LinkPurpose, email: str, *, user: User | None = None,
               details: dict[str, Any] | None = None, lifetime: timedelta | None = None) -> str:
    """A new link's token (put it in the emailed URL; it is not kept). Earlier unused links of
    the same purpose for the same person and address stop working: only the latest does."""
    at = now()
    if user is not None:
        session.execute(update(EmailLink).where(
            EmailLink.purpose == purpose, EmailLink.user_id == user.id, EmailLink.used_at.is_(None),
            EmailLink.expires_at > at).values(expires_at=at))
    token = secrets.token_urlsafe(32)
    session.add(EmailLink(purpose=purpose, token_sha256=_digest(token), user_id=user.id if user else None,
                          email=email, details=details or {}, created_at=at,
                          expires_at=at + (lifetime or LIFETIMES[purpose])))
    session.flush()
    return token


def check_link(session: Session, purpose: LinkPurpose, token: str | None) -> EmailLink:
    """The link `token` names, if it may still be used for `purpose`; else LinkRefused. Reads only."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkRefused("unknown")
    link = session.scalar(select(EmailLink).where(EmailLink.token_sha256 == _digest(token)))
    if link is None or link.purpose is not purpose:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= now():
        superseded = link.expires_at < link.created_at + LIFETIMES.get(link.purpose, timedelta(0))
        raise LinkRefused("superseded" if superseded and link.user_id is not None else "expired")
    return link


def use_link(session: Session, purpose: LinkPurpose, token: str | None) -> EmailLink:
    """Check the link and mark it used, in the caller's transaction: a compare-and-set, so of
    two requests racing with the same link exactly one succeeds."""
    link = check_link(session, purpose, token)
    claimed = session.execute(update(EmailLink).where(EmailLink.id == link.id, EmailLink.used_at.is_(None))
                              .values(used_at=now())).rowcount
    if claimed != 1:
        raise LinkRefused("used")
    session.refresh(link)
    return link
