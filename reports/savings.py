"""Savings reports: per tender, per organisation across tenders, per CPV category and period.
Baseline (what each organisation paid before) against awarded cost, in pounds and percent,
a table per organisation, and two charts drawn with matplotlib as SVG: savings by
organisation and cumulative savings over time. The same SVG is on the page and in the PDF."""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from procurement.core import access
from procurement.core.access import Actor, SystemActor, actor_label
from procurement.core.clock import now, to_london
from procurement.core.db import Base
from procurement.core.errors import Conflict, InvalidInput, PermissionDenied
from procurement.core.jobrecords import JobOptions, Kind, request_job
from procurement.core import documents
from procurement.core.documents import Document
from procurement.core.pdf import render_pdf
from procurement.core.money import percent_of
from procurement.parties.models import Organisation
from tenders.models import CallOffOrder, Contract, Lot, LotLine, OptimisedAward, Standstill, Tender, TenderStatus
from suppliers.models import Supplier

KINDS = ("tender", "organisation", "category")


@dataclass(frozen=True)
class ReportQuery:
    kind: str
    tender_id: int | None = None
    organisation_id: int | None = None
    cpv: str | None = None          # a CPV category (its first 5 digits count)
    start: date | None = None
    end: date | None = None


@dataclass
class Row:
    organisation: str
    tender: str
    lot: int
    order: str
    entered_on: date
    baseline: Decimal
    cost: Decimal
    supplier: str = ""

    @property
    def saving(self) -> Decimal:
        return self.baseline - self.cost


@dataclass(frozen=True)
class Share:
    """An organisation's fair share of the saving of a tender awarded by an optimised award."""
    tender: str
    organisation: str
    alone: Decimal          # what it would pay buying alone at catalogue prices
    pays: Decimal           # what it pays under the award
    proportional: Decimal   # its share in proportion to baseline spend (the default)
    shapley: Decimal        # its Shapley value
    pooled: Decimal         # the tender's whole pooled saving


@dataclass
class Report:
    title: str
    query: ReportQuery
    rows: list[Row] = field(default_factory=list)
    shares: list[Share] = field(default_factory=list)
    waiting: str = ""       # with no orders yet: what the report is waiting for

    @property
    def baseline(self) -> Decimal:
        return sum((r.baseline for r in self.rows), Decimal(0))

    @property
    def cost(self) -> Decimal:
        return sum((r.cost for r in self.rows), Decimal(0))

    @property
    def saving(self) -> Decimal:
        return self.baseline - self.cost

    @property
    def percent(self) -> Decimal | None:
        return percent(self.saving, self.baseline)

    def by_organisation(self) -> list[tuple[str, Decimal, Decimal, Decimal, Decimal | None]]:
        """(organisation, baseline, cost, saving, percent), biggest saving first."""
        totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for r in self.rows:
            totals[r.organisation][0] += r.baseline
            totals[r.organisation][1] += r.cost
        found = [(name, b, c, b - c, percent(b - c, b)) for name, (b, c) in totals.items()]
        return sorted(found, key=lambda t: (-t[3], t[0]))

    def cumulative(self) -> list[tuple[date, Decimal]]:
        by_day: dict[date, Decimal] = defaultdict(Decimal)
        for r in self.rows:
            by_day[r.entered_on] += r.saving
        running, points = Decimal(0), []
        for day in sorted(by_day):
            running += by_day[day]
            points.append((day, running))
        return points


def percent(saving: Decimal, baseline: Decimal) -> Decimal | None:
    return percent_of(saving, baseline)


def check(query: ReportQuery) -> None:
    errors: dict[str, list[str]] = {}
    if query.kind not in KINDS:
        errors["kind"] = [f"Choose one of: {', '.join(KINDS)}"]
    if query.kind == "tender" and not query.tender_id:
        errors["tender_id"] = ["Choose the tender"]
    if query.kind == "organisation" and not query.organisation_id:
        errors["organisation_id"] = ["Choose the organisation"]
    if query.kind == "category":
        if not (query.cpv and len(query.cpv) >= 5 and query.cpv[:8].isdecimal()):
            errors["cpv"] = ["Enter a CPV code (its category: the first 5 digits)"]
        if query.start and query.end and query.end < query.start:
            errors["end"] = ["The period must not end before it starts"]
    if errors:
        raise InvalidInput("The report is not valid", field_errors=errors)


def may_see(actor: Actor, query: ReportQuery) -> bool:
    """The agency sees every report; a buyer its own organisation's."""
    if access.has_role(actor, access.AGENCY):
        return True
    return query.kind == "organisation" and query.organisation_id is not None and \
        access.can_act_for_organisation(actor, query.organisation_id)


def build(session: Session, actor: Actor, query: ReportQuery) -> Report:
    check(query)
    if not may_see(actor, query):
        raise PermissionDenied("Savings reports are for the agency, and each organisation's for its buyers")

    statement = (select(CallOffOrder, Contract, Lot, Tender, Organisation.name, Supplier.legal_name)
                 .join(Contract, Contract.id == CallOffOrder.contract_id).join(Lot, Lot.id == Contract.lot_id)
                 .join(Supplier, Supplier.id == Contract.supplier_id)
                 .join(Tender, Tender.id == Lot.tender_id).join(Organisation, Organisation.id == CallOffOrder.organisation_id))
    if query.kind == "tender":
        statement = statement.where(Tender.id == query.tender_id)
        tender = session.get(Tender, query.tender_id)
        title = f"Savings: {tender.reference if tender else query.tender_id}"
    elif query.kind == "organisation":
        statement = statement.where(CallOffOrder.organisation_id == query.organisation_id)
        organisation = session.get(Organisation, query.organisation_id)
        title = f"Savings: {organisation.name if organisation else query.organisation_id}"
    else:
        assert query.cpv is not None
        statement = statement.where(Lot.cpv_code.like(query.cpv[:5] + "%"))
        period = f", {query.start or 'start'} to {query.end or 'now'}"
        title = f"Savings in CPV category {query.cpv[:5]}{period}"
    rows = []
    for order, contract, lot, tender, organisation_name, supplier in session.execute(
            statement.order_by(Contract.entered_at, CallOffOrder.id)):
        entered = to_london(contract.entered_at).date()
        if (query.start and entered < query.start) or (query.end and entered > query.end):
            continue
        rows.append(Row(organisation_name, tender.reference, lot.number, order.reference, entered, order.baseline, order.total,
                        supplier))
    return Report(title, query, rows, _shares(session, query, rows), "" if rows else _waiting(session, query))


def _waiting(session: Session, query: ReportQuery) -> str:
    """What an empty report waits for: savings are counted from call-off orders, made when a
    tender's contracts are entered after standstill."""

    statement = (select(Tender.reference, Standstill.ends_on).join(Standstill, Standstill.tender_id == Tender.id)
                 .where(Tender.status == TenderStatus.standstill))
    if query.kind == "tender":
        statement = statement.where(Tender.id == query.tender_id)
    elif query.kind == "organisation":
        statement = statement.where(Tender.id.in_(select(Lot.tender_id).join(LotLine, LotLine.lot_id == Lot.id)
                                                  .where(LotLine.organisation_id == query.organisation_id)))
    else:
        statement = statement.where(Tender.id.in_(select(Lot.tender_id).where(Lot.cpv_code.like(f"{query.cpv or ''}"[:5] + "%"))))
    pending = session.execute(statement.order_by(Tender.reference)).all()
    rule = ("Savings are counted from call-off orders, which are made when the agency enters a tender's contracts "
            "after its standstill.")
    if not pending:
        return f"There are no orders in this report yet. {rule}"
    listed = "; ".join(f"{reference} (standstill to the end of {ends_on.day} {ends_on:%B %Y})" for reference, ends_on in pending)
    return f"There are no orders in this report yet. {rule} Awarded, with contracts still to be entered: {listed}."


def _shares(session: Session, query: ReportQuery, rows: list[Row]) -> list[Share]:
    """Each organisation's share of the pooled saving, for the report's tenders awarded by an
    adopted optimised award (tenders/optimised_award.py keeps them with the award); what it
    pays is its orders' total, as in the rows."""

    pays: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        pays[(r.tender, r.organisation)] = pays.get((r.tender, r.organisation), Decimal(0)) + r.cost
    found = []
    for reference, award in session.execute(select(Tender.reference, OptimisedAward).join(
            OptimisedAward, OptimisedAward.tender_id == Tender.id).where(
            Tender.reference.in_(sorted({r.tender for r in rows})), OptimisedAward.adopted_at.is_not(None))
            .order_by(Tender.reference)):
        pooled = Decimal(award.result.get("shares", {}).get("pooled_saving", "0"))
        for o in award.result.get("organisations") or []:
            if (reference, o["name"]) in pays and (query.kind != "organisation" or o["id"] == query.organisation_id):
                found.append(Share(reference, o["name"], Decimal(o["alone"]), pays[(reference, o["name"])],
                                   Decimal(o["proportional"]), Decimal(o["shapley"]), pooled))
    return found


def _pounds(value: float, _position: Any = None) -> str:
    return f"£{value:,.0f}"


def savings_by_organisation_svg(report: Report) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    data = report.by_organisation()[:20]
    figure = Figure(figsize=(7, 0.35 * max(3, len(data)) + 1))
    axes = figure.subplots()
    names = [name for name, *_ in data][::-1]
    savings = [float(saving) for _, _, _, saving, _ in data][::-1]
    axes.barh(names, savings, color="#1d70b8")
    axes.xaxis.set_major_formatter(FuncFormatter(_pounds))
    axes.set_xlabel("Saving against what each organisation paid before (ex VAT)")
    axes.set_title("Savings by organisation")
    figure.tight_layout()
    return _svg(figure, "Savings by organisation: " + "; ".join(f"{n} £{s:,.2f}" for n, s in zip(names[::-1], savings[::-1])))


def cumulative_limits(points: list[tuple[date, Decimal]]) -> tuple[tuple[date, date], tuple[float, float]]:
    """The chart's date range (a month around a single day, else the days with a margin) and
    its pounds from zero (savings are read against nothing saved) to a tenth above the most."""
    first, last = points[0][0], points[-1][0]
    margin = max(timedelta(days=15), (last - first) / 20)
    values = [float(v) for _, v in points]
    low, high = min(0.0, *values), max(0.0, *values)
    return (first - margin, last + margin), (low * 1.1, (high * 1.1) or 1.0)


def cumulative_svg(report: Report) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    points = report.cumulative()
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    if points:
        days = [datetime.combine(day, datetime.min.time()) for day, _ in points]
        axes.step(days, [float(v) for _, v in points], where="post", color="#00703c")
        axes.plot(days, [float(v) for _, v in points], "o", color="#00703c")
        (first, last), (low, high) = cumulative_limits(points)
        axes.set_xlim(datetime.combine(first, datetime.min.time()), datetime.combine(last, datetime.min.time()))
        axes.set_ylim(low, high)
    axes.yaxis.set_major_formatter(FuncFormatter(_pounds))
    axes.set_title("Cumulative savings over time")
    figure.autofmt_xdate()
    figure.tight_layout()
    return _svg(figure, "Cumulative savings: " + "; ".join(f"{d:%-d %b %Y} £{v:,.2f}" for d, v in points))


def _svg(figure: Any, description: str) -> str:
    """The figure as inline SVG with a title a screen reader can read."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text stays text: readable and searchable
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    return svg.replace("<svg ", '<svg role="img" aria-label="' + description.replace('"', "'")[:1000] + '" ', 1)


# The PDF, made by a job ---------------------------------------------------------------------


class ReportRequest(Base):
    """A savings report someone asked for as a PDF: what it covers."""

    __tablename__ = "report_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    tender_id: Mapped[int | None] = mapped_column(ForeignKey("tender.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    cpv: Mapped[str | None] = mapped_column(String(8))
    start: Mapped[date | None] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    requested_by_label: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=now)

    def query(self) -> ReportQuery:
        return ReportQuery(self.kind, self.tender_id, self.organisation_id, self.cpv, self.start, self.end)


def _check_subjects(session: Session, query: ReportQuery) -> None:
    """The tender or organisation a report is about must exist (the request row refers to it)."""

    errors = {}
    if query.tender_id is not None and session.get(Tender, query.tender_id) is None:
        errors["tender_id"] = ["There is no such tender"]
    if query.organisation_id is not None and session.get(Organisation, query.organisation_id) is None:
        errors["organisation_id"] = ["There is no such organisation"]
    if errors:
        raise InvalidInput("The report is not valid", field_errors=errors)


def request_pdf(session: Session, actor: Actor, query: ReportQuery) -> Any:
    """Ask for the report as a PDF: a job, handed over once this transaction commits."""
    check(query)
    if not may_see(actor, query):
        raise PermissionDenied("Savings reports are for the agency, and each organisation's for its buyers")
    _check_subjects(session, query)
    report = build(session, actor, query)
    if not report.rows:  # nothing to draw: no PDF of an empty report
        raise Conflict(report.waiting)
    request = ReportRequest(kind=query.kind, tender_id=query.tender_id, organisation_id=query.organisation_id,
                            cpv=query.cpv, start=query.start, end=query.end,
                            requested_by_label=actor_label(actor))
    session.add(request)
    session.flush()
    return request_job(session, actor, "savings_report", "report_request", request.id)


def render_html(report: Report, produced: datetime) -> str:
    from flask import render_template

    return render_template("pdf/savings.html", title=report.title, reference=f"Savings report: {report.query.kind}",
                           report=report, produced=produced, by_organisation=savings_by_organisation_svg(report),
                           cumulative=cumulative_svg(report))


def make_savings_report(session: Session, job: Any, progress: Any) -> dict[str, Any]:
    request = session.get(ReportRequest, job.subject_id)
    assert request is not None
    existing = session.scalar(select(Document.id).where(Document.kind == "savings_report", Document.subject_id == request.id))
    if existing is not None:
        return {"document": existing, "made": False}
    report = build(session, SystemActor("savings report"), request.query())
    progress(40, "drawing the charts")
    html = render_html(report, now())
    progress(70, "rendering the PDF")
    document = documents.save(
        session, kind="savings_report", subject_type="report_request", subject_id=request.id, title=report.title,
        file_name=f"savings-report-{request.id}.pdf", data=render_pdf(html, title=report.title, created=now()),
        job_id=job.id, tender_id=request.tender_id,
        audience_organisation_id=request.organisation_id if request.kind == "organisation" else None)
    return {"document": document.id, "made": True, "rows": len(report.rows), "saving": str(report.saving)}


JOB_KINDS = [Kind("savings_report", "Savings report", make_savings_report,
                 JobOptions(timeout=900, retries=3, retry_intervals=(5, 30, 120)))]
