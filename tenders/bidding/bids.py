"""Bids: prepared as a draft (sealed at rest, readable only by its own supplier), submitted
into the tender box (sealed, with a receipt carrying the SHA-256 of the canonical bid and
the server's time), replaced by a new version or withdrawn until the deadline, and refused
after it, by the server's clock, in the same transaction that would store it.

Once submitted a bid is readable by nobody but its own supplier until the box is opened: the
supplier reads each version it submitted (its receipt lists the lines) and a replacement
starts from the latest."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.matching import Line, match_lines
from catalogue.models import Offer
from catalogue.prices import breaks_from_json, unit_price_for
from catalogue.spreadsheets import csv_text
from procurement.core import access, uploads
from procurement.core.audit import record_event
from procurement.core.clock import now, today
from procurement.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.core.access import Actor, actor_id
from demand.rules import quantity_text
from suppliers import exclusions
from tenders import messages, permissions, sealing
from tenders.following import start_following
from tenders.lifecycle import get_tender, locked
from tenders.models import Bid, BidStatus, BidVersion, LotItem, Tender, VersionState
from tenders.bidding.content import BidContentSchema, BidInput, DraftContentSchema, LotPrices, bid_problems

MAX_SCHEDULE_BYTES = 20 * 1024 * 1024
# A bid's lines are kept compact: one array a line, in this order (the opening reads 600,000
# of them; arrays parse about twice as fast as objects).
LINE_FIELDS = ("lot", "item", "unit_price", "offer_id", "capacity", "tiers", "offer_sku")
SCHEDULE_COLUMNS = ["lot", "item", "description", "quantity", "unit", "unit_price", "offer_sku", "capacity", "tiers"]


# Where a problem is, for the bid form to show it at its field: ("line", lot, item, field),
# ("lot", lot), ("bundle", position), ("quality", criterion) or ("bid",).
Where = tuple[Any, ...]


class BidProblems(InvalidInput):
    """Every problem of a bid, each naming where it is: 'lot 2, item 1: ...'; `located` pairs
    each sentence with where it is."""

    def __init__(self, problems: list[str], located: list[tuple[str, Where]] | None = None):
        super().__init__(f"The bid has {len(problems)} problem(s)", field_errors={"bid": problems})
        self.problems = problems
        self.located = located if located is not None else [(text, ("bid",)) for text in problems]


class _Found(list[str]):
    """Problems as they are found, each with where it is."""

    def __init__(self) -> None:
        super().__init__()
        self.located: list[tuple[str, Where]] = []

    def at(self, where: Where, text: str) -> None:
        self.append(text)
        self.located.append((text, where))

    def raise_any(self) -> None:
        if self:
            raise BidProblems(list(self), self.located)


def own_supplier(actor: Actor) -> int:
    """The supplier the actor bids for; PermissionDenied for anyone else."""
    permissions.bidder(actor).enforce()
    supplier_id = permissions.own_supplier(actor)
    assert supplier_id is not None
    return supplier_id


def own_supplier_name(session: Session, actor: Actor) -> str:
    from suppliers.models import Supplier

    supplier = session.get(Supplier, own_supplier(actor))
    assert supplier is not None
    return supplier.legal_name


def check_may_take_part(session: Session, supplier_id: int) -> None:
    """A supplier takes part only with a current exclusions declaration and off the debarment
    list for a mandatory ground (Procurement Act 2023 s.57): checked when it starts, saves or
    submits a bid. Refused as a problem of the bid, so the bid page shows it."""
    verdict = exclusions.may_take_part(session, supplier_id)
    if not verdict:
        raise BidProblems([verdict.reason])


def _data_key(tender: Tender) -> bytes:
    assert tender.wrapped_key is not None
    return sealing.unwrap_key(sealing.master_key(current_app.config["BID_SEALING_KEY"]), tender.wrapped_key, tender.id)


def _items(tender: Tender) -> dict[tuple[int, int], LotItem]:
    return {(lot.number, item.number): item for lot in tender.lots for item in lot.items}


def validate(session: Session, tender: Tender, supplier_id: int, bid: BidInput, *, complete: bool) -> dict[str, Any]:
    """The bid (loaded by `BidContentSchema`) as canonical content, or BidProblems listing what
    does not fit this tender and catalogue. `complete` (for submission) also asks for every item
    of every covered lot and an answer to every criterion."""
    problems = _Found()
    items = _items(tender)
    lots_in_tender = {lot.number for lot in tender.lots}
    lines_out: list[dict[str, Any]] = []
    covered: set[int] = set()
    to_match: list[tuple[str, LotItem, Decimal, str]] = []
    for lot_prices in bid.lots:
        if lot_prices.lot not in lots_in_tender:
            problems.at(("lot", lot_prices.lot), f"lot {lot_prices.lot}: there is no such lot in this tender")
            continue
        covered.add(lot_prices.lot)
        for entry in lot_prices.items:
            where = f"lot {lot_prices.lot}, item {entry.item}"
            item = items.get((lot_prices.lot, entry.item))
            if item is None:
                problems.at(("line", lot_prices.lot, entry.item, "item"), f"{where}: there is no such item in this lot")
                continue
            line: dict[str, Any] = {"lot": lot_prices.lot, "item": item.number, "unit_price": str(entry.unit_price),
                                    "tiers": [[low, high, str(price)] for low, high, price in entry.tiers]}
            if entry.capacity is not None:
                line["capacity"] = quantity_text(entry.capacity)
            if entry.offer_sku:
                line["offer_sku"] = entry.offer_sku
                to_match.append((item.description, item, entry.unit_price, entry.offer_sku))
            lines_out.append(line)
    if complete:
        if not covered:
            problems.at(("bid",), "The bid covers no lot: price at least one lot")
        priced = {(line["lot"], line["item"]) for line in lines_out}
        for (lot_number, item_number), item in sorted(items.items()):
            if lot_number in covered and (lot_number, item_number) not in priced:
                problems.at(("line", lot_number, item_number, "unit_price"),
                            f"Enter the unit price for {item.description}: a bid for lot {lot_number} prices every item in it")
    _check_offers(session, supplier_id, to_match, lines_out, problems)
    bundles_out = [{"lots": list(b.lots), "discount_percent": str(b.discount_percent)} for b in bid.bundles]
    if complete:
        for n, bundle in enumerate(bid.bundles):
            if not set(bundle.lots) <= covered:
                unpriced = " and ".join(str(lot) for lot in bundle.lots if lot not in covered)
                problems.at(("bundle", n, "lots"), f"Bundle {n + 1}: you do not bid for lot {unpriced}; price it or untick it")
    quality_out = []
    criteria = {c.number: c for c in tender.criteria}
    for n, answer in enumerate(bid.quality, start=1):
        if answer.criterion not in criteria:
            problems.at(("quality", answer.criterion), f"quality[{n}]: there is no criterion {answer.criterion}")
        elif answer.text or answer.attachments:
            quality_out.append({"criterion": answer.criterion, "text": answer.text, "attachments": [
                {"filename": a.filename, "size": len(a.data), "sha256": hashlib.sha256(a.data).hexdigest(),
                 "content_base64": base64.b64encode(a.data).decode()} for a in answer.attachments]})
    if complete:
        answered = {q["criterion"] for q in quality_out}
        for number, criterion in sorted(criteria.items()):
            if number not in answered:
                problems.at(("quality", number), f"Answer ‘{criterion.name}’")
    problems.raise_any()
    return {"tender": tender.reference,
            "lines": [pack_line(l) for l in sorted(lines_out, key=lambda l: (l["lot"], l["item"]))],
            "bundles": bundles_out, "quality": sorted(quality_out, key=lambda q: q["criterion"])}


def pack_line(line: dict[str, Any]) -> list[Any]:
    """A line as an array; its tiers as compact JSON text ("" for none), which the opening
    writes as it is."""
    packed = [line.get(name) for name in LINE_FIELDS]
    tiers = line.get("tiers")
    packed[5] = json.dumps(tiers, separators=(",", ":")) if tiers else ""
    return packed


def unpack_line(packed: list[Any]) -> dict[str, Any]:
    line = dict(zip(LINE_FIELDS, packed))
    line["tiers"] = json.loads(line["tiers"]) if line.get("tiers") else []
    return line


def _check_offers(session: Session, supplier_id: int, to_match: list[tuple[str, LotItem, Decimal, str]],
                  lines: list[dict[str, Any]], problems: _Found) -> None:
    """Each named offer must be this supplier's published offer (found by the catalogue's
    matcher, by SKU) and the bid not above its published price for the item's quantity."""
    if not to_match:
        return
    system = access.SystemActor("bid check")
    results = match_lines(session, system, [Line(sku=sku, quantity=None) for _, _, _, sku in to_match], supplier_id=supplier_id)
    by_key = {(l["lot"], l["item"]): l for l in lines}
    for (where, item, price, sku), result in zip(to_match, results):
        best = result.best
        if best is None or best.offer_id is None or best.reason != "same sku":
            problems.at(("line", item.lot.number, item.number, "offer_sku"), f"{where}: '{sku}' is not a published offer of yours")
            continue
        offer = session.get(Offer, best.offer_id)
        assert offer is not None
        if (offer.valid_from and today() < offer.valid_from) or (offer.valid_to and today() > offer.valid_to):
            problems.at(("line", item.lot.number, item.number, "offer_sku"), f"{where}: your offer '{sku}' has no price valid today")
            continue
        published, _ = unit_price_for(offer.list_price, breaks_from_json(offer.price_breaks), item.quantity)
        if price > published:
            problems.at(("line", item.lot.number, item.number, "unit_price"),
                        f"{where}: £{price} is above your published price of £{published} for "
                        f"{quantity_text(item.quantity)} {item.unit} ('{sku}')")
            continue
        by_key[(item.lot.number, item.number)]["offer_id"] = offer.id


def scan_attachments(session: Session, actor: Actor, tender: Tender, bid_input: BidInput) -> None:
    _scan_attachments(session, actor, tender, own_supplier(actor), bid_input)


def _scan_attachments(session: Session, actor: Actor, tender: Tender, supplier_id: int, bid_input: BidInput) -> None:
    """Every quality attachment through clamd (when configured) before the bid keeps it: the
    agency reads them once the box is opened. BidProblems names each one holding a virus."""
    problems = _Found()
    for answer in bid_input.quality:
        for n, attachment in enumerate(answer.attachments, start=1):
            where = f"criterion {answer.criterion}, attachment {n} ({attachment.filename})"
            problem = uploads.virus_problem(session, actor, attachment.filename, attachment.data, subject=tender,
                                            details={"field": where, "supplier_id": supplier_id})
            if problem:
                problems.at(("attachment", answer.criterion, n), f"{where}: {problem}")
    problems.raise_any()


def _bid_for(session: Session, tender: Tender, supplier_id: int, create: bool = False) -> Bid | None:
    bid = session.scalar(select(Bid).where(Bid.tender_id == tender.id, Bid.supplier_id == supplier_id))
    if bid is None and create:
        bid = Bid(tender_id=tender.id, supplier_id=supplier_id)
        session.add(bid)
        session.flush()
    return bid


def save_draft(session: Session, actor: Actor, tender_id: int, bid_input: BidInput) -> Bid:
    """Keep a draft (checked as far as it goes, sealed at rest) for the supplier to finish."""
    supplier_id = own_supplier(actor)
    tender = get_tender(session, actor, tender_id)
    permissions.can_bid(actor, tender).enforce()
    check_may_take_part(session, supplier_id)
    _scan_attachments(session, actor, tender, supplier_id, bid_input)
    return store_draft(session, actor, tender, validate(session, tender, supplier_id, bid_input, complete=False))


def store_draft(session: Session, actor: Actor, tender: Tender, content: dict[str, Any]) -> Bid:
    """Seal validated content as the supplier's draft (the caller checked `can_bid`)."""
    bid = _bid_for(session, tender, own_supplier(actor), create=True)
    assert bid is not None
    bid.draft_sealed = sealing.seal(_data_key(tender), sealing.canonical(content),
                                    sealing.bid_context(tender.id, bid.id, "draft"))
    bid.draft_saved_at = bid.updated_at = now()
    record_event(session, actor, "bid.draft_saved", subject=bid, details={"tender_id": tender.id})
    start_following(session, tender, bid.supplier_id)
    return bid


def read_draft(session: Session, actor: Actor, tender_id: int) -> dict[str, Any] | None:
    """The supplier's own draft, for its own pages only."""
    supplier_id = own_supplier(actor)
    tender = get_tender(session, actor, tender_id)
    bid = _bid_for(session, tender, supplier_id)
    if bid is None or bid.draft_sealed is None or tender.wrapped_key is None:
        return None
    return json.loads(sealing.unseal(_data_key(tender), bid.draft_sealed, sealing.bid_context(tender.id, bid.id, "draft")))


def read_version(session: Session, actor: Actor, tender_id: int, version: int) -> dict[str, Any]:
    """A version the supplier submitted, for its own pages only (nobody else reads a bid before
    the box is opened). NotFound for a version that is not its own."""
    supplier_id = own_supplier(actor)
    tender = get_tender(session, actor, tender_id)
    bid = _bid_for(session, tender, supplier_id)
    found = next((v for v in bid.versions if v.version == version), None) if bid is not None else None
    if found is None or tender.wrapped_key is None:
        raise NotFound("No such bid version")
    return json.loads(sealing.unseal(_data_key(tender), found.sealed, sealing.bid_context(tender.id, bid.id, version)))


@dataclass(frozen=True)
class Receipt:
    reference: str
    supplier_id: int
    version: int
    submitted_at: Any
    size: int
    digest: str
    state: str

    def text(self) -> str:
        return (f"Receipt for a sealed bid\nTender: {self.reference}\nVersion: {self.version}\n"
                f"Received (server time, UTC): {self.submitted_at.isoformat()}\nSize: {self.size} bytes\n"
                f"SHA-256 of the canonical bid: {self.digest}\n")


def submit(session: Session, actor: Actor, tender_id: int, bid_input: BidInput | None = None, *,
           reviewed_digest: str | None = None) -> Receipt:
    """Seal the bid (the given content, or the saved draft) into the box as a new version;
    an earlier version is superseded. Refused at or after the deadline, by the server's
    clock read after the tender is locked, in the transaction that would store it; and, when
    the draft was reviewed (`reviewed_digest`), if it has changed since."""
    supplier_id = own_supplier(actor)
    visible = get_tender(session, actor, tender_id)  # visibility (locked() then makes the clock's moves)
    if bid_input is not None:  # scanned before the lock, which holds back others' bids (a draft was scanned as saved)
        _scan_attachments(session, actor, visible, supplier_id, bid_input)
    tender = locked(session, tender_id)
    permissions.can_bid(actor, tender).enforce()
    check_may_take_part(session, supplier_id)
    bid = _bid_for(session, tender, supplier_id, create=True)
    assert bid is not None
    if bid_input is None:
        if bid.draft_sealed is None:
            raise InvalidInput("There is no draft to submit", field_errors={"bid": ["Save or upload your bid first"]})
        plain_draft = sealing.unseal(_data_key(tender), bid.draft_sealed, sealing.bid_context(tender.id, bid.id, "draft"))
        if reviewed_digest is not None and sealing.digest(sealing.canonical(json.loads(plain_draft))) != reviewed_digest:
            raise Conflict("Your draft has changed since you checked it: check your answers again before you submit")
        bid_input = draft_input(json.loads(plain_draft))
    content = validate(session, tender, supplier_id, bid_input, complete=True)
    plain = sealing.canonical(content)
    number = (max((v.version for v in bid.versions), default=0)) + 1
    for earlier in bid.versions:
        if earlier.state is VersionState.submitted:
            earlier.state = VersionState.superseded
    stamp = now()
    permissions.can_bid(actor, tender).enforce()  # the clock again, at the moment of storing
    version = BidVersion(version=number, state=VersionState.submitted, submitted_at=stamp,
                         submitted_by_id=actor_id(actor), size=len(plain), digest=sealing.digest(plain),
                         sealed=sealing.seal(_data_key(tender), plain, sealing.bid_context(tender.id, bid.id, number)))
    bid.versions.append(version)
    bid.status, bid.needs_reconfirmation, bid.updated_at = BidStatus.submitted, False, stamp
    bid.draft_sealed, bid.draft_saved_at = None, None
    session.flush()
    record_event(session, actor, "bid.submitted" if number == 1 else "bid.replaced", subject=bid, details={
        "tender_id": tender.id, "version": number, "size": version.size, "digest": version.digest})
    start_following(session, tender, supplier_id)
    priced = {unpack_line(line)["lot"] for line in content.get("lines", [])}
    messages.tell_bid_received(session, tender, bid, version,
                               [f"lot {lot.number}: {lot.title}" for lot in tender.lots if lot.number in priced])
    return receipt_of(tender, bid, version)


def _submitted_bid(session: Session, actor: Actor, tender_id: int, may: Any) -> tuple[Tender, Bid]:
    """The actor's bid in the locked tender, once `may(actor, tender, bid)` allows the act."""
    supplier_id = own_supplier(actor)
    get_tender(session, actor, tender_id)  # visibility (locked() then makes the clock's moves)
    tender = locked(session, tender_id)
    bid = _bid_for(session, tender, supplier_id)
    may(actor, tender, bid).enforce()
    assert bid is not None
    return tender, bid


def withdraw(session: Session, actor: Actor, tender_id: int) -> Bid:
    tender, bid = _submitted_bid(session, actor, tender_id, permissions.can_withdraw_bid)
    for version in bid.versions:
        if version.state is VersionState.submitted:
            version.state = VersionState.withdrawn
    bid.status, bid.updated_at, bid.needs_reconfirmation = BidStatus.withdrawn, now(), False
    record_event(session, actor, "bid.withdrawn", subject=bid, details={"tender_id": tender.id})
    return bid


def reconfirm(session: Session, actor: Actor, tender_id: int) -> Bid:
    """After an amendment: the supplier confirms its bid stands as submitted."""
    tender, bid = _submitted_bid(session, actor, tender_id, permissions.can_reconfirm_bid)
    bid.needs_reconfirmation, bid.updated_at = False, now()
    record_event(session, actor, "bid.reconfirmed", subject=bid, details={"tender_id": tender.id})
    return bid


def receipt_of(tender: Tender, bid: Bid, version: BidVersion) -> Receipt:
    return Receipt(tender.reference, bid.supplier_id, version.version, version.submitted_at, version.size,
                   version.digest, version.state.value)


@dataclass(frozen=True)
class MyBid:
    bid: Bid | None
    receipts: list[Receipt]
    has_draft: bool


def my_bid(session: Session, actor: Actor, tender_id: int) -> MyBid:
    """What a supplier may know of its own bid: its status and each version's receipt."""
    supplier_id = own_supplier(actor)
    tender = get_tender(session, actor, tender_id)
    bid = _bid_for(session, tender, supplier_id)
    if bid is None:
        return MyBid(None, [], False)
    return MyBid(bid, [receipt_of(tender, bid, v) for v in reversed(bid.versions)], bid.draft_sealed is not None)


def receipt(session: Session, actor: Actor, tender_id: int, version: int) -> Receipt:
    found = my_bid(session, actor, tender_id)
    for r in found.receipts:
        if r.version == version:
            return r
    raise NotFound("No such bid version")


# The price schedule as a CSV file ------------------------------------------------------------

def schedule_template(session: Session, actor: Actor, tender_id: int) -> str:
    tender = get_tender(session, actor, tender_id)
    rows: list[list[object]] = [SCHEDULE_COLUMNS]
    for lot in tender.lots:
        for item in lot.items:
            rows.append([lot.number, item.number, item.description, quantity_text(item.quantity), item.unit, "", "", "", ""])
    return csv_text(rows)


def schedule_from_csv(data: bytes) -> tuple[LotPrices, ...]:
    """A price schedule file as bid lots and items (loaded by the bid's schema); problems
    listed by line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BidProblems(["The file must be UTF-8 CSV text"]) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("lot", "item", "unit_price") if c not in header]
    if missing:
        raise BidProblems([f"line 1: missing column(s) {', '.join(missing)}; the columns are {', '.join(SCHEDULE_COLUMNS)}"])
    at = {name: header.index(name) for name in SCHEDULE_COLUMNS if name in header}
    lots: dict[int, list[dict[str, Any]]] = {}
    problems = []
    for line_number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        cell = {name: (cells[i].strip() if i < len(cells) else "") for name, i in at.items()}
        if not cell["unit_price"]:
            continue  # an item the bid does not price (a lot left out, or a missing line reported later)
        if not cell["lot"].isdecimal() or not cell["item"].isdecimal() or len(cell["lot"] + cell["item"]) > 16:
            problems.append(f"line {line_number}: lot and item must be numbers")
            continue
        entry = {"item": int(cell["item"]), "unit_price": cell["unit_price"], "offer_sku": cell.get("offer_sku", ""),
                 "capacity": cell.get("capacity", ""), "tiers": cell.get("tiers", "")}
        lots.setdefault(int(cell["lot"]), []).append(entry)
    if problems:
        raise BidProblems(problems)
    raw = {"lots": [{"lot": lot, "items": entries} for lot, entries in sorted(lots.items())]}
    try:
        return BidContentSchema().load(raw).lots
    except ValidationError as error:
        raise BidProblems([text for text, _ in bid_problems(error.messages, raw)]) from None


def merge_schedule(draft: dict[str, Any] | None, schedule: tuple[LotPrices, ...]) -> BidInput:
    """An uploaded schedule replaces the draft's prices and keeps its bundles and answers."""
    return replace(draft_input(draft) if draft else BidInput(), lots=schedule)


def as_raw(content: dict[str, Any]) -> dict[str, Any]:
    """Canonical content back into the shape a bid is given in (to show or edit a draft)."""
    lots: dict[int, list[dict[str, Any]]] = {}
    for line in map(unpack_line, content.get("lines", [])):
        lots.setdefault(line["lot"], []).append({
            "item": line["item"], "unit_price": line["unit_price"], "offer_sku": line.get("offer_sku") or "",
            "capacity": line.get("capacity") or "",
            "tiers": [{"min_quantity": low, "max_quantity": high, "unit_price": price} for low, high, price in line.get("tiers") or []]})
    return {"lots": [{"lot": lot, "items": items} for lot, items in sorted(lots.items())],
            "bundles": content.get("bundles", []), "quality": content.get("quality", [])}


def draft_input(content: dict[str, Any]) -> BidInput:
    """A saved draft as the values `validate` takes, to submit it or load a schedule into it."""
    return DraftContentSchema().load(as_raw(content))


@dataclass(frozen=True)
class BoxFact:
    supplier: str
    version: int
    state: str
    submitted_at: Any
    size: int
    digest: str


def box_facts(session: Session, actor: Actor, tender_id: int) -> list[BoxFact]:
    """What the agency may know of the box before opening: who, when, which version, how big
    and its digest. Never its contents."""
    from suppliers.models import Supplier

    if not access.can_manage_tenders(actor):
        raise PermissionDenied("Only the agency sees the tender box")
    tender = get_tender(session, actor, tender_id)
    rows = session.execute(
        select(Supplier.legal_name, BidVersion.version, BidVersion.state, BidVersion.submitted_at, BidVersion.size,
               BidVersion.digest)
        .join(Bid, Bid.id == BidVersion.bid_id).join(Supplier, Supplier.id == Bid.supplier_id)
        .where(Bid.tender_id == tender.id).order_by(BidVersion.submitted_at, BidVersion.id)).all()
    return [BoxFact(name, version, state.value, at, size, digest) for name, version, state, at, size, digest in rows]
