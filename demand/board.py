"""The demand board: submitted requirements pooled across organisations by catalogue item,
or by CPV branch and unit where there is no item, with the joint price, saving and
threshold estimated from the catalogue before any tender.

On PostgreSQL one GROUP BY adds the lines up (exact NUMERIC sums); SQLite keeps money as
text, so there the same totals are added up exactly in Python by `rules.totals`.
"""
from __future__ import annotations

from collections import defaultdict
from operator import itemgetter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import ARRAY, Integer, Select, and_, any_, bindparam, case, distinct, func, literal, select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueItem, Offer, OfferStatus
from catalogue.prices import breaks_from_json
from catalogue.rules import condition_of
from procurement.core.access import Actor
from procurement.core import access
from procurement.core.clock import today
from procurement.core.errors import InvalidInput, PermissionDenied
from procurement.core.db import on_postgresql
from demand import rules
from demand.models import Requirement, RequirementStatus
from demand.signals import tenders_under_way
from procurement.parties.models import CpvCode, Organisation, Partnership

# Ways to rank the board; the first is the default. Value comes first because every pool has
# one: a pool with no catalogue price (a CPV pool, an item no supplier lists yet) ranks by its
# size like any other instead of sinking below every priced one.
SORTS = {
    "value": lambda p: -p.estimate.value_inc_vat,
    "saving": lambda p: (p.estimate.saving is None, -(p.estimate.saving or 0), -p.estimate.value_inc_vat),
    "spend": lambda p: -p.totals.baseline_spend,
    "organisations": lambda p: (-len(p.totals.organisation_ids), -p.totals.baseline_spend),
    "needed_by": lambda p: p.earliest_needed_by,
}
DEFAULT_SORT = next(iter(SORTS))
# A pool of one organisation is no joint purchase: the board shows pools of at least two
# unless asked for all.
DEFAULT_MIN_ORGANISATIONS = 2


@dataclass(frozen=True, slots=True)
class BoardFilter:
    depth: str = "class"
    needed_from: date | None = None
    needed_to: date | None = None
    partnership: Partnership | None = None
    min_organisations: int = DEFAULT_MIN_ORGANISATIONS
    above_threshold_only: bool = False
    sort: str = DEFAULT_SORT

    def check(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.depth not in rules.DEPTHS:
            errors["depth"] = [f"Choose one of: {', '.join(rules.DEPTHS)}"]
        if self.sort not in SORTS:
            errors["sort"] = [f"Choose one of: {', '.join(SORTS)}"]
        if self.needed_from and self.needed_to and self.needed_to < self.needed_from:
            errors["needed_to"] = ["The end of the window must not be before its start"]
        if self.min_organisations < 1:
            errors["min_organisations"] = ["Must be at least 1"]
        if errors:
            raise InvalidInput("The filter is not valid", field_errors=errors)


@dataclass(frozen=True, slots=True)
class TenderUnderWay:
    """A joint tender being prepared or open for bids whose lots buy a pool's thing: the
    board says so, so that nobody tenders for it twice."""

    tender_id: int
    reference: str
    title: str
    stage: str
    catalogue_item_ids: frozenset[int]
    cpv_codes: frozenset[str]

    def buys(self, pool: "Pool", digits: int) -> bool:
        """The same catalogue item, or (a pool without one) a lot in the pool's CPV branch."""
        if pool.catalogue_item_id is not None:
            return pool.catalogue_item_id in self.catalogue_item_ids or pool.cpv_code in self.cpv_codes
        return any(code[:digits] == pool.cpv_code[:digits] for code in self.cpv_codes)


@dataclass(slots=True)
class Pool:
    key: str
    label: str
    catalogue_item_id: int | None
    cpv_code: str
    unit: str
    totals: rules.PoolTotals
    earliest_needed_by: date
    latest_needed_by: date
    estimate: rules.Estimate = None  # type: ignore[assignment]
    organisations: list[tuple[int, str]] = field(default_factory=list)
    condition: str = "new"
    tenders: list[TenderUnderWay] = field(default_factory=list)


def pool_key(catalogue_item_id: int | None, cpv_group: str | None, unit: str | None) -> str:
    return f"item-{catalogue_item_id}" if catalogue_item_id else f"cpv-{cpv_group}|{(unit or '').lower()}"


def parse_pool_key(key: str) -> tuple[int | None, str | None, str | None]:
    """(catalogue item id, None, None) or (None, CPV group code, unit); ValueError if malformed."""
    kind, _, rest = key.partition("-")
    if kind == "item" and rest.isdecimal():
        return int(rest), None, None
    code, bar, unit = rest.partition("|")
    if kind == "cpv" and bar and len(code) == 8 and code.isdecimal():
        return None, code, unit
    raise ValueError(f"'{key}' is not a demand-board group")


def _lines(board: BoardFilter, organisation_id: int | None = None) -> Select:
    """The submitted requirement lines the board counts, as a statement's WHERE."""
    conditions = [Requirement.status == RequirementStatus.submitted]
    if board.needed_from:
        conditions.append(Requirement.needed_by >= board.needed_from)
    if board.needed_to:
        conditions.append(Requirement.needed_by <= board.needed_to)
    if organisation_id:
        conditions.append(Requirement.organisation_id == organisation_id)
    statement = select().select_from(Requirement)
    if board.partnership:
        statement = statement.join(Organisation, Organisation.id == Requirement.organisation_id)
        conditions.append(Organisation.partnership == board.partnership)
    return statement.where(and_(*conditions))


def _group_columns(digits: int) -> tuple[Any, Any]:
    no_item = Requirement.catalogue_item_id.is_(None)
    prefix = case((no_item, func.substr(Requirement.cpv_code, 1, digits)), else_=literal(None))
    unit = case((no_item, func.lower(Requirement.unit)), else_=literal(None))
    return prefix, unit


@dataclass(slots=True)
class _Group:
    totals: rules.PoolTotals
    earliest: date
    latest: date


def aggregate(session: Session, board: BoardFilter, organisation_id: int | None = None) -> dict[str, _Group]:
    """Key -> totals of the submitted lines in each pool."""
    digits = rules.DEPTHS[board.depth]
    prefix, unit = _group_columns(digits)
    base = _lines(board, organisation_id)
    groups: dict[str, _Group] = {}
    if on_postgresql(session):
        organisations = func.array_agg(distinct(Requirement.organisation_id))
        statement = base.add_columns(
            Requirement.catalogue_item_id, prefix, unit, func.count(), organisations,
            func.sum(Requirement.quantity), func.sum(Requirement.quantity * Requirement.baseline_unit_price),
            func.min(Requirement.needed_by), func.max(Requirement.needed_by),
        ).group_by(Requirement.catalogue_item_id, prefix, unit)
        for item_id, code, unit_key, lines, orgs, quantity, spend, earliest, latest in session.execute(statement):
            totals = rules.PoolTotals(lines, set(orgs), Decimal(quantity), Decimal(spend))
            groups[pool_key(item_id, (code or "").ljust(8, "0"), unit_key)] = _Group(totals, earliest, latest)
        return groups
    statement = base.add_columns(Requirement.catalogue_item_id, prefix, unit, Requirement.organisation_id,
                                 Requirement.quantity, Requirement.baseline_unit_price, Requirement.needed_by)
    for item_id, code, unit_key, org, quantity, price, needed_by in session.execute(statement):
        key = pool_key(item_id, (code or "").ljust(8, "0"), unit_key)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(rules.PoolTotals(), needed_by, needed_by)
        group.totals.add(rules.PoolLine(org, Decimal(quantity), Decimal(price)))
        group.earliest, group.latest = min(group.earliest, needed_by), max(group.latest, needed_by)
    return groups



def _among(session: Session, column: Any, ids: list[int]) -> Any:
    """`column IN ids`; on PostgreSQL as one array parameter, not thousands of placeholders."""
    if on_postgresql(session):
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def linked_offer_prices(session: Session, item_ids: list[int]) -> dict[int, list[rules.OfferPrice]]:
    """The published offers linked to each catalogue item, as the estimate needs them."""
    found: dict[int, list[rules.OfferPrice]] = defaultdict(list)
    if not item_ids:
        return found
    rows = session.execute(select(
        Offer.id, Offer.catalogue_item_id, Offer.list_price, Offer.price_breaks, Offer.vat_rate,
        Offer.valid_from, Offer.valid_to, Offer.title, Offer.description,
    ).where(_among(session, Offer.catalogue_item_id, item_ids), Offer.status == OfferStatus.published)).all()
    for offer_id, item_id, price, breaks, vat, valid_from, valid_to, title, description in rows:
        found[item_id].append(rules.OfferPrice(offer_id, price, breaks_from_json(breaks), vat, valid_from, valid_to,
                                               condition_of(title, description)))
    return found


def build_pools(session: Session, groups: dict[str, _Group], on: date, *, names: bool) -> list[Pool]:
    """Pools with their labels and estimates."""
    source = [item_id for item_id, _, _ in map(parse_pool_key, groups) if item_id]
    items = {i: (name, code, unit, condition_of(name, attributes)) for i, name, code, unit, attributes in session.execute(
        select(CatalogueItem.id, CatalogueItem.name, CatalogueItem.cpv_code, CatalogueItem.unit, CatalogueItem.key_attributes)
        .where(_among(session, CatalogueItem.id, source)))} if source else {}
    codes = {parse_pool_key(k)[1] for k in groups if k.startswith("cpv-")}
    cpv_names = dict(session.execute(select(CpvCode.code, CpvCode.description).where(CpvCode.code.in_(codes))).all()) if codes else {}
    named: dict[int, tuple[int, str]] = {}
    central: set[int] = set()
    for organisation_id, name, kind in session.execute(select(Organisation.id, Organisation.name, Organisation.kind)):
        named[organisation_id] = (organisation_id, name)
        if rules.authority_class([kind.value]) == "central":
            central.add(organisation_id)
    offers = linked_offer_prices(session, source)
    by_name = itemgetter(1)
    pools = []
    for key, group in groups.items():
        item_id, code, unit = parse_pool_key(key)
        condition = "new"
        if item_id:
            label, code, unit, condition = items[item_id]
        else:
            label = f"{code} {cpv_names.get(code, '')}".strip()
        ids = group.totals.organisation_ids
        pool = Pool(key, label, item_id, code or "", unit or "", group.totals, group.earliest, group.latest,
                    rules.estimate(group.totals, offers.get(item_id, ()) if item_id else (), on,
                                   "central" if central and not central.isdisjoint(ids) else "sub_central", condition),
                    condition=condition)
        if names:
            pool.organisations = sorted((named[o] for o in ids if o in named), key=by_name)
        pools.append(pool)
    return pools


def demand_board(session: Session, actor: Actor, board: BoardFilter) -> list[Pool]:
    """Every pool on the board, filtered and sorted (the agency's view)."""
    if not access.can_view_demand_board(actor):
        raise PermissionDenied("Only the agency sees the demand board")
    board.check()
    pools = build_pools(session, aggregate(session, board), today(), names=True)
    pools = shown(pools, board)
    mark_tenders_under_way(session, pools, board.depth)
    return pools


def shown(pools: list[Pool], board: BoardFilter) -> list[Pool]:
    """The pools the filter keeps, in its order (ties by label)."""
    kept = [p for p in pools if len(p.totals.organisation_ids) >= board.min_organisations
            and (not board.above_threshold_only or p.estimate.above_threshold)]
    kept.sort(key=lambda p: (SORTS[board.sort](p), p.label, p.key))
    return kept


def mark_tenders_under_way(session: Session, pools: list[Pool], depth: str) -> None:
    """Each pool's joint tenders being prepared or open for bids that buy its thing (the
    tenders domain answers `tenders_under_way`)."""
    if not pools:
        return
    under_way = [t for _receiver, found in tenders_under_way.send(session) for t in (found or ())]
    digits = rules.DEPTHS[depth]
    for pool in pools:
        pool.tenders = [t for t in under_way if t.buys(pool, digits)]


@dataclass(slots=True)
class OwnShare:
    """A buyer's view of a pool: the pooled totals and their own part, not other lines."""

    pool: Pool
    own: rules.PoolTotals
    own_baseline_spend: Decimal
    own_saving: Decimal | None


def pools_for_organisation(session: Session, actor: Actor, organisation_id: int, depth: str = "class") -> list[OwnShare]:
    if not access.can_act_for_organisation(actor, organisation_id):
        raise PermissionDenied("You can only see your own organisation's pools")
    board = BoardFilter(depth=depth)
    own_groups = aggregate(session, board, organisation_id)
    if not own_groups:
        return []
    everyone = {k: g for k, g in aggregate(session, board).items() if k in own_groups}
    shares = []
    for pool in build_pools(session, everyone, today(), names=False):
        own = own_groups[pool.key].totals
        own_spend = rules.money(own.baseline_spend)
        joint = pool.estimate.joint_unit_price
        saving = own_spend - rules.money(joint * own.quantity) if joint is not None else None
        shares.append(OwnShare(pool, own, own_spend, saving))
    shares.sort(key=lambda s: (s.pool.label, s.pool.key))
    return shares


def requirements_in_pools(session: Session, board: BoardFilter, keys: Iterable[str]) -> dict[str, list[Requirement]]:
    """The submitted requirements behind each chosen pool, under the same filter."""
    wanted = set(keys)
    digits = rules.DEPTHS[board.depth]
    prefix, unit = _group_columns(digits)
    statement = _lines(board).add_columns(Requirement, prefix, unit).order_by(Requirement.id)
    found: dict[str, list[Requirement]] = {k: [] for k in wanted}
    for requirement, code, unit_key in session.execute(statement):
        key = pool_key(requirement.catalogue_item_id, (code or "").ljust(8, "0"), unit_key)
        if key in wanted:
            found[key].append(requirement)
    return found


BOARD_CSV_HEADER = [
    "pool", "label", "cpv_code", "catalogue_item_id", "unit", "organisations", "organisation_names", "lines",
    "total_quantity", "baseline_spend", "joint_unit_price", "joint_spend", "saving", "saving_percent",
    "value_inc_vat", "threshold_inc_vat", "above_threshold", "earliest_needed_by", "latest_needed_by",
]


def board_csv_rows(pools: list[Pool]) -> list[list[object]]:
    rows: list[list[object]] = [list(BOARD_CSV_HEADER)]
    for p in pools:
        e = p.estimate
        rows.append([
            p.key, p.label, p.cpv_code, p.catalogue_item_id or "", p.unit, len(p.totals.organisation_ids),
            "; ".join(name for _, name in p.organisations), p.totals.lines, rules.quantity_text(p.totals.quantity),
            e.baseline_spend, e.joint_unit_price if e.joint_unit_price is not None else "",
            e.joint_spend if e.joint_spend is not None else "", e.saving if e.saving is not None else "",
            e.saving_percent if e.saving_percent is not None else "", e.value_inc_vat,
            e.threshold.amount_inc_vat if e.threshold else "",
            "" if e.above_threshold is None else ("yes" if e.above_threshold else "no"),
            p.earliest_needed_by.isoformat(), p.latest_needed_by.isoformat(),
        ])
    return rows
