from types import SimpleNamespace

import pytest

from procurement.core import access


def person(*roles, organisations=(), suppliers=(), active=True, user_id=1):
    return SimpleNamespace(
        id=user_id, is_authenticated=True, is_active=active, roles=frozenset(roles),
        organisation_ids=frozenset(organisations), supplier_ids=frozenset(suppliers),
    )


ANONYMOUS = SimpleNamespace(is_authenticated=False, is_active=False, roles=frozenset())
ORG = SimpleNamespace(id=7)
SUPPLIER = SimpleNamespace(id=9)


@pytest.mark.parametrize(
    "user, expected",
    [
        (person("admin"), True),
        (person("agency"), True),
        (person("buyer", organisations={7}), True),
        (person("buyer", organisations={8}), False),
        (person("supplier", suppliers={9}), False),
        (ANONYMOUS, False),
        (person("admin", active=False), False),
    ],
)
def test_who_can_view_an_organisation(user, expected):
    assert access.can_view_organisation(user, ORG) is expected


@pytest.mark.parametrize(
    "user, expected",
    [
        (person("admin"), True),
        (person("agency"), True),
        (person("supplier", suppliers={9}), True),
        (person("supplier", suppliers={10}), False),
        (person("buyer", organisations={7}), False),
        (ANONYMOUS, False),
    ],
)
def test_who_can_view_a_supplier(user, expected):
    assert access.can_view_supplier(user, SUPPLIER) is expected


def test_only_admins_administer():
    for predicate in (access.can_manage_accounts, access.can_manage_organisations,
                      access.can_manage_suppliers, access.can_view_audit_log):
        assert predicate(person("admin"))
        for role in ("agency", "buyer", "supplier"):
            assert not predicate(person(role))
        assert not predicate(ANONYMOUS)


def test_tokens_are_revoked_by_their_owner_or_an_admin():
    token = SimpleNamespace(user_id=1)
    assert access.can_revoke_token(person("buyer", user_id=1), token)
    assert not access.can_revoke_token(person("buyer", user_id=2), token)
    assert access.can_revoke_token(person("admin", user_id=3), token)


def test_the_system_actor_acts_as_admin():
    assert access.can_manage_accounts(access.SystemActor("cli"))
