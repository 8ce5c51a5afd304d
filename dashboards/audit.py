"""The audit log as people read it: each entry a sentence (dashboards.plain_words) about who did
what to which subject, linked where the reader may open it, filtered and paged in SQL."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable

from flask import url_for
from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from catalogue import services as catalogue
from catalogue.models import CatalogueImport, CatalogueItem, Offer
from dashboards import plain_words
from dashboards.plain_words import Sentence, quoted
from demand import services as demand
from demand.models import Requirement, RequirementUpload
from procurement.core import access
from procurement.core.access import Actor
from procurement.core.audit import AuditEvent, verify_chain
from procurement.core.clock import london_moment
from procurement.core.errors import NotFound, PermissionDenied
from procurement.parties.models import ApiToken, Organisation, User
from suppliers.models import Supplier
from tenders.models import Bid, Clarification, Lot, LotLine, Tender
from tenders.permissions import can_see_tender

PAGE_SIZE = 50
SERVICE, ANONYMOUS = "service", "anonymous"


@dataclass(frozen=True)
class AuditFilter:
    who: str = ""              # a user's id, SERVICE or ANONYMOUS; "" for anyone
    what: str = ""             # an action or "group:<group>" (plain_words.what_choices)
    start: date | None = None  # London days, both ends included
    end: date | None = None


@dataclass
class Entry:
    event: AuditEvent
    who: str
    sentence: Sentence
    link: str | None
    label: str
    technical: dict[str, Any] = field(default_factory=dict)


def who_choices(session: Session) -> list[tuple[str, str]]:
    """The people who appear in the log, by name, and the service and the signed-out."""
    people = session.execute(select(User.id, User.full_name, User.email)
                             .where(User.id.in_(select(AuditEvent.actor_id).distinct()))
                             .order_by(User.full_name, User.email)).all()
    return ([("", "Anyone")] + [(str(i), f"{name}, {email}") for i, name, email in people]
            + [(SERVICE, "The service (automatic acts and set-up)"), (ANONYMOUS, "Someone not signed in")])


def _condition(wanted: AuditFilter) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if wanted.who == SERVICE:
        parts.append(and_(AuditEvent.actor_id.is_(None), AuditEvent.actor_label != "anonymous"))
    elif wanted.who == ANONYMOUS:
        parts.append(and_(AuditEvent.actor_id.is_(None), AuditEvent.actor_label == "anonymous"))
    elif wanted.who:
        parts.append(AuditEvent.actor_id == int(wanted.who))
    actions = plain_words.actions_for(wanted.what)
    if actions is not None:
        parts.append(AuditEvent.action.in_(actions))
    elif not wanted.what:  # by default, every act but signing in
        parts.append(AuditEvent.action.notin_(plain_words.actions_in_group(plain_words.QUIET)))
    if wanted.start:
        parts.append(AuditEvent.occurred_at >= london_moment(wanted.start, "00:00"))
    if wanted.end:
        parts.append(AuditEvent.occurred_at < london_moment(wanted.end + timedelta(days=1), "00:00"))
    return and_(*parts) if parts else true()


def audit_page(session: Session, viewer: Actor, wanted: AuditFilter, page: int) -> tuple[list[Entry], int]:
    """One page of the log, newest first, and how many entries match in all."""
    condition = _condition(wanted)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(condition)) or 0
    events = list(session.scalars(select(AuditEvent).where(condition).order_by(AuditEvent.seq.desc())
                                  .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return entries(session, viewer, events), total


def entries(session: Session, viewer: Actor, events: list[AuditEvent]) -> list[Entry]:
    names = dict(session.execute(select(User.id, User.full_name).where(
        User.id.in_({e.actor_id for e in events if e.actor_id}))).all())
    out = []
    for event in events:
        who = plain_words.who_words(event.actor_label, names.get(event.actor_id))
        subject, link = _subject(session, viewer, event)
        out.append(Entry(event=event, who=who, sentence=plain_words.act_sentence(event.action, who, subject), link=link,
                         label=plain_words.act_group(event.action)))
    return out


def _key(event: AuditEvent) -> int | None:
    return int(event.subject_id) if str(event.subject_id or "").isdecimal() else None


def _may(check: Callable[[], Any]) -> bool:
    """Whether the viewer may open it: the subject's own getter or predicate says (NotFound is no)."""
    try:
        return bool(check())
    except (NotFound, PermissionDenied):
        return False


def _tender(session: Session, viewer: Actor, tender: Tender | None) -> tuple[str, str | None]:
    if tender is None:
        return "a tender no longer kept", None
    words = f"{quoted(tender.title)} ({tender.reference})"
    link = url_for("tenders.tender", tender_id=tender.id) if can_see_tender(session, viewer, tender) else None
    return words, link


def _lot_words(session: Session, details: dict[str, Any]) -> str:
    """'lot 2 of ' when the act was about one lot of the tender."""
    if isinstance(details.get("lot"), int):
        return f"lot {details['lot']} of "
    lot = session.get(Lot, details["lot_id"]) if isinstance(details.get("lot_id"), int) else None
    return f"lot {lot.number} of " if lot is not None else ""


def _subject(session: Session, viewer: Actor, event: AuditEvent) -> tuple[str, str | None]:
    """The subject in words and, where the viewer may open it, its page."""
    kind, key, details = event.subject_type, _key(event), event.details or {}
    if event.action.startswith("sign_in.") and event.action != "sign_in.succeeded":
        return str(details.get("email") or "an unknown account"), None
    if kind in ("tender", "bid", "clarification", "lot_line"):
        holder = {"bid": Bid, "clarification": Clarification, "lot_line": LotLine}.get(kind)
        found = session.get(holder, key) if holder and key else None
        tender_id = key if kind == "tender" else (found.lot.tender_id if kind == "lot_line" and found
                                                 else getattr(found, "tender_id", None) or details.get("tender_id"))
        words, link = _tender(session, viewer, session.get(Tender, tender_id) if tender_id else None)
        return f"{_lot_words(session, details)}{words}", link
    if kind == "user_account" and key:
        user = session.get(User, key)
        if user is None:
            return "an account no longer kept", None
        may = access.can_manage_accounts(viewer)
        return user.full_name, url_for("admin.user", user_id=user.id) if may else None
    if kind == "api_token" and key:
        token = session.get(ApiToken, key)
        owner = session.get(User, token.user_id) if token else None
        if owner is None:
            return "an account no longer kept", None
        return owner.full_name, url_for("admin.user", user_id=owner.id) if access.can_manage_accounts(viewer) else None
    if kind == "organisation" and key:
        organisation = session.get(Organisation, key)
        if organisation is None:
            return str(details.get("name") or "an organisation no longer kept"), None
        may = access.can_view_organisation(viewer, organisation)
        return organisation.name, url_for("procurement.organisation", organisation_id=key) if may else None
    if kind == "supplier" and key:
        supplier = session.get(Supplier, key)
        if supplier is None:
            return str(details.get("legal_name") or "a supplier no longer kept"), None
        may = access.can_view_supplier(viewer, supplier)
        return supplier.legal_name, url_for("suppliers.detail", supplier_id=key) if may else None
    if kind == "requirement" and key:
        requirement = session.get(Requirement, key)
        if requirement is None:
            return "a requirement no longer kept", None
        words = f"{requirement.organisation.name}'s requirement {quoted(requirement.title)}"
        may = _may(lambda: demand.get_requirement(session, viewer, key))
        return words, url_for("demand.requirement", requirement_id=key) if may else None
    if kind == "requirement_upload" and key:
        upload = session.get(RequirementUpload, key)
        if upload is None:
            return "a requirements file no longer kept", None
        organisation = session.get(Organisation, upload.organisation_id)
        words = f"{organisation.name if organisation else 'An organisation'}'s requirements file {upload.filename}"
        may = access.has_role(viewer, access.AGENCY) or access.can_act_for_organisation(viewer, upload.organisation_id)
        return words, url_for("demand.upload_report", upload_id=key) if may else None
    if kind == "offer" and key:
        offer = session.get(Offer, key)
        if offer is None:
            return f"offer {details.get('sku', '')}".strip(), None
        may = _may(lambda: catalogue.get_offer(session, viewer, key))
        return f"{quoted(offer.title)} ({offer.sku})", url_for("catalogue.offer", offer_id=key) if may else None
    if kind == "catalogue_item" and key:
        item = session.get(CatalogueItem, key)
        name = item.name if item else str(details.get("name") or "an item no longer kept")
        may = item is not None and _may(lambda: catalogue.get_item(session, viewer, key))
        return quoted(name), url_for("catalogue.item", item_id=key) if may else None
    if kind == "catalogue_import" and key:
        record = session.get(CatalogueImport, key)
        if record is None:
            return "a catalogue file no longer kept", None
        supplier = session.get(Supplier, record.supplier_id)
        words = f"{supplier.legal_name if supplier else 'A supplier'}'s catalogue file {record.filename}"
        may = _may(lambda: catalogue.get_import(session, viewer, key))
        return words, url_for("catalogue.import_status", import_id=key) if may else None
    return "", None


def chain_status(session: Session) -> tuple[bool, str]:
    """The hash chain recomputed now (a read, as the API's verify is): whether it holds, in words."""
    check = verify_chain(session)
    return check.ok, plain_words.describe_chain(check.ok, check.events_checked, check.broken_seq, check.reason)


def technical(event: AuditEvent) -> list[tuple[str, str]]:
    """What the person defending an award in court needs, for the details disclosure."""
    return [("Entry number", str(event.seq)), ("Action as recorded", event.action),
            ("Actor as recorded", f"{event.actor_label}" + (f" (account {event.actor_id})" if event.actor_id else "")),
            ("Subject as recorded", f"{event.subject_type or '–'} {event.subject_id or ''}".strip()),
            ("Time (UTC)", event.occurred_at.isoformat() if event.occurred_at else "–"),
            ("Request", event.request_id or "–"), ("Digest (SHA-256)", event.hash),
            ("Previous entry's digest", event.prev_hash),
            ("Details as recorded", plain_words.details_text(event.details or {}) or "–")]
