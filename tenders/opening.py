"""Opening the tender box: after the deadline, by one agency user and confirmed by a second,
different one (four eyes). Each bid's latest submitted version is decrypted, its digest
checked, and written as plain rows for evaluation; withdrawn and superseded versions stay
sealed and are not evaluated; a bid that does not open or check out is reported corrupt."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.errors import Conflict, PermissionDenied
from tenders import sealing
from tenders.lifecycle import advance, get_tender, locked, move
from tenders.models import (
    Bid,
    BidBundle,
    BidLine,
    BidStatus,
    OpenedBid,
    QualityResponse,
    Tender,
    TenderStatus,
    VersionState,
)


def _agency(actor: Any) -> None:
    if not access.can_open_tenders(actor):
        raise PermissionDenied("Only agency staff open the tender box")


def request_opening(session: Session, actor: Any, tender_id: int) -> Tender:
    """The first agency user asks to open; a second must confirm."""
    _agency(actor)
    tender = advance(session, get_tender(session, actor, tender_id))
    tender = locked(session, tender.id)
    if tender.status is not TenderStatus.closed:
        raise Conflict("The box opens only after the deadline, once" if tender.status is TenderStatus.published
                       else f"A {tender.status.value} tender cannot be opened")
    tender.opening_requested_by_id, tender.opening_requested_at = getattr(actor, "id", None), now()
    record_event(session, actor, "tender.opening_requested", subject=tender)
    return tender


@dataclass(frozen=True)
class OpeningResult:
    opened: int
    corrupt: int
    lines: int


def confirm_opening(session: Session, actor: Any, tender_id: int) -> OpeningResult:
    """The second agency user confirms, and the box is opened."""
    _agency(actor)
    get_tender(session, actor, tender_id)
    tender = locked(session, tender_id)
    if tender.status is not TenderStatus.closed:
        raise Conflict(f"A {tender.status.value} tender cannot be opened")
    if tender.opening_requested_by_id is None:
        raise Conflict("Opening needs a request from one agency user and confirmation by another")
    if tender.opening_requested_by_id == getattr(actor, "id", None):
        raise Conflict("A second, different agency user must confirm the opening")
    result = open_box(session, tender)
    tender.opened_by_id, tender.opened_at = getattr(actor, "id", None), now()
    move(session, actor, tender, TenderStatus.opened, "tender.opened", bids=result.opened, corrupt=result.corrupt,
         lines=result.lines, requested_by=tender.opening_requested_by_id)
    return result


def open_box(session: Session, tender: Tender) -> OpeningResult:
    """Decrypt and check every bid's latest submitted version into evaluation rows."""
    data_key = sealing.unwrap_key(sealing.master_key(current_app.config["BID_SEALING_KEY"]), tender.wrapped_key, tender.id)
    items = {(lot.number, item.number): item.id for lot in tender.lots for item in lot.items}
    criteria = {c.number: c.id for c in tender.criteria}
    bids = session.scalars(select(Bid).where(Bid.tender_id == tender.id, Bid.status == BidStatus.submitted)
                           .order_by(Bid.id)).all()
    opened = corrupt = 0
    lines: list[dict[str, Any]] = []
    for bid in bids:
        version = next((v for v in reversed(bid.versions) if v.state is VersionState.submitted), None)
        if version is None:
            continue
        record = OpenedBid(tender_id=tender.id, bid_id=bid.id, supplier_id=bid.supplier_id, version=version.version,
                           digest=version.digest, intact=False, reconfirmed=not bid.needs_reconfirmation)
        session.add(record)
        try:
            plain = sealing.unseal(data_key, version.sealed, sealing.bid_context(tender.id, bid.id, version.version))
        except sealing.SealBroken:
            record.note = "The sealed bid does not decrypt with this tender's key: altered or corrupt; not evaluated"
            corrupt += 1
            continue
        if sealing.digest(plain) != version.digest:
            record.note = "The bid's SHA-256 does not match its receipt: not evaluated"
            corrupt += 1
            continue
        content = json.loads(plain)
        record.intact = True
        session.flush()
        opened += 1
        for line in content["lines"]:
            lines.append({
                "opened_bid_id": record.id, "lot_item_id": items[(line["lot"], line["item"])],
                "unit_price": Decimal(line["unit_price"]), "offer_id": line.get("offer_id"),
                "capacity": Decimal(line["capacity"]) if line.get("capacity") else None, "tiers": line.get("tiers", []),
            })
        for bundle in content.get("bundles", []):
            session.add(BidBundle(opened_bid_id=record.id, lot_numbers=bundle["lots"],
                                  discount_percent=Decimal(bundle["discount_percent"])))
        for response in content.get("quality", []):
            session.add(QualityResponse(opened_bid_id=record.id, criterion_id=criteria[response["criterion"]],
                                        text=response["text"], attachments=response.get("attachments", [])))
    session.flush()
    _write_lines(session, lines)
    return OpeningResult(opened, corrupt, len(lines))


def _write_lines(session: Session, lines: list[dict[str, Any]]) -> None:
    """Bid lines in bulk: PostgreSQL COPY; elsewhere one executemany."""
    if not lines:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(BidLine), lines)
        return
    columns = ["opened_bid_id", "lot_item_id", "unit_price", "offer_id", "capacity", "tiers"]
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY bid_line ({', '.join(columns)}) FROM STDIN") as copy:
        for line in lines:
            copy.write_row((line["opened_bid_id"], line["lot_item_id"], line["unit_price"], line["offer_id"],
                            line["capacity"], json.dumps(line["tiers"])))
    cursor.close()


def opened_bids(session: Session, actor: Any, tender_id: int) -> list[OpenedBid]:
    """After opening, the agency sees the opened bids (never before)."""
    _agency(actor)
    tender = get_tender(session, actor, tender_id)
    if tender.opened_at is None:
        raise Conflict("The tender box has not been opened")
    return list(session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)))


def line_counts(session: Session, opened: Iterable[OpenedBid]) -> dict[int, int]:
    ids = [o.id for o in opened]
    if not ids:
        return {}
    return dict(session.execute(select(BidLine.opened_bid_id, func.count()).where(BidLine.opened_bid_id.in_(ids))
                                .group_by(BidLine.opened_bid_id)).all())
