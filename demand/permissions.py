"""Who may do what to a requirement, and when: one predicate per act, of the acting user and
the requirement's status. Services `enforce()` the verdict; the requirement page is handed
`RequirementActions` and only asks whether an act is allowed."""
from __future__ import annotations

from functools import cached_property

from demand import rules
from demand.models import Requirement, RequirementStatus
from procurement.core import access
from procurement.core.access import ALLOWED, Actor, Verdict, forbidden, refused

OWN_BUYERS = "Only the organisation's own buyers change its requirements"


def own_buyer(actor: Actor, requirement: Requirement) -> Verdict:
    if not access.can_act_for_organisation(actor, requirement.organisation_id):
        return forbidden(OWN_BUYERS)
    return ALLOWED


def can_edit(actor: Actor, requirement: Requirement) -> Verdict:
    if not (verdict := own_buyer(actor, requirement)):
        return verdict
    if requirement.status not in rules.BUYER_EDITABLE:
        return refused(f"A {requirement.status.value} requirement can no longer be edited")
    return ALLOWED


def can_submit(actor: Actor, requirement: Requirement) -> Verdict:
    if not (verdict := own_buyer(actor, requirement)):
        return verdict
    if requirement.status is not RequirementStatus.draft:
        return refused(f"Only a draft can be submitted; this one is {requirement.status.value}")
    return ALLOWED


def can_withdraw(actor: Actor, requirement: Requirement) -> Verdict:
    """A buyer takes back their organisation's requirement, until it is committed to a tender."""
    if not (verdict := own_buyer(actor, requirement)):
        return verdict
    if requirement.status not in rules.BUYER_WITHDRAWABLE:
        return refused(f"A {requirement.status.value} requirement can only be withdrawn by the agency")
    return ALLOWED


def can_mark_fulfilled(actor: Actor, requirement: Requirement) -> Verdict:
    if not (verdict := own_buyer(actor, requirement)):
        return verdict
    if not rules.TRANSITIONS.allows(requirement.status, RequirementStatus.fulfilled):
        return refused(f"A {requirement.status.value} requirement cannot become fulfilled")
    return ALLOWED


WITHDRAWS, CANCELS = "withdraws committed requirements", "cancels requirements"


def stopper(actor: Actor, act: str) -> Verdict:
    """The agency stops requirements (`act` says how), each with a reason."""
    return ALLOWED if access.can_stop_requirements(actor) else forbidden(f"Only the agency {act}")


def can_agency_withdraw(actor: Actor, requirement: Requirement) -> Verdict:
    if not (verdict := stopper(actor, WITHDRAWS)):
        return verdict
    if requirement.status not in rules.AGENCY_WITHDRAWABLE:
        return refused(f"A {requirement.status.value} requirement is withdrawn by its own buyers")
    return ALLOWED


def can_cancel(actor: Actor, requirement: Requirement) -> Verdict:
    if not (verdict := stopper(actor, CANCELS)):
        return verdict
    if requirement.status not in rules.AGENCY_CANCELLABLE:
        return refused(f"A {requirement.status.value} requirement cannot be cancelled")
    return ALLOWED


class RequirementActions:
    """What the acting user may do to one requirement now, for its page."""

    def __init__(self, actor: Actor, requirement: Requirement):
        self.actor, self.requirement = actor, requirement

    @cached_property
    def edit(self) -> Verdict:
        return can_edit(self.actor, self.requirement)

    @cached_property
    def submit(self) -> Verdict:
        return can_submit(self.actor, self.requirement)

    @cached_property
    def withdraw(self) -> Verdict:
        return can_withdraw(self.actor, self.requirement)

    @cached_property
    def mark_fulfilled(self) -> Verdict:
        return can_mark_fulfilled(self.actor, self.requirement)

    @cached_property
    def agency_withdraw(self) -> Verdict:
        return can_agency_withdraw(self.actor, self.requirement)

    @cached_property
    def cancel(self) -> Verdict:
        return can_cancel(self.actor, self.requirement)

    @cached_property
    def only_the_agency_withdraws(self) -> bool:
        """A buyer's requirement committed to a tender: the agency withdraws it, with a reason."""
        return bool(own_buyer(self.actor, self.requirement)) and self.requirement.status in rules.AGENCY_WITHDRAWABLE
