"""Organisations and the CPV vocabulary."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from procurement.core.access import Actor
from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from procurement.parties.models import CpvCode, Organisation, OrganisationKind, Partnership, User

GSS_CODE = re.compile(r"^[EWSN]\d{8}$")
ORG_IDENTIFIER = re.compile(r"^[A-Z]{2}-[A-Z0-9]{2,}-[A-Za-z0-9.\-]+$")


def _choice(enum_class: Any, value: Any, field: str, errors: dict[str, list[str]]) -> Any:
    if value in (None, ""):
        return None
    try:
        return enum_class(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_class)
        errors[field] = [f"Choose one of: {allowed}"]
        return None


def create_organisation(
    session: Session, actor: Actor, *, name: str, kind: str, gss_code: str | None = None,
    org_identifier: str | None = None, partnership: str | None = None,
    annual_savings_target: Any = None,
) -> Organisation:
    if not access.can_manage_organisations(actor):
        raise PermissionDenied("Only administrators can add organisations")
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name or len(name) > 200:
        errors["name"] = ["Enter the organisation's name, up to 200 characters"]
    elif session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        errors["name"] = ["An organisation with this name already exists"]
    kind_value = _choice(OrganisationKind, kind, "kind", errors)
    if kind_value is None and "kind" not in errors:
        errors["kind"] = ["Choose the kind of organisation"]
    partnership_value = _choice(Partnership, partnership, "partnership", errors)
    gss_code = (gss_code or "").strip().upper() or None
    if gss_code and not GSS_CODE.match(gss_code):
        errors["gss_code"] = ["Enter a GSS code like E09000007"]
    elif gss_code and session.scalar(select(Organisation.id).where(Organisation.gss_code == gss_code)):
        errors["gss_code"] = ["Another organisation has this GSS code"]
    org_identifier = (org_identifier or "").strip() or None
    if org_identifier and not ORG_IDENTIFIER.match(org_identifier):
        errors["org_identifier"] = ["Enter an organisation identifier like GB-LAE-CMD"]
    elif org_identifier and session.scalar(
        select(Organisation.id).where(Organisation.org_identifier == org_identifier)
    ):
        errors["org_identifier"] = ["Another organisation has this identifier"]
    target = None
    if annual_savings_target not in (None, ""):
        try:
            target = Decimal(str(annual_savings_target))
            if not target.is_finite() or target < 0 or target != target.quantize(Decimal("0.01")):
                raise InvalidOperation
        except InvalidOperation:
            errors["annual_savings_target"] = ["Enter the savings target in pounds, like 250000.00"]
    if errors:
        raise InvalidInput("The organisation details are not valid", field_errors=errors)
    organisation = Organisation(
        name=name, kind=kind_value, gss_code=gss_code, org_identifier=org_identifier,
        partnership=partnership_value, annual_savings_target=target,
    )
    session.add(organisation)
    session.flush()
    record_event(session, actor, "organisation.created", subject=organisation,
                 details={"name": name, "kind": kind_value.value})
    return organisation


def list_organisations(session: Session, actor: Actor) -> list[Organisation]:
    if not access.can_list_organisations(actor):
        raise PermissionDenied("Sign in to see organisations")
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def get_organisation(session: Session, actor: Actor, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation")
    if not access.can_view_organisation(actor, organisation):
        raise PermissionDenied("You cannot see this organisation")
    return organisation


def platform_counts(session: Session) -> dict[str, int]:
    """How many organisations, suppliers, CPV codes and accounts the platform holds."""
    from suppliers.models import Supplier

    return {
        "organisations": session.scalar(select(func.count(Organisation.id))) or 0,
        "suppliers": session.scalar(select(func.count(Supplier.id))) or 0,
        "cpv_codes": session.scalar(select(func.count(CpvCode.code))) or 0,
        "users": session.scalar(select(func.count(User.id))) or 0,
    }


def search_cpv(session: Session, actor: Actor, query: str = "", limit: int = 50) -> list[CpvCode]:
    """CPV codes whose code starts with, or whose description contains, the query."""
    if not access.can_view_cpv_codes(actor):
        raise PermissionDenied("Sign in to search CPV codes")
    query = query.strip()
    statement = select(CpvCode).order_by(CpvCode.code).limit(limit)
    if query:
        digits = query.split("-", 1)[0]
        if digits.isdecimal():
            statement = statement.where(CpvCode.code.startswith(digits))
        else:
            like = f"%{query.lower()}%"
            statement = statement.where(func.lower(CpvCode.description).like(like))
    return list(session.scalars(statement))
