"""Supplier companies: registration and the directory."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core.access import Actor
from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from procurement.core.security import is_valid_email
from suppliers.models import Supplier

# Companies House numbers: 8 digits, or 2 letters (SC, NI, OC, ...) and 6 digits.
COMPANIES_HOUSE_NUMBER = re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$")
UK_VAT_NUMBER = re.compile(r"^GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})$")


def normalise_vat_number(value: str) -> str:
    return re.sub(r"[\s.-]", "", value).upper()


def create_supplier(
    session: Session, actor: Actor, *, legal_name: str, contact_name: str, contact_email: str,
    companies_house_number: str | None = None, is_sme: bool = False,
    is_voluntary_sector: bool = False, vat_number: str | None = None,
    contact_phone: str | None = None, postal_address: str = "",
) -> Supplier:
    if not access.can_manage_suppliers(actor):
        raise PermissionDenied("Only administrators can register suppliers")
    errors: dict[str, list[str]] = {}
    legal_name = (legal_name or "").strip()
    if not legal_name or len(legal_name) > 200:
        errors["legal_name"] = ["Enter the supplier's legal name, up to 200 characters"]
    number = (companies_house_number or "").replace(" ", "").upper() or None
    if number and not COMPANIES_HOUSE_NUMBER.match(number):
        errors["companies_house_number"] = ["Enter a Companies House number like 01234567 or SC123456"]
    elif number and session.scalar(
        select(Supplier.id).where(Supplier.companies_house_number == number)
    ):
        errors["companies_house_number"] = ["A supplier with this Companies House number exists"]
    vat = normalise_vat_number(vat_number) if vat_number else None
    if vat and not UK_VAT_NUMBER.match(vat):
        errors["vat_number"] = ["Enter a UK VAT number like GB123456789"]
    if not (contact_name or "").strip():
        errors["contact_name"] = ["Enter the name of the supplier's contact"]
    contact_email = (contact_email or "").strip().lower()
    if not is_valid_email(contact_email):
        errors["contact_email"] = ["Enter the contact's email address, like name@example.org"]
    if len((postal_address or "").strip()) > 500:
        errors["postal_address"] = ["Enter the postal address in up to 500 characters"]
    if errors:
        raise InvalidInput("The supplier details are not valid", field_errors=errors)
    supplier = Supplier(
        legal_name=legal_name, companies_house_number=number, is_sme=bool(is_sme),
        is_voluntary_sector=bool(is_voluntary_sector), vat_number=vat,
        contact_name=contact_name.strip(), contact_email=contact_email,
        contact_phone=(contact_phone or "").strip() or None,
        postal_address=(postal_address or "").strip(),
    )
    session.add(supplier)
    session.flush()
    record_event(session, actor, "supplier.created", subject=supplier,
                 details={"legal_name": legal_name, "companies_house_number": number})
    return supplier


def list_suppliers(session: Session, actor: Actor) -> list[Supplier]:
    if not access.can_list_suppliers(actor):
        raise PermissionDenied("You cannot see the supplier directory")
    return list(session.scalars(select(Supplier).order_by(Supplier.legal_name)))


def get_supplier(session: Session, actor: Actor, supplier_id: int) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("No such supplier")
    if not access.can_view_supplier(actor, supplier):
        # A competitor's existence is not private, but its details are.
        raise PermissionDenied("You cannot see this supplier")
    return supplier
