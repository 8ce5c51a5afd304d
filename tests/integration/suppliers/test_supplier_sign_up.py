"""A supplier signs up (issue 20): the form's every field refused with its message, nothing
usable before the emailed link is followed, the supplier made (its first person its
administrator) when it is, a link reused, expired or tampered with doing nothing, a company
already registered asked to join rather than made twice, and the Companies House check."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from procurement.core.clock import frozen_at, now
from procurement.notifications.models import Notification, OutgoingEmail
from procurement.parties.models import EmailLink, Membership, Role, User
from suppliers.companies_house import CompanyProfile, CompaniesHouseUnavailable, CompanyNotFound
from suppliers.models import Supplier
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in

PASSWORD = "tidal marble orchestra"
GOOD = {"legal_name": "Riverside Laptops Ltd", "companies_house_number": "12345678",
        "postal_address": "1 River Street, London E1 1AA", "is_sme": "yes", "is_voluntary_sector": "no",
        "cpv_codes": "30213100, 48000000-8", "regions": ["east", "central"], "full_name": "Rosa Rivers",
        "email": "Rosa@Riverside.example", "password": PASSWORD}


def post(browser: Any, path: str, data: dict[str, Any]) -> Any:
    return browser.post(path, data={"csrf_token": csrf_token(browser, "/join/resend"), **data})


def emails_to(session: Any, address: str) -> list[OutgoingEmail]:
    return list(session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == address)
                                .order_by(OutgoingEmail.id)))


def verify_link(session: Any, address: str) -> str:
    found = [e.link for e in emails_to(session, address) if e.link.startswith("/join/verify/")]
    assert found, f"no verification email to {address}"
    return found[-1]


def count(session: Any, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_signing_up_makes_nothing_usable_until_the_link_is_followed(client, session):
    response = post(client, "/join/supplier", GOOD)
    assert response.status_code == 302 and "/join/check-email" in response.headers["Location"]
    user = session.scalar(select(User).where(User.email == "rosa@riverside.example"))
    assert user.email_verified_at is None and user.memberships == []
    assert session.scalar(select(Supplier).where(Supplier.companies_house_number == "12345678")) is None
    [email] = emails_to(session, "rosa@riverside.example")
    assert email.subject == "Confirm your email address" and email.link.startswith("/join/verify/")

    page = client.get(email.link)  # a read: it shows a button and changes nothing
    assert page.status_code == 200 and "Confirm that rosa@riverside.example is your email address" in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).email_verified_at is None

    confirmed = post(client, email.link, {})
    assert confirmed.status_code == 200 and "Riverside Laptops Ltd is registered" in confirmed.get_data(as_text=True)
    session.expire_all()
    user = session.get(User, user.id)
    supplier = session.scalar(select(Supplier).where(Supplier.companies_house_number == "12345678"))
    assert user.email_verified_at is not None
    assert [(m.role, m.supplier_id, m.administers) for m in user.memberships] == [(Role.supplier, supplier.id, True)]
    assert (supplier.legal_name, supplier.is_sme, supplier.is_voluntary_sector) == ("Riverside Laptops Ltd", True, False)
    assert supplier.alert_cpv_codes == ["30213100", "48000000"] and supplier.alert_regions == ["east", "central"]
    assert supplier.contact_email == "rosa@riverside.example" and supplier.postal_address.startswith("1 River Street")

    suppliers, events = count(session, Supplier), count(session, Membership)
    again = post(client, email.link, {})  # used: says so, changes nothing
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    assert (count(session, Supplier), count(session, Membership)) == (suppliers, events)


@pytest.mark.parametrize("field, value, message", [
    ("legal_name", "", "Enter your company&#39;s registered name"),
    ("legal_name", "x" * 201, "Company name must be 200 characters or fewer"),
    ("companies_house_number", "", "Enter your company&#39;s Companies House number"),
    ("companies_house_number", "ABC12345", "Enter a Companies House number of 8 characters"),
    ("companies_house_number", "123456789", "Enter a Companies House number of 8 characters"),
    ("postal_address", "", "Enter your company&#39;s registered address"),
    ("is_sme", "", "Say whether your company is a small or medium-sized enterprise (SME)"),
    ("is_voluntary_sector", "maybe", "Say whether your company is a voluntary, community or social enterprise"),
    ("cpv_codes", "30213100, 3021", "“3021” is not a CPV code: enter 8 digits"),
    ("cpv_codes", "30213100, 99999999", "99999999 is not in the CPV 2008 list"),
    ("regions", ["north", "mars"], "Choose London&#39;s partnerships from north, east, south, west and central"),
    ("full_name", "", "Enter your full name"),
    ("email", "", "Enter your email address"),
    ("email", "rosa-at-riverside", "Enter an email address in the correct format"),
    ("password", "", "Enter a password"),
    ("password", "short", "Password must be at least 12 characters"),
    ("password", "passwordpassword", "Password is too easy to guess"),
])
def test_each_field_is_refused_with_its_message_and_nothing_is_written(client, session, field, value, message):
    users, links = count(session, User), count(session, EmailLink)
    response = post(client, "/join/supplier", {**GOOD, field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in page
    assert message in page, page[page.find("govuk-error-summary"):][:1500]
    assert (count(session, User), count(session, EmailLink)) == (users, links)
    assert PASSWORD not in page  # a password is never sent back


def test_a_short_number_is_padded_and_letters_upper_cased(client, session):
    assert post(client, "/join/supplier", {**GOOD, "companies_house_number": "sc 12345"}).status_code == 200
    assert post(client, "/join/supplier", {**GOOD, "companies_house_number": "sc123456"}).status_code == 302
    post(client, verify_link(session, "rosa@riverside.example"), {})
    assert session.scalar(select(Supplier.legal_name).where(Supplier.companies_house_number == "SC123456"))
    assert post(client, "/join/supplier", {**GOOD, "email": "raj@riverside.example",
                                           "companies_house_number": "4567"}).status_code == 302
    post(client, verify_link(session, "raj@riverside.example"), {})
    assert session.scalar(select(Supplier.id).where(Supplier.companies_house_number == "00004567"))


def test_an_expired_or_tampered_link_says_so_and_changes_nothing(client, session):
    post(client, "/join/supplier", GOOD)
    link = verify_link(session, "rosa@riverside.example")
    with frozen_at(now() + timedelta(hours=25)):
        expired = post(client, link, {})
        assert expired.status_code == 400 and "This link has expired" in expired.get_data(as_text=True)
        assert client.get(link).status_code == 400
    tampered = post(client, link[:-3] + "abc", {})
    assert tampered.status_code == 400 and "This link is not valid" in tampered.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(User.email_verified_at).where(User.email == "rosa@riverside.example")) is None
    assert session.scalar(select(Supplier.id).where(Supplier.companies_house_number == "12345678")) is None


def test_a_new_link_replaces_the_old_and_the_resend_page_never_tells(client, session):
    post(client, "/join/supplier", GOOD)
    first = verify_link(session, "rosa@riverside.example")
    for address in ("rosa@riverside.example", "nobody@nowhere.example"):
        response = post(client, "/join/resend", {"email": address})
        assert response.status_code == 302 and "/join/check-email" in response.headers["Location"]
    assert emails_to(session, "nobody@nowhere.example") == []
    second = verify_link(session, "rosa@riverside.example")
    assert second != first
    assert "A newer link has been sent" in post(client, first, {}).get_data(as_text=True)
    assert "is registered" in post(client, second, {}).get_data(as_text=True)  # with the company's details
    assert post(client, "/join/resend", {"email": ""}).status_code == 200  # asks for the address


def test_signing_up_with_an_address_that_has_an_account_tells_its_owner_only(client, session):
    owner = factories.user(session, "buyer", email="taken@riverside.example")
    users = count(session, User)
    response = post(client, "/join/supplier", {**GOOD, "email": "taken@riverside.example"})
    assert response.status_code == 302 and "/join/check-email" in response.headers["Location"]  # as for anyone
    assert count(session, User) == users
    [email] = emails_to(session, owner.email)
    assert email.subject == "You already have an account" and email.link == "/sign-in"


def test_a_registered_company_is_not_made_twice_its_administrators_decide(client, session):
    company = factories.supplier(session, companies_house_number="07654321", legal_name="Existing Kit Ltd")
    admin = factories.user(session, "supplier", supplier_id=company.id)
    session.scalar(select(Membership).where(Membership.user_id == admin.id)).administers = True
    session.flush()
    suppliers = count(session, Supplier)
    response = post(client, "/join/supplier", {**GOOD, "companies_house_number": "7654321"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your company already has an account" in page
    assert "/join/supplier/ask?company=07654321" in page and "Ask to join Existing Kit Ltd" in page
    asked = post(client, "/join/supplier/ask?company=07654321", {"full_name": "Nadia New",
                                                                "email": "nadia@existing.example", "password": PASSWORD})
    assert asked.status_code == 302
    post(client, verify_link(session, "nadia@existing.example"), {})
    nadia = session.scalar(select(User).where(User.email == "nadia@existing.example"))
    assert nadia.memberships == [] and nadia.email_verified_at is not None
    [told] = session.scalars(select(Notification).where(Notification.kind == "join_request")).all()
    assert told.user_id == admin.id and told.link == "/supplier/people" and "Nadia New" in told.subject
    assert count(session, Supplier) == suppliers  # not made twice
    with fresh_browser(client.application) as browser:
        sign_in(browser, admin.email, factories.PASSWORD)
        people = browser.get("/supplier/people").get_data(as_text=True)
        assert "Asking to join" in people and "nadia@existing.example" in people
        token = csrf_token(browser, "/supplier/people")
        assert browser.post(f"/supplier/people/requests/{nadia.id}", data={"csrf_token": token}).status_code == 302
        session.expire_all()
        assert session.get(User, nadia.id).memberships == []  # no decision given: nothing done
        browser.post(f"/supplier/people/requests/{nadia.id}", data={"csrf_token": token, "decision": "accept"})
        session.expire_all()
        assert session.get(User, nadia.id).supplier_ids == {company.id}
        decided = emails_to(session, "nadia@existing.example")[-1]
        assert decided.subject == "Your request to join Existing Kit Ltd"
        # decided once: a second answer finds no request
        again = browser.post(f"/supplier/people/requests/{nadia.id}", data={"csrf_token": token, "decision": "refuse"})
        assert again.status_code == 404


def test_ask_to_join_needs_a_registered_company(client):
    assert client.get("/join/supplier/ask?company=99999998").status_code == 404
    assert client.get("/join/supplier/ask").status_code == 404


# Companies House, through a fake look-up (its HTTP client is tested against a server of our own)

class Registry:
    def __init__(self, **profiles: Any) -> None:
        self.profiles, self.asked = profiles, []

    def __call__(self, number: str) -> CompanyProfile:
        self.asked.append(number)
        found = self.profiles.get(number)
        if isinstance(found, Exception):
            raise found
        if found is None:
            raise CompanyNotFound(number)
        return found


@pytest.fixture()
def registry(monkeypatch: pytest.MonkeyPatch) -> Registry:
    from suppliers import joining_views

    fake = Registry(**{"12345678": CompanyProfile("12345678", "RIVERSIDE LAPTOPS LIMITED", "active",
                                                   "1 River Street, London, E1 1AA"),
                       "22222222": CompanyProfile("22222222", "GONE AWAY LTD", "dissolved", ""),
                       "33333333": CompaniesHouseUnavailable("HTTP 503")})
    monkeypatch.setattr(joining_views, "_companies_house", lambda: fake)
    return fake


def test_with_companies_house_the_name_must_match_a_live_company(client, session, registry):
    users = count(session, User)
    wrong_name = post(client, "/join/supplier", {**GOOD, "legal_name": "Riverbank Laptops Ltd"}).get_data(as_text=True)
    assert "Enter the company&#39;s name as Companies House has it for 12345678: RIVERSIDE LAPTOPS LIMITED" in wrong_name
    unknown = post(client, "/join/supplier", {**GOOD, "companies_house_number": "44444444"}).get_data(as_text=True)
    assert "No company with this number" in unknown
    dissolved = post(client, "/join/supplier", {**GOOD, "companies_house_number": "22222222",
                                                "legal_name": "Gone Away Limited"}).get_data(as_text=True)
    assert "Companies House says GONE AWAY LTD is dissolved: only an active company can join" in dissolved
    down = post(client, "/join/supplier", {**GOOD, "companies_house_number": "33333333"}).get_data(as_text=True)
    assert "We cannot check your company with Companies House at the moment" in down and "try again later" in down
    assert count(session, User) == users and emails_to(session, "rosa@riverside.example") == []
    # Case, punctuation and Ltd/Limited do not matter; the registered name is kept.
    assert post(client, "/join/supplier", {**GOOD, "legal_name": "riverside laptops, ltd."}).status_code == 302
    post(client, verify_link(session, "rosa@riverside.example"), {})
    assert session.scalar(select(Supplier.legal_name).where(Supplier.companies_house_number == "12345678")) == \
        "RIVERSIDE LAPTOPS LIMITED"
    assert registry.asked.count("12345678") == 2


def test_without_a_key_the_number_is_only_format_checked(client, session, app):
    assert app.config.get("COMPANIES_HOUSE_API_KEY") is None
    assert post(client, "/join/supplier", GOOD).status_code == 302


def test_no_one_signs_up_as_agency_or_administrator(client, session):
    """The sign-up forms take no role: whatever is posted, a supplier's first person is its
    administrator and a supplier, never the service's administrator or the e-agency."""
    post(client, "/join/supplier", {**GOOD, "roles": ["admin", "agency"], "role": "admin", "administers": "yes"})
    post(client, verify_link(session, "rosa@riverside.example"), {})
    user = session.scalar(select(User).where(User.email == "rosa@riverside.example"))
    assert user.roles == {Role.supplier}
    assert {rule.rule for rule in client.application.url_map.iter_rules() if "join" in rule.rule} == {
        "/join", "/join/supplier", "/join/supplier/ask", "/join/buyer", "/join/check-email", "/join/verify/<token>",
        "/join/resend", "/join/invitation/<token>"}
