"""A supplier's people (issue 20): colleagues see each other; administrators invite (the
invited person joins by the link, once), remove (their sign-ins end) and make or unmake
administrators, never removing themselves or the last administrator; the supplier's alerts.
Every other role is refused each page."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from procurement.core.clock import frozen_at, now
from procurement.notifications.models import OutgoingEmail
from procurement.parties.models import Membership, User, UserSession
from suppliers.models import Supplier
from tests import factories
from tests.conftest import assert_page_access, csrf_token, fresh_browser, sign_in

PASSWORD = "tidal marble orchestra"


@pytest.fixture()
def company(session: Any) -> dict[str, Any]:
    supplier = factories.supplier(session, legal_name="Peopled Kit Ltd")
    admin = factories.user(session, "supplier", supplier_id=supplier.id)
    colleague = factories.user(session, "supplier", supplier_id=supplier.id)
    session.scalar(select(Membership).where(Membership.user_id == admin.id)).administers = True
    session.flush()
    return {"supplier": supplier, "admin": admin, "colleague": colleague}


def membership(session: Any, user: User) -> Membership | None:
    session.expire_all()
    return session.scalar(select(Membership).where(Membership.user_id == user.id))


def test_colleagues_see_each_other_only_administrators_change_anything(app, session, company):
    rival = factories.user(session, "supplier")
    with fresh_browser(app) as browser:
        sign_in(browser, company["colleague"].email, factories.PASSWORD)
        page = browser.get("/supplier/people").get_data(as_text=True)
        assert company["admin"].email in page and company["colleague"].email in page and rival.email not in page
        assert "Invite a colleague" not in page and "Make administrator" not in page
        token = csrf_token(browser, "/supplier/people")
        assert browser.get("/supplier/people/invite").status_code == 403
        assert browser.post(f"/supplier/people/{company['admin'].id}/remove",
                            data={"csrf_token": token, "confirm": "yes"}).status_code == 403
        assert browser.post(f"/supplier/people/{company['colleague'].id}/administrator",
                            data={"csrf_token": token, "administers": "yes"}).status_code == 403
    assert membership(session, company["admin"]) is not None and not membership(session, company["colleague"]).administers


def test_an_invited_colleague_joins_by_the_link_once(app, client, session, company):
    with fresh_browser(app) as browser:
        sign_in(browser, company["admin"].email, factories.PASSWORD)
        token = csrf_token(browser, "/supplier/people/invite")
        for value, message in [("", "Enter your colleague&#39;s email address"),
                               ("nope", "Enter an email address in the correct format"),
                               (company["colleague"].email, "is one of your people already")]:
            assert message in browser.post("/supplier/people/invite",
                                           data={"csrf_token": token, "email": value}).get_data(as_text=True)
        assert browser.post("/supplier/people/invite", data={"csrf_token": token,
                                                             "email": "New.Person@Peopled.example"}).status_code == 302
        assert "new.person@peopled.example" in browser.get("/supplier/people").get_data(as_text=True)
    email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.to_address == "new.person@peopled.example"))
    assert email.subject == "Join Peopled Kit Ltd on London Joint Procurement"
    link = email.link
    assert link.startswith("/join/invitation/")
    assert "Join Peopled Kit Ltd" in client.get(link).get_data(as_text=True)
    token = csrf_token(client, "/join/resend")
    weak = client.post(link, data={"csrf_token": token, "full_name": "New Person", "password": "password1234"})
    assert "Password is too easy to guess" in weak.get_data(as_text=True)
    assert client.post(link, data={"csrf_token": token, "full_name": "", "password": PASSWORD}).status_code == 200
    joined = client.post(link, data={"csrf_token": token, "full_name": "New Person", "password": PASSWORD})
    assert joined.status_code == 302 and "/sign-in" in joined.headers["Location"]
    person = session.scalar(select(User).where(User.email == "new.person@peopled.example"))
    assert person.email_verified_at is not None and person.supplier_ids == {company["supplier"].id}
    assert not membership(session, person).administers
    used = client.post(link, data={"csrf_token": token, "full_name": "Someone Else", "password": PASSWORD})
    assert used.status_code == 400 and "already been used" in used.get_data(as_text=True)


def test_an_expired_invitation_says_so(app, client, session, company):
    from procurement.parties.links import LinkRefused
    from suppliers import people

    people.invite_colleague(session, company["admin"], company["supplier"].id, "late@peopled.example")
    link = session.scalar(select(OutgoingEmail.link).where(OutgoingEmail.to_address == "late@peopled.example"))
    from datetime import timedelta

    with frozen_at(now() + timedelta(days=8)):
        page = client.get(link)
        assert page.status_code == 400 and "This link has expired" in page.get_data(as_text=True)
        with pytest.raises(LinkRefused):
            people.accept_invitation(session, link.rsplit("/", 1)[1], full_name="Late", password=PASSWORD)
    assert session.scalar(select(User.id).where(User.email == "late@peopled.example")) is None


def test_removing_a_colleague_ends_their_sign_ins(app, session, company):
    with fresh_browser(app) as theirs:
        sign_in(theirs, company["colleague"].email, factories.PASSWORD)
        assert theirs.get("/supplier/people").status_code == 200
        with fresh_browser(app) as browser:
            sign_in(browser, company["admin"].email, factories.PASSWORD)
            page = f"/supplier/people/{company['colleague'].id}/remove"
            assert "will no longer work for your company" in browser.get(page).get_data(as_text=True)
            token = csrf_token(browser, page)
            unanswered = browser.post(page, data={"csrf_token": token}).get_data(as_text=True)
            assert "Choose yes to remove" in unanswered
            assert browser.post(page, data={"csrf_token": token, "confirm": "no"}).status_code == 302
            assert membership(session, company["colleague"]) is not None
            assert browser.post(page, data={"csrf_token": token, "confirm": "yes"}).status_code == 302
        assert membership(session, company["colleague"]) is None
        live = session.scalars(select(UserSession).where(UserSession.user_id == company["colleague"].id,
                                                         UserSession.ended_at.is_(None))).all()
        assert live == []
        from flask import g

        g.pop("_login_user", None)
        assert theirs.get("/supplier/people").status_code == 302  # signed out


def test_no_one_removes_themselves_or_the_last_administrator(app, session, company):
    with fresh_browser(app) as browser:
        sign_in(browser, company["admin"].email, factories.PASSWORD)
        token = csrf_token(browser, "/supplier/people")
        me = f"/supplier/people/{company['admin'].id}"
        browser.post(f"{me}/remove", data={"csrf_token": token, "confirm": "yes"})
        assert "You cannot remove yourself" in browser.get("/supplier/people").get_data(as_text=True)
        browser.post(f"{me}/administrator", data={"csrf_token": token, "administers": "no"})
        assert "at least one administrator" in browser.get("/supplier/people").get_data(as_text=True)
        assert membership(session, company["admin"]).administers
        nothing = browser.post(f"/supplier/people/{company['colleague'].id}/administrator", data={"csrf_token": token})
        assert nothing.status_code == 302 and not membership(session, company["colleague"]).administers
        browser.post(f"/supplier/people/{company['colleague'].id}/administrator",
                     data={"csrf_token": token, "administers": "yes"})
        assert membership(session, company["colleague"]).administers
        browser.post(f"{me}/administrator", data={"csrf_token": token, "administers": "no"})  # now allowed
        assert not membership(session, company["admin"]).administers
    rival = factories.user(session, "supplier")
    with fresh_browser(app) as browser:  # someone of another supplier is not found here
        sign_in(browser, company["colleague"].email, factories.PASSWORD)
        assert browser.get(f"/supplier/people/{rival.id}/remove").status_code == 404


def test_the_supplier_sets_its_alerts(app, session, company):
    with fresh_browser(app) as browser:
        sign_in(browser, company["colleague"].email, factories.PASSWORD)
        token = csrf_token(browser, "/supplier/alerts")
        bad = browser.post("/supplier/alerts", data={"csrf_token": token, "cpv_codes": "30213100, 1234",
                                                     "regions": ["north", "atlantis"]}).get_data(as_text=True)
        assert "“1234” is not a CPV code" in bad and "Choose London&#39;s partnerships" in bad
        unknown = browser.post("/supplier/alerts", data={"csrf_token": token, "cpv_codes": "12345678"})
        assert "12345678 is not in the CPV 2008 list" in unknown.get_data(as_text=True)
        saved = browser.post("/supplier/alerts", data={"csrf_token": token, "cpv_codes": "30213100-6 48000000 30213100",
                                                       "regions": ["west", "north"]})
        assert saved.status_code == 302
        page = browser.get("/supplier/alerts").get_data(as_text=True)
        assert "30213100-6" in page and "Your alerts are saved" in page
    supplier = session.get(Supplier, company["supplier"].id)
    session.refresh(supplier)
    assert supplier.alert_cpv_codes == ["30213100", "48000000"] and supplier.alert_regions == ["north", "west"]


PAGES = ["/supplier/people", "/supplier/people/invite", "/supplier/alerts"]


@pytest.mark.parametrize("role", ["anonymous", "buyer", "agency", "admin"])
def test_only_the_suppliers_people_reach_its_pages(app, session, company, role):
    with fresh_browser(app) as browser:
        if role != "anonymous":
            sign_in(browser, factories.user(session, role).email, factories.PASSWORD)
        for page in PAGES + [f"/supplier/people/{company['colleague'].id}/remove"]:
            assert_page_access(browser.get(page), role, set())
        token = csrf_token(browser, "/join/resend")
        for page, data in [("/supplier/people/invite", {"email": "x@y.example"}),
                           (f"/supplier/people/{company['colleague'].id}/remove", {"confirm": "yes"}),
                           (f"/supplier/people/{company['colleague'].id}/administrator", {"administers": "yes"}),
                           (f"/supplier/people/requests/{company['colleague'].id}", {"decision": "accept"}),
                           ("/supplier/alerts", {"cpv_codes": "30213100"})]:
            assert_page_access(browser.post(page, data={"csrf_token": token, **data}), role, set())
    assert membership(session, company["colleague"]) is not None


@pytest.mark.parametrize("role", ["buyer", "supplier", "agency", "admin"])
def test_signed_in_people_make_no_account(app, session, role):
    with fresh_browser(app) as browser:
        sign_in(browser, factories.user(session, role).email, factories.PASSWORD)
        for page in ["/join/supplier", "/join/buyer", "/join/supplier/ask?company=12345678"]:
            assert browser.get(page).status_code == 302
            answer = browser.post(page, data={"csrf_token": csrf_token(browser, "/join/resend"), "full_name": "X"})
            assert answer.status_code == 302 and answer.headers["Location"].endswith("/")
        assert browser.get("/join").status_code == 200


def _invite(app, session, company, address):
    with fresh_browser(app) as browser:
        sign_in(browser, company["admin"].email, factories.PASSWORD)
        token = csrf_token(browser, "/supplier/people/invite")
        assert browser.post("/supplier/people/invite", data={"csrf_token": token, "email": address}).status_code == 302
    return session.scalar(select(OutgoingEmail.link).where(OutgoingEmail.to_address == address,
                                                           OutgoingEmail.link.startswith("/join/invitation/")))


def test_an_unconfirmed_account_at_the_invited_address_takes_the_invited_persons_details(app, client, session, company):
    """Someone signed up with the colleague's address and a password of their own, and never
    confirmed it: accepting the invitation must not hand that stranger the company."""
    from procurement.core.security import verify_password
    from procurement.parties.joining import new_unverified_account

    squatter = new_unverified_account(session, full_name="Not The Colleague", email="real.colleague@peopled.example",
                                      password="the squatters own password")
    link = _invite(app, session, company, "real.colleague@peopled.example")
    page = client.get(link).get_data(as_text=True)
    assert 'name="password"' in page  # the invited person sets their own
    token = csrf_token(client, "/join/resend")
    joined = client.post(link, data={"csrf_token": token, "full_name": "Real Colleague", "password": PASSWORD})
    assert joined.status_code == 302
    session.expire_all()
    account = session.get(User, squatter.id)
    assert account.full_name == "Real Colleague" and account.supplier_ids == {company["supplier"].id}
    assert verify_password(account.password_hash, PASSWORD)
    assert not verify_password(account.password_hash, "the squatters own password")


def test_a_buyer_cannot_be_invited_into_a_supplier(app, client, session, company):
    buyer = factories.user(session, "buyer")
    link = _invite(app, session, company, buyer.email)
    token = csrf_token(client, "/join/resend")
    refused = client.post(link, data={"csrf_token": token})
    assert "cannot also work for a supplier" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, buyer.id).supplier_ids == frozenset()
