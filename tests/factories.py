"""Test data through the same services the app uses."""
from __future__ import annotations

import itertools
from typing import Any

from procurement.accounts import RoleGrant, create_api_token, create_user
from procurement.core.access import SystemActor
from procurement.models import Organisation, Role, User
from procurement.services import create_organisation
from suppliers.models import Supplier
from suppliers.services import create_supplier

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
SYSTEM = SystemActor("test")


def organisation(session: Any, **overrides: Any) -> Organisation:
    n = next(_counter)
    data = dict(name=f"Test Borough {n}", kind="london_borough")
    data.update(overrides)
    return create_organisation(session, SYSTEM, **data)


def supplier(session: Any, **overrides: Any) -> Supplier:
    n = next(_counter)
    data = dict(legal_name=f"Test Supplier {n} Ltd", companies_house_number=f"{88000000 + n:08d}",
                contact_name="Pat Contact", contact_email=f"contact{n}@supplier.example")
    data.update(overrides)
    return create_supplier(session, SYSTEM, **data)


def user(session: Any, role: str, *, organisation_id: int | None = None, supplier_id: int | None = None,
         email: str | None = None, password: str = PASSWORD) -> User:
    n = next(_counter)
    if role == "buyer" and organisation_id is None:
        organisation_id = organisation(session).id
    if role == "supplier" and supplier_id is None:
        supplier_id = supplier(session).id
    created = create_user(
        session, SYSTEM, email=email or f"{role}{n}@test.example", full_name=f"{role.title()} {n}",
        password=password, grants=[RoleGrant(Role(role), organisation_id, supplier_id)],
    )
    session.flush()
    return created


def token_for(session: Any, account: User, days: int = 30) -> str:
    _token, plain = create_api_token(session, account, name="test", days=days)
    session.flush()
    return plain


def catalogue_item(session: Any, name: str | None = None, cpv_code: str = "30213100", unit: str = "each") -> Any:
    from catalogue.services import create_item

    return create_item(session, SYSTEM, name=name or f"Test item {next(_counter)}", cpv_code=cpv_code, unit=unit,
                       key_attributes="")


def linked_offer(session: Any, item: Any, list_price: str, breaks: str = "", **overrides: Any) -> Any:
    """A published offer of a new supplier, linked to the item."""
    from catalogue.services import OfferInput, create_offer, link_offer

    seller = supplier(session)
    data = dict(sku=f"SKU-{next(_counter)}", title=f"Offer for {item.name}", cpv_code=item.cpv_code, unit=item.unit,
                list_price=list_price, price_breaks=breaks, status="published")
    data.update(overrides)
    offer = create_offer(session, SYSTEM, seller.id, OfferInput(**data))
    link_offer(session, SYSTEM, item.id, offer.id)
    return offer


def requirement(session: Any, buyer: User, *, submit: bool = True, days: int = 30, **overrides: Any) -> Any:
    """A requirement raised by `buyer` through the service, submitted unless told."""
    from datetime import timedelta

    from procurement.core.clock import today
    from procurement.demand.services import RequirementInput, create_requirement

    data = dict(title="Laptops", cpv_code="30213100", specification="14-inch laptops", quantity="10", unit="each",
                delivery_location="Town Hall", needed_by=today() + timedelta(days=days), baseline_unit_price="800.00")
    data.update(overrides)
    return create_requirement(session, buyer, RequirementInput(**data), submit=submit)
