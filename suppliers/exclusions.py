"""Exclusions (Procurement Act 2023 ss.26-29 and 57-62, Schedules 6 and 7): what a supplier
declares of the exclusion grounds, and what the published debarment list says of it.

A supplier declares once, for every procurement: each mandatory ground (Schedule 6) and
discretionary ground (Schedule 7), yes or no, for itself, its connected persons (directors,
persons with significant control, parent companies...) and the associated persons it relies on
to meet the conditions of participation (s.26). Every "yes" carries what it has done to put the
matter right (self-cleaning, s.58): a "yes" without it is refused, and nothing is written. A
change is declared as a new version (the old is kept for the record); a declaration older than
a year stops counting and is asked again.

What that means for a procurement (s.57):
- excluded: on the debarment list for a mandatory ground (s.57(1)(b)), or the agency has decided,
  for the tender, that the supplier is excluded (a mandatory ground it has not put right, or a
  discretionary one it decides to act on). An excluded supplier cannot take part or be awarded.
- excludable: a ground it declares (the agency judges the remedy), a discretionary debarment, or
  a near match on the list: the agency records its decision for the tender, with reasons.

The tenders side (tenders/award/exclusions.py) reads `status_of`; nothing here knows of tenders.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.access import ALLOWED, Actor, Verdict, actor_id, refused
from procurement.core.audit import record_event
from procurement.core.clock import now, today
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from suppliers.models import DebarmentEntry, DebarmentImport, DebarmentKind, ExclusionDeclaration, Supplier

DECLARATION_LIFETIME = timedelta(days=365)  # older than a year: asked again
MAX_TEXT = 2000
MAX_PERSONS = 20
MAX_LIST_BYTES = 5 * 1024 * 1024
MAX_LIST_ROWS = 20000
NEAR_MATCH = 90  # rapidfuzz token-set ratio at which a name is flagged for the agency, never acted on alone


@dataclass(frozen=True)
class Ground:
    code: str
    label: str        # plain words
    reference: str    # where the Act has it
    mandatory: bool


GROUNDS: tuple[Ground, ...] = (
    Ground("manslaughter", "Corporate manslaughter or murder", "Schedule 6", True),
    Ground("terrorism", "Terrorism offences", "Schedule 6", True),
    Ground("fraud_bribery", "Theft, fraud or bribery offences", "Schedule 6", True),
    Ground("labour_slavery", "Labour market, slavery or human trafficking offences", "Schedule 6", True),
    Ground("organised_crime", "Organised crime", "Schedule 6", True),
    Ground("tax_offences", "Tax offences, or tax evasion found by a court or tribunal", "Schedule 6", True),
    Ground("cartel", "Cartel offences, or a cartel infringement decision", "Schedule 6", True),
    Ground("national_security", "A threat to national security, as a Minister has found", "Schedule 6", True),
    Ground("debarment_cooperation", "Failing to cooperate with a debarment investigation", "Schedule 6", True),
    Ground("labour_misconduct", "Labour market misconduct (for example unpaid wages)", "Schedule 7", False),
    Ground("environmental", "Environmental misconduct", "Schedule 7", False),
    Ground("competition", "Competition law infringements other than cartels", "Schedule 7", False),
    Ground("insolvency", "Insolvency, bankruptcy or being wound up", "Schedule 7", False),
    Ground("poor_performance", "Breach of contract or poor performance of a public contract", "Schedule 7", False),
    Ground("professional_misconduct", "Professional misconduct", "Schedule 7", False),
    Ground("improper_procurement", "Acting improperly in a procurement", "Schedule 7", False),
    Ground("security_risk", "A risk to national security", "Schedule 7", False),
)
GROUND_BY_CODE = {g.code: g for g in GROUNDS}
CONNECTED_ROLES = {
    "director": "Director or shadow director",
    "significant_control": "Person with significant control",
    "parent_or_subsidiary": "Parent or subsidiary company",
    "predecessor": "Predecessor company",
    "other": "Other connected person",
}


def ground_words(code: str) -> str:
    ground = GROUND_BY_CODE.get(code)
    return f"{ground.label} ({ground.reference}, {'mandatory' if ground.mandatory else 'discretionary'})" if ground else code


# Declarations: the rules ----------------------------------------------------------------

def _text(value: Any) -> str:
    return str(value or "").strip()


def declaration_problems(grounds: Mapping[str, Any], connected: Iterable[Mapping[str, Any]],
                         associated: Iterable[Mapping[str, Any]], evidence: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The declaration as kept, and the problems by field ("ground-<code>", "ground-<code>-mitigation",
    "connected-<n>-name", ...). Every ground is answered; every "yes", for the supplier or a person,
    says what happened and what was done to put it right (s.58)."""
    errors: dict[str, list[str]] = {}
    kept_grounds: dict[str, dict[str, Any]] = {}
    for ground in GROUNDS:
        answer = grounds.get(ground.code) or {}
        applies = answer.get("applies")
        key = f"ground-{ground.code}"
        if applies not in (True, False):
            errors[key] = [f"Answer yes or no: {ground.label.lower()}"]
            continue
        details, mitigation = _text(answer.get("details")), _text(answer.get("mitigation"))
        if applies and not details:
            errors[f"{key}-details"] = [f"Say what happened: you answered yes to {ground.label.lower()}"]
        if applies and not mitigation:
            errors[f"{key}-mitigation"] = [f"Say what you have done to put it right (s.58): you answered yes to "
                                           f"{ground.label.lower()}"]
        for name, value in (("details", details), ("mitigation", mitigation)):
            if len(value) > MAX_TEXT:
                errors[f"{key}-{name}"] = [f"Use up to {MAX_TEXT} characters"]
        kept_grounds[ground.code] = ({"applies": True, "details": details, "mitigation": mitigation} if applies
                                     else {"applies": False})
    people = {}
    for kind, rows in (("connected", connected), ("associated", associated)):
        kept_rows = []
        for n, row in enumerate(rows, start=1):
            name, role, mitigation, details = (_text(row.get(k)) for k in ("name", "role", "mitigation", "details"))
            codes = [c for c in dict.fromkeys(row.get("grounds") or [])]
            if not (name or role or mitigation or details or codes):
                continue  # an empty row of the form
            key = f"{kind}-{n}"
            if not name or len(name) > 200:
                errors[f"{key}-name"] = ["Enter the person's name, up to 200 characters"]
            if kind == "connected" and role not in CONNECTED_ROLES:
                errors[f"{key}-role"] = ["Choose how the person is connected with you"]
            if kind == "associated" and (not role or len(role) > 200):
                errors[f"{key}-role"] = ["Say what you rely on them for, up to 200 characters"]
            if any(c not in GROUND_BY_CODE for c in codes):
                errors[f"{key}-grounds"] = ["Choose grounds from the list"]
            if codes and not details:
                errors[f"{key}-details"] = ["Say what happened: you chose a ground that applies to them"]
            if codes and not mitigation:
                errors[f"{key}-mitigation"] = ["Say what has been done to put it right (s.58): you chose a ground "
                                               "that applies to them"]
            if len(mitigation) > MAX_TEXT or len(details) > MAX_TEXT:
                errors[f"{key}-mitigation"] = [f"Use up to {MAX_TEXT} characters"]
            kept_rows.append({"name": name, "role": role, "grounds": [c for c in codes if c in GROUND_BY_CODE],
                              "details": details, "mitigation": mitigation})
        if len(kept_rows) > MAX_PERSONS:
            errors[f"{kind}-1-name"] = [f"Name up to {MAX_PERSONS} {kind} persons"]
        people[kind] = kept_rows
    evidence = _text(evidence)
    if len(evidence) > MAX_TEXT:
        errors["evidence"] = [f"Use up to {MAX_TEXT} characters"]
    elif any(a.get("applies") for a in kept_grounds.values()) and not evidence:
        errors["evidence"] = ["Describe the evidence you hold: you answered yes to a ground"]
    return {"grounds": kept_grounds, "connected": people["connected"], "associated": people["associated"],
            "evidence": evidence}, errors


def nothing_to_declare() -> dict[str, dict[str, Any]]:
    """Every ground answered no."""
    return {g.code: {"applies": False} for g in GROUNDS}


def is_current(declaration: ExclusionDeclaration | None, at: datetime) -> bool:
    return (declaration is not None and declaration.superseded_at is None
            and at - declaration.declared_at < DECLARATION_LIFETIME)


def expires_on(declaration: ExclusionDeclaration) -> datetime:
    return declaration.declared_at + DECLARATION_LIFETIME


@dataclass(frozen=True)
class Declared:
    """A ground declared as applying, to the supplier or one of its persons."""

    code: str
    who: str          # "the supplier", or the person's name and role
    details: str
    mitigation: str

    @property
    def ground(self) -> Ground:
        return GROUND_BY_CODE[self.code]

    def words(self) -> str:
        return f"{self.ground.label} ({self.ground.reference}): {self.who}"


def declared_grounds(declaration: ExclusionDeclaration) -> list[Declared]:
    found = [Declared(code, "the supplier", a.get("details", ""), a.get("mitigation", ""))
             for code, a in (declaration.grounds or {}).items() if a.get("applies") and code in GROUND_BY_CODE]
    for kind, rows in (("connected person", declaration.connected_persons), ("associated person", declaration.associated_persons)):
        for row in rows or []:
            role = CONNECTED_ROLES.get(row.get("role", ""), row.get("role", ""))
            for code in row.get("grounds") or []:
                if code in GROUND_BY_CODE:
                    found.append(Declared(code, f"{row.get('name')}, {kind} ({role})", row.get("details", ""),
                                          row.get("mitigation", "")))
    return found


# The debarment list: matching --------------------------------------------------------------

_SUFFIXES = re.compile(r"\b(limited|ltd|plc|llp|lp|cic|cio|company|co|the|uk|gb)\b")


def normalise_name(name: str) -> str:
    """A company name for comparison: accents, case, punctuation and the legal suffix gone."""
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return " ".join(_SUFFIXES.sub(" ", text).split())


def normalise_number(number: str | None) -> str | None:
    value = re.sub(r"\s", "", number or "").upper()
    if value.isdigit() and len(value) < 8:
        value = value.zfill(8)  # Companies House numbers are often published without leading zeros
    return value or None


@dataclass(frozen=True)
class Listed:
    """What matching needs of an entry (plain values, so the rule is tested without a database)."""

    id: int
    supplier_name: str
    companies_house_number: str | None
    kind: str
    grounds: str
    starts_on: date
    ends_on: date
    listed_on: date
    source: str

    @property
    def mandatory(self) -> bool:
        return self.kind == DebarmentKind.mandatory.value

    def words(self) -> str:
        return (f"{self.supplier_name}: {self.grounds} ({self.kind}), {self.starts_on:%-d %B %Y} to "
                f"{self.ends_on:%-d %B %Y}, listed {self.listed_on:%-d %B %Y} ({self.source})")


def match(name: str, number: str | None, entries: Iterable[Listed], on: date) -> tuple[list[Listed], list[Listed]]:
    """(matches, near matches) among the entries in force on the day. A match is the same Companies
    House number or, for an entry with no number, the same normalised name; an entry with a
    different number never matches by name. A near match (a similar name) is for the agency to
    look at, never excludes by itself."""
    from rapidfuzz import fuzz

    own_number, own_name = normalise_number(number), normalise_name(name)
    found, near = [], []
    for entry in entries:
        if not entry.starts_on <= on <= entry.ends_on:
            continue
        listed_number, listed_name = normalise_number(entry.companies_house_number), normalise_name(entry.supplier_name)
        if own_number and listed_number:
            if own_number == listed_number:
                found.append(entry)
            elif listed_name == own_name:
                near.append(entry)  # the same name, another company: flagged
            continue
        if listed_name and listed_name == own_name:
            found.append(entry)
        elif listed_name and own_name and fuzz.token_set_ratio(listed_name, own_name) >= NEAR_MATCH:
            near.append(entry)
    return found, near


# What it means for a procurement ------------------------------------------------------------

@dataclass
class ExclusionStatus:
    current: bool                                   # a declaration within the year
    declaration: ExclusionDeclaration | None
    declared: list[Declared] = field(default_factory=list)
    debarred: list[Listed] = field(default_factory=list)
    near: list[Listed] = field(default_factory=list)

    @property
    def debarred_mandatory(self) -> list[Listed]:
        return [e for e in self.debarred if e.mandatory]

    @property
    def excluded(self) -> str:
        """Why the supplier is excluded whatever the agency decides, or ""."""
        if self.debarred_mandatory:
            return "on the debarment list for a mandatory ground"
        return ""

    @property
    def excludable(self) -> list[str]:
        """What the agency must decide on, in words (empty: nothing)."""
        return ([d.words() for d in self.declared]
                + [f"on the debarment list for a discretionary ground: {e.grounds}" for e in self.debarred if not e.mandatory]
                + [f"a similar name on the debarment list: {e.supplier_name}" for e in self.near])

    def participation(self) -> Verdict:
        if self.excluded:
            return refused(f"You cannot take part: your company is {self.excluded} (Procurement Act 2023 s.57)")
        if self.declaration is None:
            return refused("Declare the exclusion grounds before you bid: it is asked once and counts for a year")
        if not self.current:
            return refused("Your exclusions declaration is more than a year old: declare again before you bid")
        return ALLOWED

    def basis(self) -> str:
        """The grounds as the agency sees them when it decides (kept with its decision)."""
        return "; ".join(self.excludable)


def _listed(entry: DebarmentEntry) -> Listed:
    return Listed(entry.id, entry.supplier_name, entry.companies_house_number, entry.kind.value, entry.grounds,
                  entry.starts_on, entry.ends_on, entry.listed_on, entry.source)


def latest_import(session: Session) -> DebarmentImport | None:
    return session.scalar(select(DebarmentImport).order_by(DebarmentImport.id.desc()).limit(1))


def listed_entries(session: Session) -> list[Listed]:
    latest = latest_import(session)
    if latest is None:
        return []
    return [_listed(e) for e in session.scalars(select(DebarmentEntry).where(DebarmentEntry.import_id == latest.id)
                                                .order_by(DebarmentEntry.row))]


def current_declaration(session: Session, supplier_id: int) -> ExclusionDeclaration | None:
    """The latest version (current or expired); None before the first."""
    return session.scalar(select(ExclusionDeclaration).where(ExclusionDeclaration.supplier_id == supplier_id,
                                                             ExclusionDeclaration.superseded_at.is_(None)))


def statuses(session: Session, supplier_ids: Iterable[int]) -> dict[int, ExclusionStatus]:
    """Each supplier's standing, today: for participation, the award and the agency's pages.
    Takes no actor: callers authorise (the tenders side reads it for its own bidders)."""
    ids = sorted(set(supplier_ids))
    if not ids:
        return {}
    entries, at, on = listed_entries(session), now(), today()
    suppliers = {s.id: s for s in session.scalars(select(Supplier).where(Supplier.id.in_(ids)))}
    declarations = {d.supplier_id: d for d in session.scalars(select(ExclusionDeclaration).where(
        ExclusionDeclaration.supplier_id.in_(ids), ExclusionDeclaration.superseded_at.is_(None)))}
    found = {}
    for supplier_id in ids:
        supplier, declaration = suppliers.get(supplier_id), declarations.get(supplier_id)
        debarred, near = match(supplier.legal_name, supplier.companies_house_number, entries, on) if supplier else ([], [])
        found[supplier_id] = ExclusionStatus(is_current(declaration, at), declaration,
                                             declared_grounds(declaration) if declaration else [], debarred, near)
    return found


def status_of(session: Session, supplier_id: int) -> ExclusionStatus:
    return statuses(session, [supplier_id])[supplier_id]


def may_take_part(session: Session, supplier_id: int) -> Verdict:
    """Checked when a supplier starts or submits a bid."""
    return status_of(session, supplier_id).participation()


# Declarations: who and the acts -----------------------------------------------------------------

def can_declare(actor: Actor, supplier_id: int | None) -> bool:
    """A supplier's own people declare for it."""
    return access.can_see_supplier_people(actor, supplier_id)


def can_read_declaration(actor: Actor, supplier_id: int | None) -> bool:
    """Its own people, and the agency that judges it; never a buyer, another supplier or an
    administrator (what a supplier declares of convictions is not theirs to read)."""
    return can_declare(actor, supplier_id) or access.has_role(actor, access.AGENCY)


def can_keep_debarment_list(actor: Actor) -> bool:
    return access.has_role(actor, access.AGENCY)


def declare(session: Session, actor: Actor, supplier_id: int, *, grounds: Mapping[str, Any],
            connected: Iterable[Mapping[str, Any]], associated: Iterable[Mapping[str, Any]],
            evidence: str) -> ExclusionDeclaration:
    """A new version of the supplier's declaration; the one before is kept, superseded."""
    if not (can_declare(actor, supplier_id) or getattr(actor, "is_system", False)):  # the seed and tests: the system
        raise PermissionDenied("Only the supplier's own people declare for it")
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("No such supplier")
    kept, errors = declaration_problems(grounds, connected, associated, evidence)
    if errors:
        raise InvalidInput("The declaration is not complete", field_errors=errors)
    before = current_declaration(session, supplier_id)
    stamp = now()
    if before is not None:
        before.superseded_at = stamp
        session.flush()
    declaration = ExclusionDeclaration(
        supplier_id=supplier_id, version=(before.version + 1) if before else 1, grounds=kept["grounds"],
        connected_persons=kept["connected"], associated_persons=kept["associated"], evidence=kept["evidence"],
        declared_by_id=actor_id(actor), declared_at=stamp)
    session.add(declaration)
    session.flush()
    record_event(session, actor, "supplier.exclusions_declared", subject=supplier, details={
        "version": declaration.version, "grounds_declared": sorted({d.code for d in declared_grounds(declaration)})})
    return declaration


def declarations_of(session: Session, actor: Actor, supplier_id: int) -> list[ExclusionDeclaration]:
    """Every version, newest first, for those who may read them."""
    if not can_read_declaration(actor, supplier_id):
        raise PermissionDenied("You cannot read this supplier's declaration")
    return list(session.scalars(select(ExclusionDeclaration).where(ExclusionDeclaration.supplier_id == supplier_id)
                                .order_by(ExclusionDeclaration.version.desc())))


def declaration_version(session: Session, actor: Actor, supplier_id: int, version: int) -> ExclusionDeclaration:
    found = next((d for d in declarations_of(session, actor, supplier_id) if d.version == version), None)
    if found is None:
        raise NotFound("No such declaration")
    return found


# The debarment list: import ---------------------------------------------------------------------

LIST_FIELDS = ("supplier_name", "companies_house_number", "grounds", "kind", "start_date", "end_date", "date_listed",
               "source")
REQUIRED = ("supplier_name", "grounds", "kind", "start_date", "end_date", "date_listed", "source")
COMPANIES_HOUSE_NUMBER = re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$")


@dataclass(frozen=True)
class RowProblem:
    row: int          # 1 is the first entry (the line after a CSV's header)
    field: str
    problem: str

    def words(self) -> str:
        return f"Row {self.row}, {self.field}: {self.problem}"


class DebarmentListRefused(InvalidInput):
    def __init__(self, problems: list[RowProblem]):
        super().__init__(f"The list is refused: {len(problems)} problem(s); nothing was imported",
                         field_errors={"file": [p.words() for p in problems[:200]]})
        self.problems = problems


def _rows(data: bytes, filename: str) -> list[dict[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DebarmentListRefused([RowProblem(0, "file", "the file must be UTF-8 text")]) from None
    if filename.lower().endswith(".json") or text.lstrip().startswith(("[", "{")):
        try:
            parsed = json.loads(text)
        except ValueError as error:
            raise DebarmentListRefused([RowProblem(0, "file", f"not valid JSON ({error.msg}, line {error.lineno})")]) from None
        except RecursionError:
            raise DebarmentListRefused([RowProblem(0, "file", "the JSON is nested too deeply")]) from None
        if isinstance(parsed, dict):
            parsed = parsed.get("entries")
        if not isinstance(parsed, list):
            raise DebarmentListRefused([RowProblem(0, "file", "a JSON list of entries, or {\"entries\": [...]}, is expected")])
        return [row if isinstance(row, dict) else {"__not_an_object__": True} for row in parsed]
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in REQUIRED if f not in (reader.fieldnames or [])]
    if missing:
        raise DebarmentListRefused([RowProblem(0, "header", f"missing column(s) {', '.join(missing)}; the columns are "
                                               f"{', '.join(LIST_FIELDS)}")])
    return list(reader)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def parse_debarment_list(data: bytes, filename: str) -> list[dict[str, Any]]:
    """The entries of a published list (CSV with a header row, or JSON), or DebarmentListRefused
    naming every bad row and field: a list is taken whole or not at all."""
    if len(data) > MAX_LIST_BYTES:
        raise DebarmentListRefused([RowProblem(0, "file", f"the file is over {MAX_LIST_BYTES // (1024 * 1024)} MB")])
    rows = _rows(data, filename)
    if not rows:
        raise DebarmentListRefused([RowProblem(0, "file", "the list has no entries")])
    if len(rows) > MAX_LIST_ROWS:
        raise DebarmentListRefused([RowProblem(0, "file", f"the list has over {MAX_LIST_ROWS} entries")])
    problems: list[RowProblem] = []
    entries = []
    for n, row in enumerate(rows, start=1):
        if row.get("__not_an_object__"):
            problems.append(RowProblem(n, "entry", "each entry is an object with the list's fields"))
            continue
        value = {k: str(row.get(k) if row.get(k) is not None else "").strip() for k in LIST_FIELDS}
        for name in REQUIRED:
            if not value[name]:
                problems.append(RowProblem(n, name, "is empty"))
        for name, limit in (("supplier_name", 200), ("grounds", 500), ("source", 500)):
            if len(value[name]) > limit:
                problems.append(RowProblem(n, name, f"is over {limit} characters"))
        number = normalise_number(value["companies_house_number"])
        if number and not COMPANIES_HOUSE_NUMBER.match(number):
            problems.append(RowProblem(n, "companies_house_number", f"{value['companies_house_number']!r} is not a "
                                                                    "Companies House number (like 01234567 or SC123456)"))
        kind = value["kind"].lower()
        if value["kind"] and kind not in {k.value for k in DebarmentKind}:
            problems.append(RowProblem(n, "kind", f"{value['kind']!r}: use mandatory or discretionary"))
        dates = {}
        for name in ("start_date", "end_date", "date_listed"):
            dates[name] = _date(value[name])
            if value[name] and dates[name] is None:
                problems.append(RowProblem(n, name, f"{value[name]!r} is not a date like 2026-03-31"))
        if dates["start_date"] and dates["end_date"] and dates["end_date"] < dates["start_date"]:
            problems.append(RowProblem(n, "end_date", "is before the start date"))
        if dates["start_date"] and dates["end_date"] and dates["end_date"] > dates["start_date"] + timedelta(days=5 * 366):
            problems.append(RowProblem(n, "end_date", "is more than five years after the start date (s.62 allows five)"))
        entries.append({"row": n, "supplier_name": value["supplier_name"], "normalised_name": normalise_name(value["supplier_name"]),
                        "companies_house_number": number, "grounds": value["grounds"], "kind": kind,
                        "starts_on": dates["start_date"], "ends_on": dates["end_date"], "listed_on": dates["date_listed"],
                        "source": value["source"]})
    if problems:
        raise DebarmentListRefused(problems)
    return entries


def import_debarment_list(session: Session, actor: Actor, filename: str, data: bytes) -> DebarmentImport:
    """The list as published now: kept whole as the list in force (earlier imports stay, for the record)."""
    if not can_keep_debarment_list(actor):
        raise PermissionDenied("Only the agency keeps the debarment list")
    filename = (filename or "list").strip()[:200]
    entries = parse_debarment_list(data, filename)
    imported = DebarmentImport(filename=filename, digest=hashlib.sha256(data).hexdigest(), rows=len(entries),
                               imported_by_id=actor_id(actor), imported_at=now())
    session.add(imported)
    session.flush()
    session.add_all([DebarmentEntry(import_id=imported.id, **{**e, "kind": DebarmentKind(e["kind"])}) for e in entries])
    session.flush()
    record_event(session, actor, "debarment_list.imported", details={
        "import_id": imported.id, "filename": filename, "rows": len(entries), "sha256": imported.digest})
    return imported


@dataclass
class ListPage:
    imported: DebarmentImport | None
    entries: list[Listed]
    matches: dict[int, list[str]]       # entry id -> the suppliers on the service it matches (names)
    near: dict[int, list[str]]          # entry id -> suppliers with a similar name, for the agency to look at
    earlier: list[DebarmentImport]


def debarment_list(session: Session, actor: Actor) -> ListPage:
    if not can_keep_debarment_list(actor):
        raise PermissionDenied("The debarment list's page is the agency's")
    imports = list(session.scalars(select(DebarmentImport).order_by(DebarmentImport.id.desc())))
    entries = listed_entries(session)
    matches: dict[int, list[str]] = {}
    near: dict[int, list[str]] = {}
    on = today()
    for supplier in session.scalars(select(Supplier).order_by(Supplier.legal_name)):
        found, close = match(supplier.legal_name, supplier.companies_house_number, entries, on)
        for entry in found:
            matches.setdefault(entry.id, []).append(supplier.legal_name)
        for entry in close:
            near.setdefault(entry.id, []).append(supplier.legal_name)
    return ListPage(imports[0] if imports else None, entries, matches, near, imports[1:])
