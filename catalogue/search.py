"""Offer search: full text over title, description, manufacturer and part number, with CPV
(code and everything under it), supplier, price and status filters. SQLite FTS5 on the
default, PostgreSQL full text in production, behind this one function."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Integer, Select, and_, column, func, literal_column, or_, select, text
from sqlalchemy.orm import Session

from catalogue.models import Offer, OfferStatus
from catalogue.rules import cpv_prefix
from procurement.core.access import Actor
from procurement.core import access
from procurement.core.errors import PermissionDenied
from procurement.core.db import on_postgresql

# A stored tsvector of title, description, manufacturer and part number (migration 0003),
# parsed once on write: ranking reads it rather than parsing each candidate's text again.
PG_DOCUMENT = "offer.search_vector"
_WORD = re.compile(r"\w+", re.UNICODE)
SORTS = ("relevance", "price_asc", "price_desc")
COUNT_CAP = 10_000  # browsing without words: counting past this costs more than it tells anyone


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    cpv: str | None = None
    supplier_id: int | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    status: OfferStatus | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class SearchPage:
    offers: list[Offer]
    total: int
    page: int
    per_page: int
    total_is_capped: bool = False  # counting stopped at COUNT_CAP

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _fts5_query(words: list[str]) -> str:
    # Each word quoted (so no FTS syntax gets through); all must appear; the last may be the
    # start of a word, as someone typing it would expect.
    return " ".join(f'"{w}"' for w in words[:-1]) + f' "{words[-1]}"*'


def _pg_query(words: list[str]) -> str:
    # Whole words but the last, which may be a prefix: prefixes of common words expand to
    # huge posting lists (measured over 1M offers: 68 ms with every word a prefix, 9 ms without).
    return " & ".join([*words[:-1], f"{words[-1]}:*"])


def _cpv_bounds(code: str) -> tuple[str, str]:
    """The codes of a CPV branch as a range: 30210000 -> ['3021', '3022')."""
    prefix = cpv_prefix(code)
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _cpv_range(code: str) -> Any:
    lower, upper = _cpv_bounds(code)
    return and_(Offer.cpv_code >= lower, Offer.cpv_code < upper)


def _cpv_branch_filter(code: str) -> Any:
    """The same branch as a test on each full-text hit, which the CPV index cannot serve: with
    words, the hits are few and the planner would otherwise AND in a whole branch's bitmap
    (over 1M offers: 35 ms of a 66 ms query)."""
    prefix = cpv_prefix(code)
    return func.substr(Offer.cpv_code, 1, len(prefix)) == prefix


def _full_text(statement: Select, postgres: bool, pg_query: str, fts5_query: str) -> tuple[Select, Any]:
    """Keep the offers that match a full-text query; also return their ranking, best first."""
    if postgres:
        tsquery = func.to_tsquery("english", pg_query)
        document = literal_column(PG_DOCUMENT)
        return statement.where(document.op("@@")(tsquery)), func.ts_rank(document, tsquery).desc()
    matched = text("SELECT rowid AS id, bm25(offer_fts) AS score FROM offer_fts WHERE offer_fts MATCH :q")
    fts = matched.bindparams(q=fts5_query).columns(column("id", Integer), column("score", Float)).subquery("fts")
    return statement.join(fts, fts.c.id == Offer.id), fts.c.score.asc()  # bm25: lower is better


def _visibility(actor: Actor, status: OfferStatus | None) -> Any:
    """Published offers for everyone; others only to their own supplier, the agency and admins."""
    wanted = [status] if status else list(OfferStatus)
    if access.has_role(actor, "agency") or access.has_role(actor, "admin"):
        return Offer.status.in_(wanted)
    own = list(getattr(actor, "supplier_ids", ()) or ())
    published = Offer.status == OfferStatus.published if OfferStatus.published in wanted else literal_column("1=0")
    if own:
        return or_(published, and_(Offer.supplier_id.in_(own), Offer.status.in_(wanted)))
    return published


def search_offers(session: Session, actor: Actor, query: SearchQuery) -> SearchPage:
    if not access.can_browse_catalogue(actor):
        raise PermissionDenied("Sign in to search the catalogue")
    postgres = on_postgresql(session)
    words = _WORD.findall(query.text.lower())[:12]
    statement: Select = select(Offer.id)
    rank: Any = None
    if words:
        statement, rank = _full_text(statement, postgres, _pg_query(words), _fts5_query(words))
    conditions = [_visibility(actor, query.status)]
    if query.cpv:
        conditions.append(_cpv_branch_filter(query.cpv) if words else _cpv_range(query.cpv))
    if query.supplier_id:
        conditions.append(Offer.supplier_id == query.supplier_id)
    # SQLite keeps money as exact text, so it compares and sorts prices as numbers here.
    price: Any = Offer.list_price if postgres else literal_column("CAST(offer.list_price AS REAL)")
    bound = (lambda amount: amount) if postgres else float
    if query.min_price is not None:
        conditions.append(price >= bound(query.min_price))
    if query.max_price is not None:
        conditions.append(price <= bound(query.max_price))
    statement = statement.where(*conditions)
    if query.sort == "price_asc":
        order = [price.asc(), Offer.id]
    elif query.sort == "price_desc":
        order = [price.desc(), Offer.id]
    else:
        order = [rank, Offer.id] if rank is not None else [Offer.title, Offer.id]
    offset = (query.page - 1) * query.per_page
    if words:
        # One pass over the hits gives both the page and the exact count.
        rows = session.execute(statement.add_columns(func.count().over())
                               .order_by(*order).limit(query.per_page).offset(offset)).all()
        ids = [row[0] for row in rows]
        total = rows[0][1] if rows else _count(session, statement, cap=None)
    else:
        ids = list(session.scalars(statement.order_by(*order).limit(query.per_page).offset(offset)))
        total = _count(session, statement, cap=COUNT_CAP)
    capped = not words and total >= COUNT_CAP
    loaded = {offer.id: offer for offer in session.scalars(select(Offer).where(Offer.id.in_(ids)))} if ids else {}
    return SearchPage([loaded[i] for i in ids], total, query.page, query.per_page, capped)


def _count(session: Session, statement: Select, cap: int | None) -> int:
    hits = statement.order_by(None)
    if cap is not None:
        hits = hits.limit(cap)
    return session.scalar(select(func.count()).select_from(hits.subquery())) or 0


def text_candidates(session: Session, words_text: str, *, cpv: str | None = None,
                    supplier_id: int | None = None, limit: int = 20) -> list[Offer]:
    """The best published offers for some words, for matching: offers with all the words,
    or failing that with any of them. Whole words only (lines name things in full). No counting."""
    words = _WORD.findall(words_text.lower())[:12]
    if not words:
        return []
    found = _candidates(session, words, " & ", " ", cpv, supplier_id, limit, ranked=True)
    # Any-word matches can be very many: take a bounded sample unranked; the caller scores them.
    return found or _candidates(session, words, " | ", " OR ", cpv, supplier_id, limit * 10, ranked=False)


def _candidates(session: Session, words: list[str], pg_join: str, fts_join: str, cpv: str | None,
                supplier_id: int | None, limit: int, ranked: bool) -> list[Offer]:
    postgres = on_postgresql(session)
    statement: Select = select(Offer).where(Offer.status == OfferStatus.published)
    statement, rank = _full_text(statement, postgres, pg_join.join(words), fts_join.join(f'"{w}"' for w in words))
    if ranked:
        statement = statement.order_by(rank)
    if cpv:
        statement = statement.where(_cpv_branch_filter(cpv))
    if supplier_id:
        statement = statement.where(Offer.supplier_id == supplier_id)
    return list(session.scalars(statement.limit(limit)))


@dataclass(frozen=True)
class Candidate:
    offer_id: int
    title: str
    manufacturer: str
    manufacturer_part_number: str
    catalogue_item_id: int | None


_BATCH_SQL = f"""
SELECT q.n, o.id, o.title, o.manufacturer, o.manufacturer_part_number, o.catalogue_item_id
FROM unnest(CAST(:ns AS integer[]), CAST(:qs AS text[]), CAST(:prefixes AS text[])) AS q(n, tsq, prefix)
CROSS JOIN LATERAL (
    SELECT id, title, manufacturer, manufacturer_part_number, catalogue_item_id FROM offer
    WHERE {PG_DOCUMENT} @@ to_tsquery('english', q.tsq) AND status = 'published'
      AND (q.prefix IS NULL OR substr(cpv_code, 1, length(q.prefix)) = q.prefix)
      AND (CAST(:sid AS integer) IS NULL OR supplier_id = CAST(:sid AS integer))
    {{order}} LIMIT {{limit}}
) AS o
"""


def batch_text_candidates(session: Session, queries: list[tuple[str, str | None]], *,
                          supplier_id: int | None = None, limit: int = 20) -> list[list[Candidate]]:
    """`text_candidates` for many lines in a few round trips: PostgreSQL answers a whole batch
    with one lateral query; elsewhere it is one query a line."""
    if not on_postgresql(session):
        return [[Candidate(o.id, o.title, o.manufacturer, o.manufacturer_part_number, o.catalogue_item_id)
                 for o in text_candidates(session, words, cpv=cpv, supplier_id=supplier_id, limit=limit)]
                for words, cpv in queries]
    found: list[list[Candidate]] = [[] for _ in queries]
    words = [_WORD.findall(q.lower())[:12] for q, _ in queries]
    for joiner, ranked, size in ((" & ", True, limit), (" | ", False, limit * 10)):
        todo = [n for n, w in enumerate(words) if w and not found[n]]
        order = f"ORDER BY ts_rank({PG_DOCUMENT}, to_tsquery('english', q.tsq)) DESC" if ranked else ""
        statement = text(_BATCH_SQL.format(order=order, limit=size))
        for start in range(0, len(todo), 250):
            chunk = todo[start:start + 250]
            rows = session.execute(statement, {
                "ns": chunk, "qs": [joiner.join(words[n]) for n in chunk],
                "prefixes": [cpv_prefix(queries[n][1]) if queries[n][1] else None for n in chunk],
                "sid": supplier_id,
            })
            for n, *fields in rows:
                found[n].append(Candidate(*fields))
    return found

