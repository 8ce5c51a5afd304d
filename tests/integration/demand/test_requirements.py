"""Requirements through their service: validation, state rules, isolation and audit."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from procurement.core.audit import AuditEvent
from procurement.core.clock import today
from procurement.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from demand import services
from demand.models import RequirementStatus as S
from tests import factories


@pytest.fixture()
def buyer(session):
    return factories.user(session, "buyer")


def _errors(call):
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value.field_errors


def test_a_requirement_for_a_catalogue_item_takes_its_name_unit_and_cpv(session, buyer):
    item = factories.catalogue_item(session, name="Business laptop", unit="each")
    made = factories.requirement(session, buyer, catalogue_item_id=item.id, title="", cpv_code="", unit="",
                                 specification="", quantity="120", baseline_unit_price="845")
    assert (made.title, made.unit, made.cpv_code, made.quantity) == ("Business laptop", "each", "30213100", Decimal("120"))
    assert made.status is S.submitted and made.baseline_unit_price == Decimal("845.00")
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(made.id),
                                                              AuditEvent.subject_type == "requirement")).all()
    assert actions == ["requirement.created", "requirement.submitted"]


def test_every_bad_field_is_named(session, buyer):
    errors = _errors(lambda: factories.requirement(
        session, buyer, cpv_code="99999999", specification="", quantity="2.5", unit="each", delivery_location="",
        needed_by=today() - timedelta(days=1), baseline_unit_price="0"))
    assert set(errors) == {"cpv_code", "specification", "quantity", "delivery_location", "needed_by", "baseline_unit_price"}
    assert "whole number" in errors["quantity"][0] and "today or later" in errors["needed_by"][0]


def test_measured_units_may_be_fractional(session, buyer):
    made = factories.requirement(session, buyer, cpv_code="72000000", specification="GIS consultancy", quantity="37.5",
                                 unit="days")
    assert made.quantity == Decimal("37.5")


def test_an_item_is_bought_by_its_own_unit(session, buyer):
    item = factories.catalogue_item(session, unit="licence per year")
    errors = _errors(lambda: factories.requirement(session, buyer, catalogue_item_id=item.id, unit="each"))
    assert "licence per year" in errors["unit"][0]
    assert "catalogue item" in _errors(lambda: factories.requirement(session, buyer, catalogue_item_id=987654))["catalogue_item_id"][0]


def test_buyers_edit_only_drafts_and_submitted_and_withdraw_until_committed(session, buyer):
    made = factories.requirement(session, buyer, submit=False)
    data = services.RequirementInput(title="Laptops", cpv_code="30213100", specification="Laptops", quantity="12",
                                     unit="each", delivery_location="Depot", needed_by=today() + timedelta(days=9),
                                     baseline_unit_price="790")
    assert services.update_requirement(session, buyer, made.id, data).quantity == Decimal("12")
    services.submit_requirement(session, buyer, made.id)
    with pytest.raises(Conflict):
        services.submit_requirement(session, buyer, made.id)
    services.update_requirement(session, buyer, made.id, data)
    made.status = S.committed  # as if confirmed into a tender
    with pytest.raises(Conflict):
        services.update_requirement(session, buyer, made.id, data)
    with pytest.raises(Conflict, match="agency"):
        services.withdraw_requirement(session, buyer, made.id)
    with pytest.raises(PermissionDenied):
        services.agency_withdraw(session, buyer, made.id, "asked")
    agency = factories.user(session, "agency")
    assert "reason" in _errors(lambda: services.agency_withdraw(session, agency, made.id, " "))
    services.agency_withdraw(session, agency, made.id, "Budget withdrawn by the council's cabinet")
    assert made.status is S.withdrawn and "cabinet" in made.status_reason
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "requirement.withdrawn_by_agency")).one()
    assert event.details["reason"].startswith("Budget") and event.actor_id == agency.id


def test_a_submission_whose_date_has_passed_is_refused(session, buyer):
    from datetime import datetime, timezone

    from procurement.core.clock import frozen_at

    made = factories.requirement(session, buyer, submit=False, days=2)
    with frozen_at(datetime.now(timezone.utc) + timedelta(days=5)):
        assert "needed_by" in _errors(lambda: services.submit_requirement(session, buyer, made.id))


def test_other_organisations_cannot_see_or_touch_a_requirement(session, buyer):
    made = factories.requirement(session, buyer)
    other = factories.user(session, "buyer")
    for call in (lambda: services.get_requirement(session, other, made.id),
                 lambda: services.withdraw_requirement(session, other, made.id),
                 lambda: services.submit_requirement(session, other, made.id)):
        with pytest.raises(NotFound):
            call()
    assert services.list_requirements(session, other)[1] == 0
    with pytest.raises(PermissionDenied):
        services.list_requirements(session, other, organisation_id=made.organisation_id)
    for role in ("supplier", "admin"):
        with pytest.raises((PermissionDenied, NotFound)):
            services.get_requirement(session, factories.user(session, role), made.id)
        with pytest.raises(PermissionDenied):
            services.create_requirement(session, factories.user(session, role), services.RequirementInput())
    # The agency sees it, but does not raise or edit for the organisation.
    agency = factories.user(session, "agency")
    assert services.get_requirement(session, agency, made.id).id == made.id
    with pytest.raises(PermissionDenied):
        services.withdraw_requirement(session, agency, made.id)


def test_cancelled_and_withdrawn_are_final(session, buyer):
    made = factories.requirement(session, buyer)
    agency = factories.user(session, "agency")
    services.cancel_requirement(session, agency, made.id, "Duplicate of another line")
    with pytest.raises(Conflict):
        services.withdraw_requirement(session, buyer, made.id)
    with pytest.raises(Conflict):
        services.cancel_requirement(session, agency, made.id, "again")
