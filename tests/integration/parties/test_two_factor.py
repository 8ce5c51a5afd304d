"""Two-factor sign-in with an authenticator app (issue 20, point 3): roles that need it set it
up straight after the password, before any page; others may turn it on from their account.
A code's time step works once, a recovery code once; wrong codes count towards lockout, and a
correct password does not wipe that count. The suite turns the setting off (tests/conftest.py);
these tests turn it on."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from flask import g
from sqlalchemy import func, select

from procurement.core.audit import AuditEvent
from procurement.core.clock import frozen_at, now
from procurement.core.twofactor import decrypt_secret, recovery_digest
from procurement.parties.models import RecoveryCode, SignInAttempt, User
from tests import factories
from tests.conftest import csrf_token, sign_in


@pytest.fixture()
def required(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "TWO_FACTOR_ROLES", "agency,admin")


def fresh() -> None:
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def secret_on(page: str) -> str:
    found = re.search(r'id="two-factor-secret"[^>]*>([A-Z2-7 ]+)<', page)
    assert found, "no key on the page"
    return found.group(1).replace(" ", "")


def codes_on(page: str) -> list[str]:
    return re.findall(r"<code[^>]*>([a-z2-9]{5}-[a-z2-9]{5})</code>", page)


def enter(client: Any, path: str, code: str, **kwargs: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, path), "code": code}, **kwargs)


def set_up(client: Any, session: Any, email: str) -> tuple[str, list[str]]:
    """Sign in with the password, set up the app at the prompt: its secret and recovery codes."""
    answer = sign_in(client, email, factories.PASSWORD)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/sign-in/set-up-two-factor")
    secret = secret_on(client.get("/sign-in/set-up-two-factor").get_data(as_text=True))
    done = enter(client, "/sign-in/set-up-two-factor", pyotp.TOTP(secret).at(now()))
    assert done.status_code == 200
    return secret, codes_on(done.get_data(as_text=True))


def sign_out(client: Any) -> None:
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    fresh()


def failures(session: Any, email: str) -> int:
    return session.scalar(select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.email == email, SignInAttempt.succeeded.is_(False)))


def test_an_agency_user_sets_it_up_after_the_password_before_any_page(client, session, app, required):
    user = factories.user(session, "agency", email="lead@agency.example")
    answer = sign_in(client, user.email, factories.PASSWORD)
    assert answer.headers["Location"].endswith("/sign-in/set-up-two-factor")
    assert client.get("/").status_code in (200, 302) and "lead@agency.example" not in client.get("/").get_data(as_text=True)
    assert client.get("/account").status_code == 302  # not signed in yet

    page = client.get("/sign-in/set-up-two-factor").get_data(as_text=True)
    secret = secret_on(page)
    assert "<svg" in page and "Set up two-factor sign-in" in page
    assert secret_on(client.get("/sign-in/set-up-two-factor").get_data(as_text=True)) == secret  # the same key
    wrong = enter(client, "/sign-in/set-up-two-factor", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    assert "Enter the 6-digit code your authenticator app shows now" in wrong.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).totp_enabled_at is None

    done = enter(client, "/sign-in/set-up-two-factor", pyotp.TOTP(secret).at(now()))
    codes = codes_on(done.get_data(as_text=True))
    assert len(codes) == 10 and "They will not be shown again" in done.get_data(as_text=True)
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored.totp_enabled_at is not None and secret not in stored.totp_secret_encrypted
    assert decrypt_secret(stored.totp_secret_encrypted, app.config["SECRET_KEY"]) == secret
    digests = set(session.scalars(select(RecoveryCode.code_sha256).where(RecoveryCode.user_id == user.id)))
    assert digests == {recovery_digest(code) for code in codes}
    g.pop("_login_user", None)
    assert client.get("/account").status_code == 200  # signed in now
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(user.id))).all()
    assert {"user.two_factor_enabled", "user.recovery_codes_made", "sign_in.succeeded"} <= set(actions)


def test_the_next_sign_in_asks_for_a_code_and_refuses_a_replayed_one(client, session, required):
    user = factories.user(session, "agency", email="replay@agency.example")
    start = now()
    with frozen_at(start):
        secret, _codes = set_up(client, session, user.email)
        sign_out(client)
        answer = sign_in(client, user.email, factories.PASSWORD)
        assert answer.headers["Location"].endswith("/sign-in/two-factor")
        assert client.get("/account").status_code == 302
        replayed = enter(client, "/sign-in/two-factor", pyotp.TOTP(secret).at(start))  # used at set-up
        assert "Enter the code your authenticator app shows now" in replayed.get_data(as_text=True)
        assert failures(session, user.email) == 1
    with frozen_at(start + timedelta(seconds=30)):
        ok = enter(client, "/sign-in/two-factor", pyotp.TOTP(secret).at(start + timedelta(seconds=30)))
        assert ok.status_code == 302
        g.pop("_login_user", None)
        assert client.get("/account").status_code == 200
        sign_out(client)
        sign_in(client, user.email, factories.PASSWORD)
        again = enter(client, "/sign-in/two-factor", pyotp.TOTP(secret).at(start + timedelta(seconds=30)))
        assert again.status_code == 200  # that step is used now


def test_a_recovery_code_works_once(client, session, required):
    user = factories.user(session, "admin", email="recover@admin.example")
    _secret, codes = set_up(client, session, user.email)
    sign_out(client)
    sign_in(client, user.email, factories.PASSWORD)
    assert enter(client, "/sign-in/two-factor", codes[3].upper()).status_code == 302
    assert "user.recovery_code_used" in session.scalars(select(AuditEvent.action)).all()
    sign_out(client)
    sign_in(client, user.email, factories.PASSWORD)
    refused = enter(client, "/sign-in/two-factor", codes[3])
    assert refused.status_code == 200 and "or one of your recovery codes" in refused.get_data(as_text=True)
    g.pop("_login_user", None)
    assert client.get("/account").status_code == 302
    assert session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) == 9


def test_wrong_codes_lock_the_account_and_the_password_does_not_reset_the_count(client, session, required):
    user = factories.user(session, "agency", email="guessed@agency.example")
    secret, _ = set_up(client, session, user.email)
    sign_out(client)
    wrong = "123456" if pyotp.TOTP(secret).now() != "123456" else "654321"
    for attempt in range(5):
        if attempt in (0, 3):  # the password again, between guesses
            fresh()
            assert sign_in(client, user.email, factories.PASSWORD).headers["Location"].endswith("/sign-in/two-factor")
        enter(client, "/sign-in/two-factor", wrong, environ_base={"REMOTE_ADDR": f"198.51.100.{attempt}"})
    assert failures(session, user.email) == 5
    fresh()
    locked = sign_in(client, user.email, factories.PASSWORD)
    assert "Too many failed attempts to sign in" in locked.get_data(as_text=True)


def test_the_half_signed_in_state_runs_out(client, session, required):
    user = factories.user(session, "agency", email="slowpoke@agency.example")
    start = now()
    with frozen_at(start):
        set_up(client, session, user.email)
        sign_out(client)
        sign_in(client, user.email, factories.PASSWORD)
    with frozen_at(start + timedelta(minutes=6)):
        late = client.get("/sign-in/two-factor")
        assert late.status_code == 302 and late.headers["Location"].endswith("/sign-in")


@pytest.mark.parametrize("role", ["anonymous", "buyer", "supplier", "agency", "admin"])
@pytest.mark.parametrize("path", ["/sign-in/two-factor", "/sign-in/set-up-two-factor"])
def test_the_second_step_needs_a_correct_password_first(client, session, role, path):
    if role != "anonymous":
        sign_in(client, factories.user(session, role).email, factories.PASSWORD)
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    assert client.get(path).status_code == 302
    token = csrf_token(client, "/sign-in" if role == "anonymous" else "/account")
    response = client.post(path, data={"csrf_token": token, "code": "123456"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_a_buyer_turns_it_on_and_off_from_the_account_page(client, session, required):
    user = factories.user(session, "buyer", email="careful@camden.example")
    assert sign_in(client, user.email, factories.PASSWORD).status_code == 302  # not needed for buyers
    g.pop("_login_user", None)
    assert "Off: you sign in with your password alone" in client.get("/account").get_data(as_text=True)
    secret = secret_on(client.get("/account/two-factor").get_data(as_text=True))
    done = enter(client, "/account/two-factor", pyotp.TOTP(secret).now())
    assert len(codes_on(done.get_data(as_text=True))) == 10
    g.pop("_login_user", None)
    assert "10 of 10 recovery codes left" in client.get("/account").get_data(as_text=True)

    token = csrf_token(client, "/account/two-factor/off")
    wrong = client.post("/account/two-factor/off", data={"csrf_token": token, "password": "not my password"})
    assert "Your password is not right" in wrong.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).totp_enabled_at is not None
    off = client.post("/account/two-factor/off", data={"csrf_token": token, "password": factories.PASSWORD})
    assert off.status_code == 302
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored.totp_enabled_at is None and stored.totp_secret_encrypted is None
    assert session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id)) == 0
    assert "user.two_factor_disabled" in session.scalars(select(AuditEvent.action)).all()


def test_a_role_that_needs_it_cannot_turn_it_off(client, session, required):
    user = factories.user(session, "agency", email="must@agency.example")
    set_up(client, session, user.email)
    g.pop("_login_user", None)
    page = client.get("/account/two-factor/off").get_data(as_text=True)
    assert "Your role needs two-factor sign-in, so it cannot be turned off" in page
    token = csrf_token(client, "/account")
    client.post("/account/two-factor/off", data={"csrf_token": token, "password": factories.PASSWORD})
    session.expire_all()
    assert session.get(User, user.id).totp_enabled_at is not None


def test_new_recovery_codes_replace_the_old(client, session, required):
    user = factories.user(session, "agency", email="renew@agency.example")
    _secret, old = set_up(client, session, user.email)
    g.pop("_login_user", None)
    made = client.post("/account/recovery-codes", data={"csrf_token": csrf_token(client, "/account")})
    new = codes_on(made.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    sign_out(client)
    sign_in(client, user.email, factories.PASSWORD)
    assert enter(client, "/sign-in/two-factor", old[0]).status_code == 200  # refused
    assert enter(client, "/sign-in/two-factor", new[0]).status_code == 302


def test_someone_signed_in_before_it_was_needed_sets_it_up_before_any_page(client, session, app, monkeypatch):
    user = factories.user(session, "admin", email="early@admin.example")
    sign_in(client, user.email, factories.PASSWORD)
    g.pop("_login_user", None)
    assert client.get("/admin/users").status_code == 200
    monkeypatch.setitem(app.config, "TWO_FACTOR_ROLES", "admin")  # read on each request
    g.pop("_login_user", None)
    sent = client.get("/admin/users")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/account/two-factor")
    g.pop("_login_user", None)
    assert client.get("/account/two-factor").status_code == 200


def test_seed_demo_enrols_the_demo_accounts_whose_role_needs_it_and_demo_code_prints_a_fresh_code(app, session):
    from procurement.seed import DEMO_USERS, enrol_demo_two_factor
    from procurement.parties.accounts import RoleGrant, create_user
    from procurement.core.access import SystemActor

    for demo in DEMO_USERS[:2]:  # the admin and the agency lead
        create_user(session, SystemActor("test"), email=demo.email, full_name=demo.full_name,
                    password="london-demo-2026", demo=True, grants=[RoleGrant(demo.role)])
    session.flush()
    assert enrol_demo_two_factor(session, app.config["SECRET_KEY"], set()) == {}  # no role needs it: none
    enrolled = enrol_demo_two_factor(session, app.config["SECRET_KEY"], {"agency", "admin"})
    assert set(enrolled) == {DEMO_USERS[0].email, DEMO_USERS[1].email}
    assert enrol_demo_two_factor(session, app.config["SECRET_KEY"], {"agency", "admin"}) == enrolled  # idempotent
    session.flush()

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-code", DEMO_USERS[1].email])
    assert result.exit_code == 0, result.output
    code = result.output.split()[0]
    assert pyotp.TOTP(enrolled[DEMO_USERS[1].email]).verify(code, valid_window=1)
    refused = runner.invoke(args=["demo-code", "someone@camden.example"])
    assert refused.exit_code != 0 and "only for the demo's accounts" in refused.output
    app.config["APP_ENV"], before = "production", app.config["APP_ENV"]
    try:
        refused = runner.invoke(args=["demo-code", DEMO_USERS[1].email])
        assert refused.exit_code != 0 and "only where APP_ENV is development" in refused.output
    finally:
        app.config["APP_ENV"] = before


def test_an_administrator_resets_a_lost_second_factor_and_the_person_sets_it_up_again(client, session, app, required):
    from tests.conftest import fresh_browser

    user = factories.user(session, "agency", email="lost.phone@agency.example")
    admin = factories.user(session, "admin", email="helper@admin.example")
    set_up(client, session, user.email)
    sign_out(client)
    with fresh_browser(app) as browser:
        _admin_secret, _ = set_up(browser, session, admin.email)
        g.pop("_login_user", None)
        own = browser.post(f"/admin/users/{admin.id}/two-factor/off", data={"csrf_token": csrf_token(browser, "/account")})
        assert own.status_code == 302
        session.expire_all()
        assert session.get(User, admin.id).totp_enabled_at is not None  # not one's own
        g.pop("_login_user", None)
        page = browser.get(f"/admin/users/{user.id}").get_data(as_text=True)
        assert "Turn off their two-factor sign-in" in page
        reset = browser.post(f"/admin/users/{user.id}/two-factor/off", data={"csrf_token": csrf_token(browser, "/account")})
        assert reset.status_code == 302
    session.expire_all()
    assert session.get(User, user.id).totp_enabled_at is None
    assert session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id)) == 0
    assert "user.two_factor_reset" in session.scalars(select(AuditEvent.action)).all()
    fresh()
    assert sign_in(client, user.email, factories.PASSWORD).headers["Location"].endswith("/sign-in/set-up-two-factor")


@pytest.mark.parametrize("role", ["anonymous", "buyer", "supplier", "agency"])
def test_only_administrators_reset_someone_elses_second_factor(client, session, app, role):
    import pyotp as otp

    from procurement.core.twofactor import new_secret
    from procurement.parties.twofactor import enable_two_factor

    user = factories.user(session, "buyer")
    secret = new_secret()
    enable_two_factor(session, user, user, secret, otp.TOTP(secret).now(), app.config["SECRET_KEY"])
    session.flush()
    if role != "anonymous":
        sign_in(client, factories.user(session, role).email, factories.PASSWORD)
    token = csrf_token(client, "/account" if role != "anonymous" else "/sign-in")
    response = client.post(f"/admin/users/{user.id}/two-factor/off", data={"csrf_token": token})
    assert response.status_code == (302 if role == "anonymous" else 403)
    session.expire_all()
    assert session.get(User, user.id).totp_enabled_at is not None


def test_signing_in_with_a_recovery_code_says_how_many_are_left(client, session, required):
    user = factories.user(session, "agency", email="counting@agency.example")
    _secret, codes = set_up(client, session, user.email)
    sign_out(client)
    sign_in(client, user.email, factories.PASSWORD)
    enter(client, "/sign-in/two-factor", codes[0])
    g.pop("_login_user", None)
    assert "You signed in with a recovery code: 9 left." in client.get("/").get_data(as_text=True)
