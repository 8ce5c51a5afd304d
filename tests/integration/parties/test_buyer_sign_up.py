"""A buyer signs up from a member organisation's email domain (issue 20): refused with the
field's message otherwise; the organisation's administrators and the e-agency are told once
the address is confirmed; either of them approves (the buyer role) or refuses with a reason,
and the applicant is emailed either way. Administrators keep the domains."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from procurement.core.audit import AuditEvent
from procurement.notifications.models import Notification, OutgoingEmail
from procurement.parties import joining
from procurement.parties.models import ApplicationStatus, BuyerApplication, Membership, OrganisationDomain, Role, User
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in

PASSWORD = "tidal marble orchestra"


def post(browser: Any, path: str, data: dict[str, Any]) -> Any:
    return browser.post(path, data={"csrf_token": csrf_token(browser, "/join/resend"), **data})


@pytest.fixture()
def council(session: Any) -> dict[str, Any]:
    organisation = factories.organisation(session, name="London Borough of Testham")
    joining.add_domain(session, factories.SYSTEM, organisation.id, "Testham.gov.uk")
    administrator = factories.user(session, "buyer", organisation_id=organisation.id)
    session.scalar(select(Membership).where(Membership.user_id == administrator.id)).administers = True
    colleague = factories.user(session, "buyer", organisation_id=organisation.id)  # not an administrator
    agency = factories.user(session, "agency")
    session.flush()
    return {"organisation": organisation, "administrator": administrator, "colleague": colleague, "agency": agency}


def details(**overrides: str) -> dict[str, str]:
    return {"full_name": "Bea Buyer", "email": "bea@housing.testham.gov.uk", "job_title": "Procurement officer",
            "password": PASSWORD, **overrides}


def sign_up_and_confirm(client: Any, session: Any, **overrides: str) -> User:
    response = post(client, "/join/buyer", details(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    email = details(**overrides)["email"].lower()
    link = session.scalars(select(OutgoingEmail.link).where(OutgoingEmail.to_address == email)
                           .order_by(OutgoingEmail.id.desc())).first()
    assert post(client, link, {}).status_code == 200
    return session.scalar(select(User).where(User.email == email))


def test_a_buyer_applies_confirms_and_the_deciders_are_told(client, session, council):
    response = post(client, "/join/buyer", details())
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "bea@housing.testham.gov.uk"))
    [application] = session.scalars(select(BuyerApplication).where(BuyerApplication.user_id == user.id)).all()
    assert application.status is ApplicationStatus.pending and application.organisation_id == council["organisation"].id
    assert user.memberships == [] and user.email_verified_at is None
    assert session.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "buyer_application")) == 0
    link = session.scalar(select(OutgoingEmail.link).where(OutgoingEmail.to_address == user.email))
    confirmed = post(client, link, {}).get_data(as_text=True)
    assert "to approve you as a buyer" in confirmed and "London Borough of Testham" in confirmed
    told = {n.user_id: n for n in session.scalars(select(Notification).where(Notification.kind == "buyer_application"))}
    assert set(told) >= {council["administrator"].id, council["agency"].id}
    assert council["colleague"].id not in told
    assert told[council["administrator"].id].link == f"/organisations/{council['organisation'].id}/applications"


@pytest.mark.parametrize("field, value, message", [
    ("full_name", "", "Enter your full name"),
    ("full_name", "n" * 201, "Full name must be 200 characters or fewer"),
    ("email", "", "Enter your email address"),
    ("email", "bea@", "Enter an email address in the correct format"),
    ("email", "bea@gmail.com", "Use your work email address from a member organisation"),
    ("email", "bea@nottestham.gov.uk", "Use your work email address from a member organisation"),
    ("job_title", "", "Enter your job title"),
    ("job_title", "j" * 201, "Job title must be 200 characters or fewer"),
    ("password", "", "Enter a password"),
    ("password", "bea@housing.testham.gov.uk", "Password must not be your email address"),
])
def test_each_field_is_refused_with_its_message(client, session, council, field, value, message):
    before = session.scalar(select(func.count()).select_from(User))
    page = post(client, "/join/buyer", details(**{field: value})).get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_the_organisation_administrator_approves_and_the_buyer_gets_the_role(app, client, session, council):
    applicant = sign_up_and_confirm(client, session)
    application = session.scalar(select(BuyerApplication).where(BuyerApplication.user_id == applicant.id))
    page = f"/organisations/{council['organisation'].id}/applications"
    with fresh_browser(app) as browser:  # the applicant's home page while waiting
        sign_in(browser, applicant.email, PASSWORD)
        assert "You are waiting for approval by London Borough of Testham" in browser.get("/").get_data(as_text=True)
    with fresh_browser(app) as browser:
        sign_in(browser, council["administrator"].email, factories.PASSWORD)
        listed = browser.get(page).get_data(as_text=True)
        assert "Bea Buyer" in listed and "Procurement officer" in listed
        token = csrf_token(browser, page)
        refused = browser.post(page, data={"csrf_token": token, "application_id": application.id, "decision": "refuse"})
        assert "Enter the reason for refusing, for the applicant" in refused.get_data(as_text=True)
        nothing = browser.post(page, data={"csrf_token": token, "application_id": application.id})
        assert "Choose whether to approve or refuse" in nothing.get_data(as_text=True)
        session.expire_all()
        assert session.get(BuyerApplication, application.id).status is ApplicationStatus.pending
        approved = browser.post(page, data={"csrf_token": token, "application_id": application.id, "decision": "approve"})
        assert approved.status_code == 302
        again = browser.post(page, data={"csrf_token": token, "application_id": application.id, "decision": "refuse",
                                         "reason": "Changed my mind"})
        assert again.status_code == 302  # refused: decided already
        assert "approved already" in browser.get(page).get_data(as_text=True)
    session.expire_all()
    applicant = session.get(User, applicant.id)
    assert applicant.organisation_ids == {council["organisation"].id} and Role.buyer in applicant.roles
    assert session.get(BuyerApplication, application.id).status is ApplicationStatus.approved
    email = session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == applicant.email)
                            .order_by(OutgoingEmail.id.desc())).first()
    assert "approved" in email.body_text and email.subject == "Your application to buy for London Borough of Testham"


def test_the_agency_refuses_with_a_reason_the_applicant_is_told_it(app, client, session, council):
    applicant = sign_up_and_confirm(client, session)
    application = session.scalar(select(BuyerApplication).where(BuyerApplication.user_id == applicant.id))
    joining.decide_application(session, council["agency"], council["organisation"].id, application.id,
                               approve=False, reason="Please apply from your own team's address")
    email = session.scalars(select(OutgoingEmail).where(OutgoingEmail.to_address == applicant.email)
                            .order_by(OutgoingEmail.id.desc())).first()
    assert "refused" in email.body_text and "Please apply from your own team's address" in email.body_text
    assert applicant.memberships == []
    with fresh_browser(app) as browser:
        sign_in(browser, applicant.email, PASSWORD)
        assert "refused your application" in browser.get("/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["colleague", "other_admin", "supplier", "admin"])
def test_others_cannot_see_or_decide_the_applications(app, client, session, council, who):
    applicant = sign_up_and_confirm(client, session)
    application = session.scalar(select(BuyerApplication).where(BuyerApplication.user_id == applicant.id))
    if who == "colleague":
        actor = council["colleague"]
    elif who == "other_admin":
        other = factories.organisation(session)
        actor = factories.user(session, "buyer", organisation_id=other.id)
        session.scalar(select(Membership).where(Membership.user_id == actor.id)).administers = True
        session.flush()
    else:
        actor = factories.user(session, who)
    page = f"/organisations/{council['organisation'].id}/applications"
    with fresh_browser(app) as browser:
        sign_in(browser, actor.email, factories.PASSWORD)
        assert browser.get(page).status_code == 403
        assert browser.post(page, data={"csrf_token": csrf_token(browser), "application_id": application.id,
                                        "decision": "approve"}).status_code == 403
    session.expire_all()
    assert session.get(BuyerApplication, application.id).status is ApplicationStatus.pending


def test_an_application_before_the_address_is_confirmed_cannot_be_decided(client, session, council):
    post(client, "/join/buyer", details())
    application = session.scalar(select(BuyerApplication).join(User, User.id == BuyerApplication.user_id)
                                 .where(User.email == "bea@housing.testham.gov.uk"))
    assert joining.list_applications(session, council["agency"], council["organisation"].id) == []
    from procurement.core.errors import Conflict

    with pytest.raises(Conflict):
        joining.decide_application(session, council["agency"], council["organisation"].id, application.id, approve=True)


# Domains ------------------------------------------------------------------------------------

def test_administrators_add_and_remove_domains_audited(app, session, council):
    admin = factories.user(session, "admin")
    organisation = council["organisation"]
    page = f"/organisations/{organisation.id}/domains"
    other = factories.organisation(session, name="Elsewhere Council")
    with fresh_browser(app) as browser:
        sign_in(browser, admin.email, factories.PASSWORD)
        token = csrf_token(browser, page)
        for value, message in [("", "Enter the email domain"), ("not a domain", "Enter an email domain in the correct format"),
                               ("testham.gov.uk", "testham.gov.uk is already registered to London Borough of Testham"),
                               ("x" * 254, "Domain must be 253 characters or fewer")]:
            answer = browser.post(f"/organisations/{other.id}/domains", data={"csrf_token": token, "domain": value})
            assert message in answer.get_data(as_text=True), value
        assert browser.post(page, data={"csrf_token": token, "domain": " @Testham-Schools.ORG.uk "}).status_code == 302
        domains = {d.domain: d for d in session.scalars(select(OrganisationDomain)
                                                        .where(OrganisationDomain.organisation_id == organisation.id))}
        assert set(domains) == {"testham.gov.uk", "testham-schools.org.uk"}
        assert "testham-schools.org.uk" in browser.get(page).get_data(as_text=True)
        removed = browser.post(f"{page}/remove", data={"csrf_token": token, "domain_id": domains["testham.gov.uk"].id})
        assert removed.status_code == 302
        # a domain of another organisation is not removed through this one
        browser.post(f"/organisations/{other.id}/domains/remove",
                     data={"csrf_token": token, "domain_id": domains["testham-schools.org.uk"].id})
    remaining = set(session.scalars(select(OrganisationDomain.domain)
                                    .where(OrganisationDomain.organisation_id == organisation.id)))
    assert remaining == {"testham-schools.org.uk"}
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("organisation_domain.%"))))
    assert actions.count("organisation_domain.added") >= 2 and actions.count("organisation_domain.removed") == 1


@pytest.mark.parametrize("role", ["anonymous", "buyer", "supplier", "agency"])
def test_only_administrators_keep_domains(app, session, council, role):
    page = f"/organisations/{council['organisation'].id}/domains"
    with fresh_browser(app) as browser:
        if role != "anonymous":
            sign_in(browser, factories.user(session, role).email, factories.PASSWORD)
        got = browser.get(page)
        posted = browser.post(page, data={"csrf_token": csrf_token(browser, "/join/resend"), "domain": "evil.example"})
    if role == "anonymous":
        assert got.status_code == 302 and "/sign-in" in got.headers["Location"]
        assert posted.status_code == 302 and "/sign-in" in posted.headers["Location"]
    else:
        assert got.status_code == 403 and posted.status_code == 403
    assert session.scalar(select(OrganisationDomain.id).where(OrganisationDomain.domain == "evil.example")) is None


def test_a_subdomain_belongs_to_the_longest_registered_domain(session, council):
    schools = factories.organisation(session, name="Testham Schools")
    joining.add_domain(session, factories.SYSTEM, schools.id, "schools.testham.gov.uk")
    assert joining.organisation_for_email(session, "a@testham.gov.uk").id == council["organisation"].id
    assert joining.organisation_for_email(session, "a@x.schools.testham.gov.uk").id == schools.id
    assert joining.organisation_for_email(session, "a@gov.uk") is None


def test_the_demo_has_domains_and_an_administrator_per_organisation_and_supplier(session):
    from procurement.seed import DEMO_DOMAINS, seed_demo

    seed_demo(session)
    registered = dict(session.execute(select(OrganisationDomain.domain, OrganisationDomain.organisation_id)).all())
    assert set(registered) == set(DEMO_DOMAINS.values())
    assert joining.organisation_for_email(session, "x@camden.gov.uk").name == "London Borough of Camden"
    camden = session.scalar(select(User).where(User.email == "buyer.camden@demo.londonconnects.example"))
    thames = session.scalar(select(User).where(User.email == "supplier.thames@demo.londonconnects.example"))
    assert camden.administered_organisation_ids == camden.organisation_ids
    assert thames.administered_supplier_ids == thames.supplier_ids
