"""Reading stored documents with their access checks, and naming jobs' subjects for the
jobs page: a face that reads across the domains."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueImport
from demand.models import RequirementUpload
from procurement.core.access import Actor
from procurement.core.documents import Document
from procurement.core.errors import NotFound
from procurement.parties.models import Organisation
from suppliers.models import Supplier
from tenders.lifecycle import may_read_document
from tenders.models import Lot, OpenedBid, Tender, TenderParticipant


def get_document(session: Session, actor: Actor, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or not may_read_document(session, actor, document):
        raise NotFound("No such document")
    return document


def job_subjects(session: Session, jobs: list[Any]) -> dict[int, str]:
    """What each job is about, in words (a tender's reference, a bidder's name...), for the jobs page."""
    def ids(kind: str) -> set[int]:
        return {j.subject_id for j in jobs if j.subject_type == kind}

    tenders = dict(session.execute(select(Tender.id, Tender.reference)).all()) if jobs else {}
    lots = {i: f"{tenders.get(t, '?')} lot {n}" for i, t, n in session.execute(
        select(Lot.id, Lot.tender_id, Lot.number).where(Lot.id.in_(ids("lot"))))}
    bids = {i: f"{name}'s tender for {tenders.get(t, '?')}" for i, t, name in session.execute(
        select(OpenedBid.id, OpenedBid.tender_id, Supplier.legal_name).join(Supplier, Supplier.id == OpenedBid.supplier_id)
        .where(OpenedBid.id.in_(ids("opened_bid"))))}
    participants = {i: f"{name}, {tenders.get(t, '?')}" for i, t, name in session.execute(
        select(TenderParticipant.id, TenderParticipant.tender_id, Organisation.name)
        .join(Organisation, Organisation.id == TenderParticipant.organisation_id)
        .where(TenderParticipant.id.in_(ids("tender_participant"))))}
    imports = {i: f"{supplier}'s catalogue file {filename}" for i, filename, supplier in session.execute(
        select(CatalogueImport.id, CatalogueImport.filename, Supplier.legal_name)
        .join(Supplier, Supplier.id == CatalogueImport.supplier_id).where(CatalogueImport.id.in_(ids("catalogue_import"))))}
    uploads = {i: f"{organisation}'s requirements file {filename}" for i, filename, organisation in session.execute(
        select(RequirementUpload.id, RequirementUpload.filename, Organisation.name)
        .join(Organisation, Organisation.id == RequirementUpload.organisation_id)
        .where(RequirementUpload.id.in_(ids("requirement_upload"))))}
    out = {}
    for job in jobs:
        if job.subject_type == "tender":
            out[job.id] = tenders.get(job.subject_id, "a tender")
        elif job.subject_type == "lot":
            out[job.id] = lots.get(job.subject_id, "a lot")
        elif job.subject_type == "opened_bid":
            out[job.id] = bids.get(job.subject_id, "a tender")
        elif job.subject_type == "tender_participant":
            out[job.id] = participants.get(job.subject_id, "an organisation")
        elif job.subject_type == "catalogue_import":
            out[job.id] = imports.get(job.subject_id, "a catalogue import")
        elif job.subject_type == "requirement_upload":
            out[job.id] = uploads.get(job.subject_id, "a requirements upload")
        elif job.subject_type == "report_request":
            out[job.id] = f"savings report request {job.subject_id}"
        else:
            out[job.id] = job.subject_type.replace("_", " ")
    return out
