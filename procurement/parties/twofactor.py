"""Two-factor sign-in with an authenticator app: setting it up (a first code proves the app
has the secret), the second step of signing in (the app's code, each time step once, or a
one-time recovery code; wrong codes count towards lockout like wrong passwords), new recovery
codes, and turning it off (with the password, and never for a role that needs it)."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core import twofactor as totp
from procurement.core.access import Actor, actor_id
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.errors import InvalidInput, PermissionDenied
from procurement.core.security import verify_password
from procurement.parties.accounts import (
    LockoutPolicy,
    SignInRefused,
    complete_sign_in,
    needs_two_factor,
    record_failure,
    refuse_if_locked,
)
from procurement.parties.models import RecoveryCode, User

WRONG_CODE = "Enter the code your authenticator app shows now, or one of your recovery codes"
WRONG_FIRST_CODE = "Enter the 6-digit code your authenticator app shows now"
NEEDED_BY_ROLE = "Your role needs two-factor sign-in, so it cannot be turned off"


def _own(actor: Actor, user: User) -> None:
    if actor_id(actor) != user.id:
        raise PermissionDenied("Only the account holder can change their two-factor sign-in")


def _make_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    session.add_all(RecoveryCode(user_id=user.id, code_sha256=digest) for digest in totp.recovery_digests(codes))
    session.flush()
    return codes


def enable_two_factor(session: Session, actor: Actor, user: User, secret: str, code: str, secret_key: str) -> list[str]:
    """Keep `secret` (encrypted) once `code` shows the person's app has it; returns the ten
    recovery codes to show once."""
    _own(actor, user)
    if user.totp_enabled_at is not None:
        raise InvalidInput("Two-factor sign-in is already on", field_errors={"code": ["Two-factor sign-in is already on"]})
    step = totp.matching_step(secret, code, now(), None)
    if step is None:
        raise InvalidInput("The code is not right", field_errors={"code": [WRONG_FIRST_CODE]})
    user.totp_secret_encrypted = totp.encrypt_secret(secret, secret_key)
    user.totp_enabled_at = now()
    user.totp_last_step = step
    codes = _make_codes(session, user)
    record_event(session, actor, "user.two_factor_enabled", subject=user)
    record_event(session, actor, "user.recovery_codes_made", subject=user, details={"count": len(codes)})
    return codes


def make_recovery_codes(session: Session, actor: Actor, user: User) -> list[str]:
    """Ten new recovery codes in place of the old ones (which stop working)."""
    _own(actor, user)
    if user.totp_enabled_at is None:
        raise InvalidInput("Turn on two-factor sign-in first", field_errors={"codes": ["Turn on two-factor sign-in first"]})
    codes = _make_codes(session, user)
    record_event(session, actor, "user.recovery_codes_made", subject=user, details={"count": len(codes)})
    return codes


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def disable_two_factor(session: Session, actor: Actor, user: User, password: str,
                       two_factor_roles: Iterable[str]) -> User:
    _own(actor, user)
    if needs_two_factor(user, two_factor_roles):
        raise InvalidInput(NEEDED_BY_ROLE, field_errors={"password": [NEEDED_BY_ROLE]})
    if not verify_password(user.password_hash, password):
        raise InvalidInput("Your password is not right", field_errors={"password": ["Your password is not right"]})
    if _turn_off(session, user):
        record_event(session, actor, "user.two_factor_disabled", subject=user)
    return user


def reset_two_factor(session: Session, actor: Actor, user: User) -> User:
    """An administrator turns off someone's two-factor sign-in (a lost phone and lost recovery
    codes): they sign in with their password, and set it up again if their role needs it."""
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators can reset two-factor sign-in")
    if actor_id(actor) == user.id:
        raise InvalidInput("Another administrator must reset your own two-factor sign-in",
                           field_errors={"two_factor": ["Another administrator must reset your own two-factor sign-in"]})
    if _turn_off(session, user):
        record_event(session, actor, "user.two_factor_reset", subject=user)
    return user


def _turn_off(session: Session, user: User) -> bool:
    """Forget the secret, its last step and the recovery codes; whether it was on."""
    if user.totp_enabled_at is None:
        return False
    user.totp_secret_encrypted = user.totp_enabled_at = user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    return True


def _claim_step(session: Session, user: User, step: int) -> bool:
    """Record `step` as used, unless another request used it (or a later one) first."""
    claimed = session.execute(update(User).where(
        User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
    session.refresh(user, ["totp_last_step"])
    return claimed == 1


def _claim_recovery_code(session: Session, user: User, code: str) -> bool:
    digest = totp.recovery_digest(code)
    found = session.scalar(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_sha256 == digest, RecoveryCode.used_at.is_(None)))
    if found is None:
        return False
    return session.execute(update(RecoveryCode).where(RecoveryCode.id == found, RecoveryCode.used_at.is_(None))
                           .values(used_at=now())).rowcount == 1


def sign_in_second_step(session: Session, user: User, code: str, ip_address: str, policy: LockoutPolicy,
                        secret_key: str) -> str:
    """The second step of signing in: the app's code (a time step not used before) or an
    unused recovery code. A wrong code is a failed attempt, for the account and the address.
    Returns which it was ("authenticator app", "recovery code")."""
    refuse_if_locked(session, user.email, ip_address, user, policy)
    secret = totp.decrypt_secret(user.totp_secret_encrypted or "", secret_key) if user.totp_enabled_at else None
    code = (code or "")[:40]
    if secret is not None and totp.looks_like_app_code(code):
        step = totp.matching_step(secret, code, now(), user.totp_last_step)
        if step is not None and _claim_step(session, user, step):
            complete_sign_in(session, user, ip_address, how="authenticator app")
            return "authenticator app"
    elif secret is not None and _claim_recovery_code(session, user, code):
        record_event(session, user, "user.recovery_code_used", subject=user,
                     details={"left": recovery_codes_left(session, user), "ip": ip_address})
        complete_sign_in(session, user, ip_address, how="recovery code")
        return "recovery code"
    record_failure(session, user, user.email, ip_address, step="two_factor")
    raise SignInRefused(WRONG_CODE)


def set_up_at_sign_in(session: Session, user: User, secret: str, code: str, ip_address: str,
                      policy: LockoutPolicy, secret_key: str) -> list[str]:
    """Set up two-factor sign-in in the middle of signing in (the role needs it): the first
    code both proves the app and completes the sign-in. Returns the recovery codes."""
    refuse_if_locked(session, user.email, ip_address, user, policy)
    codes = enable_two_factor(session, user, user, secret, code, secret_key)
    complete_sign_in(session, user, ip_address, how="authenticator app")
    return codes


def current_code(secret_key: str, user: User) -> tuple[str, int]:
    """A code not used yet for a demo account, and the seconds it stays valid (demo-code)."""
    secret = totp.decrypt_secret(user.totp_secret_encrypted or "", secret_key)
    if secret is None:
        raise InvalidInput("This account has no two-factor secret", field_errors={"email": ["No two-factor secret"]})
    at = now()
    step = max(totp.current_step(secret, at), (user.totp_last_step or -1) + 1)
    left = int((step + 1 + totp.VALID_WINDOW) * 30 - at.timestamp())
    return totp.code_for_step(secret, step), left
