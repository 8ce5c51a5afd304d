"""Demo data: a believable London. Idempotent: running it again changes nothing."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any, Iterable, Iterator

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from procurement.parties.accounts import RoleGrant, create_user
from procurement.core.security import DEMO_PASSWORD
from procurement.core.access import SystemActor
from procurement.parties.models import CpvCode, CpvLevel, Organisation, OrganisationKind, Role, User
from procurement.parties.services import create_organisation, platform_counts
from suppliers.models import Supplier
from suppliers.services import create_supplier

AGENCY_NAME = "LondonConnects e-agency"

# The partner bodies of the LondonConnects programme, beside the 33 authorities.
PARTNERS: list[tuple[str, OrganisationKind, str | None]] = [
    (AGENCY_NAME, OrganisationKind.agency, "central"),
    ("Greater London Authority", OrganisationKind.gla, "central"),
    ("London Development Agency", OrganisationKind.gla, "central"),
    ("Transport for London", OrganisationKind.transport, "central"),
    ("Metropolitan Police Service", OrganisationKind.police, "central"),
    ("London Fire and Emergency Planning Authority", OrganisationKind.fire, "central"),
    ("North Central London NHS Integrated Care Board", OrganisationKind.nhs_body, "north"),
    ("Barts Health NHS Trust", OrganisationKind.nhs_body, "east"),
    ("South London and Maudsley NHS Foundation Trust", OrganisationKind.nhs_body, "south"),
    ("Imperial College Healthcare NHS Trust", OrganisationKind.nhs_body, "west"),
    ("Peabody Trust", OrganisationKind.housing_association, "east"),
    ("Clarion Housing Group", OrganisationKind.housing_association, "south"),
    ("London Voluntary Service Council", OrganisationKind.voluntary, "central"),
    ("Capital City College Group", OrganisationKind.education, "north"),
    ("University of Greenwich", OrganisationKind.education, "east"),
    ("London Libraries Consortium", OrganisationKind.library, "east"),
    ("London Grid for Learning", OrganisationKind.education, "central"),
]

# The NHS bodies' Organisation Data Service codes, as the GB-NHS identifier scheme quotes them.
NHS_ODS = {"North Central London NHS Integrated Care Board": "GB-NHS-QMJ", "Barts Health NHS Trust": "GB-NHS-R1H",
           "South London and Maudsley NHS Foundation Trust": "GB-NHS-RV5",
           "Imperial College Healthcare NHS Trust": "GB-NHS-RYJ"}

# Fictional companies for the demo (not real registrations).
SUPPLIERS: list[dict[str, Any]] = [
    dict(legal_name="Thames Digital Hardware Ltd", companies_house_number="09990001", postal_address="12 Bankside, London SE1 9PA", is_sme=False,
         vat_number="GB999000101", contact_name="Priya Shah", contact_email="bids@thames-digital.example"),
    dict(legal_name="Capital Network Systems Ltd", companies_house_number="09990002", postal_address="3 Canada Square, London E14 5AB", is_sme=True,
         vat_number="GB999000202", contact_name="Tom Okafor", contact_email="tenders@capnet.example"),
    dict(legal_name="Borough CRM Solutions Ltd", companies_house_number="09990003", postal_address="40 Holloway Road, London N7 8JL", is_sme=True,
         vat_number="GB999000303", contact_name="Hannah Lewis", contact_email="sales@boroughcrm.example"),
    dict(legal_name="CallPoint Telephony plc", companies_house_number="09990004", postal_address="1 Wellington Street, Croydon CR0 1AA", is_sme=False,
         vat_number="GB999000404", contact_name="Marcus Reid", contact_email="public-sector@callpoint.example"),
    dict(legal_name="GeoLondon Mapping Ltd", companies_house_number="09990005", postal_address="22 Great Sutton Street, London EC1V 0DS", is_sme=True,
         vat_number="GB999000505", contact_name="Aisha Begum", contact_email="gis@geolondon.example"),
    dict(legal_name="Kiosk & Access Ltd", companies_house_number="09990006", postal_address="8 Park Royal Road, London NW10 7JH", is_sme=True,
         vat_number="GB999000606", contact_name="Daniel Novak", contact_email="bids@kioskaccess.example"),
    dict(legal_name="SecureCard Identity Ltd", companies_house_number="09990007", postal_address="15 Lambeth Walk, London SE11 6DX", is_sme=True,
         vat_number="GB999000707", contact_name="Grace Mensah", contact_email="tenders@securecard.example"),
    dict(legal_name="Metro Display Technologies Ltd", companies_house_number="09990008", postal_address="90 Uxbridge Road, London W12 8NA", is_sme=False,
         vat_number="GB999000808", contact_name="Oliver Brennan", contact_email="bids@metrodisplay.example"),
    dict(legal_name="Southside Community IT CIC", companies_house_number="09990009", postal_address="5 Brixton Station Road, London SW9 8PD", is_sme=True,
         is_voluntary_sector=True, contact_name="Femi Adeyemi", contact_email="hello@southside-it.example"),
    dict(legal_name="Lambeth Refurbished Computers (Social Enterprise) Ltd", companies_house_number="09990010", postal_address="31 Kennington Lane, London SE11 4HE",
         is_sme=True, is_voluntary_sector=True, contact_name="Sarah Kowalski",
         contact_email="orders@lambeth-refurb.example"),
]


# What the demo's suppliers asked to hear of (CPV codes, covering the codes below them; and
# partnerships, none meaning all of London): each is told of the laptop and desktop tender.
ALERTS: dict[str, tuple[list[str], list[str]]] = {
    "Thames Digital Hardware Ltd": (["30200000"], []),                        # computer equipment
    "Capital Network Systems Ltd": (["32400000", "30213000"], []),            # networks; personal computers
    "Borough CRM Solutions Ltd": (["48000000", "30213000"], ["east", "central"]),  # software; computers, east and central
}


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: Role
    organisation: str | None = None
    supplier: str | None = None


DEMO_USERS = [
    DemoUser("admin@demo.londonconnects.example", "Ada Admin", Role.admin),
    DemoUser("agency.lead@demo.londonconnects.example", "Alex Agency", Role.agency),
    DemoUser("agency.evaluator@demo.londonconnects.example", "Sam Evaluator", Role.agency),
    DemoUser("buyer.camden@demo.londonconnects.example", "Chris Camden", Role.buyer, "London Borough of Camden"),
    DemoUser("buyer.hackney@demo.londonconnects.example", "Harriet Hackney", Role.buyer, "London Borough of Hackney"),
    DemoUser("buyer.croydon@demo.londonconnects.example", "Colin Croydon", Role.buyer, "London Borough of Croydon"),
    DemoUser("buyer.gla@demo.londonconnects.example", "Gita GLA", Role.buyer, "Greater London Authority"),
    DemoUser("supplier.thames@demo.londonconnects.example", "Tariq Thames", Role.supplier,
             supplier="Thames Digital Hardware Ltd"),
    DemoUser("supplier.capnet@demo.londonconnects.example", "Nina Network", Role.supplier,
             supplier="Capital Network Systems Ltd"),
    DemoUser("supplier.crm@demo.londonconnects.example", "Ruth CRM", Role.supplier,
             supplier="Borough CRM Solutions Ltd"),
]


# The demo organisations' email domains: their staff can sign up as buyers (issue 20).
DEMO_DOMAINS = {
    "London Borough of Camden": "camden.gov.uk",
    "London Borough of Croydon": "croydon.gov.uk",
    "London Borough of Hackney": "hackney.gov.uk",
    "Greater London Authority": "london.gov.uk",
    "London Borough of Southwark": "southwark.gov.uk",
}


def _data_rows(filename: str) -> Iterator[dict[str, str]]:
    with resources.files("procurement").joinpath("data", filename).open(encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


def load_cpv_codes(session: Session) -> int:
    """Insert the CPV codes not yet present, parents first. Returns how many were added."""
    present = set(session.scalars(select(CpvCode.code)))
    rows = [
        {
            "code": row["code"], "check_digit": row["check_digit"], "description": row["description"],
            "level": CpvLevel(row["level"]), "parent_code": row["parent"] or None,
        }
        for row in _data_rows("cpv_2008.csv")
        if row["code"] not in present
    ]
    order = [level.value for level in CpvLevel]
    rows.sort(key=lambda r: (order.index(r["level"].value), r["code"]))
    if rows:
        session.execute(insert(CpvCode), rows)
    return len(rows)


def seed_demo(session: Session) -> dict[str, Any]:
    """The demo's London and its past: the parties and the catalogue as they stood when the
    story starts, then each tender run through the real services on a clock moved to the day
    each step happened (tenders/seed.py), so every date, release and document is one the
    service could have produced."""
    from procurement.core.clock import frozen_at, now
    from tenders.seed import STORY_DAYS, seed_story, story_moment

    base = now()
    with frozen_at(story_moment(base, STORY_DAYS)):
        added = _seed_parties(session)
        from catalogue.seed import seed_catalogue

        added.update(seed_catalogue(session))
    added.update(seed_story(session, base))
    session.flush()
    added["totals"] = platform_counts(session)
    return added


def seed_exclusions(session: Session, actor: Any) -> None:
    """Every demo supplier has declared (nothing applies); the agency has imported a debarment list
    (of companies that are not on the service)."""
    from suppliers import exclusions

    for supplier in session.scalars(select(Supplier).order_by(Supplier.id)):
        if exclusions.current_declaration(session, supplier.id) is None:
            exclusions.declare(session, actor, supplier.id, grounds=exclusions.nothing_to_declare(), connected=[],
                               associated=[], evidence="")
    if exclusions.latest_import(session) is None:
        exclusions.import_debarment_list(session, actor, "debarment-list.csv", DEBARMENT_LIST.encode())


DEBARMENT_LIST = """supplier_name,companies_house_number,grounds,kind,start_date,end_date,date_listed,source
Brindle Facilities Group Ltd,SC998877,Fraud offence (Schedule 6),mandatory,2025-06-02,2030-06-01,2025-06-02,\
Debarment list published 2 June 2025
Quayside Print Solutions Ltd,,Poor performance of a public contract (Schedule 7),discretionary,2025-11-17,2028-11-16,\
2025-11-17,Debarment list published 17 November 2025
"""


def _seed_parties(session: Session) -> dict[str, Any]:
    actor = SystemActor("seed-demo")
    added = {"cpv_codes": load_cpv_codes(session), "organisations": 0, "suppliers": 0, "users": 0}
    existing = set(session.scalars(select(Organisation.name)))
    for row in _data_rows("london_authorities.csv"):
        if row["official_name"] in existing:
            continue
        kind = OrganisationKind.city_corporation if row["local_authority_type"] == "CC" else OrganisationKind.london_borough
        create_organisation(session, actor, name=row["official_name"], kind=kind.value,
                            gss_code=row["gss_code"], org_identifier=row["org_id"],
                            partnership=row["partnership"])
        added["organisations"] += 1
    for name, kind, partnership in PARTNERS:
        if name not in existing:
            create_organisation(session, actor, name=name, kind=kind.value, partnership=partnership,
                                org_identifier=NHS_ODS.get(name))
            added["organisations"] += 1
    known_numbers = set(session.scalars(select(Supplier.companies_house_number)))
    for data in SUPPLIERS:
        if data["companies_house_number"] not in known_numbers:
            made = create_supplier(session, actor, **data)
            made.alert_cpv_codes, made.alert_regions = ALERTS.get(data["legal_name"], ([], []))
            added["suppliers"] += 1
    seed_exclusions(session, actor)
    known_emails = set(session.scalars(select(User.email)))
    for demo in DEMO_USERS:
        if demo.email in known_emails:
            continue
        organisation_id = supplier_id = None
        if demo.organisation:
            organisation_id = session.scalar(select(Organisation.id).where(Organisation.name == demo.organisation))
        if demo.supplier:
            supplier_id = session.scalar(select(Supplier.id).where(Supplier.legal_name == demo.supplier))
        create_user(session, actor, email=demo.email, full_name=demo.full_name, password=DEMO_PASSWORD, demo=True,
                    grants=[RoleGrant(demo.role, organisation_id, supplier_id)])
        added["users"] += 1
    added["domains"] = _seed_joining(session, actor)
    # Authorities spending over £100m a year publish a pipeline notice (UK1, issue 21).
    for name, spend in ANNUAL_SPEND.items():
        found = session.scalar(select(Organisation).where(Organisation.name == name))
        if found is not None and found.annual_spend is None:
            found.annual_spend = spend
    return added


ANNUAL_SPEND = {"Greater London Authority": Decimal("450000000.00"), "London Borough of Camden": Decimal("310000000.00")}


def _seed_joining(session: Session, actor: SystemActor) -> int:
    """The demo organisations' domains, and their administrators: each demo buyer administers
    their organisation, and each demo supplier's (first) person their supplier."""
    from procurement.parties.joining import add_domain
    from procurement.parties.models import Membership, OrganisationDomain

    known = set(session.scalars(select(OrganisationDomain.domain)))
    added = 0
    for name, domain in DEMO_DOMAINS.items():
        organisation_id = session.scalar(select(Organisation.id).where(Organisation.name == name))
        if organisation_id is not None and domain not in known:
            add_domain(session, actor, organisation_id, domain)
            added += 1
    first_of: set[tuple[str, int]] = set()
    for demo in DEMO_USERS:
        if demo.role not in (Role.buyer, Role.supplier):
            continue
        membership = session.scalar(select(Membership).join(User).where(User.email == demo.email,
                                                                        Membership.role == demo.role))
        if membership is None:
            continue
        scope = membership.organisation_id if demo.role is Role.buyer else membership.supplier_id
        if (demo.role.value, scope) not in first_of:
            first_of.add((demo.role.value, scope))
            membership.administers = True
    session.flush()
    return added


DEMO_DOMAIN = "@demo.londonconnects.example"


def enrol_demo_two_factor(session: Session, secret_key: str, roles: Iterable[str]) -> dict[str, str]:
    """Turn on two-factor sign-in for the demo's accounts whose role needs it (`roles`, the
    TWO_FACTOR_ROLES setting: agency and admin by default), so the demo can be tried and
    photographed without setting up an app first: their secrets, by email, to print (`flask
    demo-code EMAIL` shows a current code). Idempotent: an enrolled account keeps its secret."""
    from procurement.core import twofactor as totp
    from procurement.core.audit import record_event
    from procurement.core.clock import now

    actor = SystemActor("seed-demo")
    needed = set(roles)
    secrets_by_email = {}
    for demo in DEMO_USERS:
        if demo.role.value not in needed:
            continue
        user = session.scalar(select(User).where(User.email == demo.email))
        if user is None:
            continue
        secret = totp.decrypt_secret(user.totp_secret_encrypted or "", secret_key) if user.totp_enabled_at else None
        if secret is None:
            secret = totp.new_secret()
            user.totp_secret_encrypted = totp.encrypt_secret(secret, secret_key)
            user.totp_enabled_at = now()
            user.totp_last_step = None
            record_event(session, actor, "user.two_factor_enabled", subject=user)
        secrets_by_email[user.email] = secret
    session.flush()
    return secrets_by_email
