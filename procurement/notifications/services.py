"""Telling people: `notify` writes one notification per person in the caller's transaction
(so the event and its message commit or vanish together) and, where the person wants it now,
an email to send; `send_email` is for the messages that are not notifications (a link to
verify an address, to reset a password, an invitation). Each email is a row sent by a job."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from procurement.core.access import Actor, SystemActor, actor_id
from procurement.core.clock import now
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from procurement.core.jobrecords import request_job
from procurement.notifications.kinds import KINDS, kind as kind_named
from procurement.notifications.models import (
    EmailState,
    Frequency,
    Notification,
    NotificationPreference,
    OutgoingEmail,
)
from procurement.parties.models import User

SEND_JOB = "send_email"
MAX_SUBJECT = 200


def _frequencies(session: Session, user_ids: list[int], kind: str) -> dict[int, Frequency]:
    rows = session.execute(select(NotificationPreference.user_id, NotificationPreference.frequency).where(
        NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == kind))
    return {user_id: frequency for user_id, frequency in rows}


def email_state_for(frequency: Frequency, *, statutory: bool, undeliverable: bool) -> EmailState:
    """What becomes of a notification's email: statutory ones always go (immediately), others
    as the person asked; nothing goes to an address that bounces."""
    if undeliverable:
        return EmailState.undeliverable
    if statutory:
        return EmailState.pending
    return {Frequency.immediately: EmailState.pending, Frequency.daily: EmailState.in_digest,
            Frequency.never: EmailState.not_wanted}[frequency]


def notify(session: Session, users: Iterable[User], *, kind: str, key: str, subject: str, body: str,
           link: str = "") -> list[Notification]:
    """Tell each of `users` (deduplicated, active ones only) of one event. `key` names the
    event ("answer:12"); with the person's id it is the notification's unique key, so telling
    again is a no-op. Returns the notifications written now."""
    found = kind_named(kind)
    people = {user.id: user for user in users if user is not None and user.active}
    if not people:
        return []
    keys = {user_id: f"{key}:user:{user_id}"[:200] for user_id in people}
    existing = set(session.scalars(select(Notification.key).where(Notification.key.in_(list(keys.values())))))
    frequencies = _frequencies(session, list(people), kind)
    written = []
    for user_id, user in people.items():
        if keys[user_id] in existing:
            continue
        state = email_state_for(frequencies.get(user_id, Frequency.immediately), statutory=found.statutory,
                                undeliverable=user.email_undeliverable_at is not None)
        notification = Notification(key=keys[user_id], user_id=user_id, kind=kind, statutory=found.statutory,
                                    subject=subject[:MAX_SUBJECT], body=body, link=link[:500], email_state=state)
        session.add(notification)
        written.append(notification)
    session.flush()
    for notification in written:
        if notification.email_state is EmailState.pending:
            user = people[notification.user_id]
            send_email(session, key=f"notification:{notification.id}", to=user.email, subject=notification.subject,
                       body=notification.body, link=notification.link, user=user)
            notification.email_state = EmailState.sent  # handed to its email, which the outbox tracks
    return written


def send_email(session: Session, *, key: str, to: str, subject: str, body: str, link: str = "",
               user: User | None = None) -> OutgoingEmail:
    """An email to send after the transaction commits, by a job (retried, recovered by the
    sweeper). One email per `key`: asking again returns the first."""
    existing = session.scalar(select(OutgoingEmail).where(OutgoingEmail.key == key))
    if existing is not None:
        return existing
    email = OutgoingEmail(key=key[:200], user_id=user.id if user else None, to_address=to,
                          subject=subject[:MAX_SUBJECT], body_text=body, link=link[:500])
    session.add(email)
    session.flush()
    request_job(session, SystemActor("mail"), SEND_JOB, "outgoing_email", email.id)
    return email


# On the site ------------------------------------------------------------------------------

def unread_count(session: Session, user: Any) -> int:
    if actor_id(user) is None:
        return 0
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def list_notifications(session: Session, actor: Actor, *, limit: int = 100) -> list[Notification]:
    if actor_id(actor) is None:
        raise PermissionDenied("Sign in to see your notifications")
    return list(session.scalars(select(Notification).where(Notification.user_id == actor.id)
                                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def latest_unread(session: Session, actor: Actor, *, limit: int = 3) -> list[Notification]:
    """The newest unread notifications (for the home page)."""
    if actor_id(actor) is None:
        return []
    return list(session.scalars(select(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
                                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def get_notification(session: Session, actor: Actor, notification_id: int) -> Notification:
    found = session.get(Notification, notification_id)
    # Someone else's notification is reported as missing.
    if found is None or actor_id(actor) is None or found.user_id != actor.id:
        raise NotFound("No such notification")
    return found


def mark_read(session: Session, actor: Actor, notification_id: int | None = None) -> int:
    """Mark one notification (or, with None, every one) of the acting person as read."""
    if actor_id(actor) is None:
        raise PermissionDenied("Sign in to see your notifications")
    query = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    if notification_id is not None:
        get_notification(session, actor, notification_id)
        query = query.where(Notification.id == notification_id)
    return session.execute(query.values(read_at=now())).rowcount or 0


def kinds_for(user: Any) -> list[Any]:
    """The kinds a person can be sent, by their roles (for the preferences page)."""
    roles = {getattr(role, "value", role) for role in getattr(user, "roles", ())}
    return [found for found in KINDS.values()
            if found.audience == "everyone" or found.audience in roles or ("admin" in roles and found.audience == "agency")]


def preferences(session: Session, actor: Actor) -> dict[str, Frequency]:
    if actor_id(actor) is None:
        raise PermissionDenied("Sign in to choose your notifications")
    chosen = _frequencies_of(session, actor.id)
    return {found.name: (Frequency.immediately if found.statutory else chosen.get(found.name, Frequency.immediately))
            for found in kinds_for(actor)}


def _frequencies_of(session: Session, user_id: int) -> dict[str, Frequency]:
    return {row.kind: row.frequency for row in session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id))}


def set_preferences(session: Session, actor: Actor, choices: dict[str, str]) -> dict[str, Frequency]:
    """Save the acting person's choices (kind -> immediately, daily, never). A statutory kind
    cannot be turned down; an unknown kind or frequency is refused, naming it, before any is saved."""
    if actor_id(actor) is None:
        raise PermissionDenied("Sign in to choose your notifications")
    allowed = {found.name: found for found in kinds_for(actor)}
    errors: dict[str, list[str]] = {}
    parsed: dict[str, Frequency] = {}
    for name, value in choices.items():
        if name not in allowed:
            errors[name] = ["This is not a notification you can be sent"]
            continue
        try:
            frequency = Frequency(value)
        except ValueError:
            errors[name] = ["Choose immediately, in a daily digest, or never"]
            continue
        if allowed[name].statutory and frequency is not Frequency.immediately:
            errors[name] = ["The law requires this message be sent to you; it cannot be turned off"]
            continue
        parsed[name] = frequency
    if errors:
        raise InvalidInput("The notification choices are not valid", field_errors=errors)
    existing = {row.kind: row for row in session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == actor.id))}
    for name, frequency in parsed.items():
        if name in existing:
            existing[name].frequency = frequency
        else:
            session.add(NotificationPreference(user_id=actor.id, kind=name, frequency=frequency))
    session.flush()
    return preferences(session, actor)


# The daily digest -------------------------------------------------------------------------

def digest_body(notifications: list[Notification], base_url: str) -> str:
    parts = []
    for item in notifications:
        link = f"\n{base_url}{item.link}" if item.link else ""
        parts.append(f"{item.subject}\n{item.body.splitlines()[0] if item.body else ''}{link}")
    return "\n\n---\n\n".join(parts)


def send_digests(session: Session, *, day: datetime, base_url: str = "") -> int:
    """One email per person with every notification waiting for the digest; the digest's key
    is the person and the day, so a second run that day sends nothing twice. Returns how
    many digests were asked for."""
    waiting = list(session.scalars(select(Notification).where(Notification.email_state == EmailState.in_digest)
                                   .order_by(Notification.user_id, Notification.created_at)))
    by_user: dict[int, list[Notification]] = {}
    for item in waiting:
        by_user.setdefault(item.user_id, []).append(item)
    sent = 0
    for user_id, items in by_user.items():
        user = session.get(User, user_id)
        if user is None or not user.active or user.email_undeliverable_at is not None:
            for item in items:
                item.email_state = EmailState.undeliverable
            continue
        key = f"digest:{day.date().isoformat()}:user:{user_id}"
        if session.scalar(select(OutgoingEmail.id).where(OutgoingEmail.key == key)) is not None:
            continue  # today's digest has gone: these wait for tomorrow's
        count = len(items)
        subject = f"Your daily digest: {count} update{'s' if count != 1 else ''}"
        send_email(session, key=key, to=user.email, subject=subject,
                   body=digest_body(items, base_url), link="/notifications", user=user)
        for item in items:
            item.email_state = EmailState.digested
        sent += 1
    return sent


def older_than(days: int) -> datetime:
    return now() - timedelta(days=days)
