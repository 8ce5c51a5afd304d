"""The notices' lifecycle: draft -> submitted -> published (the platform's notice id, time and
link) or rejected (its reasons; corrected and submitted again); withdrawn before publication.

A notice is made from a tender's acts (tender.published: UK4; tender.decision_published: UK6;
tender.awarded: UK7; tender.cancelled after publication: UK12), in the same transaction, through
the audit log's `event_recorded` signal (tenders know nothing of notices), or by agency staff
(UK1 pipeline, UK2 preliminary market engagement). A body failing the UK profile's schema is
never submitted. Submitting hands the notice to a background job once the transaction commits;
the job sends it under the notice's idempotency key (the same on every retry of that submission)
and a scheduled task asks after every submitted notice until it is published or rejected. With
no Find a Tender API key the notice is published on this service only, at once, and says so.

What publication changes is the tenders' own: the UK4's publication starts the tendering period
and opens the box to bids (tenders.lifecycle.tender_notice_published); the UK6's starts
standstill (tenders.award.evaluation.award_notice_published)."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.uk_notices import bodies
from opendata.uk_notices.models import NoticeKind, NoticeState, UkNotice
from procurement.core import access
from procurement.core.access import Actor
from procurement.core.audit import AuditEvent, record_event
from procurement.core.clock import now, to_london
from procurement.core.db import on_postgresql
from procurement.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from procurement.core.find_a_tender import FindATender, Outcome, PlatformError, client_for
from procurement.core.jobrecords import request_job
from procurement.parties.models import Organisation
from tenders import lifecycle
from tenders.award import evaluation
from tenders.models import Contract, Lot, Tender, TenderStatus

SEND_JOB = "uk_notice_send"
CONTRACT_DETAILS_DAYS = 30           # a UK7 within 30 days of entering the contract (s.53)
CONTRACT_COPY_OVER = Decimal("5000000")  # above £5m, a copy of the contract goes with the UK7
PIPELINE_SPEND_OVER = Decimal("100000000")  # authorities spending over £100m a year publish a UK1 (s.93)
PIPELINE_CONTRACTS_OVER = Decimal("2000000")
SERVICE_ONLY = "Published on this service only: no Find a Tender API key is configured"
NOTICES = access.SystemActor("notices")
EDITABLE = (NoticeState.draft, NoticeState.rejected)


def can_manage_notices(user: Any) -> bool:
    """Agency staff run the notices, as they run the tenders."""
    return access.can_manage_tenders(user)


def _require(actor: Actor) -> None:
    if not can_manage_notices(actor):
        raise PermissionDenied("Only agency staff manage the Procurement Act notices")


def platform() -> FindATender | None:
    return client_for(current_app.config)


def platform_configured() -> bool:
    return bool(current_app.config.get("FIND_A_TENDER_API_KEY"))


def _url(notice: UkNotice) -> str:
    """Where the public reads the notice on this service: its tender's notice page."""
    base = current_app.config["SERVICE_URL"]
    if notice.tender_id is None:
        return f"{base}/notices"
    from opendata import ocds

    return f"{base}/notices/{ocds.ocid(_prefix(), notice.tender_id)}"


def _prefix() -> str:
    return current_app.config["OCDS_OCID_PREFIX"]


# Making and reading ---------------------------------------------------------------------

def get_notice(session: Session, actor: Actor, notice_id: int, *, lock: bool = False) -> UkNotice:
    _require(actor)
    notice = session.get(UkNotice, notice_id, with_for_update=lock and on_postgresql(session), populate_existing=lock)
    if notice is None:
        raise NotFound("No such notice")
    return notice


@dataclass(frozen=True)
class NoticeFilter:
    kind: str = ""
    state: str = ""
    tender_id: int | None = None


def list_notices(session: Session, actor: Actor, wanted: NoticeFilter = NoticeFilter()) -> list[UkNotice]:
    _require(actor)
    query = select(UkNotice).order_by(UkNotice.created_at.desc(), UkNotice.id.desc())
    if wanted.kind:
        query = query.where(UkNotice.kind == NoticeKind(wanted.kind))
    if wanted.state:
        query = query.where(UkNotice.state == NoticeState(wanted.state))
    if wanted.tender_id is not None:
        query = query.where(UkNotice.tender_id == wanted.tender_id)
    return list(session.scalars(query.limit(500)))


def notices_of_tender(session: Session, tender_id: int) -> list[UkNotice]:
    return list(session.scalars(select(UkNotice).where(UkNotice.tender_id == tender_id).order_by(UkNotice.id)))


def published_on_platform(session: Session, tender_id: int) -> list[UkNotice]:
    """A tender's notices as the public reads them: published, with where."""
    return [n for n in notices_of_tender(session, tender_id) if n.state is NoticeState.published]


def overdue_contract_details(session: Session, on: date) -> list[UkNotice]:
    """Contract details notices past their due day and not yet published (the agency's dashboard)."""
    return list(session.scalars(select(UkNotice).where(
        UkNotice.kind == NoticeKind.UK7, UkNotice.due_on < on,
        UkNotice.state.in_([NoticeState.draft, NoticeState.submitted, NoticeState.rejected])).order_by(UkNotice.due_on)))


def history(session: Session, notice: UkNotice) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == UkNotice.__tablename__, AuditEvent.subject_id == str(notice.id)).order_by(AuditEvent.seq)))


def _new(session: Session, actor: Actor, kind: NoticeKind, title: str, *, tender: Tender | None = None,
         organisation: Organisation | None = None, due_on: date | None = None) -> UkNotice:
    notice = UkNotice(kind=kind, title=title[:300], tender_id=tender.id if tender else None,
                      organisation_id=organisation.id if organisation else None, body={},
                      idempotency_key=uuid.uuid4().hex, created_by_label=access.actor_label(actor), due_on=due_on)
    session.add(notice)
    session.flush()
    refresh_body(session, notice)
    record_event(session, actor, "notice.created", subject=notice, details={"kind": kind.value, "tender_id": notice.tender_id})
    return notice


def refresh_body(session: Session, notice: UkNotice) -> dict[str, Any]:
    """Draw the body again from what the tender (or the pipeline) now says."""
    at = now()
    if notice.kind is NoticeKind.UK1:
        organisation = session.get(Organisation, notice.organisation_id)
        assert organisation is not None
        notice.body = bodies.pipeline_body(organisation, planned_contracts(session, organisation), notice.id, _prefix(), at,
                                           _url(notice))
    else:
        tender = session.get(Tender, notice.tender_id)
        assert tender is not None
        copy = None
        if notice.contract_copy_path:
            copy = {"documentType": bodies.CONTRACT_COPY_TYPE, "title": f"Copy of the contract: {notice.contract_copy_name}",
                    "url": f"{current_app.config['SERVICE_URL']}/notices/contract-copies/{notice.id}", "format": "application/pdf", "language": "en",
                    "datePublished": None}
            copy = {k: v for k, v in copy.items() if v is not None}
        notice.body = bodies.tender_body(session, tender, notice.kind, notice.id, _prefix(), at, _url(notice),
                                         contract_copy=copy)
    return notice.body


def problems(notice: UkNotice) -> list[dict[str, str]]:
    return bodies.problems_by_field(notice.body)


def needs_contract_copy(session: Session, notice: UkNotice) -> bool:
    """A contract details notice for a contract above £5m carries a copy of the contract."""
    if notice.kind is not NoticeKind.UK7 or notice.tender_id is None:
        return False
    values = session.scalars(select(Contract.value).join(Lot, Lot.id == Contract.lot_id).where(Lot.tender_id == notice.tender_id))
    return any(v > CONTRACT_COPY_OVER for v in values)


# Submitting ------------------------------------------------------------------------------

def submit(session: Session, actor: Actor, notice: UkNotice) -> UkNotice:
    """Submit a draft (or a corrected rejected) notice: its body drawn afresh and checked against
    the UK profile first; never submitted with a problem. A fresh idempotency key for a new
    submission after a rejection (the platform answers a key it has seen with its first answer)."""
    if notice.state not in EDITABLE:
        raise Conflict(f"A {notice.state.value} notice cannot be submitted")
    refresh_body(session, notice)
    found = problems(notice)
    if found:
        raise InvalidInput(f"The {notice.kind.value} does not meet the UK profile of OCDS: nothing was submitted",
                           field_errors={p["field"]: [p["message"]] for p in found})
    if needs_contract_copy(session, notice) and not notice.contract_copy_path:
        raise InvalidInput("A contract above £5m needs a copy of the contract with its contract details notice",
                           field_errors={"contract_copy": ["Upload a copy of the contract"]})
    if notice.state is NoticeState.rejected:
        notice.idempotency_key, notice.submission_id = uuid.uuid4().hex, ""
    notice.reasons, notice.last_error, notice.submitted_at = [], "", now()
    client = platform()
    if client is None:
        # On this service only, the notice is published with the act that made it: a tender
        # notice at the tender's own publication, so the period it starts is the one checked.
        tender = session.get(Tender, notice.tender_id) if notice.kind is NoticeKind.UK4 else None
        at = tender.published_at if tender is not None and tender.published_at is not None else now()
        _published(session, notice, at, "", "", service_only=True)
        return notice
    notice.state = NoticeState.submitted
    _awaiting(session, notice)
    session.flush()
    record_event(session, actor, "notice.submitted", subject=notice, details={"kind": notice.kind.value})
    request_job(session, actor, SEND_JOB, UkNotice.__tablename__, notice.id)
    return notice


def _awaiting(session: Session, notice: UkNotice) -> None:
    tender = session.get(Tender, notice.tender_id) if notice.tender_id else None
    if tender is None:
        return
    if notice.kind is NoticeKind.UK4:
        lifecycle.await_tender_notice(session, tender)
    elif notice.kind is NoticeKind.UK6:
        evaluation.await_award_notice(session, tender)


def _published(session: Session, notice: UkNotice, at: datetime, number: str, link: str, *, service_only: bool = False) -> None:
    notice.state, notice.published_at, notice.service_only = NoticeState.published, at, service_only
    notice.platform_notice_id, notice.platform_link = number[:60], link[:300]
    session.flush()
    record_event(session, NOTICES, "notice.published", subject=notice, details={
        "kind": notice.kind.value, "platform_notice_id": number or None, "service_only": service_only})
    tender = session.get(Tender, notice.tender_id) if notice.tender_id else None
    if tender is None:
        return
    if notice.kind is NoticeKind.UK4:
        problem = lifecycle.tender_notice_published(session, tender, at)
        notice.note = problem or ""
        # The tender's own release changed (its publication time): an act about the tender, so
        # the change feed, which follows tenders' acts, brings it round again.
        record_event(session, NOTICES, "tender.notice_published", subject=tender,
                     details={"notice_id": notice.id, "published_at": at.isoformat()})
    elif notice.kind is NoticeKind.UK6:
        standstill = evaluation.award_notice_published(session, tender, at)
        if standstill is not None:
            notice.note = (f"Standstill counted from {to_london(at):%-d %B %Y}, the day this notice was published: "
                           f"no contract before the end of {standstill.ends_on:%-d %B %Y}")


def send(session: Session, notice_id: int) -> dict[str, Any]:
    """The job: submit the notice if the platform has no submission of it yet, else ask where it
    stands. An answer that cannot be read, or none at all, leaves it submitted (recorded, and
    raised so the job is retried); the same key goes with every retry, so the platform makes
    one notice; and only a submitted notice is ever marked published, so it is published once."""
    notice = session.get(UkNotice, notice_id, with_for_update=on_postgresql(session), populate_existing=True)
    if notice is None or notice.state is not NoticeState.submitted:
        return {"notice": notice_id, "state": notice.state.value if notice else "missing"}
    client = platform()
    if client is None:
        return {"notice": notice_id, "state": "submitted", "note": "no Find a Tender API key configured"}
    notice.attempts += 1
    try:
        if notice.submission_id:
            outcome = client.info(notice.submission_id)
        else:
            outcome = client.submit(notice.idempotency_key, json.dumps(notice.body, sort_keys=True).encode())
    except PlatformError as error:
        notice.last_error = str(error)[:2000]
        record_event(session, NOTICES, "notice.send_failed", subject=notice, details={"error": str(error)[:300]})
        session.commit()  # keep what happened; the job is retried with the same key
        raise
    apply_outcome(session, notice, outcome)
    return {"notice": notice_id, "state": notice.state.value, "submission_id": notice.submission_id}


def apply_outcome(session: Session, notice: UkNotice, outcome: Outcome) -> None:
    notice.submission_id, notice.last_error = outcome.submission_id[:40], ""
    if notice.state is not NoticeState.submitted:
        return
    if outcome.published:
        assert outcome.published_at is not None
        _published(session, notice, outcome.published_at, outcome.notice_number, outcome.link)
    elif outcome.rejected:
        notice.state, notice.reasons = NoticeState.rejected, outcome.reasons or [f"Status {outcome.status}"]
        session.flush()
        record_event(session, NOTICES, "notice.rejected", subject=notice, details={"reasons": notice.reasons[:20]})
    session.flush()


def submitted_ids(session: Session) -> list[int]:
    return list(session.scalars(select(UkNotice.id).where(UkNotice.state == NoticeState.submitted).order_by(UkNotice.id)))


def ask_after_submitted(session: Session) -> int:
    """The scheduled task's work: a send job for each submitted notice (one at a time per notice)."""
    found = submitted_ids(session)
    for notice_id in found:
        request_job(session, NOTICES, SEND_JOB, UkNotice.__tablename__, notice_id)
    return len(found)


def withdraw(session: Session, actor: Actor, notice: UkNotice, reason: str) -> UkNotice:
    if notice.state not in EDITABLE:
        raise Conflict(f"A {notice.state.value} notice cannot be withdrawn")
    tender = session.get(Tender, notice.tender_id) if notice.tender_id else None
    if (notice.kind in (NoticeKind.UK4, NoticeKind.UK6) and tender is not None
            and tender.status is not TenderStatus.cancelled):
        raise Conflict(f"The tender waits on its {notice.kind.value}: correct it and submit it again "
                       "(withdrawing it would leave the tender unable to go on)")
    if not reason.strip():
        raise InvalidInput("Give a reason", field_errors={"reason": ["Say why the notice is withdrawn"]})
    notice.state, notice.withdrawn_at, notice.withdrawn_reason = NoticeState.withdrawn, now(), reason.strip()[:500]
    session.flush()
    record_event(session, actor, "notice.withdrawn", subject=notice, details={"reason": reason.strip()[:300]})
    return notice


MAX_COPY_BYTES = 20 * 1024 * 1024


def public_contract_copy(session: Session, notice_id: int) -> UkNotice | None:
    """The copy of a contract over £5m, for anyone, once its contract details notice is
    published (the notice links to it); before then, for nobody outside the agency."""
    notice = session.get(UkNotice, notice_id)
    if (notice is None or notice.kind is not NoticeKind.UK7 or notice.state is not NoticeState.published
            or not notice.contract_copy_path):
        return None
    return notice


def attach_contract_copy(session: Session, actor: Actor, notice: UkNotice, filename: str, content: bytes) -> UkNotice:
    """The copy of a contract above £5m, kept with its contract details notice (a PDF)."""
    from procurement.core.storage import file_store

    if notice.kind is not NoticeKind.UK7 or notice.state not in EDITABLE:
        raise Conflict("Only a contract details notice not yet submitted takes a copy of the contract")
    name = (filename or "").strip()
    if not name.lower().endswith(".pdf") or not content.startswith(b"%PDF"):
        raise InvalidInput("The copy of the contract must be a PDF", field_errors={"contract_copy": ["Choose a PDF file"]})
    if len(content) > MAX_COPY_BYTES:
        raise InvalidInput("The copy is too large", field_errors={"contract_copy": ["Choose a file under 20 MB"]})
    key = f"documents/notices/{notice.id}/contract-{uuid.uuid4().hex}.pdf"
    file_store().put(key, content, max_bytes=MAX_COPY_BYTES)
    notice.contract_copy_path, notice.contract_copy_name, notice.contract_copy_size = key, name[-200:], len(content)
    refresh_body(session, notice)
    record_event(session, actor, "notice.contract_copy_attached", subject=notice, details={"filename": name[-200:]})
    return notice


# Made by agency staff: UK1 and UK2 --------------------------------------------------------

def planned_contracts(session: Session, organisation: Organisation) -> list[dict[str, Any]]:
    """The authority's planned procurements over £2m: the draft and published tenders it takes
    part in (its committed lines' value at what it pays today) and its demand on the board not
    yet in a tender, by CPV class."""
    from demand.models import Requirement, RequirementStatus
    from tenders.models import LotLine

    planned: dict[str, Decimal] = {}
    rows = session.execute(select(Tender.title, Tender.reference, LotLine.quantity, LotLine.baseline_unit_price)
                           .join(Lot, Lot.tender_id == Tender.id).join(LotLine, LotLine.lot_id == Lot.id)
                           .where(LotLine.organisation_id == organisation.id,
                                  Tender.status.in_([TenderStatus.draft, TenderStatus.published])))
    for title, reference, quantity, price in rows:
        label = f"{reference}: {title}"
        planned[label] = planned.get(label, Decimal(0)) + quantity * (price or Decimal(0))
    demand = session.execute(select(Requirement.cpv_code, Requirement.quantity, Requirement.baseline_unit_price).where(
        Requirement.organisation_id == organisation.id, Requirement.status == RequirementStatus.submitted))
    for cpv_code, quantity, price in demand:  # raised and not yet pooled: grouped by its CPV class
        label = f"Demand on the board, CPV {cpv_code[:3]}"
        planned[label] = planned.get(label, Decimal(0)) + quantity * (price or Decimal(0))
    return [{"title": t, "value": v} for t, v in sorted(planned.items()) if v > PIPELINE_CONTRACTS_OVER]


def pipeline_authorities(session: Session) -> list[Organisation]:
    return bodies.organisations_over(session, PIPELINE_SPEND_OVER)


def create_pipeline(session: Session, actor: Actor, organisation_id: int) -> UkNotice:
    _require(actor)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise InvalidInput("Choose an authority", field_errors={"organisation_id": ["Choose an authority"]})
    if organisation.annual_spend is None or organisation.annual_spend <= PIPELINE_SPEND_OVER:
        raise InvalidInput("Only an authority spending over £100m a year publishes a pipeline notice",
                           field_errors={"organisation_id": ["Choose an authority whose annual spend is over £100m"]})
    return _new(session, actor, NoticeKind.UK1, f"Pipeline notice: {organisation.name}", organisation=organisation)


def create_engagement(session: Session, actor: Actor, tender_id: int) -> UkNotice:
    _require(actor)
    tender = session.get(Tender, tender_id)
    if tender is None or tender.status is not TenderStatus.draft:
        raise InvalidInput("Choose a draft tender", field_errors={"tender_id": ["Choose a tender not yet published"]})
    return _new(session, actor, NoticeKind.UK2, f"UK2 {tender.reference}: {tender.title}", tender=tender)


# From the tenders' acts -------------------------------------------------------------------

def _entered_on(session: Session, tender: Tender) -> date:
    entered = session.scalar(select(Contract.entered_at).join(Lot, Lot.id == Contract.lot_id)
                             .where(Lot.tender_id == tender.id).order_by(Contract.entered_at.desc()).limit(1))
    moment = to_london(entered or now())
    assert moment is not None
    return moment.date()


def _automatic(session: Session, kind: NoticeKind, tender: Tender) -> UkNotice:
    """A notice a tender's act calls for: made, and submitted unless its body fails the profile
    (then it stays a draft, its problems listed) or it waits for a copy of the contract."""
    due = _entered_on(session, tender) + timedelta(days=CONTRACT_DETAILS_DAYS) if kind is NoticeKind.UK7 else None
    notice = _new(session, NOTICES, kind, f"{kind.value} {tender.reference}: {tender.title}", tender=tender, due_on=due)
    if problems(notice):
        _awaiting(session, notice)  # not published, so it holds what it would start
        return notice
    if needs_contract_copy(session, notice):
        return notice
    submit(session, NOTICES, notice)
    return notice


ON_ACTS = {"tender.published": NoticeKind.UK4, "tender.decision_published": NoticeKind.UK6,
           "tender.awarded": NoticeKind.UK7, "tender.cancelled": NoticeKind.UK12,
           "tender.unsuccessful": NoticeKind.UK12}  # no bids: not awarded after its tender notice (s.55)


def _stop_unpublished(session: Session, tender: Tender) -> bool:
    """A terminated tender's notices not yet published are stopped (never published after it),
    and whether its tender notice had been published (only then is there anything to terminate)."""
    advertised = False
    for notice in session.scalars(select(UkNotice).where(UkNotice.tender_id == tender.id).order_by(UkNotice.id)):
        if notice.kind is NoticeKind.UK4 and notice.state is NoticeState.published:
            advertised = True
        elif notice.state in (NoticeState.draft, NoticeState.rejected, NoticeState.submitted):
            notice.state, notice.withdrawn_at = NoticeState.withdrawn, now()
            notice.withdrawn_reason = f"The tender was {tender.status.label.lower()} before this notice was published"
            record_event(session, NOTICES, "notice.withdrawn", subject=notice, details={"reason": notice.withdrawn_reason})
    session.flush()
    return advertised


def on_event(event: AuditEvent, session: Session) -> None:
    """The receiver of `event_recorded`: the notice a tender's act calls for, in its transaction."""
    kind = ON_ACTS.get(event.action)
    if kind is None or event.subject_type != "tender" or not event.subject_id:
        return
    if kind is NoticeKind.UK12 and (event.details or {}).get("from") == TenderStatus.draft.value:
        return  # a tender cancelled before publication was never advertised: nothing to terminate
    tender = session.get(Tender, int(event.subject_id))
    if tender is None:
        return
    if kind is NoticeKind.UK12 and not _stop_unpublished(session, tender):
        return  # its tender notice never appeared: nothing was advertised to terminate
    _automatic(session, kind, tender)
