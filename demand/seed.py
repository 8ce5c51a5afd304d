"""Demo demand: boroughs and partner bodies needing laptops, desktops, monitors, switches,
CRM licences, contact-centre seats, GIS licences, kiosks and card readers, so the demand
board opens on pools with estimated savings; and one draft joint tender waiting for buyers."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueItem
from procurement.core.access import SystemActor
from procurement.core.audit import record_event
from procurement.core.clock import now, today
from demand.models import Requirement, RequirementStatus
from demand.services import RequirementInput, validate
from procurement.parties.models import Organisation

# (organisation, catalogue item name or None, CPV, specification, quantity, unit, delivery, days ahead, paid today)
DEMAND: list[tuple[str, str | None, str, str, str, str, str, int, str]] = [
    ("London Borough of Camden", "Business laptop, 14-inch", "", "", "180", "", "5 Pancras Square, N1C 4AG", 120, "845.00"),
    ("London Borough of Hackney", "Business laptop, 14-inch", "", "", "240", "", "Hackney Service Centre, E8 1DY", 150, "829.00"),
    ("London Borough of Croydon", "Business laptop, 14-inch", "", "", "95", "", "Bernard Weatherill House, CR0 1EA", 100, "869.00"),
    ("London Borough of Lambeth", "Business laptop, 14-inch", "", "", "150", "", "Lambeth Town Hall, SW2 1RW", 140, "812.50"),
    ("Barts Health NHS Trust", "Business laptop, 14-inch", "", "", "300", "", "Royal London Hospital, E1 1FR", 160, "799.00"),
    ("London Borough of Camden", "Desktop PC, small form factor", "", "", "60", "", "5 Pancras Square, N1C 4AG", 130, "689.00"),
    ("London Borough of Islington", "Desktop PC, small form factor", "", "", "110", "", "Islington Town Hall, N1 2UD", 130, "672.00"),
    ("London Borough of Hackney", "Monitor, 24-inch", "", "", "400", "", "Hackney Service Centre, E8 1DY", 90, "149.00"),
    ("London Borough of Southwark", "Monitor, 24-inch", "", "", "350", "", "160 Tooley Street, SE1 2QH", 90, "155.00"),
    ("Greater London Authority", "Monitor, 24-inch", "", "", "220", "", "City Hall, E16 1ZE", 75, "139.00"),
    ("London Borough of Croydon", "Network switch, 48-port", "", "", "24", "", "Bernard Weatherill House, CR0 1EA", 200, "3450.00"),
    ("London Borough of Sutton", "Network switch, 48-port", "", "", "18", "", "Sutton Civic Offices, SM1 1EA", 210, "3390.00"),
    ("Transport for London", "Network switch, 48-port", "", "", "40", "", "5 Endeavour Square, E20 1JN", 180, "3290.00"),
    ("London Borough of Hackney", "CRM user licence", "", "", "450", "", "Hackney Service Centre, E8 1DY", 110, "240.00"),
    ("London Borough of Tower Hamlets", "CRM user licence", "", "", "600", "", "Town Hall, Whitechapel, E1 1BJ", 120, "235.00"),
    ("London Borough of Newham", "CRM user licence", "", "", "520", "", "Newham Dockside, E16 2QU", 120, "228.00"),
    ("London Borough of Waltham Forest", "CRM user licence", "", "", "300", "", "Walthamstow Town Hall, E17 4JF", 125, "240.00"),
    ("London Borough of Croydon", "Contact-centre telephony seat", "", "", "120", "", "Bernard Weatherill House, CR0 1EA", 120, "396.00"),
    ("London Borough of Lewisham", "Contact-centre telephony seat", "", "", "90", "", "Laurence House, SE6 4RU", 120, "410.00"),
    ("London Borough of Bromley", "Contact-centre telephony seat", "", "", "75", "", "Bromley Civic Centre, BR1 3UH", 130, "388.00"),
    ("Greater London Authority", "GIS desktop licence", "", "", "35", "", "City Hall, E16 1ZE", 110, "1150.00"),
    ("London Borough of Camden", "GIS desktop licence", "", "", "20", "", "5 Pancras Square, N1C 4AG", 110, "1150.00"),
    ("London Borough of Brent", "GIS desktop licence", "", "", "15", "", "Brent Civic Centre, HA9 0FJ", 120, "1195.00"),
    ("London Borough of Harrow", "Self-service kiosk", "", "", "6", "", "Harrow Civic Centre, HA1 2XY", 150, "4250.00"),
    ("London Borough of Ealing", "Self-service kiosk", "", "", "8", "", "Perceval House, W5 2HL", 150, "4400.00"),
    ("Metropolitan Police Service", "Smart-card reader", "", "", "1500", "", "New Scotland Yard, SW1A 2JL", 80, "18.50"),
    ("Barts Health NHS Trust", "Smart-card reader", "", "", "900", "", "Royal London Hospital, E1 1FR", 80, "19.90"),
    # Without a catalogue item: pooled by CPV class and unit.
    ("London Borough of Barnet", None, "48442000", "Revenues and benefits system, hosted, with council tax and NNDR modules",
     "1", "system", "2 Bristol Avenue, NW9 4EW", 240, "410000.00"),
    ("London Borough of Enfield", None, "48442000", "Revenues and benefits system with citizen self-service portal",
     "1", "system", "Enfield Civic Centre, EN1 3XA", 260, "385000.00"),
    ("London Borough of Haringey", None, "48450000", "HR and payroll software, 4,000 employees, cloud hosted",
     "4000", "employee per year", "George Meehan House, N22 8HQ", 200, "21.50"),
    ("London Borough of Redbridge", None, "48450000", "HR and payroll software for 3,200 staff",
     "3200", "employee per year", "Lynton House, IG1 1NY", 210, "23.00"),
]


def seed_demand(session: Session, items: set[str] | None = None) -> dict[str, int]:
    """Raise the demo's requirements for these catalogue items (None: those not raised yet,
    the CPV-coded ones among them), each once, on today's clock."""
    actor = SystemActor("seed-demo")
    organisations = dict(session.execute(select(Organisation.name, Organisation.id)).all())
    catalogue = {i.name: i for i in session.scalars(select(CatalogueItem))}
    raised = set(session.execute(select(Requirement.organisation_id, Requirement.catalogue_item_id, Requirement.specification)
                                 .where(Requirement.raised_by_label == actor.audit_label)).all())
    created = 0
    for name, item, cpv, spec, quantity, unit, place, days, paid in DEMAND:
        if name not in organisations or (items is not None and item not in items):
            continue
        if (organisations[name], catalogue[item].id) in {(o, i) for o, i, _ in raised} if item else \
                (organisations[name], spec) in {(o, text) for o, i, text in raised if i is None}:
            continue
        values, errors = validate(session, RequirementInput(
            organisation_id=organisations[name], catalogue_item_id=catalogue[item].id if item else None, cpv_code=cpv,
            title="" if item else spec.split(",")[0][:200], specification=spec, quantity=quantity, unit=unit,
            delivery_location=place, needed_by=today() + timedelta(days=days), baseline_unit_price=paid,
        ))
        assert not errors, (name, errors)
        requirement = Requirement(organisation_id=organisations[name], raised_by_label=actor.audit_label,
                                  status=RequirementStatus.submitted, submitted_at=now(), **values)
        session.add(requirement)
        session.flush()
        record_event(session, actor, "requirement.created", subject=requirement, details={"seed": True})
        created += 1
    return {"requirements": created}
