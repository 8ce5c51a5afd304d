"""Administrators create users, organisations and suppliers from the web and the CLI."""
from sqlalchemy import select

from procurement.core.audit import AuditEvent
from procurement.parties.models import Organisation, Role, User
from suppliers.models import Supplier
from tests import factories
from tests.conftest import csrf_token, sign_in


def as_admin(client, session):
    admin = factories.user(session, "admin")
    sign_in(client, admin.email, factories.PASSWORD)
    return admin


def test_admin_creates_an_organisation_a_supplier_and_a_buyer_from_the_web(client, session):
    admin = as_admin(client, session)
    response = client.post("/admin/organisations/new", data={
        "csrf_token": csrf_token(client), "name": "Royal Borough of Testing", "kind": "london_borough",
        "partnership": "west", "gss_code": "e09000099", "org_identifier": "GB-LAE-TST",
        "annual_savings_target": "250000.00"})
    assert response.status_code == 302
    organisation = session.scalar(select(Organisation).where(Organisation.name == "Royal Borough of Testing"))
    assert organisation.gss_code == "E09000099" and str(organisation.annual_savings_target) == "250000.00"

    response = client.post("/suppliers/new", data={
        "csrf_token": csrf_token(client), "legal_name": "Web Made Ltd", "companies_house_number": "12345678",
        "vat_number": "GB 123 4567 89", "is_sme": "y", "contact_name": "Wendy", "contact_email": "wendy@webmade.example"})
    assert response.status_code == 302
    supplier = session.scalar(select(Supplier).where(Supplier.legal_name == "Web Made Ltd"))
    assert supplier.is_sme and supplier.vat_number == "GB123456789"

    response = client.post("/admin/users/new", data={
        "csrf_token": csrf_token(client), "full_name": "Bea Buyer", "email": "Bea@Testing.example",
        "password": "a sensible passphrase", "roles": ["buyer"], "organisation_id": str(organisation.id),
        "supplier_id": ""})
    assert response.status_code == 302
    bea = session.scalar(select(User).where(User.email == "bea@testing.example"))
    assert [(m.role, m.organisation_id) for m in bea.memberships] == [(Role.buyer, organisation.id)]
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == admin.id)).all()
    assert {"organisation.created", "supplier.created", "user.created"} <= set(actions)


def test_bad_input_is_shown_against_each_field_and_nothing_is_written(client, session):
    as_admin(client, session)
    existing = factories.user(session, "agency", email="taken@x.example")
    before = session.scalar(select(User.id).order_by(User.id.desc()))
    response = client.post("/admin/users/new", data={
        "csrf_token": csrf_token(client), "full_name": "Someone", "email": "taken@x.example",
        "password": "short", "roles": ["buyer"], "organisation_id": "", "supplier_id": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "already exists" in html and "at least 12 characters" in html
    assert session.scalar(select(User.id).order_by(User.id.desc())) == before
    assert existing.email == "taken@x.example"


def test_a_buyer_role_needs_an_organisation(client, session):
    as_admin(client, session)
    response = client.post("/admin/users/new", data={
        "csrf_token": csrf_token(client), "full_name": "No Org", "email": "noorg@x.example",
        "password": "a sensible passphrase", "roles": ["buyer"], "organisation_id": "", "supplier_id": ""})
    assert "Choose the organisation the buyer works for" in response.get_data(as_text=True)


def test_admin_changes_roles_and_deactivates(client, session):
    as_admin(client, session)
    target = factories.user(session, "buyer")
    response = client.post(f"/admin/users/{target.id}", data={
        "csrf_token": csrf_token(client), "roles": ["agency"], "organisation_id": "", "supplier_id": ""})
    assert response.status_code == 302
    session.expire_all()
    assert target.roles == {Role.agency}
    client.post(f"/admin/users/{target.id}/active", data={"csrf_token": csrf_token(client)})
    session.expire_all()
    assert not target.active


def test_admins_cannot_deactivate_themselves(client, session):
    admin = as_admin(client, session)
    response = client.post(f"/admin/users/{admin.id}/active", data={"csrf_token": csrf_token(client)},
                           follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    session.expire_all()
    assert admin.active


def test_the_cli_creates_organisations_suppliers_and_users(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["organisations", "create", "--name", "CLI Housing Trust", "--kind",
                                 "housing_association", "--partnership", "east"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["suppliers", "create", "--name", "CLI Supplies Ltd", "--companies-house-number",
                                 "SC123456", "--sme", "--contact-name", "Cal", "--contact-email", "cal@cli.example"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "--email", "cal@cli.example", "--name", "Cal", "--role",
                                 "supplier", "--supplier", "CLI Supplies Ltd", "--password", "a sensible passphrase"])
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "cal@cli.example"))
    assert user.roles == {Role.supplier}
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created",
                                                    AuditEvent.subject_id == str(user.id)))
    assert event.actor_label == "cli"


def test_the_cli_names_bad_fields(app, session):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "bad", "--name", "X", "--role",
                                                "agency", "--password", "short"])
    assert result.exit_code == 2
    assert "email:" in result.output and "password:" in result.output
