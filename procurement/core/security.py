"""Pure security rules: password hashing and policy, API token material, lockout."""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from datetime import datetime, timedelta
from typing import Iterable

from argon2 import PasswordHasher
from zxcvbn import zxcvbn
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 3  # zxcvbn: 3 is "safely unguessable" (about 10^8 guesses or more)
DEMO_PASSWORD = "london-demo-2026"  # the demo data's (printed by `flask seed-demo`), refused for anyone else
MAX_PASSWORD_LENGTH = 256
TOKEN_PREFIX = "ljp_"

def _make_hasher() -> PasswordHasher:
    """argon2id with the library's recommended parameters, unless the environment lowers the
    cost (the test suite does, so that hundreds of accounts hash quickly)."""
    memory = os.environ.get("ARGON2_MEMORY_COST")
    time_cost = os.environ.get("ARGON2_TIME_COST")
    if memory or time_cost:
        defaults = PasswordHasher()
        return PasswordHasher(
            time_cost=int(time_cost or defaults.time_cost),
            memory_cost=int(memory or defaults.memory_cost),
            parallelism=defaults.parallelism,
        )
    return PasswordHasher()


_hasher = _make_hasher()
# Verified against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-only-for-timing")

_EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def is_valid_email(email: str) -> bool:
    return len(email) <= 254 and bool(_EMAIL.match(email))


def password_problems(password: str, email: str, *, demo: bool = False) -> list[str]:
    """Why a password is not acceptable; empty when it is. One policy for every way an account
    is made or its password changed: 12 to 128 characters, not the email address, not the
    demo's password (outside the demo data), and not easy to guess by zxcvbn's estimate
    (common and leaked passwords, names, words, repeats, sequences, dates: score 3 of 4)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Password must be at most {MAX_PASSWORD_LENGTH} characters")
    lowered, email = password.strip().lower(), email.strip().lower()
    if email and (lowered == email or lowered == email.split("@", 1)[0]):
        problems.append("Password must not be your email address")
    if not demo and lowered == DEMO_PASSWORD:
        problems.append("Password must not be the demo data's password")
    if not problems:
        guess = zxcvbn(password, user_inputs=[email, *re.split(r"[@.]", email)])
        if guess["score"] < MIN_PASSWORD_SCORE:
            hint = guess["feedback"]["warning"] or "Use a longer phrase of unrelated words"
            problems.append(f"Password is too easy to guess: {hint.rstrip('.')}")
    return problems


def new_api_token() -> tuple[str, str, str]:
    """A new token: (the token shown once, its display prefix, the SHA-256 stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token[: len(TOKEN_PREFIX) + 6], token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lockout_ends(
    failures: Iterable[datetime], at: datetime, *, limit: int, window: timedelta
) -> datetime | None:
    """When sign-in is allowed again, or None if it is allowed now.

    `failures` are the times of failed attempts since the last success. Once `limit` of them
    fall within `window`, sign-in is refused until `window` after the latest.
    """
    recent = sorted(t for t in failures if at - t < window)
    if len(recent) < limit:
        return None
    return recent[-1] + window


# Sessions -----------------------------------------------------------------------------------

SESSION_TOUCH_EVERY = timedelta(minutes=1)


def session_end_reason(created_at: datetime, last_seen_at: datetime | None, at: datetime, *,
                       idle: timedelta, longest: timedelta) -> str | None:
    """Why a live session must end at `at`: "expired" once `longest` has passed since it began
    (whatever its use), "idle" once `idle` has passed since its last request (or its start);
    None while it may go on."""
    if at - created_at >= longest:
        return "expired"
    if at - (last_seen_at or created_at) >= idle:
        return "idle"
    return None


def session_needs_touch(created_at: datetime, last_seen_at: datetime | None, at: datetime) -> bool:
    """Whether a request at `at` records itself as the session's last activity: at most once
    a minute, so a busy user costs one small write a minute, not one a request."""
    return at - (last_seen_at or created_at) >= SESSION_TOUCH_EVERY
