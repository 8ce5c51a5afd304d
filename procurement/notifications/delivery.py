"""What comes back from delivery: an address refused for good is marked undeliverable (no
more mail goes to it; the site still shows its notifications) and the administrators are told;
GOV.UK Notify's delivery receipts (its callback) say the same of messages sent through it."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from procurement.core.access import SystemActor
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.notifications.models import OutgoingEmail, OutgoingState
from procurement.parties.models import Membership, Role, User, lower_email

# Notify's statuses for an email (its API documentation, "Delivery receipts").
NOTIFY_PERMANENT = {"permanent-failure"}
NOTIFY_DELIVERED = {"delivered"}


def mark_undeliverable(session: Any, address: str, reason: str) -> User | None:
    """Stop mail to `address` and tell the administrators once (by the address's own key)."""
    from procurement.notifications.services import notify

    user = session.scalar(select(User).where(User.email == lower_email(address)))
    if user is None or user.email_undeliverable_at is not None:
        return user
    user.email_undeliverable_at, user.email_undeliverable_reason = now(), reason[:300]
    record_event(session, SystemActor("mail"), "user.email_undeliverable", subject=user, details={"reason": reason[:300]})
    admins = session.scalars(select(User).join(Membership).where(Membership.role == Role.admin, User.active))
    notify(session, [admin for admin in admins if admin.id != user.id], kind="undeliverable",
           key=f"undeliverable:{user.id}:{user.email_undeliverable_at.isoformat()}",
           subject=f"Email to {user.full_name} cannot be delivered",
           body=(f"Messages to {user.full_name}'s address are refused: {reason[:300]}\n\n"
                 "No more email will be sent to it until the address is changed. Their notifications are still "
                 "shown on the site."),
           link=f"/admin/users/{user.id}")
    return user


def notify_receipt(session: Any, payload: dict[str, Any]) -> str:
    """One of Notify's delivery receipts: find the email by its reference (our key) or Notify's
    id and record what became of it. Returns what was done, for the response."""
    reference, notify_id, status = payload.get("reference"), payload.get("id"), payload.get("status")
    email = None
    if isinstance(reference, str) and reference:
        email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.key == reference[:200]))
    if email is None and isinstance(notify_id, str) and notify_id:
        email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.provider_reference == notify_id[:200]))
    if email is None:
        return "unknown message"
    if status in NOTIFY_PERMANENT:
        email.status, email.error = OutgoingState.undeliverable, f"Notify: {status}"
        mark_undeliverable(session, email.to_address, "Notify reported a permanent failure")
        return "marked undeliverable"
    return "noted"
