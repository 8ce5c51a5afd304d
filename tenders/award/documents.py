"""The award pack, asked for when the award decision is published: per lot, an award decision
notice for every party to the tender and an evaluation report for the agency alone; an
assessment summary letter per bidder, an order summary per organisation, and (once contracts
are entered) the contract award notice. The pack's job asks for one job per
document, so workers share them; each document is made once per (kind, subject, version):
running any of these jobs again leaves the same documents."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from procurement.core.clock import now
from procurement.core.access import SystemActor
from procurement.core.jobrecords import Job, Kind, Progress, request_job
from procurement.core.jobs import JobOptions
from procurement.core import documents
from procurement.core.documents import Document
from procurement.core.pdf import render_pdf
from procurement.parties.models import Organisation
from suppliers.models import Supplier
from tenders.award import record
from tenders.award import evaluation
from tenders.award import scoring
from tenders.models import Contract, LineStatus, Lot, LotLine, OpenedBid, Tender, TenderParticipant

PACK_JOB = JobOptions(timeout=1800, retries=3, retry_intervals=(5, 30, 120), failure_ttl=7 * 24 * 3600)


def make_award_pack(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """Ask for one job per document of the pack, so that any number of workers share the
    work; each document job is idempotent, and asking again asks only for what is missing."""
    tender = session.get(Tender, job.subject_id)
    assert tender is not None
    if evaluation.standstill_of(session, tender) is None:
        raise ValueError(f"{tender.reference} has no published award decision")
    evaluation.take_part(session, tender)  # tenders decided before participants were recorded
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
    participants = dict(session.execute(select(TenderParticipant.organisation_id, TenderParticipant.id)
                                        .where(TenderParticipant.tender_id == tender.id)).all())
    awarded = record.lot_awards(session, tender, approved_only=True)
    wanted = [("award_notice", lot.id) for lot in tender.lots if lot.id in awarded]  # a lot left unawarded has none
    wanted += [("evaluation_report", lot.id) for lot in tender.lots if lot.id in awarded]
    wanted += [("assessment_letter", opened_id) for opened_id in opened]
    wanted += [("order_summary", participants[org_id]) for org_id in organisation_ids if org_id in participants]
    if session.scalar(select(Contract.id).where(Contract.lot_id.in_([l.id for l in tender.lots]))):
        wanted.append(("contract_award_notice", tender.id))
    return wanted


def _make_document(document_kind: str) -> Any:
    def handler(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
        existing = session.scalar(select(Document.id).where(Document.kind == document_kind,
                                                            Document.subject_type == SUBJECT_TYPES[document_kind],
                                                            Document.subject_id == job.subject_id))
        if existing is not None:  # made already (a job run twice): nothing to do
            return {"document": existing, "made": False}
        document = make_document(session, document_kind, job.subject_id, job_id=job.id)
        return {"document": document.id, "made": True, "sha256": document.sha256}

    return handler


def make_document(session: Session, document_kind: str, subject_id: int, job_id: int | None = None) -> Document:
    """Render the document as the records stand and keep it (a document made before is
    replaced in its row: a new file and digest)."""
    tender, subject = _subject_of(session, document_kind, subject_id)
    standstill = evaluation.standstill_of(session, tender)
    title, html, audience = _render(session, tender, standstill, document_kind, subject)
    data = render_pdf(html, title=title, created=now())
    return documents.save(session, kind=document_kind, subject_type=SUBJECT_TYPES[document_kind], subject_id=subject_id,
                          title=title, file_name=file_name(session, tender, document_kind, subject),
                          data=data, job_id=job_id, tender_id=tender.id, **audience)


def remake_award_notices(session: Session, actor: Any) -> list[str]:
    """Award decision notices made before issue 18 gave every party each bidder's total, each
    organisation's quantities and the winner's price score, and bidders' letters the lots'
    lowest prices added up: make each again in its row (a new
    file and digest), and ask each tender's pack for what it now holds (the agency's
    evaluation reports). Running it again makes the same notices and asks for nothing new."""
    remade, tenders = [], set()
    # The bidders' letters too: each carries the award's relative advantages, which an adopted
    # optimised award wrote with the lots' lowest prices added up (migration 0019 takes it out).
    for document in session.scalars(select(Document).where(Document.kind.in_(["award_notice", "assessment_letter"]))
                                    .order_by(Document.id)):
        make_document(session, document.kind, document.subject_id, document.job_id)
        remade.append(document.title)
        tenders.add(document.tender_id)
    for tender_id in sorted(t for t in tenders if t is not None):
        if any(session.scalar(select(Document.id).where(Document.kind == kind, Document.subject_type == SUBJECT_TYPES[kind],
                                                        Document.subject_id == subject)) is None
               for kind, subject in pack_contents(session, session.get(Tender, tender_id))):
            request_job(session, actor, "award_pack", "tender", tender_id)
    return remade


def file_name(session: Session, tender: Tender, document_kind: str, subject: Any) -> str:
    """A name its reader recognises: LC-2026-0001-award-notice-lot-1.pdf, ...-assessment-summary-thames-digital-hardware-ltd.pdf."""
    import re

    def slug(text: str) -> str:
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]

    if document_kind in ("award_notice", "evaluation_report"):
        return f"{tender.reference}-{document_kind.replace('_', '-')}-lot-{subject.number}.pdf"
    if document_kind == "assessment_letter":
        supplier = session.get(Supplier, subject.supplier_id)
        return f"{tender.reference}-assessment-summary-{slug(supplier.legal_name if supplier else str(subject.id))}.pdf"
    if document_kind == "order_summary":
        return f"{tender.reference}-order-summary-{slug(subject.name)}.pdf"
    return f"{tender.reference}-{document_kind.replace('_', '-')}.pdf"


def _subject_of(session: Session, document_kind: str, subject_id: int) -> tuple[Tender, Any]:
    if SUBJECT_TYPES[document_kind] == "lot":
        lot = session.get(Lot, subject_id)
        return lot.tender, lot
    if document_kind == "assessment_letter":
        opened = session.get(OpenedBid, subject_id)
        return session.get(Tender, opened.tender_id), opened
    if document_kind == "order_summary":
        participant = session.get(TenderParticipant, subject_id)
        return participant.tender, participant.organisation
    tender = session.get(Tender, subject_id)
    return tender, tender


_PACK = SystemActor("award pack")
DOCUMENT_JOB = JobOptions(timeout=600, retries=3, retry_intervals=(5, 30, 120), failure_ttl=7 * 24 * 3600)
JOB_KINDS = [Kind("award_pack", "Award pack", make_award_pack, PACK_JOB)] + [
    Kind(name, title, _make_document(name), DOCUMENT_JOB)
    for name, title in (("award_notice", "Award decision notice"), ("evaluation_report", "Evaluation report"),
                        ("assessment_letter", "Assessment summary letter"),
                        ("order_summary", "Order summary"), ("contract_award_notice", "Contract award notice"))]


SUBJECT_TYPES = {"award_notice": "lot", "evaluation_report": "lot", "assessment_letter": "opened_bid", "order_summary": "tender_participant",
                 "contract_award_notice": "tender"}



def _render(session: Session, tender: Tender, standstill: Any, document_kind: str, subject: Any) -> tuple[str, str, dict[str, Any]]:
    common = {"tender": tender, "standstill": standstill, "produced": now()}
    if document_kind == "award_notice":
        # For every party: the award, its value, bid counts and standstill; no competitor's price,
        # no organisation's quantities (each reads its own in its letter or order summary).
        lot = subject
        title = f"Award decision notice: {tender.reference} lot {lot.number}"
        html = render_template("tenders/pdf/award_notice.html", title=title, reference=f"{tender.reference} / lot {lot.number}",
                               award=record.lot_awards(session, tender)[lot.id], lot=lot,
                               organisations=_organisation_names(session, lot),
                               formula=scoring.FORMULAS[tender.price_formula], **common)
        return title, html, {"audience_parties": True}
    if document_kind == "evaluation_report":
        lot = subject
        award = record.lot_awards(session, tender)[lot.id]
        title = f"Evaluation report: {tender.reference} lot {lot.number}"
        html = render_template("tenders/pdf/evaluation_report.html", title=title, reference=f"{tender.reference} / lot {lot.number}",
                               award=award, optimised=award.optimised, lot=lot, organisations=_organisation_names(session, lot),
                               formula=scoring.FORMULAS[tender.price_formula],
                               items={i.id: i.description for i in lot.items},
                               lines=session.scalars(select(LotLine).options(joinedload(LotLine.organisation))
                                                     .where(LotLine.lot_id == lot.id, LotLine.status == LineStatus.confirmed)
                                                     .order_by(LotLine.id)).all(), **common)
        return title, html, {}  # no audience: the agency's alone
    if document_kind == "assessment_letter":
        opened = subject
        supplier = session.get(Supplier, opened.supplier_id)
        results = evaluation.summary_for(session, tender, opened)
        title = f"Assessment summary: {tender.reference}, {supplier.legal_name}"
        html = render_template("tenders/pdf/assessment_letter.html", title=title, reference=tender.reference,
                               supplier_name=supplier.legal_name, results=results, **common)
        return title, html, {"audience_supplier_id": opened.supplier_id}
    if document_kind == "order_summary":
        organisation = subject
        rows = order_rows(session, tender, organisation.id)
        cost, baseline = sum((r.cost for r in rows), Decimal(0)), sum((r.baseline for r in rows), Decimal(0))
        optimised = record.adopted(session, tender)
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
    return title, html, {"audience_parties": True}


def _organisation_names(session: Session, lot: Lot) -> list[str]:
    return list(session.scalars(select(Organisation.name).distinct()
                                .join(LotLine, LotLine.organisation_id == Organisation.id)
                                .where(LotLine.lot_id == lot.id, LotLine.status == LineStatus.confirmed)
                                .order_by(Organisation.name)))


@dataclass(frozen=True)
class OrderRow:
    """A line of an organisation's order summary: the award record's lines for one item and supplier."""

    lot: int
    item: str
    supplier: str
    quantity: Decimal
    unit_price: Decimal
    cost: Decimal
    baseline: Decimal

    @property
    def saving(self) -> Decimal:
        return self.baseline - self.cost


def order_rows(session: Session, tender: Tender, organisation_id: int) -> list[OrderRow]:
    """What the organisation buys under the recorded award: the same lines its orders will hold."""
    names = dict(session.execute(select(Supplier.id, Supplier.legal_name)).all())
    lots = {l.id: l for l in tender.lots}
    grouped: dict[tuple[int, int, int, Decimal], list[record.OrderLine]] = defaultdict(list)
    for line in record.tender_lines(session, tender, organisation_id):
        grouped[(lots[line.lot_id].number, line.lot_item_id, line.supplier_id, line.unit_price)].append(line)
    items = {i.id: i.description for l in tender.lots for i in l.items}
    return [OrderRow(lot, items[item], names.get(supplier, "?"), sum((l.quantity for l in found), Decimal(0)), unit,
                     sum((l.cost for l in found), Decimal(0)), sum((l.baseline for l in found), Decimal(0)))
            for (lot, item, supplier, unit), found in sorted(grouped.items(), key=lambda kv: kv[0][:2])]
