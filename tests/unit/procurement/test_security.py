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


def test_a_session_ends_idle_after_its_idle_limit_and_expired_after_its_absolute_one():
    from procurement.core.security import session_end_reason

    idle, longest = timedelta(minutes=60), timedelta(hours=12)

    def reason(started_minutes_ago, seen_minutes_ago):
        seen = None if seen_minutes_ago is None else T0 - timedelta(minutes=seen_minutes_ago)
        return session_end_reason(T0 - timedelta(minutes=started_minutes_ago), seen, T0, idle=idle, longest=longest)

    assert reason(59, None) is None
    assert reason(60, None) == "idle"  # never used since signing in
    assert reason(300, 59) is None
    assert reason(300, 60) == "idle"
    assert reason(12 * 60 - 1, 1) is None
    assert reason(12 * 60, 1) == "expired"  # however busy
    assert reason(13 * 60, 90) == "expired"


def test_a_session_records_its_last_activity_at_most_once_a_minute():
    from procurement.core.security import session_needs_touch

    started = T0 - timedelta(minutes=30)
    assert not session_needs_touch(T0 - timedelta(seconds=59), None, T0)
    assert session_needs_touch(T0 - timedelta(seconds=60), None, T0)
    assert not session_needs_touch(started, T0 - timedelta(seconds=30), T0)
    assert session_needs_touch(started, T0 - timedelta(minutes=1), T0)
