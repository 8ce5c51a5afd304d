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
