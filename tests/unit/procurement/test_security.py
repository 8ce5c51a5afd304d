from datetime import datetime, timedelta, timezone

from procurement.core.security import (
    hash_password,
    is_valid_email,
    lockout_ends,
    new_api_token,
    password_problems,
    token_digest,
    verify_password,
)

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=15)


def test_password_rules():
    assert password_problems("short", "a@b.example") == ["Password must be at least 12 characters"]
    assert password_problems("a-long-enough-pass", "a@b.example") == []
    assert "Password must not be your email address" in password_problems("Someone@Borough.example", "someone@borough.example")
    assert "Password must not be your email address" in password_problems("averylongname", "averylongname@x.example")


def test_argon2id_hash_and_verify():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong horse battery")
    assert not verify_password(None, "anything at all")
    assert not verify_password("not-a-hash", "anything at all")


def test_email_shape():
    assert is_valid_email("buyer@camden.gov.uk")
    assert not is_valid_email("buyer@")
    assert not is_valid_email("no at sign")


def test_api_token_is_stored_only_as_its_digest():
    token, prefix, digest = new_api_token()
    assert token.startswith(prefix) and len(token) > 40
    assert digest == token_digest(token) and token not in digest
    assert new_api_token()[0] != token


def test_lockout_after_five_failures_within_the_window():
    failures = [T0 + timedelta(minutes=i) for i in range(4)]
    assert lockout_ends(failures, T0 + timedelta(minutes=5), limit=5, window=WINDOW) is None
    failures.append(T0 + timedelta(minutes=4))
    assert lockout_ends(failures, T0 + timedelta(minutes=5), limit=5, window=WINDOW) == T0 + timedelta(minutes=19)


def test_old_failures_do_not_count():
    failures = [T0 + timedelta(minutes=i) for i in range(5)]
    assert lockout_ends(failures, T0 + timedelta(minutes=20), limit=5, window=WINDOW) is None
