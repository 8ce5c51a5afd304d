"""Requirements: raised, edited, submitted and withdrawn by their organisation's buyers;
withdrawn once committed, or cancelled, only by the agency. Every change is audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueItem
from catalogue.rules import parse_cpv, parse_money
from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.clock import now, today
from procurement.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.core.access import Actor, actor_id
from demand import permissions, rules
from demand.signals import requirement_leaving, requirement_tender
from demand.models import Requirement, RequirementStatus
from procurement.parties.models import CpvCode, User, cpv_check_digits
from procurement.parties.services import search_cpv

TEXT_LIMITS = {"title": 200, "specification": 5000, "unit": 40, "delivery_location": 200, "notes": 5000}


@dataclass
class RequirementInput:
    """A requirement as a form, the API or a file row gives it: text, checked here."""

    organisation_id: int | None = None
    title: str = ""
    catalogue_item_id: int | None = None
    cpv_code: str = ""
    specification: str = ""
    quantity: Any = ""
    unit: str = ""
    delivery_location: str = ""
    needed_by: date | str | None = None
    baseline_unit_price: Any = ""
    notes: str = ""


def validate(session: Session, data: RequirementInput, *, items: dict[int, CatalogueItem] | None = None,
             cpv_codes: dict[str, str] | None = None, on: date | None = None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(clean values, errors by field). `items` and `cpv_codes` (code -> check digit) let a
    file check many rows without a query each."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        text = str(getattr(data, name) or "").strip()
        if len(text) > limit:
            errors[name] = [f"Must be at most {limit} characters"]
        values[name] = text
    item = None
    if data.catalogue_item_id:
        item = (items or {}).get(data.catalogue_item_id) if items is not None else session.get(CatalogueItem, data.catalogue_item_id)
        if item is None:
            errors["catalogue_item_id"] = [f"There is no catalogue item {data.catalogue_item_id}"]
    values["catalogue_item_id"] = item.id if item else None
    raw_cpv = (data.cpv_code or "").strip() or (item.cpv_code if item else "")
    values["cpv_code"] = None
    if not raw_cpv:
        errors["cpv_code"] = ["Choose a catalogue item or enter a CPV code"]
    else:
        digits = raw_cpv.split("-", 1)[0]
        if cpv_codes is not None:
            known, check_digits = frozenset(cpv_codes), cpv_codes
        else:
            found = session.get(CpvCode, digits) if len(digits) == 8 and digits.isdecimal() else None
            known = frozenset({found.code}) if found else frozenset()
            check_digits = {found.code: found.check_digit} if found else None
        try:
            values["cpv_code"] = parse_cpv(raw_cpv, known, check_digits)
        except ValueError as exc:
            errors["cpv_code"] = [str(exc)[0].upper() + str(exc)[1:]]
    if item:
        values["title"] = values["title"] or item.name
        if values["unit"] and values["unit"].lower() != item.unit.lower():
            errors["unit"] = [f"{item.name} is bought in units of '{item.unit}'"]
        values["unit"] = values["unit"] or item.unit
    elif not values["specification"] and "specification" not in errors:
        errors["specification"] = ["Describe what is needed, or choose a catalogue item"]
    if not values["title"]:
        errors.setdefault("title", ["Enter a short title"])
    if not values["unit"]:
        errors.setdefault("unit", ["Enter the unit (for example: each, licence, seat per year)"])
    try:
        values["quantity"] = rules.parse_quantity(data.quantity, values["unit"] or "each")
    except ValueError as exc:
        errors["quantity"] = [f"The quantity {exc}" if not str(exc).startswith("Enter") else str(exc)]
    if not values["delivery_location"]:
        errors.setdefault("delivery_location", ["Enter where it is to be delivered"])
    needed_by = data.needed_by
    if isinstance(needed_by, str):
        try:
            needed_by = date.fromisoformat(needed_by.strip()) if needed_by.strip() else None
        except ValueError:
            errors["needed_by"] = ["Enter a date as YYYY-MM-DD"]
            needed_by = None
    if needed_by is None:
        errors.setdefault("needed_by", ["Enter the date it is needed by"])
    else:
        try:
            rules.check_needed_by(needed_by, on or today())
        except ValueError as exc:
            errors["needed_by"] = [f"The date it is needed by {exc}"]
    values["needed_by"] = needed_by
    try:
        values["baseline_unit_price"] = parse_money(str(data.baseline_unit_price or "").strip())
    except ValueError as exc:
        errors["baseline_unit_price"] = [f"What you pay today per unit {exc}"]
    return values, errors


def find_cpv_codes(session: Session, actor: Actor, query: str, limit: int = 20) -> list[CpvCode]:
    """The CPV finder's answer: codes starting with the digits, or whose description has the
    words as written; failing that, every word's stem in any order ('laptops' finds
    'Portable computers'). A read: nothing changes."""
    codes = search_cpv(session, actor, query, limit=limit)
    stems = rules.cpv_search_words(query)
    if codes or not stems or query.strip().split("-", 1)[0].isdecimal():
        return codes
    statement = select(CpvCode).order_by(CpvCode.code).limit(limit)
    for stem in stems:
        statement = statement.where(func.lower(CpvCode.description).like(f"%{stem}%"))
    return list(session.scalars(statement))


def cpv_with_check_digit(code: str) -> str:
    """A CPV code as the service writes it, with its check digit: 30213100-6."""
    found = cpv_check_digits().get(code)
    return f"{code}-{found}" if found else code


@dataclass(frozen=True)
class RequirementTender:
    """The joint tender a requirement is confirmed into, as the tenders domain tells it."""

    tender_id: int
    reference: str
    title: str
    decided: bool  # its award decision is published: its buyers see the outcome


def tender_of(session: Session, requirement: Requirement) -> RequirementTender | None:
    """The joint tender the requirement is confirmed into (the tenders domain answers
    `requirement_tender`), or None. A read."""
    found = [t for _receiver, t in requirement_tender.send(requirement, session=session) if t is not None]
    return found[0] if found else None


def raised_by(session: Session, requirement: Requirement) -> str:
    """Who raised it, after 'by': the person's name, else the system actor in words."""
    person = session.get(User, requirement.raised_by_id) if requirement.raised_by_id else None
    return person.full_name if person is not None and person.full_name else rules.actor_words(requirement.raised_by_label)


def _checked(session: Session, data: RequirementInput) -> dict[str, Any]:
    values, errors = validate(session, data)
    if errors:
        raise InvalidInput("The requirement is not valid", field_errors=errors)
    return values


def organisation_for(actor: Actor, organisation_id: int | None) -> int:
    own = sorted(getattr(actor, "organisation_ids", ()) or ())
    chosen = organisation_id or (own[0] if len(own) == 1 else None)
    if chosen is None and own:
        raise InvalidInput("Choose the organisation", field_errors={"organisation_id": ["Choose the organisation"]})
    if chosen is None or not access.can_act_for_organisation(actor, chosen):
        raise PermissionDenied("Only your organisation's buyers raise its requirements")
    return chosen


def create_requirement(session: Session, actor: Actor, data: RequirementInput, *, submit: bool = False) -> Requirement:
    organisation_id = organisation_for(actor, data.organisation_id)
    values = _checked(session, data)
    requirement = Requirement(organisation_id=organisation_id, raised_by_id=actor_id(actor),
                              raised_by_label=actor.audit_label, **values)
    session.add(requirement)
    session.flush()
    record_event(session, actor, "requirement.created", subject=requirement,
                 details={"organisation_id": organisation_id, "quantity": str(requirement.quantity)})
    if submit:
        submit_requirement(session, actor, requirement.id)
    return requirement


def get_requirement(session: Session, actor: Actor, requirement_id: int) -> Requirement:
    requirement = session.get(Requirement, requirement_id)
    # Another organisation's requirement is reported as missing: not theirs to know of.
    if requirement is None or not access.can_view_requirement(actor, requirement):
        raise NotFound("No such requirement")
    return requirement


def _own(session: Session, actor: Actor, requirement_id: int) -> Requirement:
    requirement = get_requirement(session, actor, requirement_id)
    permissions.own_buyer(actor, requirement).enforce()
    return requirement


def update_requirement(session: Session, actor: Actor, requirement_id: int, data: RequirementInput) -> Requirement:
    requirement = _own(session, actor, requirement_id)
    permissions.can_edit(actor, requirement).enforce()
    values = _checked(session, data)
    changed = {k: str(v) for k, v in values.items() if getattr(requirement, k) != v}
    for name, value in values.items():
        setattr(requirement, name, value)
    requirement.updated_at = now()
    session.flush()
    record_event(session, actor, "requirement.updated", subject=requirement, details={"changed": changed})
    return requirement


def move_requirement(session: Session, actor: Actor, requirement: Requirement, target: RequirementStatus, action: str,
                     reason: str = "") -> Requirement:
    """Change a requirement's status if the rules allow it, and audit the move. Callers check
    who may make it."""
    if not rules.TRANSITIONS.allows(requirement.status, target):
        raise Conflict(f"A {requirement.status.value} requirement cannot become {target.value}")
    previous = requirement.status
    requirement.status, requirement.updated_at = target, now()
    if reason:
        requirement.status_reason = reason[:500]
    session.flush()
    record_event(session, actor, action, subject=requirement,
                 details={"from": previous.value, "to": target.value, **({"reason": reason} if reason else {})})
    return requirement


def submit_requirement(session: Session, actor: Actor, requirement_id: int) -> Requirement:
    requirement = _own(session, actor, requirement_id)
    permissions.can_submit(actor, requirement).enforce()
    try:
        rules.check_needed_by(requirement.needed_by, today())
    except ValueError as exc:
        raise InvalidInput("The requirement is not valid", field_errors={"needed_by": [f"The needed-by date {exc}"]}) from None
    requirement.submitted_at = now()
    return move_requirement(session, actor, requirement, RequirementStatus.submitted, "requirement.submitted")


def withdraw_requirement(session: Session, actor: Actor, requirement_id: int, reason: str = "") -> Requirement:
    """A buyer takes back their organisation's requirement, until it is committed to a tender."""
    requirement = _own(session, actor, requirement_id)
    permissions.can_withdraw(actor, requirement).enforce()
    requirement_leaving.send(requirement, session=session)
    return move_requirement(session, actor, requirement, RequirementStatus.withdrawn, "requirement.withdrawn", reason)


def _stop(session: Session, actor: Actor, requirement_id: int, reason: str, *, act: str, may: Any,
          target: RequirementStatus, action: str, missing: str) -> Requirement:
    """The agency stops a requirement with a reason, kept and audited; its line, if any,
    leaves its lot (the tenders domain hears `requirement_leaving`)."""
    permissions.stopper(actor, act).enforce()
    requirement = get_requirement(session, actor, requirement_id)
    may(actor, requirement).enforce()
    if not reason.strip():
        raise InvalidInput("Give a reason", field_errors={"reason": [missing]})
    requirement_leaving.send(requirement, session=session)
    return move_requirement(session, actor, requirement, target, action, reason.strip())


def agency_withdraw(session: Session, actor: Actor, requirement_id: int, reason: str) -> Requirement:
    """The agency withdraws a committed requirement at its organisation's request."""
    return _stop(session, actor, requirement_id, reason, act=permissions.WITHDRAWS, may=permissions.can_agency_withdraw,
                 target=RequirementStatus.withdrawn, action="requirement.withdrawn_by_agency",
                 missing="Give the reason for the withdrawal")


def cancel_requirement(session: Session, actor: Actor, requirement_id: int, reason: str) -> Requirement:
    return _stop(session, actor, requirement_id, reason, act=permissions.CANCELS, may=permissions.can_cancel,
                 target=RequirementStatus.cancelled, action="requirement.cancelled",
                 missing="Give the reason for the cancellation")


def mark_fulfilled(session: Session, actor: Actor, requirement_id: int) -> Requirement:
    requirement = _own(session, actor, requirement_id)
    permissions.can_mark_fulfilled(actor, requirement).enforce()
    return move_requirement(session, actor, requirement, RequirementStatus.fulfilled, "requirement.fulfilled")


def list_requirements(session: Session, actor: Actor, *, organisation_id: int | None = None,
                      status: RequirementStatus | None = None, page: int = 1, per_page: int = 50) -> tuple[list[Requirement], int]:
    """A buyer's organisations' requirements; the agency's view of any organisation's."""
    statement = select(Requirement)
    if access.has_role(actor, access.AGENCY):
        if organisation_id:
            statement = statement.where(Requirement.organisation_id == organisation_id)
    elif access.can_raise_requirements(actor):
        own = sorted(actor.organisation_ids)
        if organisation_id and organisation_id not in own:
            raise PermissionDenied("You can only list your own organisation's requirements")
        statement = statement.where(Requirement.organisation_id.in_([organisation_id] if organisation_id else own))
    else:
        raise PermissionDenied("Only buyers and the agency see requirements")
    if status:
        statement = statement.where(Requirement.status == status)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    found = session.scalars(statement.order_by(Requirement.needed_by, Requirement.id)
                            .limit(per_page).offset((page - 1) * per_page)).all()
    return list(found), total
