"""The award pack, asked for when the award decision is published: an award decision notice
per lot, an assessment summary letter per bidder, an order summary per organisation, and
(once contracts are entered) the contract award notice. The pack's job asks for one job per
document, so workers share them; each document is made once per (kind, subject, version):
running any of these jobs again leaves the same documents."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from procurement.core.clock import now
from procurement.core.access import SystemActor
from procurement.core.jobrecords import Job, Progress, kind, request_job
from procurement.core.jobs import JobOptions
from procurement.documents import services as documents
from procurement.documents.models import Document
from procurement.documents.render import render_pdf
from procurement.models import Organisation
from suppliers.models import Supplier
from tenders import evaluation, optimised_award, scoring
from tenders.models import AwardDecision, Contract, LineStatus, Lot, LotLine, OpenedBid, Tender

PACK_JOB = JobOptions(timeout=1800, retries=3, retry_intervals=(5, 30, 120), failure_ttl=7 * 24 * 3600)


class _BidderView:
    """An actor standing for one bidder, to build that bidder's own summary and no other."""

    is_authenticated = is_active = True
    id = None
    audit_label = "award pack"

    def __init__(self, supplier_id: int):
        self.roles = frozenset({"supplier"})
        self.supplier_ids = frozenset({supplier_id})
        self.organisation_ids: frozenset[int] = frozenset()


@kind("award_pack", "Award pack", PACK_JOB)
def make_award_pack(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """Ask for one job per document of the pack, so that any number of workers share the
    work; each document job is idempotent, and asking again asks only for what is missing."""
    tender = session.get(Tender, job.subject_id)
    assert tender is not None
    if evaluation.standstill_of(session, tender) is None:
        raise ValueError(f"{tender.reference} has no published award decision")
    wanted = pack_contents(session, tender)
    asked = []
    for n, (document_kind, subject_id) in enumerate(wanted, start=1):
        progress(int(100 * n / len(wanted)), f"asking for document {n} of {len(wanted)}")
        exists = session.scalar(select(Document.id).where(Document.kind == document_kind,
                                                          Document.subject_type == SUBJECT_TYPES[document_kind],
                                                          Document.subject_id == subject_id))
        if exists is None:
            asked.append(request_job(session, _PACK, document_kind, SUBJECT_TYPES[document_kind], subject_id).id)
    return {"tender": tender.reference, "documents": len(wanted), "jobs": asked}


def pack_contents(session: Session, tender: Tender) -> list[tuple[str, int]]:
    """(kind, subject id) of every document in the tender's award pack, as things stand."""
    opened = session.scalars(select(OpenedBid.id).where(OpenedBid.tender_id == tender.id, OpenedBid.intact)
                             .order_by(OpenedBid.id)).all()
    organisation_ids = sorted({line.organisation_id for lot in tender.lots for line in lot.lines
                               if line.status is LineStatus.confirmed})
    wanted = [("award_notice", lot.id) for lot in tender.lots]
    wanted += [("assessment_letter", opened_id) for opened_id in opened]
    wanted += [("order_summary", _subject_key(tender, "order_summary", org_id)) for org_id in organisation_ids]
    if session.scalar(select(Contract.id).where(Contract.lot_id.in_([l.id for l in tender.lots]))):
        wanted.append(("contract_award_notice", tender.id))
    return wanted


def _make_document(document_kind: str) -> Any:
    def handler(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
        subject_type = SUBJECT_TYPES[document_kind]
        existing = session.scalar(select(Document.id).where(Document.kind == document_kind, Document.subject_type == subject_type,
                                                            Document.subject_id == job.subject_id))
        if existing is not None:  # made already (a job run twice): nothing to do
            return {"document": existing, "made": False}
        tender, subject = _subject_of(session, document_kind, job.subject_id)
        standstill = evaluation.standstill_of(session, tender)
        title, html, audience = _render(session, tender, standstill, document_kind, subject)
        data = render_pdf(html, title=title, created=now())
        document = documents.save(session, kind=document_kind, subject_type=subject_type, subject_id=job.subject_id,
                                  title=title, file_name=f"{tender.reference}-{document_kind.replace('_', '-')}-{subject.id}.pdf",
                                  data=data, job_id=job.id, tender_id=tender.id, **audience)
        return {"document": document.id, "made": True, "sha256": document.sha256}

    return handler


def _subject_of(session: Session, document_kind: str, subject_id: int) -> tuple[Tender, Any]:
    if document_kind == "award_notice":
        lot = session.get(Lot, subject_id)
        return lot.tender, lot
    if document_kind == "assessment_letter":
        opened = session.get(OpenedBid, subject_id)
        return session.get(Tender, opened.tender_id), opened
    if document_kind == "order_summary":
        tender_id, organisation_id = divmod(subject_id, 1_000_000)
        return session.get(Tender, tender_id), session.get(Organisation, organisation_id)
    tender = session.get(Tender, subject_id)
    return tender, tender


_PACK = SystemActor("award pack")
DOCUMENT_JOB = JobOptions(timeout=600, retries=3, retry_intervals=(5, 30, 120), failure_ttl=7 * 24 * 3600)
for _kind, _title in (("award_notice", "Award decision notice"), ("assessment_letter", "Assessment summary letter"),
                      ("order_summary", "Order summary"), ("contract_award_notice", "Contract award notice")):
    kind(_kind, _title, DOCUMENT_JOB)(_make_document(_kind))


SUBJECT_TYPES = {"award_notice": "lot", "assessment_letter": "opened_bid", "order_summary": "organisation",
                 "contract_award_notice": "tender"}


def _subject_key(tender: Tender, document_kind: str, subject_id: int) -> int:
    """An organisation's order summary is per tender: its subject id combines both."""
    return tender.id * 1_000_000 + subject_id if document_kind == "order_summary" else subject_id


def _render(session: Session, tender: Tender, standstill: Any, document_kind: str, subject: Any) -> tuple[str, str, dict[str, Any]]:
    common = {"tender": tender, "standstill": standstill, "produced": now()}
    if document_kind == "award_notice":
        lot = subject
        ranking = _decided_ranking(session, tender, lot)
        decision = session.scalar(select(AwardDecision).where(AwardDecision.lot_id == lot.id))
        winner = ranking.suppliers.get(decision.opened_bid_id, "?") if decision else "?"
        names = list(session.scalars(select(Organisation.name).distinct()
                                     .join(LotLine, LotLine.organisation_id == Organisation.id)
                                     .where(LotLine.lot_id == lot.id, LotLine.status == LineStatus.confirmed)
                                     .order_by(Organisation.name)))
        title = f"Award decision notice: {tender.reference} lot {lot.number}"
        optimised = optimised_award.adopted(session, tender)
        html = render_template("tenders/pdf/award_notice.html", title=title, reference=f"{tender.reference} / lot {lot.number}",
                               optimised=optimised, optimised_rows=optimised_award.allocation_of(optimised, lot.id) if optimised else [],
                               lot=lot, ranking=ranking, winner_name=winner, organisations=names,
                               formula=scoring.FORMULAS[tender.price_formula],
                               items={i.id: i.description for i in lot.items},
                               lines=session.scalars(select(LotLine).options(joinedload(LotLine.organisation))
                                                     .where(LotLine.lot_id == lot.id, LotLine.status == LineStatus.confirmed)
                                                     .order_by(LotLine.id)).all(), **common)
        return title, html, {"audience_public": True}
    if document_kind == "assessment_letter":
        opened = subject
        supplier = session.get(Supplier, opened.supplier_id)
        results = evaluation.assessment_summary(session, _BidderView(opened.supplier_id), tender.id)
        title = f"Assessment summary: {tender.reference}, {supplier.legal_name}"
        html = render_template("tenders/pdf/assessment_letter.html", title=title, reference=tender.reference,
                               supplier_name=supplier.legal_name, results=results, **common)
        return title, html, {"audience_supplier_id": opened.supplier_id}
    if document_kind == "order_summary":
        organisation = subject
        rows, cost, baseline = _order_rows(session, tender, organisation.id)
        optimised = optimised_award.adopted(session, tender)
        share = next((o for o in (optimised.result.get("organisations") or []) if o["id"] == organisation.id), None) if optimised else None
        title = f"Order summary: {tender.reference}, {organisation.name}"
        html = render_template("tenders/pdf/order_summary.html", title=title, reference=tender.reference,
                               organisation=organisation, rows=rows, cost=cost, baseline=baseline, share=share,
                               pooled=optimised.result["shares"]["pooled_saving"] if share else None, **common)
        return title, html, {"audience_organisation_id": organisation.id}
    contracts = list(session.scalars(select(Contract).where(Contract.lot_id.in_([l.id for l in tender.lots]))))
    names = dict(session.execute(select(Supplier.id, Supplier.legal_name)).all())
    lots = {l.id: l for l in tender.lots}
    title = f"Contract award notice: {tender.reference}"
    html = render_template("tenders/pdf/contract_award_notice.html", title=title, reference=tender.reference,
                           contracts=[(lots[c.lot_id], names.get(c.supplier_id, "?"), c) for c in contracts], **common)
    return title, html, {"audience_public": True}


def _decided_ranking(session: Session, tender: Tender, lot: Lot) -> evaluation.LotRanking:
    """The lot's scores as the decision recorded them (ranking again only for a decision
    published before they were kept)."""
    entries = evaluation.decision_scores(session, tender).get(lot.id)
    if not entries:
        return evaluation.rank_lot(session, tender, lot)
    names = dict(session.execute(select(OpenedBid.id, Supplier.legal_name).join(Supplier, Supplier.id == OpenedBid.supplier_id)
                                 .where(OpenedBid.id.in_([e.bid for e in entries]))).all())
    return evaluation.LotRanking(lot, entries, names)


def _order_rows(session: Session, tender: Tender, organisation_id: int) -> tuple[list[dict[str, Any]], Decimal, Decimal]:
    rows, cost, baseline = [], Decimal(0), Decimal(0)
    names = dict(session.execute(select(Supplier.id, Supplier.legal_name)).all())
    optimised = optimised_award.adopted(session, tender)
    for lot in tender.lots:
        decision = session.scalar(select(AwardDecision).where(AwardDecision.lot_id == lot.id))
        if decision is None:
            continue
        if optimised is not None and optimised_award.allocation_of(optimised, lot.id):
            rows_from = _optimised_rows(session, optimised, lot, organisation_id, names)
            rows += rows_from
            cost += sum((r["cost"] for r in rows_from), Decimal(0))
            baseline += sum((r["baseline"] for r in rows_from), Decimal(0))
            continue
        winner = session.get(OpenedBid, decision.opened_bid_id)
        prices = evaluation.awarded_unit_prices(session, lot, decision.opened_bid_id)
        items = {i.id: i.description for i in lot.items}
        quantities: dict[int, list[Any]] = defaultdict(list)
        for line in lot.lines:
            if line.organisation_id == organisation_id and line.status is LineStatus.confirmed and line.lot_item_id in prices:
                quantities[line.lot_item_id].append(line)
        for item_id, lines in quantities.items():
            quantity = sum((l.quantity for l in lines), Decimal(0))
            line_cost = sum((l.quantity * prices[item_id] for l in lines), Decimal(0))
            line_base = sum((l.quantity * l.baseline_unit_price for l in lines), Decimal(0))
            rows.append({"lot": lot.number, "item": items[item_id], "supplier": names.get(winner.supplier_id if winner else 0, "?"),
                         "quantity": quantity, "unit_price": prices[item_id], "cost": line_cost, "baseline": line_base})
            cost += line_cost
            baseline += line_base
    return rows, cost, baseline


def _optimised_rows(session: Session, optimised: Any, lot: Lot, organisation_id: int,
                    names: dict[int, str]) -> list[dict[str, Any]]:
    """An organisation's lines under an adopted optimised award: split by supplier as the
    contracts will be, at each supplier's tier price less any bundle discount earned."""
    items = {i.id: i.description for i in lot.items}
    lines = {l.id: l for l in lot.lines if l.organisation_id == organisation_id and l.status is LineStatus.confirmed}
    rows = []
    for opened, prices, quantities in optimised_award.contract_parts(session, optimised, lot):
        for line_id, quantity in quantities.items():
            line = lines.get(line_id)
            if line is None or line.lot_item_id not in prices:
                continue
            unit = prices[line.lot_item_id].quantize(Decimal("0.01"))
            rows.append({"lot": lot.number, "item": items[line.lot_item_id], "supplier": names.get(opened.supplier_id, "?"),
                         "quantity": quantity, "unit_price": unit, "cost": (unit * quantity).quantize(Decimal("0.01")),
                         "baseline": (line.baseline_unit_price * quantity).quantize(Decimal("0.01"))})
    return rows
