"""Exclusions at the award (Procurement Act 2023 ss.26-29, 57-58): each bidder of a tender is
checked again, as the award is decided, against its declaration and the debarment list
(suppliers.exclusions). An excluded bidder's bid cannot win; on an excludable one the agency
records its decision for this tender, with reasons, and no award is recommended (nor an
optimised award asked for or adopted) while one is outstanding.

A decision is made on what was known: when the supplier declares a new version after it, the
decision is asked again."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core.access import Actor, actor_id
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.errors import Conflict, InvalidInput, NotFound
from suppliers import exclusions
from suppliers.models import Supplier
from tenders import permissions
from tenders.lifecycle import get_tender
from tenders.models import ExclusionChoice, ExclusionDecision, OpenedBid, Tender, TenderStatus
from tenders.permissions import EVALUATES, require_agency

DECIDES_IN = (TenderStatus.opened, TenderStatus.evaluation)
MAX_REASONS = 5000


@dataclass
class Bidder:
    supplier: Supplier
    status: exclusions.ExclusionStatus
    decision: ExclusionDecision | None

    @property
    def decision_stands(self) -> bool:
        """A decision made on what is known now: the declaration in force and the grounds it and
        the debarment list give (a newer declaration or list asks again). A decision to exclude
        stands for the tender whatever is declared after it: a supplier cannot declare its way
        back in; only the agency's new decision can."""
        if self.decision is None:
            return False
        if self.decision.decision is ExclusionChoice.exclude:
            return True
        declaration = self.status.declaration
        return (self.decision.declaration_id == (declaration.id if declaration else None)
                and self.decision.basis == self.status.basis()[:1000])

    @property
    def outstanding(self) -> bool:
        """The agency has yet to decide on an excludable bidder."""
        return not self.status.excluded and bool(self.status.excludable) and not self.decision_stands

    @property
    def cannot_win(self) -> str:
        """Why its bid is ineligible, in words ("" when it may win)."""
        if self.status.excluded:
            return f"excluded, {self.status.excluded}"
        if not self.status.current:
            return "excluded for want of a current exclusions declaration"
        if self.decision_stands and self.decision is not None and self.decision.decision is ExclusionChoice.exclude:
            return "excluded by the agency's decision on the exclusion grounds"
        if self.outstanding:
            return "excludable, awaiting the agency's decision on the exclusion grounds"
        return ""

    @property
    def in_words(self) -> str:
        if self.cannot_win:
            return self.cannot_win[:1].upper() + self.cannot_win[1:]
        if self.decision_stands:
            return "Not excluded, by the agency's decision"
        return "Nothing declared or listed"


def bidders(session: Session, tender: Tender) -> list[Bidder]:
    """Each supplier with an opened bid, with its standing today and the agency's decision."""
    supplier_ids = sorted(set(session.scalars(select(OpenedBid.supplier_id).where(OpenedBid.tender_id == tender.id))))
    standing = exclusions.statuses(session, supplier_ids)
    suppliers = {s.id: s for s in session.scalars(select(Supplier).where(Supplier.id.in_(supplier_ids)))}
    decisions = {d.supplier_id: d for d in session.scalars(select(ExclusionDecision).where(
        ExclusionDecision.tender_id == tender.id))}
    found = [Bidder(suppliers[i], standing[i], decisions.get(i)) for i in supplier_ids if i in suppliers]
    return sorted(found, key=lambda b: b.supplier.legal_name)


def cannot_win(session: Session, tender: Tender) -> dict[int, str]:
    """Supplier -> why its bid cannot win (for the ranking); only suppliers that cannot."""
    return {b.supplier.id: b.cannot_win for b in bidders(session, tender) if b.cannot_win}


def require_none_outstanding(session: Session, tender: Tender) -> None:
    waiting = [b.supplier.legal_name for b in bidders(session, tender) if b.outstanding]
    if waiting:
        raise Conflict("Decide on the exclusion grounds of " + ", ".join(waiting) + " first: no award is recommended "
                       "while a decision is outstanding")


def tender_bidders(session: Session, actor: Actor, tender_id: int) -> tuple[Tender, list[Bidder]]:
    """The agency's page: each bidder's exclusion standing for a tender that has been opened."""
    require_agency(actor, EVALUATES)
    tender = get_tender(session, actor, tender_id)
    if tender.opened_at is None:
        raise Conflict("Bidders are known once the box is opened")
    return tender, bidders(session, tender)


def bidder(session: Session, actor: Actor, tender_id: int, supplier_id: int) -> tuple[Tender, Bidder]:
    tender, found = tender_bidders(session, actor, tender_id)
    one = next((b for b in found if b.supplier.id == supplier_id), None)
    if one is None:
        raise NotFound("This supplier did not bid for this tender")
    return tender, one


def decide(session: Session, actor: Actor, tender_id: int, supplier_id: int, choice: str, reasons: str) -> ExclusionDecision:
    """The agency's decision on an excludable bidder, for this tender, with reasons."""
    tender, one = bidder(session, actor, tender_id, supplier_id)
    permissions.in_phase(actor, tender, *DECIDES_IN).enforce()
    if one.status.excluded:
        raise Conflict(f"{one.supplier.legal_name} is {one.status.excluded}: it is excluded, whatever is decided")
    if not one.status.excludable:
        raise Conflict(f"{one.supplier.legal_name} declares no ground and is not on the debarment list: "
                       "there is nothing to decide")
    errors = {}
    if choice not in {c.value for c in ExclusionChoice}:
        errors["decision"] = ["Choose whether to exclude the supplier"]
    reasons = (reasons or "").strip()
    if not reasons:
        errors["reasons"] = ["Give the reasons for the decision"]
    elif len(reasons) > MAX_REASONS:
        errors["reasons"] = [f"Give the reasons in up to {MAX_REASONS} characters"]
    if errors:
        raise InvalidInput("The decision is not complete", field_errors=errors)
    decision = one.decision
    if decision is None:
        decision = ExclusionDecision(tender_id=tender.id, supplier_id=supplier_id)
        session.add(decision)
    declaration = one.status.declaration
    decision.decision, decision.reasons = ExclusionChoice(choice), reasons
    decision.declaration_id, decision.basis = (declaration.id if declaration else None), one.status.basis()
    decision.decided_by_id, decision.decided_at = actor_id(actor), now()
    session.flush()
    record_event(session, actor, "exclusion.decided", subject=tender, details={
        "supplier_id": supplier_id, "decision": choice, "reasons": reasons[:500], "basis": decision.basis[:1000]})
    return decision
