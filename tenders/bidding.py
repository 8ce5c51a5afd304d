"""Bids: prepared as a draft (sealed at rest, readable only by its own supplier), submitted
into the tender box (sealed, with a receipt carrying the SHA-256 of the canonical bid and
the server's time), replaced by a new version or withdrawn until the deadline, and refused
after it, by the server's clock, in the same transaction that would store it.

Once submitted a bid is not readable by anyone, its own supplier included, until the box is
opened: suppliers keep their own copy (the price schedule file) to prepare a replacement."""
from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.matching import Line, match_lines
from catalogue.models import Offer
from catalogue.prices import breaks_from_json, unit_price_for
from catalogue.spreadsheets import csv_text
from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.clock import now, today
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from procurement.core.access import actor_id
from demand.rules import quantity_text
from tenders import permissions, rules, sealing
from tenders.lifecycle import get_tender, locked, open_for_bids
from tenders.models import Bid, BidStatus, BidVersion, LotItem, Tender, TenderStatus, VersionState

MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
MAX_SCHEDULE_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS = 5
# A bid's lines are kept compact: one array a line, in this order (the opening reads 600,000
# of them; arrays parse about twice as fast as objects).
LINE_FIELDS = ("lot", "item", "unit_price", "offer_id", "capacity", "tiers", "offer_sku")
SCHEDULE_COLUMNS = ["lot", "item", "description", "quantity", "unit", "unit_price", "offer_sku", "capacity", "tiers"]


class BidProblems(InvalidInput):
    """Every problem of a bid, each naming where it is: 'lot 2, item 1: ...'."""

    def __init__(self, problems: list[str]):
        super().__init__(f"The bid has {len(problems)} problem(s)", field_errors={"bid": problems})
        self.problems = problems


def _own_supplier(actor: Any) -> int:
    permissions.bidder(actor).enforce()
    supplier_id = permissions.own_supplier(actor)
    assert supplier_id is not None
    return supplier_id


def _data_key(tender: Tender) -> bytes:
    assert tender.wrapped_key is not None
    return sealing.unwrap_key(sealing.master_key(current_app.config["BID_SEALING_KEY"]), tender.wrapped_key, tender.id)


def _items(tender: Tender) -> dict[tuple[int, int], LotItem]:
    return {(lot.number, item.number): item for lot in tender.lots for item in lot.items}


def validate(session: Session, tender: Tender, supplier_id: int, raw: Any, *, complete: bool) -> dict[str, Any]:
    """The bid as canonical content, or BidProblems listing each problem. `complete` (for
    submission) also asks for every item of every covered lot and an answer to every criterion."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise BidProblems(["The bid must be an object with 'lots', 'bundles' and 'quality'"])
    items = _items(tender)
    lots_in_tender = {lot.number for lot in tender.lots}
    lines_out: list[dict[str, Any]] = []
    covered: set[int] = set()
    seen: set[tuple[int, int]] = set()
    to_match: list[tuple[str, LotItem, Decimal, str]] = []
    for n, lot_entry in enumerate(raw.get("lots") or [], start=1):
        if not isinstance(lot_entry, dict) or not isinstance(lot_entry.get("lot"), int) or isinstance(lot_entry.get("lot"), bool):
            problems.append(f"lots[{n}]: give the lot number")
            continue
        lot_number = lot_entry["lot"]
        if lot_number not in lots_in_tender:
            problems.append(f"lot {lot_number}: there is no such lot in this tender")
            continue
        covered.add(lot_number)
        for m, entry in enumerate(lot_entry.get("items") or [], start=1):
            where = f"lot {lot_number}, item {entry.get('item') if isinstance(entry, dict) else m}"
            if not isinstance(entry, dict) or not isinstance(entry.get("item"), int):
                problems.append(f"lot {lot_number}, line {m}: give the item number")
                continue
            item = items.get((lot_number, entry["item"]))
            if item is None:
                problems.append(f"{where}: there is no such item in this lot")
                continue
            if (lot_number, item.number) in seen:
                problems.append(f"{where}: priced twice")
                continue
            seen.add((lot_number, item.number))
            line: dict[str, Any] = {"lot": lot_number, "item": item.number}
            try:
                price = rules.parse_price(entry.get("unit_price"), "unit price")
                line["unit_price"] = str(price)
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
                continue
            capacity = entry.get("capacity")
            if capacity not in (None, ""):
                try:
                    value = Decimal(str(capacity).replace(",", ""))
                    if not value.is_finite() or value <= 0:
                        raise ValueError
                    line["capacity"] = quantity_text(value)
                except (ValueError, ArithmeticError):
                    problems.append(f"{where}: the capacity must be a positive number of units")
            tiers = entry.get("tiers") or []
            try:
                if isinstance(tiers, str):
                    parsed = rules.parse_tiers(tiers)
                else:
                    parsed = rules.check_tiers([(int(t["min_quantity"]), None if t.get("max_quantity") in (None, "") else int(t["max_quantity"]),
                                                 rules.parse_price(t.get("unit_price"), "tier price")) for t in tiers])
                line["tiers"] = [[low, high, str(price)] for low, high, price in parsed]
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"{where}: tiers: {exc}")
            sku = str(entry.get("offer_sku") or "").strip()
            if sku:
                line["offer_sku"] = sku[:64]
                to_match.append((where, item, price, sku[:64]))
            lines_out.append(line)
    if complete:
        if not covered:
            problems.append("The bid covers no lot: price at least one lot")
        for (lot_number, item_number), item in sorted(items.items()):
            if lot_number in covered and (lot_number, item_number) not in seen:
                problems.append(f"lot {lot_number}, item {item_number} ({item.description}): missing; a bid for a lot prices all its items")
    problems += _check_offers(session, supplier_id, to_match, lines_out)
    bundles_out = []
    for n, bundle in enumerate(raw.get("bundles") or [], start=1):
        try:
            lots = sorted({int(x) for x in bundle["lots"]})
            discount = Decimal(str(bundle["discount_percent"]))
        except (KeyError, TypeError, ValueError, ArithmeticError):
            problems.append(f"bundle {n}: give 'lots' (two or more) and 'discount_percent'")
            continue
        if len(lots) < 2 or not set(lots) <= covered:
            problems.append(f"bundle {n}: name two or more lots that this bid covers")
        elif not discount.is_finite() or not Decimal(0) < discount < Decimal(100) or discount != discount.quantize(Decimal("0.01")):
            problems.append(f"bundle {n}: the discount must be a percentage above 0 and below 100, to 2 places")
        else:
            bundles_out.append({"lots": lots, "discount_percent": str(discount)})
    quality_out = []
    criteria = {c.number: c for c in tender.criteria}
    answered: set[int] = set()
    for n, response in enumerate(raw.get("quality") or [], start=1):
        number = response.get("criterion") if isinstance(response, dict) else None
        if number not in criteria:
            problems.append(f"quality[{n}]: there is no criterion {number}")
            continue
        text = str(response.get("text") or "").strip()
        if len(text) > 20000:
            problems.append(f"criterion {number}: the answer is longer than 20,000 characters")
        attachments = []
        for k, attachment in enumerate((response.get("attachments") or [])[:MAX_ATTACHMENTS + 1], start=1):
            try:
                data = base64.b64decode(attachment["content_base64"], validate=True)
                name = str(attachment["filename"]).replace("/", "_").replace("\\", "_")[:200]
            except (KeyError, TypeError, binascii.Error, ValueError):
                problems.append(f"criterion {number}, attachment {k}: give 'filename' and base64 'content_base64'")
                continue
            if k > MAX_ATTACHMENTS:
                problems.append(f"criterion {number}: at most {MAX_ATTACHMENTS} attachments")
            elif not data or len(data) > MAX_ATTACHMENT_BYTES:
                problems.append(f"criterion {number}, {name}: attachments are 1 byte to {MAX_ATTACHMENT_BYTES // (1 << 20)} MB")
            else:
                attachments.append({"filename": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                                    "content_base64": base64.b64encode(data).decode()})
        if text or attachments:
            answered.add(number)
            quality_out.append({"criterion": number, "text": text, "attachments": attachments})
    if complete:
        for number, criterion in sorted(criteria.items()):
            if number not in answered:
                problems.append(f"criterion {number} ({criterion.name}): no answer")
    if problems:
        raise BidProblems(problems)
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
                  lines: list[dict[str, Any]]) -> list[str]:
    """Each named offer must be this supplier's published offer (found by the catalogue's
    matcher, by SKU) and the bid not above its published price for the item's quantity."""
    if not to_match:
        return []
    problems = []
    system = access.SystemActor("bid check")
    results = match_lines(session, system, [Line(sku=sku, quantity=None) for _, _, _, sku in to_match], supplier_id=supplier_id)
    by_key = {(l["lot"], l["item"]): l for l in lines}
    for (where, item, price, sku), result in zip(to_match, results):
        best = result.best
        if best is None or best.offer_id is None or best.reason != "same sku":
            problems.append(f"{where}: '{sku}' is not a published offer of yours")
            continue
        offer = session.get(Offer, best.offer_id)
        assert offer is not None
        if (offer.valid_from and today() < offer.valid_from) or (offer.valid_to and today() > offer.valid_to):
            problems.append(f"{where}: your offer '{sku}' has no price valid today")
            continue
        published, _ = unit_price_for(offer.list_price, breaks_from_json(offer.price_breaks), item.quantity)
        if price > published:
            problems.append(f"{where}: £{price} is above your published price of £{published} for "
                            f"{quantity_text(item.quantity)} {item.unit} ('{sku}')")
            continue
        by_key[(item.lot.number, item.number)]["offer_id"] = offer.id
    return problems


def _bid_for(session: Session, tender: Tender, supplier_id: int, create: bool = False) -> Bid | None:
    bid = session.scalar(select(Bid).where(Bid.tender_id == tender.id, Bid.supplier_id == supplier_id))
    if bid is None and create:
        bid = Bid(tender_id=tender.id, supplier_id=supplier_id)
        session.add(bid)
        session.flush()
    return bid


def save_draft(session: Session, actor: Any, tender_id: int, raw: Any) -> Bid:
    """Keep a draft (checked as far as it goes, sealed at rest) for the supplier to finish."""
    supplier_id = _own_supplier(actor)
    tender = get_tender(session, actor, tender_id)
    permissions.can_bid(actor, tender).enforce()
    content = validate(session, tender, supplier_id, raw, complete=False)
    bid = _bid_for(session, tender, supplier_id, create=True)
    assert bid is not None
    bid.draft_sealed = sealing.seal(_data_key(tender), sealing.canonical(content),
                                    sealing.bid_context(tender.id, bid.id, "draft"))
    bid.draft_saved_at = bid.updated_at = now()
    record_event(session, actor, "bid.draft_saved", subject=bid, details={"tender_id": tender.id})
    return bid


def read_draft(session: Session, actor: Any, tender_id: int) -> dict[str, Any] | None:
    """The supplier's own draft, for its own pages only."""
    supplier_id = _own_supplier(actor)
    tender = get_tender(session, actor, tender_id)
    bid = _bid_for(session, tender, supplier_id)
    if bid is None or bid.draft_sealed is None or tender.wrapped_key is None:
        return None
    return json.loads(sealing.unseal(_data_key(tender), bid.draft_sealed, sealing.bid_context(tender.id, bid.id, "draft")))


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


def submit(session: Session, actor: Any, tender_id: int, raw: Any = None) -> Receipt:
    """Seal the bid (the given content, or the saved draft) into the box as a new version;
    an earlier version is superseded. Refused at or after the deadline, by the server's
    clock read after the tender is locked, in the transaction that would store it."""
    supplier_id = _own_supplier(actor)
    get_tender(session, actor, tender_id)  # visibility (locked() then makes the clock's moves)
    tender = locked(session, tender_id)
    permissions.can_bid(actor, tender).enforce()
    bid = _bid_for(session, tender, supplier_id, create=True)
    assert bid is not None
    if raw is None:
        if bid.draft_sealed is None:
            raise InvalidInput("There is no draft to submit", field_errors={"bid": ["Save or upload your bid first"]})
        raw = as_raw(json.loads(sealing.unseal(_data_key(tender), bid.draft_sealed,
                                               sealing.bid_context(tender.id, bid.id, "draft"))))
    content = validate(session, tender, supplier_id, raw, complete=True)
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
    return _receipt(tender, bid, version)


def withdraw(session: Session, actor: Any, tender_id: int) -> Bid:
    supplier_id = _own_supplier(actor)
    get_tender(session, actor, tender_id)
    tender = locked(session, tender_id)
    permissions.can_bid(actor, tender).enforce()
    bid = _bid_for(session, tender, supplier_id)
    permissions.can_withdraw_bid(actor, tender, bid).enforce()
    assert bid is not None
    for version in bid.versions:
        if version.state is VersionState.submitted:
            version.state = VersionState.withdrawn
    bid.status, bid.updated_at, bid.needs_reconfirmation = BidStatus.withdrawn, now(), False
    record_event(session, actor, "bid.withdrawn", subject=bid, details={"tender_id": tender.id})
    return bid


def reconfirm(session: Session, actor: Any, tender_id: int) -> Bid:
    """After an amendment: the supplier confirms its bid stands as submitted."""
    supplier_id = _own_supplier(actor)
    get_tender(session, actor, tender_id)
    tender = locked(session, tender_id)
    permissions.can_bid(actor, tender).enforce()
    bid = _bid_for(session, tender, supplier_id)
    permissions.can_reconfirm_bid(actor, tender, bid).enforce()
    assert bid is not None
    bid.needs_reconfirmation, bid.updated_at = False, now()
    record_event(session, actor, "bid.reconfirmed", subject=bid, details={"tender_id": tender.id})
    return bid


def _receipt(tender: Tender, bid: Bid, version: BidVersion) -> Receipt:
    return Receipt(tender.reference, bid.supplier_id, version.version, version.submitted_at, version.size,
                   version.digest, version.state.value)


@dataclass(frozen=True)
class MyBid:
    bid: Bid | None
    receipts: list[Receipt]
    has_draft: bool


def bid_history(session: Session, actor: Any) -> list[tuple[Tender, Bid]]:
    """The supplier's bids on tenders no longer open for bids, newest first: where to find each
    one's results once the deadline has passed."""
    supplier_id = _own_supplier(actor)
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(Tender, Bid).join(Bid, Bid.tender_id == Tender.id)
        .where(Bid.supplier_id == supplier_id, Bid.status != BidStatus.draft,
               Tender.status != TenderStatus.draft, ~open_for_bids())
        .order_by(Tender.submission_deadline.desc()))]


def my_bid(session: Session, actor: Any, tender_id: int) -> MyBid:
    """What a supplier may know of its own bid: its status and each version's receipt."""
    supplier_id = _own_supplier(actor)
    tender = get_tender(session, actor, tender_id)
    bid = _bid_for(session, tender, supplier_id)
    if bid is None:
        return MyBid(None, [], False)
    return MyBid(bid, [_receipt(tender, bid, v) for v in reversed(bid.versions)], bid.draft_sealed is not None)


def receipt(session: Session, actor: Any, tender_id: int, version: int) -> Receipt:
    found = my_bid(session, actor, tender_id)
    for r in found.receipts:
        if r.version == version:
            return r
    raise NotFound("No such bid version")


# The price schedule as a CSV file ------------------------------------------------------------

def schedule_template(session: Session, actor: Any, tender_id: int) -> str:
    tender = get_tender(session, actor, tender_id)
    rows: list[list[object]] = [SCHEDULE_COLUMNS]
    for lot in tender.lots:
        for item in lot.items:
            rows.append([lot.number, item.number, item.description, quantity_text(item.quantity), item.unit, "", "", "", ""])
    return csv_text(rows)


def schedule_from_csv(data: bytes) -> dict[str, Any]:
    """A price schedule file as bid lots and items; problems listed by line."""
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
        if not cell["lot"].isdecimal() or not cell["item"].isdecimal():
            problems.append(f"line {line_number}: lot and item must be numbers")
            continue
        entry = {"item": int(cell["item"]), "unit_price": cell["unit_price"], "offer_sku": cell.get("offer_sku", ""),
                 "capacity": cell.get("capacity", ""), "tiers": cell.get("tiers", "")}
        lots.setdefault(int(cell["lot"]), []).append(entry)
    if problems:
        raise BidProblems(problems)
    return {"lots": [{"lot": lot, "items": entries} for lot, entries in sorted(lots.items())]}


def merge_schedule(draft: dict[str, Any] | None, schedule: dict[str, Any]) -> dict[str, Any]:
    """An uploaded schedule replaces the draft's prices and keeps its bundles and answers."""
    draft = draft or {}
    return {"lots": schedule["lots"], "bundles": draft.get("bundles", []), "quality": draft.get("quality", [])}


def form_lines(raw: dict[str, Any]) -> dict[tuple[int, int], dict[str, Any]]:
    """A rejected form's entries by (lot, item), to show them again for correction."""
    return {(lot["lot"], item["item"]): {"unit_price": str(item.get("unit_price", "")), "offer_sku": str(item.get("offer_sku") or ""),
                                         "capacity": str(item.get("capacity") or ""), "tiers_text": str(item.get("tiers") or "")}
            for lot in raw.get("lots", []) for item in lot.get("items", [])}


def draft_lines(content: dict[str, Any] | None) -> dict[tuple[int, int], dict[str, Any]]:
    """A saved draft's lines by (lot, item), for the bid form."""
    return {(line["lot"], line["item"]): line for line in map(unpack_line, (content or {}).get("lines", []))}


def tiers_text(line: dict[str, Any]) -> str:
    if "tiers_text" in line:
        return line["tiers_text"]
    return "; ".join(f"{low}-{high if high is not None else ''}:{price}" for low, high, price in line.get("tiers") or [])


def as_raw(content: dict[str, Any]) -> dict[str, Any]:
    """Canonical content back into the shape `validate` reads (to edit or resubmit a draft)."""
    lots: dict[int, list[dict[str, Any]]] = {}
    for line in map(unpack_line, content.get("lines", [])):
        lots.setdefault(line["lot"], []).append({
            "item": line["item"], "unit_price": line["unit_price"], "offer_sku": line.get("offer_sku") or "",
            "capacity": line.get("capacity") or "",
            "tiers": [{"min_quantity": low, "max_quantity": high, "unit_price": price} for low, high, price in line.get("tiers") or []]})
    return {"lots": [{"lot": lot, "items": items} for lot, items in sorted(lots.items())],
            "bundles": content.get("bundles", []), "quality": content.get("quality", [])}


@dataclass(frozen=True)
class BoxFact:
    supplier: str
    version: int
    state: str
    submitted_at: Any
    size: int
    digest: str


def box_facts(session: Session, actor: Any, tender_id: int) -> list[BoxFact]:
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
