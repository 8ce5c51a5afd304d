"""A draft's terms (details, criteria, documents) while it is formed; publication (the
minimum tendering period checked, everything frozen); formal amendments; cancellation."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core.money import MOST, in_pennies
from procurement.core import uploads
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.storage import file_store
from procurement.core.errors import InvalidInput, NotFound
from procurement.core.access import Actor, actor_label
from demand.models import Requirement
from tenders import conflicts, messages, permissions, rules, sealing
from tenders.forming import pooling
from tenders.permissions import require_agency
from tenders.models import (
    Amendment,
    Bid,
    BidStatus,
    Criterion,
    LineStatus,
    LotItem,
    ShortPeriodGround,
    Tender,
    TenderDocument,
    TenderStatus,
)

from tenders.lifecycle import get_tender, locked, move

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


@dataclass
class CriterionInput:
    name: str
    weight: int
    descriptors: list[str]
    pass_mark: int | None = None


@dataclass
class TenderDetails:
    title: str
    description: str = ""
    price_weight: int = 60
    clarification_deadline: datetime | None = None
    submission_deadline: datetime | None = None
    expected_award_on: date | None = None
    lot_values: dict[int, Decimal] = field(default_factory=dict)  # lot number -> estimated value ex VAT
    lot_titles: dict[int, str] = field(default_factory=dict)  # lot number -> the lot's name, as suppliers see it


def agency_draft(session: Session, actor: Actor, tender_id: int) -> Tender:
    require_agency(actor)
    tender = get_tender(session, actor, tender_id)
    permissions.can_edit_terms(actor, tender).enforce()
    return tender


def set_details(session: Session, actor: Actor, tender_id: int, data: TenderDetails) -> Tender:
    tender = agency_draft(session, actor, tender_id)
    errors: dict[str, list[str]] = {}
    if not data.title.strip() or len(data.title.strip()) > 200:
        errors["title"] = ["Enter a title of at most 200 characters"]
    if not 0 <= data.price_weight <= 100:
        errors["price_weight"] = ["The price weight must be from 0 to 100"]
    for name in ("clarification_deadline", "submission_deadline"):
        moment = getattr(data, name)
        if moment is not None and moment.tzinfo is None:
            errors[name] = ["Give the time with its time zone"]
    errors.update(_lot_errors(tender, data.lot_titles, data.lot_values))
    if errors:
        raise InvalidInput("The tender's details are not valid", field_errors=errors)
    tender.title, tender.description = data.title.strip(), data.description.strip()
    tender.price_weight = data.price_weight
    tender.clarification_deadline, tender.submission_deadline = data.clarification_deadline, data.submission_deadline
    tender.expected_award_on = data.expected_award_on
    _apply_lots(tender, data.lot_titles, data.lot_values)
    session.flush()
    record_event(session, actor, "tender.details_set", subject=tender, details={
        "price_weight": data.price_weight, "submission_deadline": str(data.submission_deadline)})
    return tender


def _lot_errors(tender: Tender, titles: dict[int, str], values: dict[int, Decimal]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    lots = {lot.number for lot in tender.lots}
    for number, value in values.items():
        if number not in lots:
            errors.setdefault("lot_values", []).append(f"There is no lot {number}")
        elif value is not None and (not value.is_finite() or value <= 0):
            errors.setdefault("lot_values", []).append(f"Lot {number}: the estimated value must be more than 0")
        elif value is not None and (value > MOST or not in_pennies(value)):
            errors.setdefault("lot_values", []).append(
                f"Lot {number}: the estimated value must be in pounds and pence, at most £{MOST:,}")
    for number, title in titles.items():
        if number not in lots:
            errors.setdefault("lot_titles", []).append(f"There is no lot {number}")
        elif not title.strip() or len(title.strip()) > 200:
            errors.setdefault("lot_titles", []).append(f"Lot {number}: enter a title of at most 200 characters")
    return errors


def _apply_lots(tender: Tender, titles: dict[int, str], values: dict[int, Decimal]) -> None:
    lots = {lot.number: lot for lot in tender.lots}
    for number, value in values.items():
        lots[number].estimated_value = value
    for number, title in titles.items():
        lots[number].title = title.strip()


def set_lots(session: Session, actor: Actor, tender_id: int, *, titles: dict[int, str],
             values: dict[int, Decimal]) -> Tender:
    """Each lot's name as suppliers see it and its estimated value excluding VAT."""
    tender = agency_draft(session, actor, tender_id)
    errors = _lot_errors(tender, titles, values)
    if errors:
        raise InvalidInput("The lots are not valid", field_errors=errors)
    _apply_lots(tender, titles, values)
    session.flush()
    record_event(session, actor, "tender.lots_set", subject=tender,
                 details={"values": {str(n): str(v) for n, v in values.items()}, "titles": {str(n): t for n, t in titles.items()}})
    return tender


def set_criteria(session: Session, actor: Actor, tender_id: int, criteria: list[CriterionInput]) -> Tender:
    tender = agency_draft(session, actor, tender_id)
    errors: list[str] = []
    for n, c in enumerate(criteria, start=1):
        if not c.name.strip() or len(c.name) > 200:
            errors.append(f"Criterion {n}: enter a name of at most 200 characters")
        if len([d for d in c.descriptors if d.strip()]) != 6:
            errors.append(f"Criterion {n}: describe each mark from 0 to 5 (six descriptors)")
        if c.pass_mark is not None and not 0 <= c.pass_mark <= 5:
            errors.append(f"Criterion {n}: the pass mark must be from 0 to 5")
        if not 0 < c.weight <= 100:
            errors.append(f"Criterion {n}: the weight must be from 1 to 100")
    if errors:
        raise InvalidInput("The criteria are not valid", field_errors={"criteria": errors})
    tender.criteria.clear()
    session.flush()
    for n, c in enumerate(criteria, start=1):
        tender.criteria.append(Criterion(number=n, name=c.name.strip(), weight=c.weight,
                                         descriptors=[d.strip() for d in c.descriptors if d.strip()],
                                         pass_mark=c.pass_mark))
    session.flush()
    record_event(session, actor, "tender.criteria_set", subject=tender,
                 details={"criteria": [(c.name, c.weight) for c in criteria]})
    return tender


def _store_document(session: Session, tender: Tender, title: str, filename: str, stream: IO[bytes],
                    actor: Actor, amendment_number: int | None = None) -> TenderDocument:
    """Into the one document store (written atomically); its row keeps the digest."""
    safe = Path(filename or "document").name[:200] or "document"
    if not title.strip():
        raise InvalidInput("Give the document a title", field_errors={"title": ["Enter a title"]})
    data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if not data:
        raise InvalidInput("The file is empty", field_errors={"file": ["The file is empty"]})
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidInput("The file is too large", field_errors={"file": [f"Documents are at most {MAX_DOCUMENT_BYTES // (1 << 20)} MB"]})
    uploads.accept_upload(session, actor, field="file", filename=safe, data=data,
                          allowed=uploads.TENDER_DOCUMENTS, subject=tender)
    digest = hashlib.sha256(data).hexdigest()
    stored = file_store(session).put(f"documents/tenders/{tender.id}/{digest[:16]}-{safe}", data)
    document = TenderDocument(title=title.strip()[:200], filename=safe, stored_path=stored.key, size=len(data),
                              sha256=digest, amendment_number=amendment_number,
                              uploaded_by_label=actor_label(actor))
    tender.documents.append(document)
    return document


def add_document(session: Session, actor: Actor, tender_id: int, *, title: str, filename: str,
                 stream: IO[bytes]) -> TenderDocument:
    tender = agency_draft(session, actor, tender_id)
    document = _store_document(session, tender, title, filename, stream, actor)
    session.flush()
    record_event(session, actor, "tender.document_added", subject=tender,
                 details={"title": document.title, "sha256": document.sha256})
    return document


def get_document(session: Session, actor: Actor, document_id: int) -> TenderDocument:
    document = session.get(TenderDocument, document_id)
    if document is None:
        raise NotFound("No such document")
    get_tender(session, actor, document.tender_id)
    return document


def _freeze_items(session: Session, tender: Tender) -> None:
    """Each lot's items and quantities, from its confirmed lines, grouped by catalogue item
    or CPV code and unit."""
    for lot in tender.lots:
        lot.items.clear()
        groups: dict[tuple, list[Any]] = {}
        for line in lot.lines:
            if line.status is not LineStatus.confirmed:
                continue
            requirement = session.get(Requirement, line.requirement_id)
            assert requirement is not None
            key = (requirement.catalogue_item_id, None if requirement.catalogue_item_id else requirement.cpv_code,
                   requirement.unit.lower())
            groups.setdefault(key, []).append((requirement, line))
        for number, ((item_id, _cpv, _unit), members) in enumerate(sorted(groups.items(), key=lambda kv: str(kv[0])), 1):
            first = members[0][0]
            description = (first.catalogue_item.name if first.catalogue_item else first.title)[:300]
            item = LotItem(number=number, description=description, catalogue_item_id=item_id,
                           cpv_code=first.cpv_code, unit=first.unit,
                           quantity=sum((line.quantity for _, line in members), Decimal(0)))
            lot.items.append(item)
            session.flush()
            for _, line in members:
                line.lot_item_id = item.id


def publication_problems(session: Session, tender: Tender,
                         short_period: rules.ShortPeriod = rules.ShortPeriod()) -> dict[str, list[str]]:
    errors = rules.timeline_errors(now(), tender.clarification_deadline, tender.submission_deadline,
                                   tender.expected_award_on, short_period)
    weights = rules.weights_errors(tender.price_weight, [c.weight for c in tender.criteria])
    if weights:
        errors["criteria"] = weights
    if tender.confirmation_closed_at is None:
        errors["lots"] = ["Close the buyers' confirmation first: lot quantities are the confirmed lines"]
    elif not any(line.status is LineStatus.confirmed for lot in tender.lots for line in lot.lines):
        errors["lots"] = ["No lot has a confirmed line"]
    if not tender.documents:
        errors["documents"] = ["Add the specification (and any other tender documents)"]
    if found := conflicts.publication_problems(session, tender):
        errors["conflicts"] = found
    return errors


def publish(session: Session, actor: Actor, tender_id: int, *, short_period: rules.ShortPeriod = rules.ShortPeriod(),
            master_secret: str) -> Tender:
    """Publish: the timeline, the ground for a short tendering period, and the weights checked;
    lots and items frozen, the tender box's key made. Lots with no confirmed line are left out."""
    require_agency(actor)
    tender = locked(session, tender_id)
    permissions.can_publish(actor, tender).enforce()
    errors = publication_problems(session, tender, short_period)
    if errors:
        raise InvalidInput("The tender cannot be published yet", field_errors=errors)
    for lot in list(tender.lots):
        if not any(line.status is LineStatus.confirmed for line in lot.lines):
            tender.lots.remove(lot)
    _freeze_items(session, tender)
    data_key = sealing.new_data_key()
    tender.wrapped_key = sealing.wrap_key(sealing.master_key(master_secret), data_key, tender.id)
    _record_short_period(tender, short_period)
    tender.published_at = now()
    move(session, actor, tender, TenderStatus.published, "tender.published", reference=tender.reference,
                deadline=tender.submission_deadline.isoformat() if tender.submission_deadline else None,
                short_period_ground=tender.short_period_ground.value if tender.short_period_ground else None,
                short_period_reason=tender.short_period_reason or None,
                planned_notice_published_on=(tender.planned_notice_published_on.isoformat()
                                             if tender.planned_notice_published_on else None),
                planned_notice_reference=tender.planned_notice_reference or None)
    messages.tell_new_opportunity(session, tender)
    return tender


def _record_short_period(tender: Tender, period: rules.ShortPeriod) -> None:
    """Keep the ground and what backs it, and nothing another ground would have used."""
    ground = period.short_period_ground
    urgency = ground is ShortPeriodGround.urgency
    notice = ground is ShortPeriodGround.planned_procurement_notice
    tender.short_period_ground = ground
    tender.short_period_reason = period.short_period_reason.strip()[:500] if urgency else ""
    tender.planned_notice_published_on = period.planned_notice_published_on if notice else None
    tender.planned_notice_reference = period.planned_notice_reference.strip()[:100] if notice else ""


def amend(session: Session, actor: Actor, tender_id: int, *, summary: str, new_deadline: datetime | None = None,
          document: tuple[str, str, IO[bytes]] | None = None) -> Amendment:
    """A formal amendment: published to every supplier; the deadline moves out if fewer than
    four days would remain; bids already in the box must be re-confirmed."""
    require_agency(actor)
    tender = locked(session, tender_id)
    permissions.can_amend(actor, tender).enforce()
    if not summary.strip():
        raise InvalidInput("Say what the amendment changes", field_errors={"summary": ["Describe the change"]})
    if new_deadline is not None and new_deadline < tender.submission_deadline:
        raise InvalidInput("An amendment cannot bring the deadline forward",
                           field_errors={"new_deadline": ["Choose a later deadline, or none"]})
    number = len(tender.amendments) + 1
    previous = tender.submission_deadline
    assert previous is not None
    tender.submission_deadline = rules.amended_deadline(now(), previous, new_deadline)
    amendment = Amendment(number=number, summary=summary.strip(), previous_deadline=previous,
                          new_deadline=tender.submission_deadline, published_by_label=actor.audit_label)
    tender.amendments.append(amendment)
    if document is not None:
        title, filename, stream = document
        _store_document(session, tender, title, filename, stream, actor, amendment_number=number)
    marked = 0
    for bid in session.scalars(select(Bid).where(Bid.tender_id == tender.id, Bid.status == BidStatus.submitted)):
        bid.needs_reconfirmation = True
        marked += 1
    session.flush()
    record_event(session, actor, "tender.amended", subject=tender, details={
        "number": number, "summary": summary.strip()[:500], "previous_deadline": previous.isoformat(),
        "new_deadline": tender.submission_deadline.isoformat(), "bids_to_reconfirm": marked})
    messages.tell_amendment(session, amendment)
    return amendment


def cancel(session: Session, actor: Actor, tender_id: int, reason: str) -> Tender:
    require_agency(actor)
    tender = locked(session, tender_id)
    if not reason.strip():
        raise InvalidInput("Give a reason", field_errors={"reason": ["Give the reason for cancelling the tender"]})
    permissions.can_cancel(actor, tender).enforce()
    if tender.status is TenderStatus.draft:
        pooling.release_lines(session, actor, tender, "tender cancelled")
    tender.cancel_reason = reason.strip()
    return move(session, actor, tender, TenderStatus.cancelled, "tender.cancelled", reason=reason.strip())


def cancel_draft(session: Session, actor: Actor, tender_id: int, reason: str) -> Tender:
    """Abandon a draft: its requirements go back on the board."""
    require_agency(actor)
    permissions.can_abandon(actor, get_tender(session, actor, tender_id)).enforce()
    return cancel(session, actor, tender_id, reason)
