"""A bid as its supplier reads it back: each lot's lines with their totals, the tiers and
bundles in words, the quality answers; and the receipt a person keeps, as text. Plain
functions of a tender's lots and criteria and a bid's canonical content."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable

from demand.rules import quantity_text
from procurement.core.clock import LONDON
from procurement.core.money import pennies
from tenders.bidding.bids import unpack_line


@dataclass(frozen=True)
class LineSummary:
    item: int
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    total: Decimal
    tiers: tuple[tuple[int, int | None, Decimal], ...] = ()
    capacity: str = ""
    offer_sku: str = ""

    @property
    def tiers_text(self) -> str:
        return tiers_in_words(self.tiers)


@dataclass(frozen=True)
class LotSummary:
    number: int
    title: str
    lines: tuple[LineSummary, ...]
    total: Decimal


@dataclass(frozen=True)
class BundleSummary:
    lots: tuple[int, ...]
    discount_percent: Decimal
    discounted_total: Decimal  # the bundled lots' totals less the discount


@dataclass(frozen=True)
class AnswerSummary:
    criterion: int
    name: str
    weight: int
    text: str
    attachments: tuple[str, ...]


@dataclass(frozen=True)
class BidSummary:
    lots: tuple[LotSummary, ...]
    bundles: tuple[BundleSummary, ...]
    answers: tuple[AnswerSummary, ...]
    not_bid: tuple[tuple[int, str], ...] = ()  # the tender's lots (number, title) the bid does not price

    @property
    def total(self) -> Decimal:
        """Every lot bid for, without bundle discounts."""
        return sum((lot.total for lot in self.lots), Decimal(0))


def tiers_in_words(tiers: Iterable[Any]) -> str:
    """[(1, 199, 760), (200, None, 742)] -> '1 to 199: £760.00 each; 200 or more: £742.00 each'."""
    parts = []
    for low, high, price in tiers:
        band = f"{low:,} or more" if high is None else f"{low:,} to {high:,}"
        parts.append(f"{band}: £{Decimal(price):,.2f} each")
    return "; ".join(parts)


def summarise(tender: Any, content: dict[str, Any]) -> BidSummary:
    """A bid's canonical content (as stored: lines packed as arrays) against its tender."""
    lines = {(line["lot"], line["item"]): line for line in map(unpack_line, content.get("lines", []))}
    lots = []
    for lot in tender.lots:
        priced = []
        for item in lot.items:
            line = lines.get((lot.number, item.number))
            if line is None:
                continue
            price = Decimal(line["unit_price"])
            priced.append(LineSummary(item.number, item.description, item.quantity, item.unit, price,
                                      pennies(price * item.quantity),
                                      tuple((low, high, Decimal(p)) for low, high, p in line.get("tiers") or []),
                                      line.get("capacity") or "", line.get("offer_sku") or ""))
        if priced:
            lots.append(LotSummary(lot.number, lot.title, tuple(priced), sum((p.total for p in priced), Decimal(0))))
    totals = {lot.number: lot.total for lot in lots}
    bundles = []
    for bundle in content.get("bundles", []):
        percent = Decimal(str(bundle["discount_percent"]))
        whole = sum((totals.get(n, Decimal(0)) for n in bundle["lots"]), Decimal(0))
        bundles.append(BundleSummary(tuple(bundle["lots"]), percent, pennies(whole * (1 - percent / 100))))
    criteria = {c.number: c for c in tender.criteria}
    answers = tuple(AnswerSummary(q["criterion"], criteria[q["criterion"]].name, criteria[q["criterion"]].weight, q.get("text", ""),
                                  tuple(a["filename"] for a in q.get("attachments", [])))
                    for q in content.get("quality", []) if q["criterion"] in criteria)
    bid_for = {lot.number for lot in lots}
    not_bid = tuple((lot.number, lot.title) for lot in tender.lots if lot.number not in bid_for)
    return BidSummary(tuple(lots), tuple(bundles), answers, not_bid)


def london_and_utc(at: datetime) -> str:
    """'3 December 2026 at 14:05:09 London time (14:05:09 UTC)'."""
    here, there = at.astimezone(LONDON), at.astimezone(timezone.utc)
    return f"{here.day} {here:%B %Y at %H:%M:%S} London time ({there:%H:%M:%S} UTC on {there.day} {there:%B %Y})"


def receipt_text(tender: Any, supplier_name: str, version: int, submitted_at: datetime, size: int, digest: str,
                 summary: BidSummary) -> str:
    """The receipt a supplier downloads and keeps: what was received, when, and its digest."""
    out = ["Receipt for a sealed bid", "",
           f"Tender: {tender.reference}, {tender.title}", f"Bidder: {supplier_name}", f"Version: {version}",
           f"Received: {london_and_utc(submitted_at)}, by the service's clock",
           f"Digital fingerprint (SHA-256) of your bid as received: {digest}",
           f"Size of your bid as received: {size:,} bytes", ""]
    for lot in summary.lots:
        out.append(f"Lot {lot.number}: {lot.title}")
        for line in lot.lines:
            out.append(f"  Item {line.item}: {line.description}, {quantity_text(line.quantity)} {line.unit}")
            out.append(f"    unit price £{line.unit_price:,.2f}, total £{line.total:,.2f} (excluding VAT)")
            if line.tiers:
                out.append(f"    volume tiers: {line.tiers_text}")
            if line.capacity:
                out.append(f"    most units you can supply: {line.capacity}")
            if line.offer_sku:
                out.append(f"    your catalogue offer: {line.offer_sku}")
        out.append(f"  Lot {lot.number} total: £{lot.total:,.2f} (excluding VAT)")
        out.append("")
    for number, title in summary.not_bid:
        out.append(f"Not bid for: lot {number}: {title}")
    out.append(f"Total of the lots bid for: £{summary.total:,.2f} (excluding VAT)")
    for bundle in summary.bundles:
        out.append(f"Bundle discount: {bundle.discount_percent}% if awarded lots {' and '.join(map(str, bundle.lots))} together "
                   f"(£{bundle.discounted_total:,.2f})")
    if summary.answers:
        out.append("")
        out.append("Quality answers:")
        for answer in summary.answers:
            files = f" (attached: {', '.join(answer.attachments)})" if answer.attachments else ""
            out.append(f"  {answer.name}: {answer.text}{files}")
    out.append("")
    out.append("Keep this receipt to prove what you sent: the fingerprint is checked when the tender box is opened.")
    return "\n".join(out) + "\n"
