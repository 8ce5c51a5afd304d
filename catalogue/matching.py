"""Matching lines (from a requirement or a bid) to the offers and catalogue items they mean:
exact GTIN, then normalised part number, then the supplier's SKU, then ranked text similarity
inside the same CPV branch. Each match carries a confidence and its reason."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueItem, Offer, OfferStatus
from catalogue.rules import cpv_prefix, part_number_key
from catalogue.search import Candidate, batch_text_candidates
from procurement.core.access import Actor
from procurement.core import access
from procurement.core.errors import PermissionDenied

REVIEW_BELOW = 0.75
NOT_A_MATCH_BELOW = 0.5  # text similarity under this is no match at all
CONFIDENCE = {"gtin": 1.0, "part_number": 0.95, "sku": 0.9}
CHUNK = 500


@dataclass(frozen=True)
class Line:
    description: str = ""
    gtin: str | None = None
    part_number: str | None = None
    sku: str | None = None
    cpv: str | None = None
    quantity: int | None = None


@dataclass
class Match:
    offer_id: int | None
    catalogue_item_id: int | None
    confidence: float
    reason: str


@dataclass
class LineResult:
    line: Line
    best: Match | None = None
    alternatives: list[Match] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.best is None:
            return "no_match"
        return "matched" if self.best.confidence >= REVIEW_BELOW else "needs_review"


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _in_branch(code: str, cpv: str | None) -> bool:
    return not cpv or code.startswith(cpv_prefix(cpv))


def _lookup(session: Session, column: Any, values: set[str], supplier_id: int | None) -> dict[str, list[Offer]]:
    found: dict[str, list[Offer]] = {}
    ordered = sorted(values)
    for chunk in _chunks(ordered):
        statement = select(Offer).where(column.in_(chunk), Offer.status == OfferStatus.published)
        if supplier_id:
            statement = statement.where(Offer.supplier_id == supplier_id)
        for offer in session.scalars(statement.order_by(Offer.id)):
            found.setdefault(getattr(offer, column.key), []).append(offer)
    return found


def _similarity(description: str, offer: Candidate) -> float:
    candidate = f"{offer.title} {offer.manufacturer} {offer.manufacturer_part_number}"
    return fuzz.token_set_ratio(description.lower(), candidate.lower()) / 100.0


def match_lines(session: Session, actor: Actor, lines: Sequence[Line], *, supplier_id: int | None = None) -> list[LineResult]:
    """Best match (and alternatives) for each line. With `supplier_id`, only that supplier's
    published offers count (a bid's lines); otherwise any published offer (a requirement's)."""
    if not access.can_browse_catalogue(actor):
        raise PermissionDenied("Sign in to match against the catalogue")
    results = [LineResult(line) for line in lines]
    by_gtin = _lookup(session, Offer.gtin, {l.gtin.strip() for l in lines if l.gtin}, supplier_id)
    by_part = _lookup(session, Offer.part_number_key,
                      {k for l in lines if l.part_number and (k := part_number_key(l.part_number))}, supplier_id)
    by_sku = (_lookup(session, Offer.sku, {l.sku.strip() for l in lines if l.sku}, supplier_id)
              if supplier_id else {})
    items = None
    textual: list[LineResult] = []
    for result in results:
        line = result.line
        exact: list[tuple[str, list[Offer]]] = [
            ("gtin", by_gtin.get((line.gtin or "").strip(), [])),
            ("part_number", by_part.get(part_number_key(line.part_number or ""), [])),
            ("sku", by_sku.get((line.sku or "").strip(), [])),
        ]
        for reason, offers in exact:
            offers = [o for o in offers if _in_branch(o.cpv_code, line.cpv)] or offers
            if offers:
                matches = [Match(o.id, o.catalogue_item_id, CONFIDENCE[reason], f"same {reason.replace('_', ' ')}")
                           for o in offers]
                result.best, result.alternatives = matches[0], matches[1:5]
                break
        if result.best is None and line.description.strip():
            textual.append(result)
    candidates = batch_text_candidates(session, [(r.line.description, r.line.cpv) for r in textual],
                                       supplier_id=supplier_id)
    for result, found in zip(textual, candidates):
        line = result.line
        scored = sorted(((round(_similarity(line.description, c) * 0.9, 3), c) for c in found),
                        key=lambda pair: (-pair[0], pair[1].offer_id))
        matches = [Match(c.offer_id, c.catalogue_item_id, score, f"similar text ({round(score / 0.9 * 100)}%)")
                   for score, c in scored[:5] if score / 0.9 >= NOT_A_MATCH_BELOW]
        if items is None:
            items = list(session.execute(select(CatalogueItem.id, CatalogueItem.name, CatalogueItem.cpv_code)))
        for item_id, name, code in items:
            if _in_branch(code, line.cpv):
                score = round(fuzz.token_set_ratio(line.description.lower(), name.lower()) / 100.0 * 0.9, 3)
                if score >= REVIEW_BELOW:
                    matches.append(Match(None, item_id, score, f"similar to catalogue item ({round(score / 0.9 * 100)}%)"))
        matches.sort(key=lambda m: -m.confidence)
        if matches:
            result.best, result.alternatives = matches[0], matches[1:5]
    return results
