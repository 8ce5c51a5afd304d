"""From pools to a joint tender: the agency forms a draft tender's lots from demand-board
pools; each organisation's buyers confirm or decline their lines by a date; unconfirmed
lines drop out, so a lot's quantity is the sum of its confirmed lines and every unit traces
back to one organisation's requirement."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.rules import cpv_prefix
from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.clock import now, today
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from procurement.core.access import Actor, actor_id
from demand.board import BoardFilter, build_pools, parse_pool_key, requirements_in_pools, aggregate
from demand.models import Requirement, RequirementStatus
from demand.services import move_requirement
from procurement.parties.models import CpvCode
from tenders import messages
from tenders.models import LineStatus, Lot, LotLine, Tender, TenderStatus
from tenders.permissions import can_answer_line, can_close_confirmation, require_agency, visible_tender, visible_tenders

OPEN_LINE = (LineStatus.pending, LineStatus.confirmed)


def _next_reference(session: Session, year: int) -> str:
    prefix = f"LC-{year}-"
    count = session.scalar(select(func.count()).where(Tender.reference.like(prefix + "%"))) or 0
    return f"{prefix}{count + 1:04d}"


def _common_cpv(session: Session, codes: list[str]) -> str:
    """The narrowest CPV code covering them all (a division at worst)."""
    prefixes = [cpv_prefix(c) for c in codes]
    common = prefixes[0]
    for prefix in prefixes[1:]:
        while not prefix.startswith(common):
            common = common[:-1]
    for length in range(len(common), 1, -1):
        code = common[:length].ljust(8, "0")
        if session.get(CpvCode, code) is not None:
            return code
    return codes[0]


def form_tender(session: Session, actor: Actor, *, board: BoardFilter, pool_keys: list[str], title: str,
                confirm_by: date | None, merge: bool = False, description: str = "") -> Tender:
    """A draft tender with one lot per chosen pool (or one lot for them all), its lines the
    pools' submitted requirements, each now pooled and waiting for its buyers' answer."""
    require_agency(actor)
    board.check()
    errors: dict[str, list[str]] = {}
    title = title.strip()
    if not title:
        errors["title"] = ["Enter a title for the tender"]
    elif len(title) > 200:
        errors["title"] = ["Must be at most 200 characters"]
    if confirm_by is None:
        errors["confirm_by"] = ["Enter the date by which buyers confirm their lines"]
    elif confirm_by < today():
        errors["confirm_by"] = ["The confirm-by date must be today or later"]
    keys = list(dict.fromkeys(k.strip() for k in pool_keys if k.strip()))
    if not keys:
        errors["pool_keys"] = ["Choose at least one pool"]
    for key in keys:
        try:
            parse_pool_key(key)
        except ValueError as exc:
            errors["pool_keys"] = [str(exc)]
    if errors:
        raise InvalidInput("The tender cannot be formed", field_errors=errors)
    found = requirements_in_pools(session, board, keys)
    empty = [k for k in keys if not found[k]]
    if empty:
        raise InvalidInput("The tender cannot be formed", field_errors={
            "pool_keys": [f"{k} has no submitted requirements left (refresh the board)" for k in empty]})
    groups = {k: g for k, g in aggregate(session, board).items() if k in found}
    pools = {p.key: p for p in build_pools(session, groups, today(), names=False)}
    if merge and len({pools[k].unit.lower() for k in keys}) > 1:
        raise InvalidInput("The tender cannot be formed", field_errors={
            "merge": ["Only pools with the same unit can be merged into one lot"]})
    tender = Tender(reference=_next_reference(session, today().year), title=title, description=description.strip(),
                    confirm_by=confirm_by, created_by_id=actor_id(actor))
    session.add(tender)
    batches = [keys] if merge else [[k] for k in keys]
    for number, batch in enumerate(batches, start=1):
        chosen = [pools[k] for k in batch]
        items = {p.catalogue_item_id for p in chosen}
        lot = Lot(
            number=number, title="; ".join(p.label for p in chosen)[:200],
            catalogue_item_id=chosen[0].catalogue_item_id if len(items) == 1 else None,
            cpv_code=chosen[0].cpv_code if len(chosen) == 1 else _common_cpv(session, [p.cpv_code for p in chosen]),
            unit=chosen[0].unit, pool_keys=",".join(batch)[:500],
            estimated_unit_price=chosen[0].estimate.joint_unit_price if len(chosen) == 1 else None,
        )
        tender.lots.append(lot)
        for key in batch:
            for requirement in found[key]:
                lot.lines.append(LotLine(requirement_id=requirement.id, organisation_id=requirement.organisation_id,
                                         quantity=requirement.quantity, baseline_unit_price=requirement.baseline_unit_price))
                move_requirement(session, actor, requirement, RequirementStatus.pooled, "requirement.pooled",
                                 f"in draft tender {tender.reference}")
    session.flush()
    record_event(session, actor, "tender.formed", subject=tender, details={
        "reference": tender.reference, "lots": len(tender.lots), "pools": keys,
        "lines": sum(len(lot.lines) for lot in tender.lots), "confirm_by": confirm_by.isoformat(),
    })
    messages.tell_lines_to_confirm(session, tender)
    return tender


def list_tenders(session: Session, actor: Actor) -> list[Tender]:
    if access.can_manage_tenders(actor):
        return list(session.scalars(select(Tender).order_by(Tender.created_at.desc(), Tender.id.desc())))
    own = getattr(actor, "organisation_ids", frozenset()) if access.has_role(actor, access.BUYER) else frozenset()
    if not own:
        raise PermissionDenied("Only the agency and taking-part buyers see joint tenders being formed")
    return list(session.scalars(select(Tender).where(visible_tenders(actor))
                                .order_by(Tender.created_at.desc(), Tender.id.desc())))


def respond(session: Session, actor: Actor, line_id: int, *, confirm: bool) -> LotLine:
    """A buyer confirms their organisation's line (it now counts, and the requirement is
    committed) or declines it (the requirement goes back on the board)."""
    line = session.get(LotLine, line_id)
    if line is None or not access.can_act_for_organisation(actor, line.organisation_id):
        raise NotFound("No such line")
    can_answer_line(actor, line).enforce()
    line.status = LineStatus.confirmed if confirm else LineStatus.declined
    line.responded_by_id, line.responded_at = actor_id(actor), now()
    requirement = session.get(Requirement, line.requirement_id)
    assert requirement is not None
    reference = line.lot.tender.reference
    if confirm:
        move_requirement(session, actor, requirement, RequirementStatus.committed, "requirement.committed",
                         f"confirmed into tender {reference}, lot {line.lot.number}")
    else:
        move_requirement(session, actor, requirement, RequirementStatus.submitted, "requirement.declined",
                         f"declined for tender {reference}")
    record_event(session, actor, "lot_line.confirmed" if confirm else "lot_line.declined", subject=line,
                 details={"tender": reference, "lot": line.lot.number, "requirement_id": requirement.id})
    return line


def close_confirmation(session: Session, actor: Actor, tender_id: int) -> Tender:
    """Unconfirmed lines drop out (their requirements go back on the board); lot quantities
    are what was confirmed. Once the date has passed, or when every line is answered."""
    require_agency(actor)
    tender = visible_tender(session, actor, tender_id)
    can_close_confirmation(actor, tender).enforce()
    pending = [line for lot in tender.lots for line in lot.lines if line.status is LineStatus.pending]
    for line in pending:
        line.status, line.responded_at = LineStatus.dropped, now()
        requirement = session.get(Requirement, line.requirement_id)
        assert requirement is not None
        move_requirement(session, actor, requirement, RequirementStatus.submitted, "requirement.dropped",
                         f"not confirmed for tender {tender.reference} by {tender.confirm_by.isoformat()}")
    tender.confirmation_closed_at = now()
    session.flush()
    record_event(session, actor, "tender.confirmation_closed", subject=tender, details={
        "dropped": len(pending), "lots": {lot.number: str(lot.quantity) for lot in tender.lots}})
    return tender


def release_lines(session: Session, actor: Actor, tender: Tender, why: str) -> None:
    """A draft's pending and confirmed lines are withdrawn and their requirements go back on
    the demand board."""
    for lot in tender.lots:
        for line in lot.lines:
            if line.status in OPEN_LINE:
                line.status, line.responded_at = LineStatus.withdrawn, now()
                requirement = session.get(Requirement, line.requirement_id)
                assert requirement is not None
                move_requirement(session, actor, requirement, RequirementStatus.submitted, "requirement.released", why)


def requirement_left(requirement: Requirement, *, session: Session) -> None:
    """A requirement leaving the flow leaves its lot too: the line no longer counts (connected
    to demand's `requirement_leaving` by the composition root)."""
    for line in session.scalars(select(LotLine).where(
            LotLine.requirement_id == requirement.id,
            LotLine.status.in_([LineStatus.pending, LineStatus.confirmed]))):
        line.status, line.responded_at = LineStatus.withdrawn, now()


def lines_to_answer(session: Session, actor: Actor) -> list[LotLine]:
    """The buyer's organisations' lines still waiting for an answer."""
    own = getattr(actor, "organisation_ids", frozenset()) if access.has_role(actor, access.BUYER) else frozenset()
    if not own:
        raise PermissionDenied("Only buyers confirm lines")
    return list(session.scalars(
        select(LotLine).join(Lot).join(Tender)
        .where(LotLine.organisation_id.in_(own), LotLine.status == LineStatus.pending,
               Tender.status == TenderStatus.draft, Tender.confirmation_closed_at.is_(None))
        .order_by(Tender.confirm_by, LotLine.id)))


@dataclass
class TenderView:
    """A tender as the acting user may see it: the agency every line, a buyer their own."""

    tender: Tender
    lots: list[dict[str, Any]]


def tender_view(session: Session, actor: Actor, tender_id: int) -> TenderView:
    tender = visible_tender(session, actor, tender_id)
    own = None if access.can_manage_tenders(actor) else frozenset(actor.organisation_ids)
    return TenderView(tender, [lot_summary(lot, own) for lot in tender.lots])


def lot_summary(lot: Lot, organisation_ids: frozenset[int] | None = None) -> dict[str, Any]:
    """What a lot adds up to; with `organisation_ids` (a buyer), their own lines only."""
    confirmed = [line for line in lot.lines if line.status is LineStatus.confirmed]
    by_status: dict[str, int] = defaultdict(int)
    for line in lot.lines:
        by_status[line.status.value] += 1
    visible = [line for line in lot.lines if organisation_ids is None or line.organisation_id in organisation_ids]
    return {
        "lot": lot, "confirmed_quantity": sum((l.quantity for l in confirmed), Decimal(0)),
        "organisations": len({l.organisation_id for l in confirmed}),
        "invited": len({l.organisation_id for l in lot.lines if l.status in OPEN_LINE}),
        "pending": len([l for l in lot.lines if l.status is LineStatus.pending]),
        "lines_by_status": dict(by_status), "visible_lines": visible,
    }
