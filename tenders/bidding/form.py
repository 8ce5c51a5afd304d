"""The bid form's fields, both ways: what was typed (a unit price, SKU and capacity per item,
volume tiers as rows of a from-quantity and a unit price, bundles as a set of lots ticked and a
discount) as the content `BidContentSchema` loads; a stored bid as the values the form shows;
and where a problem is (`bidding.bids.Where`) as the id of the field it is shown at.

Field names: price-L-I, sku-L-I, capacity-L-I and tier-L-I-N-from / tier-L-I-N-price for lot
L's item I; bundle-N-lots and bundle-N-discount; quality-C and attachments-C for criterion C."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Callable

from tenders.bidding.bids import Where, unpack_line
from tenders.bidding.content import MAX_BUNDLES, MAX_TIERS

BLANK_TIER_ROWS = 2     # rows offered beyond those filled in (more after saving)
BLANK_BUNDLE_ROWS = 1


@dataclass
class Values:
    """What the form shows: per (lot, item) its price, SKU, capacity and tier rows; the bundle
    rows (lots ticked, discount); per criterion its answer and the attachments kept."""

    lines: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    bundles: list[tuple[list[str], str]] = field(default_factory=list)
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)

    def line(self, lot: int, item: int) -> dict[str, Any]:
        return self.lines.get((lot, item), {})

    def tier_rows(self, lot: int, item: int) -> list[tuple[str, str]]:
        rows = list(self.line(lot, item).get("tiers", []))
        return rows + [("", "")] * BLANK_TIER_ROWS

    def bundle_rows(self) -> list[tuple[list[str], str]]:
        return self.bundles + [([], "")] * BLANK_BUNDLE_ROWS


@dataclass
class Posted:
    """The form as posted: the content to load, the values to show again, and which form row
    each tier and bundle came from (a blank row is skipped, rows are put in quantity order)."""

    raw: dict[str, Any]
    values: Values
    tier_rows: dict[tuple[int, int], list[int]]
    bundle_rows: list[int]


def _whole(text: str) -> int | str:
    """A whole number as typed ('1,000'), or the text as it is for the schema to name."""
    plain = text.replace(",", "").strip()
    return int(plain) if plain.isdecimal() and len(plain) < 12 else text


def tiers_from_rows(rows: list[tuple[int, str, str]]) -> tuple[list[dict[str, Any]], list[int]]:
    """Tier rows (form row, from quantity, unit price), blank ones left out, as bands in
    quantity order: each runs to the next one's from quantity less one (two rows from the same
    quantity overlap, and are named so), the last open-ended.
    Also the form row of each band."""
    filled = [(n, _whole(low), price.strip()) for n, low, price in rows if low.strip() or price.strip()]
    if all(isinstance(low, int) for _, low, _ in filled):
        filled.sort(key=lambda row: row[1])
    bands = []
    for k, (_, low, price) in enumerate(filled):
        after = filled[k + 1][1] if k + 1 < len(filled) else None
        bands.append({"min_quantity": low, "unit_price": price,
                      "max_quantity": max(after - 1, low) if isinstance(after, int) and isinstance(low, int) else None})
    return bands, [n for n, _, _ in filled]


def read(tender: Any, form: Any, files: Any, kept: dict[int, list[dict[str, Any]]]) -> Posted:
    """The posted form (`form` and `files` are the request's); `kept` are the attachments a
    stored bid has per criterion, kept unless new ones are chosen."""
    values, tier_rows, lots = Values(), {}, []
    for lot in tender.lots:
        items = []
        for item in lot.items:
            key = f"{lot.number}-{item.number}"
            typed = {name: form.get(f"{name}-{key}", "").strip() for name in ("price", "sku", "capacity")}
            rows = [(n, form.get(f"tier-{key}-{n}-from", ""), form.get(f"tier-{key}-{n}-price", ""))
                    for n in range(1, MAX_TIERS + 1) if f"tier-{key}-{n}-from" in form]
            bands, order = tiers_from_rows(rows)
            shown = [(low.strip(), price.strip()) for _, low, price in rows if low.strip() or price.strip()]
            if any(typed.values()) or bands:
                values.lines[(lot.number, item.number)] = {"unit_price": typed["price"], "offer_sku": typed["sku"],
                                                           "capacity": typed["capacity"], "tiers": shown}
                items.append({"item": item.number, "unit_price": typed["price"], "offer_sku": typed["sku"],
                              "capacity": typed["capacity"], "tiers": bands})
                tier_rows[(lot.number, item.number)] = order
        if items:
            lots.append({"lot": lot.number, "items": items})
    bundles, bundle_rows = [], []
    for n in range(1, MAX_BUNDLES + 1):
        if f"bundle-{n}-discount" not in form:
            continue
        ticked, discount = form.getlist(f"bundle-{n}-lots"), form.get(f"bundle-{n}-discount", "").strip()
        if ticked or discount:
            values.bundles.append((ticked, discount))
            bundles.append({"lots": [_whole(lot) for lot in ticked], "discount_percent": discount})
            bundle_rows.append(n)
    quality = []
    for criterion in tender.criteria:
        attachments = [{"filename": f.filename, "content_base64": base64.b64encode(f.read()).decode()}
                       for f in files.getlist(f"attachments-{criterion.number}") if f and f.filename]
        text = form.get(f"quality-{criterion.number}", "")
        chosen = attachments or kept.get(criterion.number, [])
        quality.append({"criterion": criterion.number, "text": text, "attachments": chosen})
        values.answers[criterion.number] = {"text": text, "attachments": [a["filename"] for a in chosen]}
    return Posted({"lots": lots, "bundles": bundles, "quality": quality}, values, tier_rows, bundle_rows)


def shown(content: dict[str, Any] | None) -> Values:
    """A stored bid (a draft or a submitted version) as the form's values."""
    values = Values()
    for line in map(unpack_line, (content or {}).get("lines", [])):
        values.lines[(line["lot"], line["item"])] = {
            "unit_price": line["unit_price"], "offer_sku": line.get("offer_sku") or "", "capacity": line.get("capacity") or "",
            "tiers": [(f"{low}", f"{price}") for low, _high, price in line.get("tiers") or []]}
    values.bundles = [([str(n) for n in bundle["lots"]], str(bundle["discount_percent"]))
                      for bundle in (content or {}).get("bundles", [])]
    values.answers = {q["criterion"]: {"text": q.get("text", ""), "attachments": [a["filename"] for a in q.get("attachments", [])]}
                      for q in (content or {}).get("quality", [])}
    return values


def field_finder(tender: Any, posted: Posted | None) -> Callable[[Where], str | None]:
    """Where a problem is -> the id of the field it is shown at (None: the bid as a whole)."""
    first_item = {lot.number: (lot.items[0].number if lot.items else 1) for lot in tender.lots}
    ids = {"unit_price": "price", "item": "price", "offer_sku": "sku", "capacity": "capacity"}

    def find(where: Where) -> str | None:
        kind = where[0]
        if kind == "line":
            lot, item, rest = where[1], where[2], [str(part) for part in where[3:]]
            key = f"{lot}-{item}"
            if rest and rest[0] == "tiers":
                rows = posted.tier_rows.get((lot, item), []) if posted else []
                if len(rest) >= 2 and rest[1].isdecimal() and int(rest[1]) < len(rows):
                    k = int(rest[1])
                    if len(rest) >= 3 and rest[2] == "unit_price":
                        return f"tier-{key}-{rows[k]}-price"
                    if len(rest) >= 3 and rest[2] == "max_quantity" and k + 1 < len(rows):
                        return f"tier-{key}-{rows[k + 1]}-from"
                    return f"tier-{key}-{rows[k]}-from"
                return f"tier-{key}-{rows[0] if rows else 1}-from"
            return f"{ids.get(rest[0], 'price') if rest else 'price'}-{key}"
        if kind == "lot":
            return f"price-{where[1]}-{first_item.get(where[1], 1)}" if where[1] in first_item else None
        if kind == "bundle":
            rows = posted.bundle_rows if posted else []
            at = where[1] if isinstance(where[1], int) else 0
            row = rows[at] if at < len(rows) else at + 1
            return f"bundle-{row}-discount" if "discount_percent" in where[2:] else f"bundle-{row}-lots"
        if kind == "quality":
            return f"quality-{where[1]}"
        if kind == "attachment":
            return f"attachments-{where[1]}"
        return None

    return find


def inline_errors(problems: list[tuple[str, str | None]]) -> dict[str, str]:
    """Each field's problems, as its error message."""
    found: dict[str, list[str]] = {}
    for text, field_id in problems:
        if field_id:
            found.setdefault(field_id, []).append(text)
    return {field_id: "; ".join(texts) for field_id, texts in found.items()}
