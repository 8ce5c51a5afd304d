"""A supplier signs up (issue 20): the company's details, checked with Companies House when
the service has a key, and the first person's account, which is of no use until the emailed
link confirms the address. Only then is the supplier made, that person its administrator.

Until then the company's details wait in the link itself (the EmailLink's `details`), so an
unconfirmed sign-up leaves no supplier behind. A company that has an account already is not
made twice: the person asks to join it instead, and its administrators decide (people.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core.audit import record_event
from procurement.core.errors import InvalidInput, Unavailable
from procurement.parties import joining as accounts_joining
from procurement.parties.links import LinkRefused, use_link
from procurement.parties.models import BuyerApplication, LinkPurpose, Membership, Role, User
from suppliers.companies_house import CompaniesHouseUnavailable, CompanyNotFound, CompanyProfile, names_match
from suppliers import people
from suppliers.interests import parse_cpv_codes, parse_regions
from suppliers.models import Supplier

COMPANY_NUMBER = re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$")
MAX_LEGAL_NAME = 200
MAX_ADDRESS = 500
CompaniesHouse = Callable[[str], CompanyProfile]


class CompanyHasAccount(InvalidInput):
    """The company number belongs to a supplier already: ask to join it instead."""

    def __init__(self, supplier: Supplier, field_errors: dict[str, list[str]]):
        super().__init__("Your company already has an account", field_errors=field_errors)
        self.supplier = supplier


def normalise_company_number(value: str) -> str:
    """Upper-cased, spaces gone, a number of fewer than 8 digits padded with zeros (123456 -> 00123456)."""
    number = re.sub(r"\s+", "", value or "").upper()
    return number.zfill(8) if number.isdecimal() and len(number) < 8 else number


def company_number_problem(number: str) -> str | None:
    if not number:
        return "Enter your company's Companies House number"
    if not COMPANY_NUMBER.match(number):
        return "Enter a Companies House number of 8 characters, like 01234567 or SC123456"
    return None


@dataclass(frozen=True)
class SupplierSignUp:
    legal_name: str
    companies_house_number: str
    postal_address: str
    is_sme: bool | None
    is_voluntary_sector: bool | None
    cpv_codes: str
    regions: list[str]
    full_name: str
    email: str
    password: str


def _company_problems(session: Session, given: SupplierSignUp) -> tuple[dict[str, list[str]], dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    legal_name = (given.legal_name or "").strip()
    if not legal_name:
        errors["legal_name"] = ["Enter your company's registered name"]
    elif len(legal_name) > MAX_LEGAL_NAME:
        errors["legal_name"] = [f"Company name must be {MAX_LEGAL_NAME} characters or fewer"]
    number = normalise_company_number(given.companies_house_number)
    if problem := company_number_problem(number):
        errors["companies_house_number"] = [problem]
    address = (given.postal_address or "").strip()
    if not address:
        errors["postal_address"] = ["Enter your company's registered address"]
    elif len(address) > MAX_ADDRESS:
        errors["postal_address"] = [f"Address must be {MAX_ADDRESS} characters or fewer"]
    if given.is_sme is None:
        errors["is_sme"] = ["Say whether your company is a small or medium-sized enterprise (SME)"]
    if given.is_voluntary_sector is None:
        errors["is_voluntary_sector"] = ["Say whether your company is a voluntary, community or social enterprise"]
    codes, problems = parse_cpv_codes(session, given.cpv_codes)
    if problems:
        errors["cpv_codes"] = problems
    regions, problems = parse_regions(given.regions)
    if problems:
        errors["regions"] = problems
    company = dict(legal_name=legal_name, companies_house_number=number, postal_address=address,
                   is_sme=bool(given.is_sme), is_voluntary_sector=bool(given.is_voluntary_sector),
                   alert_cpv_codes=codes, alert_regions=regions)
    return errors, company


def supplier_with_number(session: Session, number: str) -> Supplier | None:
    return session.scalar(select(Supplier).where(Supplier.companies_house_number == number)) if number else None


def check_with_companies_house(look_up: CompaniesHouse, company: dict[str, Any]) -> None:
    """The number is a live company of the name given; else a field error. An outage is
    Unavailable: nothing is written, and the person is asked to try later."""
    number = company["companies_house_number"]
    try:
        profile = look_up(number)
    except CompanyNotFound:
        raise InvalidInput("Unknown company", field_errors={
            "companies_house_number": ["No company with this number: check it on Companies House"]}) from None
    except CompaniesHouseUnavailable:
        raise Unavailable("We cannot check your company with Companies House at the moment. "
                          "Nothing has been saved: try again later.") from None
    if not names_match(company["legal_name"], profile.name):
        raise InvalidInput("Name does not match", field_errors={
            "legal_name": [f"Enter the company's name as Companies House has it for {number}: {profile.name}"]})
    if not profile.is_active:
        status = profile.status.replace("-", " ") or "not active"
        raise InvalidInput("Company not active", field_errors={
            "companies_house_number": [f"Companies House says {profile.name} is {status}: "
                                       "only an active company can join"]})
    company["legal_name"] = profile.name  # as registered
    if profile.address:
        company["registered_office"] = profile.address


def sign_up_supplier(session: Session, given: SupplierSignUp, *, companies_house: CompaniesHouse | None) -> None:
    """Check everything, then: an unconfirmed account and the link that will make the supplier.
    The page says "check your email" whether or not the address had an account (its owner is
    told). A company number already registered raises CompanyHasAccount."""
    errors, company = _company_problems(session, given)
    errors.update(accounts_joining.account_problems(full_name=given.full_name, email=given.email,
                                                    password=given.password))
    existing = supplier_with_number(session, company["companies_house_number"]) if "companies_house_number" not in errors else None
    if existing is not None:
        raise CompanyHasAccount(existing, {"companies_house_number": ["Your company already has an account"]})
    if errors:
        raise InvalidInput("The sign-up details are not valid", field_errors=errors)
    if companies_house is not None:
        check_with_companies_house(companies_house, company)
    known = accounts_joining.existing_account(session, given.email)
    if known is not None:
        accounts_joining.tell_account_exists(session, known)
        return
    user = accounts_joining.new_unverified_account(session, full_name=given.full_name, email=given.email,
                                                   password=given.password)
    accounts_joining.send_verification(session, user, {"supplier": company},
                                       why=f"You signed up {company['legal_name']} to London Joint Procurement.")


def ask_to_join(session: Session, supplier: Supplier, *, full_name: str, email: str, password: str) -> None:
    """Someone of a company that has an account asks to join it: an unconfirmed account whose
    link, once followed, asks the company's administrators."""
    errors = accounts_joining.account_problems(full_name=full_name, email=email, password=password)
    if errors:
        raise InvalidInput("The details are not valid", field_errors=errors)
    known = accounts_joining.existing_account(session, email)
    if known is not None:
        accounts_joining.tell_account_exists(session, known)
        return
    user = accounts_joining.new_unverified_account(session, full_name=full_name, email=email, password=password)
    accounts_joining.send_verification(session, user, {"join_supplier_id": supplier.id},
                                       why=f"You asked to join {supplier.legal_name} on London Joint Procurement.")


@dataclass(frozen=True)
class Confirmed:
    user: User
    outcome: str                 # "supplier_created", "join_requested", "application_pending", "verified"
    about: str = ""              # the supplier's or the organisation's name


def create_signed_up_supplier(session: Session, user: User, company: dict[str, Any]) -> Supplier:
    supplier = Supplier(
        legal_name=company["legal_name"], companies_house_number=company["companies_house_number"],
        is_sme=bool(company.get("is_sme")), is_voluntary_sector=bool(company.get("is_voluntary_sector")),
        contact_name=user.full_name, contact_email=user.email,
        postal_address=company.get("postal_address") or company.get("registered_office") or "",
        alert_cpv_codes=list(company.get("alert_cpv_codes") or []), alert_regions=list(company.get("alert_regions") or []),
    )
    session.add(supplier)
    session.flush()
    user.memberships.append(Membership(role=Role.supplier, supplier_id=supplier.id, administers=True))
    session.flush()
    record_event(session, user, "supplier.signed_up", subject=supplier,
                 details={"legal_name": supplier.legal_name, "companies_house_number": supplier.companies_house_number})
    return supplier


def confirm_email(session: Session, token: str | None) -> Confirmed:
    """Follow the emailed link (once): the address is confirmed and what the sign-up waited for
    happens. LinkRefused says why a link does nothing; then nothing changes."""
    link = use_link(session, LinkPurpose.verify_email, token)
    user = session.get(User, link.user_id) if link.user_id else None
    if user is None or not user.active or user.email != link.email:
        raise LinkRefused("unknown")
    accounts_joining.mark_verified(session, user)
    details = dict(link.details or {})
    if "supplier" in details:
        company = details["supplier"]
        existing = supplier_with_number(session, company.get("companies_house_number", ""))
        if existing is None and not user.supplier_ids:
            supplier = create_signed_up_supplier(session, user, company)
            return Confirmed(user, "supplier_created", supplier.legal_name)
        if existing is not None:  # registered by a colleague meanwhile: ask them instead
            people.request_to_join(session, user, existing)
            return Confirmed(user, "join_requested", existing.legal_name)
    if "join_supplier_id" in details:
        supplier = session.get(Supplier, details["join_supplier_id"])
        if supplier is not None and not user.supplier_ids:
            people.request_to_join(session, user, supplier)
            return Confirmed(user, "join_requested", supplier.legal_name)
    if "buyer_application_id" in details:
        application = session.get(BuyerApplication, details["buyer_application_id"])
        if application is not None and application.user_id == user.id:
            accounts_joining.application_confirmed(session, application)
            return Confirmed(user, "application_pending", application.organisation.name)
    return Confirmed(user, "verified")
