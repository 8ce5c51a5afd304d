"""Accounts: sign-in with lockout, users and their roles, API tokens (signed-in sessions are
sessions.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from procurement.core.security import (
    hash_password,
    is_valid_email,
    lockout_ends,
    needs_rehash,
    new_api_token,
    password_problems,
    token_digest,
    verify_password,
)
from procurement.core.access import Actor, actor_id
from procurement.parties.models import ApiToken, Membership, Organisation, Role, SignInAttempt, User, lower_email
from procurement.parties.sessions import end_sessions_of
from suppliers.models import Supplier

SIGN_IN_FAILED = "Enter a correct email address and password"
UNVERIFIED = "Confirm your email address first: use the link we sent you"


class SignInRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int = 5
    minutes: int = 15

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.minutes)


def _failures(session: Session, column: Any, value: str, since: Any, *, reset_by_success: bool) -> list:
    """Failed attempts in the window for an account (since its own last success, or an
    administrator's unlocking) or for an address (every one: a success from an address resets
    nothing, or one valid account would let that address spray passwords at every other)."""
    return [at for at, _address in _failed_attempts(session, column, value, since, reset_by_success=reset_by_success)]


def _failed_attempts(session: Session, column: Any, value: str, since: Any, *,
                     reset_by_success: bool) -> list[tuple[Any, str]]:
    query = select(SignInAttempt.attempted_at, SignInAttempt.ip_address).where(
        column == value, SignInAttempt.succeeded.is_(False), SignInAttempt.attempted_at > since
    )
    if reset_by_success:
        last_success = session.scalar(
            select(func.max(SignInAttempt.attempted_at)).where(column == value, SignInAttempt.succeeded)
        )
        if last_success is not None:
            query = query.where(SignInAttempt.attempted_at > last_success)
    return [(row.attempted_at, row.ip_address) for row in session.execute(query.order_by(SignInAttempt.attempted_at))]


def _account_since(user: User | None, since: Any) -> Any:
    unlocked = user.unlocked_at if user is not None else None
    return max(since, unlocked) if unlocked is not None else since


def locked_until(session: Session, email: str, ip_address: str, user: User | None, policy: LockoutPolicy) -> Any:
    """When attempts for this account, or from this address, may start again; None if now."""
    at = now()
    since = at - policy.window
    ends = [
        lockout_ends(_failures(session, SignInAttempt.email, email, _account_since(user, since), reset_by_success=True),
                     at, limit=policy.attempts, window=policy.window),
        lockout_ends(_failures(session, SignInAttempt.ip_address, ip_address, since, reset_by_success=False),
                     at, limit=policy.attempts, window=policy.window),
    ]
    return max((end for end in ends if end is not None), default=None)


def refuse_if_locked(session: Session, email: str, ip_address: str, user: User | None, policy: LockoutPolicy) -> None:
    if locked_until(session, email, ip_address, user, policy) is not None:
        record_event(session, None, "sign_in.refused_locked", details={"email": email, "ip": ip_address})
        raise SignInRefused(f"Too many failed attempts to sign in. Try again in {policy.minutes} minutes.")


def record_failure(session: Session, user: User | None, email: str, ip_address: str, *, step: str = "password") -> None:
    """A failed attempt: counted by lockout, for the account and the address."""
    session.add(SignInAttempt(email=email, ip_address=ip_address, succeeded=False, attempted_at=now()))
    details = {"email": email, "ip": ip_address}
    if step != "password":
        details["step"] = step
    record_event(session, None, "sign_in.failed", subject=user, subject_type="user_account", details=details)


@dataclass(frozen=True)
class PasswordAccepted:
    """A correct password. `second_factor` says what must come before the person is signed
    in: None (nothing: they are), "code" (their app's code) or "set_up" (their role needs
    two-factor sign-in and they have not set it up)."""
    user: User
    second_factor: str | None = None


def needs_two_factor(user: User, two_factor_roles: Iterable[str]) -> bool:
    required = {role.strip() for role in two_factor_roles if role.strip()}
    return any(role.value in required for role in user.roles)


def parse_roles(setting: str) -> frozenset[str]:
    """TWO_FACTOR_ROLES ("agency,admin") as a set of role names."""
    return frozenset(part.strip() for part in (setting or "").split(",") if part.strip())


def sign_in(
    session: Session, email: str, password: str, ip_address: str, policy: LockoutPolicy,
    *, two_factor_roles: Iterable[str] = (),
) -> PasswordAccepted:
    """Check credentials. Unknown email and wrong password fail alike; repeated failures for
    an account or an address lock sign-in for a while. Records the attempt and audits it.

    After a correct password only, an account whose address is unconfirmed is refused (which
    discloses nothing a stranger could not know), and one with two-factor sign-in, or whose
    role needs it, goes on to that step: it is not signed in, and no success is recorded yet
    (so the password alone never resets the account's count of failed codes)."""
    email = lower_email(email)
    user = session.scalar(select(User).where(User.email == email))
    refuse_if_locked(session, email, ip_address, user, policy)
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.active
    if not ok:
        record_failure(session, user, email, ip_address)
        raise SignInRefused(SIGN_IN_FAILED)
    assert user is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.email_verified_at is None:
        record_event(session, user, "sign_in.refused_unverified", subject=user, details={"ip": ip_address})
        raise SignInRefused(UNVERIFIED)
    if user.totp_enabled_at is not None:
        record_event(session, user, "sign_in.password_accepted", subject=user, details={"ip": ip_address})
        return PasswordAccepted(user, "code")
    if needs_two_factor(user, two_factor_roles):
        record_event(session, user, "sign_in.password_accepted", subject=user, details={"ip": ip_address})
        return PasswordAccepted(user, "set_up")
    complete_sign_in(session, user, ip_address)
    return PasswordAccepted(user)


def complete_sign_in(session: Session, user: User, ip_address: str, *, how: str = "password") -> User:
    """Record a sign-in that is complete (the password, and the second factor if any)."""
    at = now()
    session.add(SignInAttempt(email=user.email, ip_address=ip_address, succeeded=True, attempted_at=at))
    user.last_sign_in_at = at
    details = {"ip": ip_address}
    if how != "password":
        details["with"] = how
    record_event(session, user, "sign_in.succeeded", subject=user, details=details)
    return user


@dataclass(frozen=True)
class LockStatus:
    """What an administrator is shown of an account's lockout: the failed attempts that count
    (time and address), and whether the account, or an address it was tried from, is locked."""
    failures: list[tuple[Any, str]]
    account_locked_until: Any
    locked_addresses: dict[str, Any]
    limit: int
    minutes: int

    @property
    def locked(self) -> bool:
        return self.account_locked_until is not None or bool(self.locked_addresses)


def lock_status(session: Session, actor: Actor, user: User, policy: LockoutPolicy) -> LockStatus:
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators can see an account's lockout")
    at = now()
    since = at - policy.window
    failures = _failed_attempts(session, SignInAttempt.email, user.email, _account_since(user, since),
                                reset_by_success=True)
    account_end = lockout_ends([t for t, _ in failures], at, limit=policy.attempts, window=policy.window)
    addresses = {}
    for address in sorted({ip for _, ip in failures}):
        end = lockout_ends(_failures(session, SignInAttempt.ip_address, address, since, reset_by_success=False),
                           at, limit=policy.attempts, window=policy.window)
        if end is not None:
            addresses[address] = end
    return LockStatus(failures, account_end, addresses, policy.attempts, policy.minutes)


def locked_user_ids(session: Session, actor: Actor, policy: LockoutPolicy) -> set[int]:
    """The accounts locked now by their own failed attempts (for the list of accounts)."""
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators can see lockouts")
    since = now() - policy.window
    crowded = session.execute(select(SignInAttempt.email).where(
        SignInAttempt.succeeded.is_(False), SignInAttempt.attempted_at > since)
        .group_by(SignInAttempt.email).having(func.count() >= policy.attempts)).scalars().all()
    if not crowded:
        return set()
    return {user.id for user in session.scalars(select(User).where(User.email.in_(crowded)))
            if lock_status(session, actor, user, policy).account_locked_until is not None}


def unlock_user(session: Session, actor: Actor, user: User) -> User:
    """Failed attempts before now no longer count for the account (an address's own count,
    which guards every account, runs its course)."""
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators can unlock accounts")
    user.unlocked_at = now()
    record_event(session, actor, "user.unlocked", subject=user)
    return user


def clear_undeliverable(session: Session, actor: Actor, user: User) -> User:
    """Email may go to the address again (the person's mailbox was fixed, say)."""
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators can clear an undeliverable address")
    if user.email_undeliverable_at is not None:
        user.email_undeliverable_at, user.email_undeliverable_reason = None, ""
        record_event(session, actor, "user.email_deliverable", subject=user)
    return user


def record_sign_out(session: Session, user: User) -> None:
    record_event(session, user, "sign_out", subject=user)


@dataclass(frozen=True)
class RoleGrant:
    role: Role
    organisation_id: int | None = None
    supplier_id: int | None = None


def _check_grants(session: Session, grants: Iterable[RoleGrant]) -> list[RoleGrant]:
    grants = list(grants)
    errors: dict[str, list[str]] = {}
    seen: set[Role] = set()
    for grant in grants:
        if grant.role in seen:
            errors.setdefault("roles", []).append(f"The role {grant.role.value} is given twice")
        seen.add(grant.role)
        if grant.role is Role.buyer:
            if grant.organisation_id is None or session.get(Organisation, grant.organisation_id) is None:
                errors.setdefault("organisation_id", []).append(
                    "Choose the organisation the buyer works for"
                )
        if grant.role is Role.supplier:
            if grant.supplier_id is None or session.get(Supplier, grant.supplier_id) is None:
                errors.setdefault("supplier_id", []).append("Choose the supplier the user works for")
    if not grants:
        errors.setdefault("roles", []).append("Give the user at least one role")
    if errors:
        raise InvalidInput("The roles are not valid", field_errors=errors)
    return grants


def _memberships(grants: list[RoleGrant]) -> list[Membership]:
    return [
        Membership(
            role=g.role,
            organisation_id=g.organisation_id if g.role is Role.buyer else None,
            supplier_id=g.supplier_id if g.role is Role.supplier else None,
        )
        for g in grants
    ]


def _describe(grants: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {"role": g.role.value, "organisation_id": g.organisation_id, "supplier_id": g.supplier_id}
        for g in grants
    ]


def create_user(
    session: Session, actor: Actor, *, email: str, full_name: str, password: str,
    grants: Iterable[RoleGrant], demo: bool = False,
) -> User:
    """An account (`demo`: the demo data's, which may use the demo password)."""
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators can create accounts")
    email = lower_email(email)
    errors: dict[str, list[str]] = {}
    if not is_valid_email(email):
        errors["email"] = ["Enter an email address in the correct format, like name@example.org"]
    elif session.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = ["An account with this email address already exists"]
    if not full_name.strip():
        errors["full_name"] = ["Enter the person's full name"]
    if problems := password_problems(password, email, demo=demo):
        errors["password"] = problems
    if errors:
        raise InvalidInput("The account details are not valid", field_errors=errors)
    grants = _check_grants(session, grants)
    user = User(
        email=email, full_name=full_name.strip(), password_hash=hash_password(password),
        memberships=_memberships(grants), email_verified_at=now(),  # an administrator vouches for it
    )
    session.add(user)
    session.flush()
    record_event(session, actor, "user.created", subject=user,
                 details={"email": email, "roles": _describe(grants)})
    return user


def set_user_roles(session: Session, actor: Actor, user: User, grants: Iterable[RoleGrant]) -> User:
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators can change roles")
    grants = _check_grants(session, grants)
    before = _describe(user.memberships)
    user.memberships.clear()
    session.flush()
    user.memberships.extend(_memberships(grants))
    session.flush()
    record_event(session, actor, "user.roles_changed", subject=user,
                 details={"before": before, "after": _describe(grants)})
    return user


def set_user_active(session: Session, actor: Actor, user: User, active: bool) -> User:
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators can activate or deactivate accounts")
    if actor_id(actor) == user.id and not active:
        raise InvalidInput("You cannot deactivate your own account",
                           field_errors={"active": ["You cannot deactivate your own account"]})
    if user.active != active:
        user.active = active
        if not active:
            end_sessions_of(session, user, "deactivated")
        record_event(session, actor, "user.activated" if active else "user.deactivated", subject=user)
    return user


def set_password(session: Session, actor: Actor, user: User, password: str) -> None:
    if not (access.can_manage_accounts(actor) or actor_id(actor) == user.id):
        raise PermissionDenied("You cannot change this password")
    if problems := password_problems(password, user.email):
        raise InvalidInput("The password is not valid", field_errors={"password": problems})
    user.password_hash = hash_password(password)
    end_sessions_of(session, user, "password changed")
    record_event(session, actor, "user.password_changed", subject=user)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such account")
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("Only administrators can list accounts")
    return list(session.scalars(select(User).order_by(User.email)))


# API tokens ---------------------------------------------------------------------------------

MAX_TOKEN_DAYS = 366


def create_api_token(session: Session, actor: Actor, *, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token for the acting user; the plain token is returned once and never stored."""
    if not access.can_manage_own_tokens(actor) or actor_id(actor) is None:
        raise PermissionDenied("Sign in to create an API token")
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name.strip()) > 100:
        errors["name"] = ["Enter a name for the token, up to 100 characters"]
    if not 1 <= days <= MAX_TOKEN_DAYS:
        errors["days"] = [f"The token must expire in 1 to {MAX_TOKEN_DAYS} days"]
    if errors:
        raise InvalidInput("The token details are not valid", field_errors=errors)
    plain, prefix, digest = new_api_token()
    token = ApiToken(
        user_id=actor.id, name=name.strip(), token_prefix=prefix, token_hash=digest,
        expires_at=now() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    record_event(session, actor, "api_token.created", subject=token,
                 details={"name": token.name, "expires_at": token.expires_at.isoformat()})
    return token, plain


def list_own_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    if not access.can_manage_own_tokens(actor):
        raise PermissionDenied("Sign in to see your API tokens")
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == actor.id).order_by(ApiToken.created_at.desc())
        )
    )


def revoke_api_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    # Someone else's token is reported as missing: its existence is not theirs to know.
    if token is None or not access.can_revoke_token(actor, token):
        raise NotFound("No such API token")
    if token.revoked_at is None:
        token.revoked_at = now()
        record_event(session, actor, "api_token.revoked", subject=token)
    return token


def user_for_api_token(session: Session, plain: str) -> User | None:
    """The active user a bearer token belongs to, if it is known, unexpired and unrevoked."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(plain)))
    at = now()
    if token is None or not token.is_usable(at):
        return None
    token.last_used_at = at
    return token.user
