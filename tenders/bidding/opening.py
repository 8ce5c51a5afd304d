"""Opening the tender box: after the deadline, by one agency user and confirmed by a second,
different one (four eyes). Each bid's latest submitted version is decrypted, its digest
checked, and written as plain rows for evaluation; withdrawn and superseded versions stay
sealed and are not evaluated; a bid that does not open or check out is reported corrupt."""
from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator

from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm import Session

from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.errors import Conflict
from procurement.core.db import on_postgresql
from procurement.core.access import Actor, actor_id
from tenders import messages, permissions, sealing
from tenders.lifecycle import get_tender, locked, move
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


def request_opening(session: Session, actor: Actor, tender_id: int) -> Tender:
    """The first agency user asks to open; a second must confirm."""
    permissions.opener(actor).enforce()
    get_tender(session, actor, tender_id)
    tender = locked(session, tender_id)
    permissions.can_request_opening(actor, tender).enforce()
    tender.opening_requested_by_id, tender.opening_requested_at = actor_id(actor), now()
    record_event(session, actor, "tender.opening_requested", subject=tender)
    messages.tell_opening_requested(session, tender)
    return tender


@dataclass(frozen=True)
class OpeningResult:
    opened: int
    corrupt: int
    lines: int


def confirm_opening(session: Session, actor: Actor, tender_id: int) -> OpeningResult:
    """The second agency user confirms, and the box is opened."""
    permissions.opener(actor).enforce()
    get_tender(session, actor, tender_id)
    tender = locked(session, tender_id)
    permissions.can_confirm_opening(actor, tender).enforce()
    result = open_box(session, tender)
    tender.opened_by_id, tender.opened_at = actor_id(actor), now()
    move(session, actor, tender, TenderStatus.opened, "tender.opened", bids=result.opened, corrupt=result.corrupt,
         lines=result.lines, requested_by=tender.opening_requested_by_id)
    return result


def open_box(session: Session, tender: Tender) -> OpeningResult:
    """Decrypt and check every bid's latest submitted version into evaluation rows.

    Two passes: first every version is decrypted and its digest checked (cheap), and the
    opened bids are recorded; then each intact bid's lines are parsed and streamed into
    bid_line one bid at a time (PostgreSQL COPY), so the database writes one bid while the
    next is parsed, and memory holds one bid's lines at a time."""
    data_key = sealing.unwrap_key(sealing.master_key(current_app.config["BID_SEALING_KEY"]), tender.wrapped_key, tender.id)
    items = {(lot.number, item.number): item.id for lot in tender.lots for item in lot.items}
    criteria = {c.number: c.id for c in tender.criteria}
    bids = session.scalars(select(Bid).where(Bid.tender_id == tender.id, Bid.status == BidStatus.submitted)
                           .options(selectinload(Bid.versions)).order_by(Bid.id)).all()
    checked: list[tuple[OpenedBid, bytes | None]] = []
    for bid in bids:
        version = next((v for v in reversed(bid.versions) if v.state is VersionState.submitted), None)
        if version is None:
            continue
        record = OpenedBid(tender_id=tender.id, bid_id=bid.id, supplier_id=bid.supplier_id, version=version.version,
                           digest=version.digest, intact=False, reconfirmed=not bid.needs_reconfirmation)
        plain = None
        try:
            plain = sealing.unseal(data_key, version.sealed, sealing.bid_context(tender.id, bid.id, version.version))
        except sealing.SealBroken:
            record.note = "The sealed bid does not decrypt with this tender's key: altered or corrupt; not evaluated"
        if plain is not None and sealing.digest(plain) != version.digest:
            record.note, plain = "The bid's SHA-256 does not match its receipt: not evaluated", None
        record.intact = plain is not None
        session.add(record)
        checked.append((record, plain))
    session.flush()
    lines = 0
    with _line_writer(session) as write, _no_gc():
        for record, plain in checked:
            if plain is None:
                continue
            content = json.loads(plain)
            lines += write(record.id, content["lines"], items)
            for bundle in content.get("bundles", []):
                session.add(BidBundle(opened_bid_id=record.id, lot_numbers=bundle["lots"],
                                      discount_percent=Decimal(bundle["discount_percent"])))
            for response in content.get("quality", []):
                session.add(QualityResponse(opened_bid_id=record.id, criterion_id=criteria[response["criterion"]],
                                            text=response["text"], attachments=response.get("attachments", [])))
    session.flush()
    opened = sum(1 for record, _ in checked if record.intact)
    return OpeningResult(opened, len(checked) - opened, lines)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Parsing hundreds of thousands of small lists makes the garbage collector run thousands
    of times for nothing (they are all alive): measured 1.8 s with it, 0.5 s without."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


LineWriter = Callable[[int, list[list[Any]], dict[tuple[int, int], int]], int]


@contextmanager
def _line_writer(session: Session) -> Iterator[LineWriter]:
    """A function writing one bid's packed lines (see bidding.LINE_FIELDS): COPY on
    PostgreSQL, executemany elsewhere."""
    if not on_postgresql(session):
        def insert_lines(opened_bid_id: int, packed: list[list[Any]], items: dict[tuple[int, int], int]) -> int:
            if packed:
                session.execute(insert(BidLine), [{
                    "opened_bid_id": opened_bid_id, "lot_item_id": items[(lot, item)], "unit_price": Decimal(price),
                    "offer_id": offer_id, "capacity": Decimal(capacity) if capacity else None,
                    "tiers": json.loads(tiers) if tiers else []}
                    for lot, item, price, offer_id, capacity, tiers, *_ in packed])
            return len(packed)

        yield insert_lines
        return
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        with cursor.copy("COPY bid_line (opened_bid_id, lot_item_id, unit_price, offer_id, capacity, tiers) FROM STDIN") as copy:
            by_lot: dict[int, dict[int, int]] = {}

            def copy_lines(opened_bid_id: int, packed: list[list[Any]], items: dict[tuple[int, int], int]) -> int:
                if not by_lot:
                    for (lot, item), item_id in items.items():
                        by_lot.setdefault(lot, {})[item] = item_id
                prefix = f"{opened_bid_id}\t"
                copy.write("".join([
                    f"{prefix}{by_lot[lot][item]}\t{price}\t{NULL if offer_id is None else offer_id}\t"
                    f"{NULL if capacity is None else capacity}\t{tiers or '[]'}\n"
                    for lot, item, price, offer_id, capacity, tiers, _sku in packed]))
                return len(packed)

            yield copy_lines
    finally:
        cursor.close()


NULL = "\\N"  # COPY's text format for NULL


def opened_bids(session: Session, actor: Actor, tender_id: int) -> list[OpenedBid]:
    """After opening, the agency sees the opened bids (never before)."""
    permissions.opener(actor).enforce()
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
