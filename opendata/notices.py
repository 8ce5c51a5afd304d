"""Notices anyone may read: a search of the published tenders (as Find a Tender's) and one
tender's notice as a page. Both read only what the OCDS releases publish (opendata/ocds.py
decides that): never a draft, a sealed bid, a losing bidder's price or an organisation's
own quantities beyond the lots' items."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, Select, and_, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from opendata import ocds
from procurement.core.clock import LONDON, now
from procurement.parties.models import CpvCode, Organisation, OrganisationKind, Partnership
from tenders.models import Lot, LotItem, LotLine, LineStatus, Standstill, Tender, TenderStatus

PER_PAGE = 20

# The four statuses a reader filters by, as Find a Tender names them.
OPEN, CLOSED, AWARDED, CANCELLED = "open", "closed", "awarded", "cancelled"
STATUS_LABELS = {OPEN: "Open", CLOSED: "Closed", AWARDED: "Awarded", CANCELLED: "Cancelled"}
STATUS_TAGS = {OPEN: "govuk-tag--green", CLOSED: "govuk-tag--grey", AWARDED: "govuk-tag--blue", CANCELLED: "govuk-tag--red"}
_CLOSED_STATES = (TenderStatus.closed, TenderStatus.opened, TenderStatus.evaluation, TenderStatus.award_proposed,
                  TenderStatus.unsuccessful)
_AWARDED_STATES = (TenderStatus.standstill, TenderStatus.awarded, TenderStatus.complete)
PARTNERSHIP_NAMES = {Partnership.north: "North London", Partnership.east: "East London", Partnership.south: "South London",
                     Partnership.west: "West London", Partnership.central: "Central London"}


def public_status(status: TenderStatus, deadline: datetime | None, moment: datetime) -> str:
    """What the public is told of a published tender's state: open until its deadline (by the
    server's clock), closed while it is evaluated (nothing of the evaluation is public),
    awarded once the award decision is published, or cancelled."""
    if status is TenderStatus.published:
        return CLOSED if deadline is not None and moment >= deadline else OPEN
    if status in _AWARDED_STATES:
        return AWARDED
    if status is TenderStatus.cancelled:
        return CANCELLED
    return CLOSED


def _status_condition(wanted: str, moment: datetime) -> Any:
    if wanted == OPEN:
        return and_(Tender.status == TenderStatus.published,
                    or_(Tender.submission_deadline.is_(None), Tender.submission_deadline > moment))
    if wanted == CLOSED:
        return or_(Tender.status.in_(_CLOSED_STATES),
                   and_(Tender.status == TenderStatus.published, Tender.submission_deadline <= moment))
    if wanted == AWARDED:
        return Tender.status.in_(_AWARDED_STATES)
    return Tender.status == TenderStatus.cancelled


def published_condition() -> Any:
    """A tender is public once published and never while a draft (ocds.published_tenders' rule)."""
    return and_(Tender.published_at.is_not(None), Tender.status != TenderStatus.draft,
                Tender.status.in_([TenderStatus(s) for s in ocds.PUBLISHED]))


# The search -------------------------------------------------------------------------------

@dataclass
class NoticeQuery:
    """What a reader searches by; every value already validated (opendata/forms.py)."""
    keywords: str = ""
    buyer: str = ""
    location: str = ""            # a partnership's value, or a borough's GSS code
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    cpv: str = ""                 # digits (a code or its start) or words of a description
    closing_from: date | None = None
    closing_to: date | None = None
    statuses: list[str] = field(default_factory=list)
    page: int = 1


@dataclass
class NoticeRow:
    ocid: str
    tender_id: int
    reference: str
    title: str
    buyers: list[str]
    value: Decimal | None
    closing_at: datetime | None
    status: str
    cpv: list[tuple[str, str]]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def status_tag(self) -> str:
        return STATUS_TAGS[self.status]


@dataclass
class NoticeResults:
    rows: list[NoticeRow]
    total: int
    page: int
    pages: int


def locations(session: Session) -> list[tuple[str, str]]:
    """The places a reader can search by: the sub-regions, then the boroughs (and the City)."""
    boroughs = session.execute(select(Organisation.gss_code, Organisation.name).where(
        Organisation.kind.in_([OrganisationKind.london_borough, OrganisationKind.city_corporation]),
        Organisation.gss_code.is_not(None)).order_by(Organisation.name)).all()
    return [(p.value, name) for p, name in PARTNERSHIP_NAMES.items()] + [(code, name) for code, name in boroughs]


def _confirmed_tenders(*conditions: Any) -> Select:
    """Ids of tenders with a confirmed line from an organisation meeting `conditions`."""
    return (select(Lot.tender_id).join(LotLine, LotLine.lot_id == Lot.id)
            .join(Organisation, Organisation.id == LotLine.organisation_id)
            .where(LotLine.status == LineStatus.confirmed, *conditions))


def _contains(column: Any, text: str) -> Any:
    return func.lower(column).contains(text.lower(), autoescape=True)


def _pence(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def search_conditions(session: Session, query: NoticeQuery, moment: datetime) -> list[Any]:
    conditions = [published_condition()]
    for word in query.keywords.split()[:10]:
        in_lots = select(Lot.tender_id).outerjoin(LotItem, LotItem.lot_id == Lot.id).where(
            or_(_contains(Lot.title, word), _contains(LotItem.description, word)))
        conditions.append(or_(_contains(Tender.title, word), _contains(Tender.description, word),
                              _contains(Tender.reference, word), Tender.id.in_(in_lots)))
    if query.buyer:
        conditions.append(Tender.id.in_(_confirmed_tenders(_contains(Organisation.name, query.buyer))))
    if query.location:
        if query.location in {p.value for p in Partnership}:
            place = Organisation.partnership == Partnership(query.location)
        else:
            place = Organisation.gss_code == query.location
        conditions.append(Tender.id.in_(_confirmed_tenders(place)))
    if query.value_min is not None or query.value_max is not None:
        # Compared in whole pence, exact on both databases (SQLite keeps amounts as text).
        pence = func.sum(func.round(cast(Lot.estimated_value, Numeric) * 100))
        having = []
        if query.value_min is not None:
            having.append(pence >= _pence(query.value_min))
        if query.value_max is not None:
            having.append(pence <= _pence(query.value_max))
        conditions.append(Tender.id.in_(select(Lot.tender_id).group_by(Lot.tender_id).having(*having)))
    if query.cpv:
        conditions.append(Tender.id.in_(_cpv_tenders(query.cpv)))
    if query.closing_from:
        conditions.append(Tender.submission_deadline >= datetime.combine(query.closing_from, time(0), LONDON))
    if query.closing_to:
        conditions.append(Tender.submission_deadline < datetime.combine(query.closing_to + timedelta(days=1), time(0), LONDON))
    if query.statuses:
        conditions.append(or_(*(_status_condition(s, moment) for s in query.statuses)))
    return conditions


def _cpv_tenders(cpv: str) -> Select:
    """Tenders with a lot or an item in the CPV code (or under it), or whose code's description
    holds the words."""
    digits = cpv.split("-")[0]
    if digits.isdecimal():
        start = digits.rstrip("0") or digits
        lot_match, item_match = Lot.cpv_code.startswith(start), LotItem.cpv_code.startswith(start)
    else:
        codes = select(CpvCode.code).where(and_(*(_contains(CpvCode.description, w) for w in cpv.split()[:10])))
        lot_match, item_match = Lot.cpv_code.in_(codes), LotItem.cpv_code.in_(codes)
    return select(Lot.tender_id).outerjoin(LotItem, LotItem.lot_id == Lot.id).where(or_(lot_match, item_match))


def search_notices(session: Session, prefix: str, query: NoticeQuery) -> NoticeResults:
    """One page of the published tenders matching `query`, newest first; counted and paged in SQL."""
    moment = now()
    conditions = search_conditions(session, query, moment)
    total = session.scalar(select(func.count(Tender.id)).where(*conditions)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(query.page, pages)
    tenders = list(session.scalars(select(Tender).where(*conditions).options(selectinload(Tender.lots))
                                   .order_by(Tender.published_at.desc(), Tender.id.desc())
                                   .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    ids = [t.id for t in tenders]
    buyers: dict[int, list[str]] = {}
    for tender_id, name in session.execute(
            select(Lot.tender_id, Organisation.name).join(LotLine, LotLine.lot_id == Lot.id)
            .join(Organisation, Organisation.id == LotLine.organisation_id)
            .where(Lot.tender_id.in_(ids), LotLine.status == LineStatus.confirmed)
            .distinct().order_by(Organisation.name)):
        buyers.setdefault(tender_id, []).append(name)
    codes = {lot.cpv_code for t in tenders for lot in t.lots}
    described = dict(session.execute(select(CpvCode.code, CpvCode.description).where(CpvCode.code.in_(codes))).all())
    rows = []
    for t in tenders:
        values = [lot.estimated_value for lot in t.lots if lot.estimated_value is not None]
        rows.append(NoticeRow(
            ocid=ocds.ocid(prefix, t.id), tender_id=t.id, reference=t.reference, title=t.title,
            buyers=buyers.get(t.id, []), value=sum(values, Decimal(0)) if values else None,
            closing_at=t.submission_deadline, status=public_status(t.status, t.submission_deadline, moment),
            cpv=[(code, described.get(code, "")) for code in sorted({lot.cpv_code for lot in t.lots})]))
    return NoticeResults(rows=rows, total=total, page=page, pages=pages)


# One notice -------------------------------------------------------------------------------

def tender_for_ocid(session: Session, prefix: str, wanted: str) -> Tender | None:
    """The published tender an ocid names; None for anything else (a draft included)."""
    if not wanted.startswith(prefix + "-") or not wanted[len(prefix) + 1:].isdecimal() or len(wanted) > 60:
        return None
    tender = session.scalar(select(Tender).where(Tender.id == int(wanted[len(prefix) + 1:]), published_condition()))
    return tender


@dataclass
class Notice:
    ocid: str
    tender: Tender
    status: str
    buyers: list[Organisation]
    lots: list[dict[str, Any]]
    value: Decimal | None
    documents: list[Any]
    amendments: list[Any]
    awards: list[dict[str, Any]]
    contracts: list[dict[str, Any]]
    bids_received: int | None
    standstill: Standstill | None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def status_tag(self) -> str:
        return STATUS_TAGS[self.status]


def public_documents(tender: Tender) -> list[Any]:
    """The tender's documents its releases publish: those of the tender and of its amendments."""
    published = {a.number for a in tender.amendments}
    return [d for d in tender.documents if d.amendment_number is None or d.amendment_number in published]


def notice(session: Session, prefix: str, wanted: str) -> Notice | None:
    """The notice of one published tender, from the facts its OCDS releases are built of: the
    award and contracts only once their releases exist, and a bid's value only for an award."""
    tender = tender_for_ocid(session, prefix, wanted)
    if tender is None:
        return None
    facts = ocds.facts(session, tender, prefix)
    releases = {tag for r in facts.releases() for tag in r["tag"]}
    if not releases:
        return None
    lots = []
    for lot in facts.lots:
        lots.append({"number": lot.number, "title": lot.title, "value": lot.estimated_value, "cpv": lot.cpv_code,
                     "cpv_description": facts.cpv(lot.cpv_code) or "",
                     "goods": [{"description": i.description, "cpv": i.cpv_code, "quantity": i.quantity, "unit": i.unit}
                               for i in lot.items]})
    values = [lot.estimated_value for lot in facts.lots if lot.estimated_value is not None]
    awards, contracts, bids_received = [], [], None
    if "award" in releases:
        for award in facts.awards("active" if "contract" in releases else "pending"):
            awards.append({"lot": award["title"], "suppliers": [s["name"] for s in award["suppliers"]],
                           "value": Decimal(str(award["value"]["amount"])).quantize(Decimal("0.01")) if award.get("value") else None,
                           "explanation": award.get("description", "")})
        bids_received = len(facts.opened)
    if "contract" in releases:
        for contract in facts.contract_release()["contracts"]:
            contracts.append({"title": contract["title"],
                              "value": Decimal(str(contract["value"]["amount"])).quantize(Decimal("0.01")),
                              "signed_at": datetime.fromisoformat(contract["dateSigned"].replace("Z", "+00:00"))})
    return Notice(ocid=facts.ocid, tender=tender, status=public_status(tender.status, tender.submission_deadline, now()),
                  buyers=facts.organisations, lots=lots, value=sum(values, Decimal(0)) if values else None,
                  documents=public_documents(tender), amendments=list(tender.amendments), awards=awards,
                  contracts=contracts, bids_received=bids_received,
                  standstill=facts.standstill if "award" in releases else None)


def public_document(session: Session, prefix: str, wanted: str, document_id: int) -> Any | None:
    """A document of a published tender that its notice lists; None for any other."""
    tender = tender_for_ocid(session, prefix, wanted)
    if tender is None:
        return None
    return next((d for d in public_documents(tender) if d.id == document_id), None)
