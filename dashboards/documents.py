"""Reading stored documents with their access checks, and naming jobs' subjects for the
jobs page: a face that reads across the domains."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import url_for
from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session

from catalogue.models import CatalogueImport
from demand.models import RequirementUpload
from dashboards import plain_words
from dashboards.plain_words import Sentence, quoted
from procurement.core import access
from procurement.core.access import Actor
from procurement.core.jobrecords import KINDS, Job
from procurement.core.documents import Document
from procurement.core.clock import london_moment
from procurement.core.errors import NotFound
from procurement.core.filenames import keepable_name
from procurement.notifications.models import OutgoingEmail
from procurement.parties.models import Organisation, User
from suppliers.models import Supplier
from tenders.lifecycle import may_read_document
from tenders.permissions import can_see_tender
from tenders.models import Lot, OpenedBid, Tender, TenderParticipant


def get_document(session: Session, actor: Actor, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None or not may_read_document(session, actor, document):
        raise NotFound("No such document")
    return document


@dataclass(frozen=True)
class NamedDocument:
    """A document as a reader meets it: its name, what it is about, and the file name it downloads as."""

    document: Document
    name: str
    subject: str
    file_name: str


KIND_NAMES = {"award_notice": "Award decision notice", "evaluation_report": "Evaluation report",
              "assessment_letter": "Assessment summary", "order_summary": "Order summary",
              "contract_award_notice": "Contract award notice", "savings_report": "Savings report"}


def name_documents(session: Session, found: list[Document]) -> list[NamedDocument]:
    """Each document's name, subject and keepable file name ('Award decision notice - Laptops for
    schools - lot 1 - LC-2026-0001.pdf'), from the records it is about."""
    return [name_document(session, d) for d in found]


def name_document(session: Session, document: Document) -> NamedDocument:
    kind = KIND_NAMES.get(document.kind)
    tender = session.get(Tender, document.tender_id) if document.tender_id else None
    if kind is None or tender is None or document.kind == "savings_report":
        made = f"{document.created_at.day} {document.created_at:%B %Y}" if document.created_at else ""
        return NamedDocument(document, document.title, "", keepable_name([document.title, made]))
    part, subject = "", f"{quoted(tender.title)} ({tender.reference})"
    if document.subject_type == "lot":
        lot = session.get(Lot, document.subject_id)
        part = f"lot {lot.number}" if lot else ""
        subject = f"Lot {lot.number} of {subject}" if lot else subject
    elif document.subject_type == "opened_bid":
        opened = session.get(OpenedBid, document.subject_id)
        supplier = session.get(Supplier, opened.supplier_id) if opened else None
        part = supplier.legal_name if supplier else ""
        subject = f"To {part}, for {subject}" if part else subject
    elif document.subject_type == "tender_participant":
        participant = session.get(TenderParticipant, document.subject_id)
        organisation = session.get(Organisation, participant.organisation_id) if participant else None
        part = organisation.name if organisation else ""
        subject = f"For {part}, in {subject}" if part else subject
    name = " - ".join(p for p in (kind, tender.title, part) if p)
    return NamedDocument(document, name, subject, keepable_name([kind, tender.title, part, tender.reference]))


@dataclass
class JobEntry:
    job: Job
    sentence: Sentence
    link: str | None
    who: str
    story: list[str]
    progress: str
    document: Document | None


JOBS_PAGE_SIZE = 50
SERVICE = "service"


@dataclass(frozen=True)
class JobFilter:
    who: str = ""              # a user's id or SERVICE; "" for anyone
    what: str = ""             # a job kind (plain_words.job_what_choices)
    start: date | None = None  # London days, both ends included
    end: date | None = None


def job_who_choices(session: Session) -> list[tuple[str, str]]:
    """The people who asked for jobs, by name, and the service."""
    people = session.execute(select(User.id, User.full_name, User.email)
                             .where(User.id.in_(select(Job.requested_by_id).distinct()))
                             .order_by(User.full_name, User.email)).all()
    return ([("", "Anyone")] + [(str(i), f"{name}, {email}") for i, name, email in people]
            + [(SERVICE, "The service (jobs it asked for itself)")])


def job_page(session: Session, wanted: JobFilter, page: int) -> tuple[list[Job], int]:
    """One page of jobs, newest first, filtered in the database, and how many match in all."""
    parts: list[Any] = []
    if wanted.who == SERVICE:
        parts.append(Job.requested_by_id.is_(None))
    elif wanted.who:
        parts.append(Job.requested_by_id == int(wanted.who))
    if wanted.what:
        parts.append(Job.kind == wanted.what)
    if wanted.start:
        parts.append(Job.created_at >= london_moment(wanted.start, "00:00"))
    if wanted.end:
        parts.append(Job.created_at < london_moment(wanted.end + timedelta(days=1), "00:00"))
    condition = and_(*parts) if parts else true()
    total = session.scalar(select(func.count()).select_from(Job).where(condition)) or 0
    found = list(session.scalars(select(Job).where(condition).order_by(Job.id.desc())
                                 .limit(JOBS_PAGE_SIZE).offset((page - 1) * JOBS_PAGE_SIZE)))
    return found, total


def job_entries(session: Session, viewer: Actor, jobs: list[Job]) -> list[JobEntry]:
    """Each job as a sentence about what it makes or does, linked to its subject, with what
    happened to it (retries, a stopped worker, why it failed) in words."""
    subjects = job_subjects(session, viewer, jobs)
    names = dict(session.execute(select(User.id, User.full_name).where(
        User.id.in_({j.requested_by_id for j in jobs if j.requested_by_id}))).all())
    made = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(
        {j.result.get("document") for j in jobs if isinstance(j.result, dict) and isinstance(j.result.get("document"), int)})))}
    out = []
    for job in jobs:
        words, link = subjects[job.id]
        status = job.status.value
        kind = KINDS.get(job.kind)
        document = made.get(job.result.get("document")) if isinstance(job.result, dict) else None
        if document is not None and not may_read_document(session, viewer, document):
            document = None
        out.append(JobEntry(job=job, sentence=plain_words.job_sentence(job.kind, status, words, kind.title if kind else ""),
                            link=link, who=plain_words.who_mid_sentence(
                                plain_words.who_words(job.requested_by_label, names.get(job.requested_by_id))),
                            story=plain_words.job_story(job.attempts, job.progress_note, job.error),
                            progress=plain_words.progress_words(status, job.progress, job.progress_note), document=document))
    return out


def job_subjects(session: Session, viewer: Actor, jobs: list[Any]) -> dict[int, tuple[str, str | None]]:
    """What each job is about, in words, and its page where the viewer may open it."""
    def ids(kind: str) -> set[int]:
        return {j.subject_id for j in jobs if j.subject_type == kind}

    tenders: dict[int, Tender] = {t.id: t for t in session.scalars(select(Tender).where(Tender.id.in_(
        ids("tender") | set(session.scalars(select(Lot.tender_id).where(Lot.id.in_(ids("lot")))))
        | set(session.scalars(select(OpenedBid.tender_id).where(OpenedBid.id.in_(ids("opened_bid")))))
        | set(session.scalars(select(TenderParticipant.tender_id).where(TenderParticipant.id.in_(ids("tender_participant")))))
    )))} if jobs else {}

    def tender_words(tender_id: int) -> tuple[str, str | None]:
        tender = tenders.get(tender_id)
        if tender is None:
            return "a tender no longer kept", None
        link = url_for("tenders.tender", tender_id=tender.id) if can_see_tender(session, viewer, tender) else None
        return f"{quoted(tender.title)} ({tender.reference})", link

    def within(tender_id: int, before: str, joiner: str) -> tuple[str, str | None]:
        words, link = tender_words(tender_id)
        return f"{before} {joiner} {words}", link

    lots = {i: within(t, f"lot {n}", "of") for i, t, n in session.execute(
        select(Lot.id, Lot.tender_id, Lot.number).where(Lot.id.in_(ids("lot"))))}
    bids = {i: within(t, name, "for") for i, t, name in session.execute(
        select(OpenedBid.id, OpenedBid.tender_id, Supplier.legal_name).join(Supplier, Supplier.id == OpenedBid.supplier_id)
        .where(OpenedBid.id.in_(ids("opened_bid"))))}
    participants = {i: within(t, name, "in") for i, t, name in session.execute(
        select(TenderParticipant.id, TenderParticipant.tender_id, Organisation.name)
        .join(Organisation, Organisation.id == TenderParticipant.organisation_id)
        .where(TenderParticipant.id.in_(ids("tender_participant"))))}
    may_import = access.has_role(viewer, access.AGENCY)
    imports = {i: (f"{supplier}'s catalogue file {filename}",
                   url_for("catalogue.import_status", import_id=i) if may_import else None)
               for i, filename, supplier in session.execute(
        select(CatalogueImport.id, CatalogueImport.filename, Supplier.legal_name)
        .join(Supplier, Supplier.id == CatalogueImport.supplier_id).where(CatalogueImport.id.in_(ids("catalogue_import"))))}
    uploads = {i: (f"{organisation}'s requirements file {filename}",
                   url_for("demand.upload_report", upload_id=i) if may_import else None)
               for i, filename, organisation in session.execute(
        select(RequirementUpload.id, RequirementUpload.filename, Organisation.name)
        .join(Organisation, Organisation.id == RequirementUpload.organisation_id)
        .where(RequirementUpload.id.in_(ids("requirement_upload"))))}
    reports = {subject: quoted(title) for subject, title in session.execute(
        select(Document.subject_id, Document.title).where(Document.kind == "savings_report",
                                                          Document.subject_id.in_(ids("report_request"))))}
    emails = {i: (quoted(subject), None) for i, subject in session.execute(
        select(OutgoingEmail.id, OutgoingEmail.subject).where(OutgoingEmail.id.in_(ids("outgoing_email"))))}
    out: dict[int, tuple[str, str | None]] = {}
    for job in jobs:
        key = job.subject_id
        if job.subject_type == "tender":
            out[job.id] = tender_words(key)
        elif job.subject_type == "lot":
            out[job.id] = lots.get(key, ("a lot no longer kept", None))
        elif job.subject_type == "opened_bid":
            out[job.id] = bids.get(key, ("a bidder no longer kept", None))
        elif job.subject_type == "tender_participant":
            out[job.id] = participants.get(key, ("an organisation no longer kept", None))
        elif job.subject_type == "catalogue_import":
            out[job.id] = imports.get(key, ("a catalogue file no longer kept", None))
        elif job.subject_type == "requirement_upload":
            out[job.id] = uploads.get(key, ("a requirements file no longer kept", None))
        elif job.subject_type == "outgoing_email":
            out[job.id] = emails.get(key, ("no longer kept", None))
        elif job.subject_type == "report_request":
            out[job.id] = (reports.get(key) or f"asked for by {plain_words.who_mid_sentence(plain_words.who_words(job.requested_by_label))}", None)
        else:
            out[job.id] = ("", None)
    return out


def job_technical(job: Job) -> list[tuple[str, str]]:
    """The job row as stored, for the details disclosure."""
    return [("Job number", str(job.id)), ("Kind as recorded", job.kind),
            ("Subject as recorded", f"{job.subject_type} {job.subject_id}"), ("State as recorded", job.status.value),
            ("Attempts", str(job.attempts)), ("Progress", f"{job.progress}% {job.progress_note}".strip()),
            ("Run by", job.runner or "–"), ("Asked for by", job.requested_by_label or "–"),
            ("Error as recorded", job.error or "–"), ("Result", plain_words.details_text(job.result or {}) or "–")]
