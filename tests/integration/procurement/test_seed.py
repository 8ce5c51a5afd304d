from sqlalchemy import func, select

from procurement.core.audit import AuditEvent, verify_chain
from procurement.parties.models import CpvCode, Organisation, OrganisationKind, User
from procurement.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo
from suppliers.models import Supplier
from tests.conftest import sign_in


def snapshot(session):
    return {
        "organisations": sorted(session.execute(
            select(Organisation.name, Organisation.kind, Organisation.gss_code, Organisation.org_identifier,
                   Organisation.partnership)).all()),
        "suppliers": sorted(session.execute(select(Supplier.legal_name, Supplier.companies_house_number)).all()),
        "users": sorted(session.execute(select(User.email, User.password_hash)).all()),
        "cpv": session.scalar(select(func.count(CpvCode.code))),
        "events": session.scalar(select(func.count(AuditEvent.id))),
    }


def test_seed_twice_gives_the_same_data(session):
    first = seed_demo(session)
    assert first["totals"]["cpv_codes"] == 9454
    before = snapshot(session)
    second = seed_demo(session)
    assert (second["cpv_codes"], second["organisations"], second["suppliers"], second["users"]) == (0, 0, 0, 0)
    assert snapshot(session) == before
    assert verify_chain(session).ok


def test_seed_loads_a_believable_london(session):
    seed_demo(session)
    boroughs = session.scalars(select(Organisation).where(
        Organisation.kind.in_([OrganisationKind.london_borough, OrganisationKind.city_corporation]))).all()
    assert len(boroughs) == 33
    assert {b.gss_code for b in boroughs} == {f"E09{n:06d}" for n in range(1, 34)}
    camden = next(b for b in boroughs if b.gss_code == "E09000007")
    assert camden.org_identifier == "GB-LAE-CMD" and camden.partnership.value == "central"
    kinds = set(session.scalars(select(Organisation.kind)))
    assert {OrganisationKind.gla, OrganisationKind.police, OrganisationKind.fire, OrganisationKind.transport,
            OrganisationKind.nhs_body, OrganisationKind.housing_association, OrganisationKind.voluntary,
            OrganisationKind.education, OrganisationKind.library, OrganisationKind.agency} <= kinds
    assert 8 <= session.scalar(select(func.count(Supplier.id))) <= 12
    laptops = session.get(CpvCode, "30213100")
    assert laptops.parent_code == "30213000" and laptops.check_digit == "6"


def test_every_demo_user_can_sign_in(client, session):
    seed_demo(session)
    roles = set()
    for demo in DEMO_USERS:
        response = sign_in(client, demo.email, DEMO_PASSWORD)
        assert response.status_code == 302, demo.email
        roles.add(demo.role.value)
        from tests.conftest import csrf_token

        client.post("/sign-out", data={"csrf_token": csrf_token(client)})
    assert roles == {"buyer", "supplier", "agency", "admin"}


def test_seed_demo_command_prints_the_demo_users(app, session):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output
    for demo in DEMO_USERS:
        assert demo.email in result.output
