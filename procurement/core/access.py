"""The access policy: one predicate per action, `can_<verb>(user, obj)`.

Every HTML view and API handler asks these, and services ask them again, so a rule lives
in one place. Predicates read only `user.roles`, `user.organisation_ids`, `user.supplier_ids`
and `user.id`; an anonymous user has no roles.
"""
from __future__ import annotations

from typing import Any, Protocol

from .errors import Conflict, PermissionDenied

BUYER, SUPPLIER, AGENCY, ADMIN = "buyer", "supplier", "agency", "admin"


class SystemActor:
    """The actor for the CLI and jobs: acts with admin rights, recorded under its own label."""

    id = None
    is_system = True
    is_authenticated = True
    is_active = True
    roles = frozenset({ADMIN, AGENCY})
    organisation_ids: frozenset[int] = frozenset()
    supplier_ids: frozenset[int] = frozenset()

    def __init__(self, label: str = "system"):
        self.audit_label = label


class Actor(Protocol):
    """Who acts: a signed-in user (procurement.parties.models.User) or a SystemActor (the CLI,
    jobs, the schedule). Services take one; predicates read only these."""

    id: int | None
    roles: Any
    organisation_ids: frozenset[int]
    supplier_ids: frozenset[int]
    audit_label: str


class Verdict:
    """A predicate's answer about one act: true when it may be done; otherwise why not, and
    whether it is refused for who asks (403) or for the state the object is in (409).
    Services `enforce()` it; views hand it to templates, which only ask whether it is true."""

    __slots__ = ("reason", "forbidden")

    def __init__(self, reason: str = "", forbidden: bool = False):
        self.reason, self.forbidden = reason, forbidden

    def __bool__(self) -> bool:
        return not self.reason

    def __repr__(self) -> str:
        return "Verdict(allowed)" if self else f"Verdict({'forbidden' if self.forbidden else 'refused'}: {self.reason})"

    def enforce(self) -> None:
        if self.reason:
            raise (PermissionDenied if self.forbidden else Conflict)(self.reason)


ALLOWED = Verdict()


def refused(reason: str) -> Verdict:
    """Not now: the object's state does not allow it (409)."""
    return Verdict(reason)


def forbidden(reason: str) -> Verdict:
    """Not this user: the act is not theirs (403)."""
    return Verdict(reason, forbidden=True)


def actor_id(actor: Actor) -> int | None:
    """The acting user's id, for who-did-it columns; None for the system (or nobody)."""
    return getattr(actor, "id", None)


def actor_label(actor: Actor) -> str:
    return getattr(actor, "audit_label", "system")


def _roles(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if not getattr(user, "is_active", False):
        return frozenset()
    return frozenset(str(getattr(role, "value", role)) for role in user.roles)


def has_role(user: Any, role: str) -> bool:
    return role in _roles(user)


def is_signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and getattr(user, "is_active", False))


# Administration: accounts, organisations, suppliers, the audit log.
def can_manage_accounts(user: Any) -> bool:
    return has_role(user, ADMIN)


def can_manage_organisations(user: Any) -> bool:
    return has_role(user, ADMIN)


def can_manage_suppliers(user: Any) -> bool:
    return has_role(user, ADMIN)


def can_view_audit_log(user: Any) -> bool:
    return has_role(user, ADMIN)


# Directory.
def can_list_organisations(user: Any) -> bool:
    return is_signed_in(user)


def can_view_organisation(user: Any, organisation: Any) -> bool:
    roles = _roles(user)
    if roles & {ADMIN, AGENCY}:
        return True
    return BUYER in roles and organisation.id in user.organisation_ids


def can_list_suppliers(user: Any) -> bool:
    return bool(_roles(user) & {ADMIN, AGENCY})


def can_view_supplier(user: Any, supplier: Any) -> bool:
    roles = _roles(user)
    if roles & {ADMIN, AGENCY}:
        return True
    return SUPPLIER in roles and supplier.id in user.supplier_ids


def can_view_cpv_codes(user: Any) -> bool:
    return is_signed_in(user)


# Own account.
def can_manage_own_tokens(user: Any) -> bool:
    return is_signed_in(user)


# Joining (issue 20): signing up, a supplier's people, a member organisation's buyers.
def can_sign_up(user: Any) -> bool:
    """Only someone signed out makes an account for themselves (agency and admin accounts are
    only ever made by an administrator)."""
    return not (user is not None and getattr(user, "is_authenticated", False))


def can_administer_supplier(user: Any, supplier_id: int | None) -> bool:
    """Invite, remove and promote the supplier's people; answer requests to join it."""
    return (SUPPLIER in _roles(user) and supplier_id is not None
            and supplier_id in getattr(user, "administered_supplier_ids", frozenset()))


def can_see_supplier_people(user: Any, supplier_id: int | None) -> bool:
    """Colleagues of one supplier see each other (names, emails, who administers)."""
    return SUPPLIER in _roles(user) and supplier_id is not None and supplier_id in user.supplier_ids


def can_set_supplier_alerts(user: Any, supplier_id: int | None) -> bool:
    return can_see_supplier_people(user, supplier_id)


def can_decide_buyer_applications(user: Any, organisation_id: int | None) -> bool:
    """An organisation's administrators approve who buys for it; so may the e-agency."""
    roles = _roles(user)
    if AGENCY in roles:
        return True
    return (BUYER in roles and organisation_id is not None
            and organisation_id in getattr(user, "administered_organisation_ids", frozenset()))


def can_manage_organisation_domains(user: Any) -> bool:
    return has_role(user, ADMIN)


def can_revoke_token(user: Any, token: Any) -> bool:
    return is_signed_in(user) and (token.user_id == user.id or has_role(user, ADMIN))


# Role home pages.
def can_view_platform_overview(user: Any) -> bool:
    return bool(_roles(user) & {AGENCY, ADMIN})


# The catalogue.
def can_browse_catalogue(user: Any) -> bool:
    return is_signed_in(user)


def can_manage_offers_of(user: Any, supplier_id: int) -> bool:
    """Only a supplier's own staff keep its offers and import its files (and the CLI)."""
    if getattr(user, "is_system", False):
        return True
    return has_role(user, SUPPLIER) and supplier_id in user.supplier_ids


def can_view_offer(user: Any, offer: Any) -> bool:
    if not is_signed_in(user):
        return False
    if getattr(offer.status, "value", offer.status) == "published":
        return True
    return can_manage_offers_of(user, offer.supplier_id) or bool(_roles(user) & {AGENCY, ADMIN})


def can_curate_catalogue_items(user: Any) -> bool:
    return has_role(user, AGENCY)


def can_view_import(user: Any, catalogue_import: Any) -> bool:
    return can_manage_offers_of(user, catalogue_import.supplier_id) or bool(_roles(user) & {AGENCY, ADMIN})


# Demand: requirements and the demand board.
def can_raise_requirements(user: Any) -> bool:
    return has_role(user, BUYER) and bool(user.organisation_ids)


def can_act_for_organisation(user: Any, organisation_id: int) -> bool:
    """A buyer of that organisation (and only of it) raises and answers for it."""
    return has_role(user, BUYER) and organisation_id in user.organisation_ids


def can_view_requirement(user: Any, requirement: Any) -> bool:
    return can_act_for_organisation(user, requirement.organisation_id) or has_role(user, AGENCY)


def can_view_demand_board(user: Any) -> bool:
    return has_role(user, AGENCY)


def can_stop_requirements(user: Any) -> bool:
    """The agency withdraws committed requirements and cancels requirements, with a reason."""
    return has_role(user, AGENCY)


# Joint tenders.
def can_manage_tenders(user: Any) -> bool:
    return has_role(user, AGENCY)


def can_view_opportunities(user: Any) -> bool:
    """Published tenders are open to suppliers (and the agency)."""
    return bool(_roles(user) & {SUPPLIER, AGENCY})


def can_bid_for(user: Any, supplier_id: int) -> bool:
    """Only a supplier's own staff prepare, submit, replace and withdraw its bids."""
    return has_role(user, SUPPLIER) and supplier_id in user.supplier_ids


def can_open_tenders(user: Any) -> bool:
    return has_role(user, AGENCY)


def can_view_jobs(user: Any) -> bool:
    """Background jobs, their state and errors, are watched and retried by the agency."""
    return has_role(user, AGENCY)


def can_retry_job(user: Any, job: Any) -> Verdict:
    """The agency asks again for a failed job (and only a failed one)."""
    if not can_view_jobs(user):
        return forbidden("Jobs are watched by the agency")
    status = getattr(job.status, "value", job.status)
    if status != "failed":
        return refused(f"Job {job.id} is {status}: only a failed job is retried")
    return ALLOWED
