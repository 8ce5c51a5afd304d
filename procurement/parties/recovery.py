"""Getting back into an account and keeping it safe: a forgotten password reset by an emailed
link, a password changed knowing the old one, an email address changed by a link sent to the
new address (the old one is told). Each refuses without changing anything, and none tells a
stranger whether an address has an account."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from procurement.core.access import Actor, actor_id
from procurement.core.audit import record_event
from procurement.core import outbox
from procurement.core.clock import now
from procurement.core.errors import InvalidInput, PermissionDenied
from procurement.core.security import hash_password, is_valid_email, password_problems, verify_password
from procurement.parties.links import LinkRefused, check_link, issue_link, use_link
from procurement.parties.models import EmailLink, LinkPurpose, User, lower_email
from procurement.parties.sessions import end_sessions_of

RESETS_PER_HOUR = 3  # reset emails one account is sent in an hour; past that, silently none
EMAIL_UNUSABLE = "This email address cannot be used"


def _recent_links(session: Session, user: User, purpose: LinkPurpose) -> int:
    since = now() - timedelta(hours=1)
    return session.scalar(select(func.count()).select_from(EmailLink).where(
        EmailLink.user_id == user.id, EmailLink.purpose == purpose, EmailLink.created_at > since)) or 0


def request_password_reset(session: Session, email: str, ip_address: str) -> None:
    """Email a reset link to the account with this address, if there is one (and it has not
    been sent three in the last hour). The caller answers the same whatever happened here."""
    email = lower_email(email)
    user = session.scalar(select(User).where(User.email == email, User.active)) if is_valid_email(email) else None
    if user is None or _recent_links(session, user, LinkPurpose.reset_password) >= RESETS_PER_HOUR:
        # About the same work as a link (a token and its digest), so timing tells little.
        hashlib.sha256(secrets.token_urlsafe(32).encode()).hexdigest()
        return
    token = issue_link(session, LinkPurpose.reset_password, user.email, user=user)
    link = check_link(session, LinkPurpose.reset_password, token)
    outbox.send_email(
        session, key=f"reset:{link.id}", to=user.email, subject="Reset your password", user=user,
        body=(f"Dear {user.full_name},\n\nSomeone (we hope you) asked to reset the password of your account. "
              "Follow the link within an hour to choose a new password. It works once.\n\n"
              "If you did not ask, ignore this email: your password stays as it is."),
        link=f"/password/reset/{token}",
    )
    record_event(session, None, "user.password_reset_requested", subject=user, details={"ip": ip_address})


def _cancel_pending_links(session: Session, user: User) -> None:
    """A new password stops every link still waiting (a change of address asked from a stolen
    session, an older reset link): whoever had them must ask again, as the account's owner."""
    session.execute(update(EmailLink).where(
        EmailLink.user_id == user.id, EmailLink.used_at.is_(None), EmailLink.expires_at > now(),
        EmailLink.purpose.in_([LinkPurpose.change_email, LinkPurpose.reset_password])).values(expires_at=now()))


def reset_link_user(session: Session, token: str | None) -> User:
    """The account a reset link may still reset (LinkRefused otherwise). Reads only."""
    link = check_link(session, LinkPurpose.reset_password, token)
    user = session.get(User, link.user_id) if link.user_id is not None else None
    if user is None or not user.active or user.email != link.email:
        raise LinkRefused("unknown")
    return user


def reset_password(session: Session, token: str | None, password: str) -> User:
    """Set a new password through a reset link: the link is used once; every signed-in session
    of the account ends. A second factor, if the account has one, is still asked at sign-in."""
    user = reset_link_user(session, token)
    if problems := password_problems(password, user.email):
        raise InvalidInput("The password is not valid", field_errors={"password": problems})
    use_link(session, LinkPurpose.reset_password, token)
    _cancel_pending_links(session, user)
    user.password_hash = hash_password(password)
    if user.email_verified_at is None:  # the link reached the address: it is theirs
        user.email_verified_at = now()
    end_sessions_of(session, user, "password reset")
    record_event(session, user, "user.password_reset", subject=user)
    return user


def change_password(session: Session, actor: Actor, current: str, new: str) -> User:
    """The signed-in person changes their own password, knowing the current one; every session
    of theirs ends (the caller may start a fresh one for the browser they are using)."""
    if actor_id(actor) is None:
        raise PermissionDenied("Sign in to change your password")
    user = session.get(User, actor.id)
    assert user is not None
    errors: dict[str, list[str]] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = ["Your current password is not right"]
    elif problems := password_problems(new, user.email):
        errors["new_password"] = problems
    elif current == new:
        errors["new_password"] = ["Your new password must be different from your current one"]
    if errors:
        raise InvalidInput("The password was not changed", field_errors=errors)
    user.password_hash = hash_password(new)
    _cancel_pending_links(session, user)
    end_sessions_of(session, user, "password changed")
    record_event(session, actor, "user.password_changed", subject=user)
    return user


def request_email_change(session: Session, actor: Actor, new_email: str, password: str) -> str:
    """Send a link to `new_email` that moves the account there when followed; tell the current
    address that a change was asked. Returns the new address (lower-cased)."""
    if actor_id(actor) is None:
        raise PermissionDenied("Sign in to change your email address")
    user = session.get(User, actor.id)
    assert user is not None
    new_email = lower_email(new_email)
    errors: dict[str, list[str]] = {}
    if not is_valid_email(new_email):
        errors["email"] = ["Enter an email address in the correct format, like name@example.org"]
    elif new_email == user.email:
        errors["email"] = ["This is already your email address"]
    if not verify_password(user.password_hash, password):
        errors["password"] = ["Your password is not right"]
    if errors:
        raise InvalidInput("The email address was not changed", field_errors=errors)
    taken = session.scalar(select(User).where(User.email == new_email))
    if taken is not None:
        # Whether an address has an account is not the asker's to know: they are told the
        # same as anyone, and the address's owner is told that someone tried it.
        outbox.send_email(session, key=f"change-email-taken:{user.id}:{now().isoformat()}", to=new_email, user=taken,
                          subject="Someone tried to use your email address",
                          body=(f"Dear {taken.full_name},\n\nSomeone asked to move another account on London Joint "
                                "Procurement to this address. It is yours already, so nothing has changed.\n\n"
                                "If you did not expect this, you need do nothing."),
                          link="/account")
        record_event(session, actor, "user.email_change_requested", subject=user, details={"new_email": new_email})
        return new_email
    token = issue_link(session, LinkPurpose.change_email, new_email, user=user, details={"new_email": new_email})
    link = check_link(session, LinkPurpose.change_email, token)
    outbox.send_email(session, key=f"change-email:{link.id}", to=new_email, subject="Confirm your new email address",
               body=(f"Dear {user.full_name},\n\nYou asked to use this address for your account. Follow the link "
                     "within 24 hours to confirm it. Until then your account keeps its current address."),
               link=f"/account/email/confirm/{token}")
    outbox.send_email(session, key=f"change-email-notice:{link.id}", to=user.email, user=user,
               subject="A change of your email address was asked",
               body=(f"Dear {user.full_name},\n\nSomeone signed in to your account asked to change its email "
                     "address. Nothing changes unless the link sent to the new address is followed.\n\n"
                     "If this was not you, sign in and change your password now, and tell the administrators."),
               link="/account")
    record_event(session, actor, "user.email_change_requested", subject=user, details={"new_email": new_email})
    return new_email


def email_change_link(session: Session, token: str | None) -> tuple[User, str]:
    """The account and new address a change link may still move (LinkRefused otherwise)."""
    link = check_link(session, LinkPurpose.change_email, token)
    user = session.get(User, link.user_id) if link.user_id is not None else None
    new_email = str(link.details.get("new_email", ""))
    if user is None or not user.active or new_email != link.email:
        raise LinkRefused("unknown")
    return user, new_email


def confirm_email_change(session: Session, token: str | None) -> User:
    """Move the account to the address the link was sent to (once); refused if that address
    has meanwhile been taken."""
    user, new_email = email_change_link(session, token)
    if session.scalar(select(User.id).where(User.email == new_email)) is not None:
        raise InvalidInput(EMAIL_UNUSABLE, field_errors={"email": [EMAIL_UNUSABLE]})
    use_link(session, LinkPurpose.change_email, token)
    old = user.email
    user.email = new_email
    user.email_verified_at = now()
    user.email_undeliverable_at = None
    user.email_undeliverable_reason = ""
    record_event(session, user, "user.email_changed", subject=user, details={"from": old, "to": new_email})
    return user
