"""Getting back into an account (issue 20, point 3): a forgotten password reset by an emailed
link, the account page's change of password and of email address, unconfirmed addresses
refused at sign-in, and administrators seeing and lifting a lockout. Every refusal changes
nothing; nothing tells a stranger whether an address has an account."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import g
from sqlalchemy import func, select

from procurement.core.audit import AuditEvent
from procurement.core.clock import frozen_at, now
from procurement.core.security import verify_password
from procurement.notifications.models import OutgoingEmail
from procurement.parties.models import EmailLink, SignInAttempt, User, UserSession
from tests import factories
from tests.conftest import csrf_token, sign_in

NEW_PASSWORD = "lantern otter quarry nineteen"


def fresh(client: Any) -> None:
    """Forget the shared app context's last user and CSRF token: the next request is the browser's own."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def emails_to(session: Any, address: str) -> list[OutgoingEmail]:
    return list(session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == address)
                                .order_by(OutgoingEmail.id)))


def ask_for_reset(client: Any, email: str, **kwargs: Any) -> Any:
    fresh(client)
    token = csrf_token(client, "/password/forgotten")
    return client.post("/password/forgotten", data={"csrf_token": token, "email": email}, **kwargs)


def reset_link(session: Any, address: str) -> str:
    sent = [e for e in emails_to(session, address) if e.subject == "Reset your password"]
    assert sent, f"no reset email to {address}"
    return sent[-1].link


def count(session: Any, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_sign_in_page_offers_a_reset(client, session):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'href="/password/forgotten"' in page and "Forgotten your password?" in page


def test_a_forgotten_password_is_reset_by_the_emailed_link_once(client, session):
    user = factories.user(session, "buyer", email="forgetful@camden.example")
    elsewhere = factories.user(session, "supplier")
    assert sign_in(client, user.email, factories.PASSWORD).status_code == 302  # a session that must end
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    sign_in(client, user.email, factories.PASSWORD)
    live_before = session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)))
    assert live_before == 1
    fresh(client)
    client.delete_cookie("session")

    answer = ask_for_reset(client, "Forgetful@Camden.example")
    assert answer.status_code == 200
    assert "If an account uses this address we have sent a link" in answer.get_data(as_text=True)
    link = reset_link(session, user.email)
    assert re.fullmatch(r"/password/reset/[A-Za-z0-9_-]{40,}", link)
    assert emails_to(session, elsewhere.email) == []

    form = client.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    token = csrf_token(client, link)
    weak = client.post(link, data={"csrf_token": token, "password": "short"})
    assert weak.status_code == 200 and "Password must be at least 12 characters" in weak.get_data(as_text=True)
    session.expire_all()
    assert verify_password(session.get(User, user.id).password_hash, factories.PASSWORD)
    assert session.scalar(select(EmailLink.used_at).where(EmailLink.user_id == user.id)) is None

    done = client.post(link, data={"csrf_token": token, "password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/sign-in")
    assert "Your password has been changed. Sign in." in client.get("/sign-in").get_data(as_text=True)
    session.expire_all()
    assert verify_password(session.get(User, user.id).password_hash, NEW_PASSWORD)
    assert session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None))) == 0
    assert "user.password_reset" in session.scalars(select(AuditEvent.action)).all()

    again = client.get(link)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    reused = client.post(link, data={"csrf_token": token, "password": "another long phrase entirely"})
    assert reused.status_code == 410
    session.expire_all()
    assert verify_password(session.get(User, user.id).password_hash, NEW_PASSWORD)
    fresh(client)
    assert sign_in(client, user.email, factories.PASSWORD).status_code == 200  # the old one no longer works
    fresh(client)
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, session):
    before = count(session, OutgoingEmail), count(session, EmailLink)
    known = factories.user(session, "buyer", email="known@camden.example")
    unknown = ask_for_reset(client, "nobody@camden.example").get_data(as_text=True)
    assert (count(session, OutgoingEmail), count(session, EmailLink)) == before
    told = ask_for_reset(client, known.email).get_data(as_text=True)

    def main(page: str) -> str:
        return re.sub(r'value="[^"]+"', "", page[page.index("<main"):page.index("</main>")])

    assert main(unknown) == main(told)


@pytest.mark.parametrize("address", ["", "not an address", "x" * 300 + "@camden.example"])
def test_a_bad_address_is_refused_naming_the_field(client, session, address):
    answer = ask_for_reset(client, address)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    if not address:
        assert "Enter your email address" in page
    elif len(address) > 254:
        assert "Email address must be 254 characters or fewer" in page
    else:  # a well-formed answer: we never say the address is unknown
        assert "If an account uses this address" in page
    assert count(session, OutgoingEmail) == 0


def test_an_account_is_sent_at_most_three_reset_emails_an_hour(client, session):
    user = factories.user(session, "buyer", email="spammed@camden.example")
    start = now()
    for minutes in range(5):
        with frozen_at(start + timedelta(minutes=minutes)):
            page = ask_for_reset(client, user.email).get_data(as_text=True)
            assert "If an account uses this address we have sent a link" in page
    assert len(emails_to(session, user.email)) == 3
    with frozen_at(start + timedelta(minutes=61)):
        ask_for_reset(client, user.email)
    assert len(emails_to(session, user.email)) == 4


def test_only_the_latest_link_works_and_an_expired_or_tampered_one_changes_nothing(client, session):
    user = factories.user(session, "buyer", email="expiring@camden.example")
    start = now()
    with frozen_at(start):
        ask_for_reset(client, user.email)
    first = reset_link(session, user.email)
    with frozen_at(start + timedelta(minutes=1)):
        ask_for_reset(client, user.email)
        second = reset_link(session, user.email)
        assert "A newer link has been sent" in client.get(first).get_data(as_text=True)
        tampered = second[:-3] + ("aaa" if not second.endswith("aaa") else "bbb")
        assert client.get(tampered).status_code == 404
        assert "This link is not valid" in client.get(tampered).get_data(as_text=True)
        assert client.get("/password/reset/" + "x" * 500).status_code == 404
        token = csrf_token(client, second)
    with frozen_at(start + timedelta(minutes=62)):
        expired = client.post(second, data={"csrf_token": token, "password": NEW_PASSWORD})
        assert expired.status_code == 410 and "This link has expired" in expired.get_data(as_text=True)
    session.expire_all()
    assert verify_password(session.get(User, user.id).password_hash, factories.PASSWORD)


def test_a_reset_does_not_bypass_two_factor_sign_in(client, session, app):
    import pyotp

    from procurement.parties.twofactor import enable_two_factor
    from procurement.core.twofactor import new_secret

    user = factories.user(session, "buyer", email="guarded@camden.example")
    secret = new_secret()
    enable_two_factor(session, user, user, secret, pyotp.TOTP(secret).now(), app.config["SECRET_KEY"])
    session.flush()
    ask_for_reset(client, user.email)
    link = reset_link(session, user.email)
    assert client.post(link, data={"csrf_token": csrf_token(client, link), "password": NEW_PASSWORD}).status_code == 302
    fresh(client)
    answer = sign_in(client, user.email, NEW_PASSWORD)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/sign-in/two-factor")
    assert client.get("/account").status_code == 302  # not signed in yet


def test_an_unconfirmed_address_cannot_sign_in_and_says_so_only_after_the_right_password(client, session):
    user = factories.user(session, "supplier", email="unconfirmed@supplier.example")
    user.email_verified_at = None
    session.flush()
    wrong = sign_in(client, user.email, "not the password at all").get_data(as_text=True)
    assert "Enter a correct email address and password" in wrong and "Confirm your email" not in wrong
    fresh(client)
    right = sign_in(client, user.email, factories.PASSWORD)
    assert right.status_code == 200
    assert "Confirm your email address first: use the link we sent you" in right.get_data(as_text=True)
    assert client.get("/account").status_code == 302
    assert session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)) == 0


def test_accounts_made_by_administrators_and_the_command_line_are_confirmed(session, system, app):
    made = factories.user(session, "agency")
    assert made.email_verified_at is not None
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "cli.made@agency.example", "--name", "Cli Made",
                                 "--role", "agency", "--password", "a perfectly long passphrase"])
    assert result.exit_code == 0, result.output
    from procurement.core.db import db

    cli_user = db.session.scalar(select(User).where(User.email == "cli.made@agency.example"))
    assert cli_user.email_verified_at is not None


# The account page ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["anonymous", "buyer", "supplier", "agency", "admin"])
@pytest.mark.parametrize("path", ["/account", "/account/password", "/account/email", "/account/two-factor"])
def test_the_account_pages_are_for_the_signed_in_only(client, session, role, path):
    if role != "anonymous":
        user = factories.user(session, role)
        sign_in(client, user.email, factories.PASSWORD)
    response = client.get(path)
    if role == "anonymous":
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    else:
        assert response.status_code == 200
        if path == "/account":
            page = response.get_data(as_text=True)
            assert user.email in page and user.full_name in page and "Two-factor sign-in" in page
            assert "Change your password" in page and "Change your email address" in page


@pytest.mark.parametrize("path", ["/account/password", "/account/email", "/account/recovery-codes",
                                  "/account/two-factor", "/account/two-factor/off"])
def test_an_anonymous_post_to_an_account_page_changes_nothing(client, session, path):
    before = count(session, AuditEvent)
    response = client.post(path, data={"csrf_token": csrf_token(client, "/sign-in"), "current_password": "x",
                                       "new_password": "y", "email": "a@b.example", "password": "z", "code": "1"})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert count(session, AuditEvent) == before


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(app, session):
    from tests.conftest import fresh_browser

    user = factories.user(session, "buyer", email="changer@camden.example")
    with fresh_browser(app) as other:
        assert sign_in(other, user.email, factories.PASSWORD).status_code == 302
        other_cookie = other.get_cookie("session").value
    with fresh_browser(app) as here:
        sign_in(here, user.email, factories.PASSWORD)
        token = csrf_token(here, "/account/password")
        wrong = here.post("/account/password", data={"csrf_token": token, "current_password": "not it at all",
                                                      "new_password": NEW_PASSWORD})
        assert wrong.status_code == 200 and "Your current password is not right" in wrong.get_data(as_text=True)
        weak = here.post("/account/password", data={"csrf_token": token, "current_password": factories.PASSWORD,
                                                     "new_password": "changer@camden.example"})
        assert "Password must not be your email address" in weak.get_data(as_text=True)
        session.expire_all()
        assert verify_password(session.get(User, user.id).password_hash, factories.PASSWORD)

        done = here.post("/account/password", data={"csrf_token": token, "current_password": factories.PASSWORD,
                                                     "new_password": NEW_PASSWORD})
        assert done.status_code == 302 and done.headers["Location"].endswith("/account")
        g.pop("_login_user", None)
        page = here.get("/account").get_data(as_text=True)
        assert "You have been signed out everywhere else; you are still signed in here." in page
    with fresh_browser(app) as other:
        other.set_cookie("session", other_cookie)
        assert other.get("/account").status_code == 302  # that session has ended
    session.expire_all()
    assert verify_password(session.get(User, user.id).password_hash, NEW_PASSWORD)
    live = session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)))
    assert live == 1


def change_email(client: Any, email: str, password: str = factories.PASSWORD) -> Any:
    token = csrf_token(client, "/account/email")
    return client.post("/account/email", data={"csrf_token": token, "email": email, "password": password})


def test_a_new_email_address_is_confirmed_by_its_link_and_the_old_one_is_told(client, session):
    user = factories.user(session, "buyer", email="old.address@camden.example")
    sign_in(client, user.email, factories.PASSWORD)
    sent = change_email(client, "New.Address@Camden.example")
    assert sent.status_code == 200 and "We have sent a link to new.address@camden.example" in sent.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).email == "old.address@camden.example"  # not until the link is used
    [notice] = emails_to(session, "old.address@camden.example")
    assert notice.subject == "A change of your email address was asked" and "new.address" not in notice.body_text
    [confirm] = emails_to(session, "new.address@camden.example")
    assert confirm.link.startswith("/account/email/confirm/")

    fresh(client)
    client.delete_cookie("session")  # followed from another browser, signed out: the link is enough
    page = client.get(confirm.link)
    assert page.status_code == 200 and "new.address@camden.example" in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).email == "old.address@camden.example"  # a GET changes nothing
    done = client.post(confirm.link, data={"csrf_token": csrf_token(client, confirm.link)})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(User, user.id).email == "new.address@camden.example"
    assert client.get(confirm.link).status_code == 410
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(user.id))).all()
    assert "user.email_change_requested" in actions and "user.email_changed" in actions
    fresh(client)
    assert sign_in(client, "new.address@camden.example", factories.PASSWORD).status_code == 302


def test_an_address_in_use_cannot_be_taken_and_whose_it_is_is_not_said(client, session):
    user = factories.user(session, "buyer", email="wants.more@camden.example")
    taken = factories.user(session, "supplier", email="taken@supplier.example")
    sign_in(client, user.email, factories.PASSWORD)
    free = change_email(client, "free.one@camden.example").get_data(as_text=True)
    answer = change_email(client, taken.email).get_data(as_text=True)
    # Told the same as for a free address: whether the address has an account is not said.
    def main(page: str) -> str:
        return page[page.index("<main"):page.index("</main>")]

    assert main(answer).replace(taken.email, "X") == main(free).replace("free.one@camden.example", "X")
    assert taken.full_name not in answer and "cannot be used" not in answer
    told = emails_to(session, taken.email)
    assert [m.subject for m in told] == ["Someone tried to use your email address"] and not told[0].link.startswith("/account/email")
    assert session.scalar(select(func.count()).select_from(EmailLink).where(EmailLink.email == taken.email)) == 0
    wrong_password = change_email(client, "free@camden.example", "not my password").get_data(as_text=True)
    assert "Your password is not right" in wrong_password
    assert "Enter an email address in the correct format" in change_email(client, "nonsense").get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).email == "wants.more@camden.example"


def test_an_address_taken_between_asking_and_confirming_is_refused(client, session):
    user = factories.user(session, "buyer", email="slow@camden.example")
    sign_in(client, user.email, factories.PASSWORD)
    change_email(client, "contested@camden.example")
    [confirm] = emails_to(session, "contested@camden.example")
    factories.user(session, "supplier", email="contested@camden.example")
    token = csrf_token(client, confirm.link)
    refused = client.post(confirm.link, data={"csrf_token": token})
    assert "This email address cannot be used" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).email == "slow@camden.example"
    assert session.scalar(select(EmailLink.used_at).where(EmailLink.user_id == user.id)) is None


# Lockout, seen and lifted by an administrator -------------------------------------------

def test_an_administrator_sees_why_an_account_is_locked_and_unlocks_it(client, session, app):
    user = factories.user(session, "buyer", email="locked.out@camden.example")
    admin = factories.user(session, "admin")
    for n in range(5):
        fresh(client)
        sign_in(client, user.email, "wrong password number " + str(n))  # 127.0.0.1 by default
    fresh(client)
    assert "Too many failed attempts" in sign_in(client, user.email, factories.PASSWORD).get_data(as_text=True)
    session.add(SignInAttempt(email=user.email, ip_address="198.51.100.23", succeeded=False, attempted_at=now()))
    session.flush()

    with app.test_client() as admin_browser:
        fresh(admin_browser)
        # The admin signs in from another address: 127.0.0.1 is itself locked by those attempts.
        token = csrf_token(admin_browser, "/sign-in")
        admin_browser.post("/sign-in", data={"csrf_token": token, "email": admin.email, "password": factories.PASSWORD},
                           environ_base={"REMOTE_ADDR": "192.0.2.50"})
        listing = admin_browser.get("/admin/users", environ_base={"REMOTE_ADDR": "192.0.2.50"}).get_data(as_text=True)
        row = listing[listing.index(user.email):][:1500]
        assert "Locked" in row
        page = admin_browser.get(f"/admin/users/{user.id}", environ_base={"REMOTE_ADDR": "192.0.2.50"})
        text = page.get_data(as_text=True)
        assert "Locked for this account: 6 failed attempts" in text
        assert "198.51.100.23" in text and "127.0.0.1 (locked)" in text
        token = csrf_token(admin_browser, "/account")
        unlock = admin_browser.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": token},
                                    environ_base={"REMOTE_ADDR": "192.0.2.50"})
        assert unlock.status_code == 302
        after = admin_browser.get(f"/admin/users/{user.id}", environ_base={"REMOTE_ADDR": "192.0.2.50"}).get_data(as_text=True)
        assert "Not locked." in after
    session.expire_all()
    assert session.get(User, user.id).unlocked_at is not None
    assert "user.unlocked" in session.scalars(select(AuditEvent.action)).all()
    # Unlocked for the account; from a fresh address the person signs in again.
    fresh(client)
    token = csrf_token(client, "/sign-in")
    ok = client.post("/sign-in", data={"csrf_token": token, "email": user.email, "password": factories.PASSWORD},
                     environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert ok.status_code == 302


def test_a_lock_from_one_address_is_told_apart_from_the_accounts_own(client, session, app):
    user = factories.user(session, "buyer", email="neighbour@camden.example")
    admin = factories.user(session, "admin")
    session.add(SignInAttempt(email=user.email, ip_address="198.51.100.99", succeeded=False, attempted_at=now()))
    session.add_all(SignInAttempt(email=f"other{n}@camden.example", ip_address="198.51.100.99", succeeded=False,
                                  attempted_at=now()) for n in range(5))
    session.flush()
    sign_in(client, admin.email, factories.PASSWORD)
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Locked by too many attempts from one address" in page and "198.51.100.99 (locked)" in page


@pytest.mark.parametrize("role", ["anonymous", "buyer", "supplier", "agency"])
def test_only_administrators_unlock(client, session, role):
    user = factories.user(session, "buyer")
    if role != "anonymous":
        actor = factories.user(session, role)
        sign_in(client, actor.email, factories.PASSWORD)
    token = csrf_token(client, "/account" if role != "anonymous" else "/sign-in")
    response = client.post(f"/admin/users/{user.id}/unlock", data={"csrf_token": token})
    assert response.status_code == (302 if role == "anonymous" else 403)
    session.expire_all()
    assert session.get(User, user.id).unlocked_at is None


def test_a_new_password_stops_a_change_of_address_asked_before_it(client, session):
    """Someone with a stolen session asks to move the account; the owner, told, changes the
    password: the thief's link to the new address no longer works."""
    user = factories.user(session, "buyer", email="owner@camden.example")
    sign_in(client, user.email, factories.PASSWORD)
    change_email(client, "thief@elsewhere.example")
    [confirm] = emails_to(session, "thief@elsewhere.example")
    token = csrf_token(client, "/account/password")
    client.post("/account/password", data={"csrf_token": token, "current_password": factories.PASSWORD,
                                           "new_password": "a brand new passphrase 2027"})
    fresh(client)
    page = client.get(confirm.link)
    assert page.status_code == 410, page.status_code
    session.expire_all()
    assert session.get(User, user.id).email == "owner@camden.example"
