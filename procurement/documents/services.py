"""Saving documents once per (kind, subject, version), and reading them with access checks."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.errors import NotFound
from procurement.documents.models import Document
from procurement.documents.storage import FileStorage


def storage() -> FileStorage:
    return FileStorage(Path(current_app.instance_path) / "documents")


def save(session: Session, *, kind: str, subject_type: str, subject_id: int, version: int = 1, title: str,
         file_name: str, data: bytes, job_id: int | None = None, **audience: Any) -> Document:
    """Keep one document per (kind, subject, version): a second run replaces the file and
    keeps the one row."""
    stored_path, digest = storage().put(f"{kind}/{subject_type}-{subject_id}-v{version}-{file_name}", data)
    document = session.scalar(select(Document).where(Document.kind == kind, Document.subject_type == subject_type,
                                                     Document.subject_id == subject_id, Document.version == version))
    if document is None:
        document = Document(kind=kind, subject_type=subject_type, subject_id=subject_id, version=version)
        session.add(document)
    document.title, document.file_name, document.stored_path = title[:300], file_name, stored_path
    document.size, document.sha256, document.job_id = len(data), digest, job_id
    for name, value in audience.items():
        setattr(document, name, value)
    session.flush()
    return document


def may_read(session: Session, actor: Any, document: Document) -> bool:
    if access.has_role(actor, access.AGENCY):
        return True
    if document.audience_supplier_id and access.can_bid_for(actor, document.audience_supplier_id):
        return True
    if document.audience_organisation_id and access.can_act_for_organisation(actor, document.audience_organisation_id):
        return True
    if document.audience_public and document.tender_id:
        from tenders.lifecycle import can_see
        from tenders.models import Tender

        tender = session.get(Tender, document.tender_id)
        return bool(tender and can_see(session, actor, tender))
    return False


def get_document(session: Session, actor: Any, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or not may_read(session, actor, document):
        raise NotFound("No such document")
    return document


def readable(session: Session, actor: Any, tender_id: int) -> list[Document]:
    found = session.scalars(select(Document).where(Document.tender_id == tender_id).order_by(Document.kind, Document.id))
    return [d for d in found if may_read(session, actor, d)]


def job_subjects(session: Session, jobs: list[Any]) -> dict[int, str]:
    """What each job is about, in words (a tender's reference, a bidder's name...), for the jobs page."""
    from procurement.models import Organisation
    from suppliers.models import Supplier
    from tenders.models import Lot, OpenedBid, Tender

    def ids(kind: str) -> set[int]:
        return {j.subject_id for j in jobs if j.subject_type == kind}

    tenders = dict(session.execute(select(Tender.id, Tender.reference)).all()) if jobs else {}
    lots = {i: f"{tenders.get(t, '?')} lot {n}" for i, t, n in session.execute(
        select(Lot.id, Lot.tender_id, Lot.number).where(Lot.id.in_(ids("lot"))))}
    bids = {i: f"{name}'s tender for {tenders.get(t, '?')}" for i, t, name in session.execute(
        select(OpenedBid.id, OpenedBid.tender_id, Supplier.legal_name).join(Supplier, Supplier.id == OpenedBid.supplier_id)
        .where(OpenedBid.id.in_(ids("opened_bid"))))}
    # An order summary's subject holds the tender and the organisation (tender id x 1,000,000 + organisation id).
    keyed = {j.subject_id: divmod(j.subject_id, 1_000_000) for j in jobs if j.subject_type == "organisation"}
    organisations = dict(session.execute(select(Organisation.id, Organisation.name)
                                         .where(Organisation.id.in_({o for _, o in keyed.values()}))).all())
    out = {}
    for job in jobs:
        if job.subject_type == "tender":
            out[job.id] = tenders.get(job.subject_id, "a tender")
        elif job.subject_type == "lot":
            out[job.id] = lots.get(job.subject_id, "a lot")
        elif job.subject_type == "opened_bid":
            out[job.id] = bids.get(job.subject_id, "a tender")
        elif job.subject_type == "organisation":
            tender_id, organisation_id = keyed[job.subject_id]
            out[job.id] = f"{organisations.get(organisation_id, 'an organisation')}, {tenders.get(tender_id, '?')}"
        elif job.subject_type == "report_request":
            out[job.id] = f"savings report request {job.subject_id}"
        else:
            out[job.id] = job.subject_type.replace("_", " ")
    return out
