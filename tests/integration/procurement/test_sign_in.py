from datetime import timedelta

import pytest
from sqlalchemy import select

from procurement.parties.accounts import SIGN_IN_FAILED
from procurement.core.audit import AuditEvent
from procurement.core.clock import frozen_at, now
from tests import factories
from tests.conftest import csrf_token, sign_in


def test_a_user_signs_in_and_out(client, session):
    buyer = factories.user(session, "buyer", email="chris@camden.example")
    response = sign_in(client, "Chris@Camden.example", factories.PASSWORD)
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "What needs you" in home and "chris@camden.example" in home
    session.refresh(buyer)
    assert buyer.last_sign_in_at is not None
    token = csrf_token(client, "/")
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert "Sign in" in client.get("/").get_data(as_text=True)
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == buyer.id)).all()
    assert "sign_in.succeeded" in actions and "sign_out" in actions


def test_an_old_cookie_signs_nobody_in_once_its_session_is_ended(client, session, system):
    """Issue 18, finding 3: sessions were signed cookies alone, so a cookie copied before
    sign-out still worked. Now the server ends the session: on sign-out, on a password change
    and when an administrator deactivates the account."""
    from flask import g

    from procurement.parties.accounts import set_password, set_user_active

    user = factories.user(session, "buyer", email="kept@camden.example")

    def signed_in_cookie():
        assert sign_in(client, "kept@camden.example", factories.PASSWORD).status_code == 302
        return client.get_cookie("session").value

    def signed_in_with(cookie):
        g.pop("_login_user", None)  # the tests' shared app context would remember the last user
        client.set_cookie("session", cookie)
        return client.get("/account/tokens").status_code == 200  # else to the sign-in page

    copied = signed_in_cookie()
    assert signed_in_with(copied)
    assert client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    assert not signed_in_with(copied)

    copied = signed_in_cookie()
    set_password(session, system, user, "a new long passphrase for chris")
    session.flush()
    assert not signed_in_with(copied)

    client.delete_cookie("session")
    g.pop("csrf_token", None)
    assert sign_in(client, "kept@camden.example", "a new long passphrase for chris").status_code == 302
    copied = client.get_cookie("session").value
    set_user_active(session, system, user, False)
    session.flush()
    assert not signed_in_with(copied)


def test_unknown_email_and_wrong_password_get_the_same_message(client, session):
    factories.user(session, "agency", email="known@agency.example")
    wrong = sign_in(client, "known@agency.example", "not the password at all").get_data(as_text=True)
    unknown = sign_in(client, "nobody@agency.example", "not the password at all").get_data(as_text=True)
    assert SIGN_IN_FAILED in wrong and SIGN_IN_FAILED in unknown
    failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in.failed")).all()
    assert {e.details["email"] for e in failed} >= {"known@agency.example", "nobody@agency.example"}


def test_five_failures_lock_the_account_for_a_while(client, session):
    factories.user(session, "buyer", email="target@borough.example")
    start = now()
    with frozen_at(start):
        for _ in range(5):
            sign_in(client, "target@borough.example", "wrong password guess")
        # Even the right password is refused now, with a message that says to wait.
        page = sign_in(client, "target@borough.example", factories.PASSWORD).get_data(as_text=True)
        assert "Too many failed attempts" in page
        assert client.get("/account/tokens").status_code == 302  # not signed in
    with frozen_at(start + timedelta(minutes=16)):
        assert sign_in(client, "target@borough.example", factories.PASSWORD).status_code == 302
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in.refused_locked")).first()


def test_five_failures_from_one_address_lock_other_accounts_too(client, session):
    factories.user(session, "buyer", email="other@borough.example")
    with frozen_at(now()):
        for n in range(5):
            sign_in(client, f"guess{n}@borough.example", "wrong password guess")
        page = sign_in(client, "other@borough.example", factories.PASSWORD).get_data(as_text=True)
    assert "Too many failed attempts" in page


def test_a_success_from_an_address_does_not_reset_its_failures(client, session):
    """Issue 18, finding 4: one valid account let its address try passwords without end, each
    success resetting the address's count."""
    factories.user(session, "buyer", email="mine@borough.example")
    factories.user(session, "buyer", email="victim@borough.example")
    with frozen_at(now()):
        for n in range(4):
            sign_in(client, f"victim@borough.example", f"guess {n} of many")
            assert sign_in(client, "mine@borough.example", factories.PASSWORD).status_code == 302
            client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
        sign_in(client, "someone@borough.example", "one more guess")  # the address's fifth failure
        page = sign_in(client, "victim@borough.example", factories.PASSWORD).get_data(as_text=True)
    assert "Too many failed attempts" in page


def test_a_deactivated_account_cannot_sign_in(client, session, system):
    from procurement.parties.accounts import set_user_active

    user = factories.user(session, "supplier", email="gone@supplier.example")
    set_user_active(session, system, user, False)
    session.flush()
    page = sign_in(client, "gone@supplier.example", factories.PASSWORD).get_data(as_text=True)
    assert SIGN_IN_FAILED in page


def test_forms_without_a_csrf_token_are_refused(client, session):
    factories.user(session, "admin", email="admin@x.example")
    response = client.post("/sign-in", data={"email": "admin@x.example", "password": factories.PASSWORD})
    assert response.status_code == 400
    response = client.post("/sign-in", data={"csrf_token": "forged", "email": "admin@x.example",
                                              "password": factories.PASSWORD})
    assert response.status_code == 400
    sign_in(client, "admin@x.example", factories.PASSWORD)
    response = client.post("/admin/users/new", data={"email": "new@x.example"})
    assert response.status_code == 400


@pytest.mark.parametrize("target", ["//evil.example/", "/%09/evil.example", "/%0d%0a/evil.example", "/%5Cevil.example"])
def test_sign_in_does_not_redirect_off_site(client, session, target):
    """Issue 18, finding 2: `/%09/evil.example` led to `Location: //evil.example`, and a CR LF
    to a 500 after signing the user in."""
    factories.user(session, "agency", email="a@agency.example")
    token = csrf_token(client)
    response = client.post(f"/sign-in?next={target}", data={
        "csrf_token": token, "email": "a@agency.example", "password": factories.PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
