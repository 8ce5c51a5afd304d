"""Conflicts of interest (Procurement Act 2023 ss.81-83): everyone who shapes a tender declares,
before the tender notice and again once the bidders are known; the agency records a conflicts
assessment before publication and keeps it under review through the evaluation.

Who shapes a tender (s.81, "any person acting for or on behalf of the contracting authority in
relation to the procurement"), read from its records: the agency user who formed it from the
demand board's pools; whoever set its details, lots, criteria, award rules or added its
documents (the specification); the buyers who confirmed their organisation's lines (their
quantities are what the tender buys, and their organisations are contracting authorities in
it); and, once the bids are opened, its evaluators.

The rules are plain functions of plain facts (`must_declare`, `undeclared`, `is_current`,
`unreviewed_conflicts`, `unmitigated`); the services below read the facts and enforce them.
Publication (`publication_problems`) and the award decision (`decision_problems`) ask here;
a person with an unmitigated conflict cannot mark or moderate (`may_evaluate`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.access import ALLOWED, Actor, Verdict, actor_id, actor_label, forbidden, refused
from procurement.core.audit import AuditEvent, record_event
from procurement.core.clock import now
from procurement.core.errors import InvalidInput, PermissionDenied
from procurement.parties.models import User
from suppliers.models import Supplier
from tenders.lifecycle import get_tender, locked
from tenders.models import (
    ConflictAnswer,
    ConflictAssessment,
    ConflictDeclaration,
    ConflictStage,
    Evaluator,
    LineStatus,
    Lot,
    LotLine,
    OpenedBid,
    Tender,
    TenderStatus,
)

MAX_INTEREST = 300
MAX_TEXT = 5000

# The audited acts that shape a draft, and how the page names each.
SHAPING_ACTS = {
    "tender.formed": "formed it from the pools",
    "tender.details_set": "set its details",
    "tender.lots_set": "set its lots",
    "tender.criteria_set": "set its criteria",
    "tender.award_rules_set": "set its award rules",
    "tender.document_added": "wrote its documents",
    "tender.amended": "amended it",
}
CONFIRMED_LINES = "confirmed an organisation's lines"
EVALUATES = "evaluates the bids"

BIDDERS_KNOWN = frozenset({TenderStatus.opened, TenderStatus.evaluation, TenderStatus.award_proposed})


# The rules -----------------------------------------------------------------------------------

def stage_of(status: TenderStatus) -> ConflictStage | None:
    """The declaring stage a tender is in: before its notice while a draft, the bidders known
    from the opening of its box until the decision is published; None between and after."""
    if status is TenderStatus.draft:
        return ConflictStage.before_publication
    if status in BIDDERS_KNOWN:
        return ConflictStage.bidders_known
    return None


def must_declare(stage: ConflictStage, shaped: Mapping[int, Sequence[str]],
                 evaluators: Iterable[int] = ()) -> dict[int, tuple[str, ...]]:
    """Who must declare at a stage, each with what they did: everyone who shaped the tender;
    once the bidders are known, its evaluators too."""
    found = {user: tuple(what) for user, what in shaped.items()}
    if stage is ConflictStage.bidders_known:
        for user in evaluators:
            found[user] = (*found.get(user, ()), EVALUATES)
    return found


def latest(declarations: Iterable[ConflictDeclaration], stage: ConflictStage | None = None) -> dict[int, ConflictDeclaration]:
    """Each person's latest declaration (at `stage`, or at any stage)."""
    found: dict[int, ConflictDeclaration] = {}
    for d in sorted(declarations, key=lambda d: d.id):
        if stage is None or d.stage is stage:
            found[d.user_id] = d
    return found


def undeclared(required: Iterable[int], declarations: Iterable[ConflictDeclaration], stage: ConflictStage) -> list[int]:
    made = latest(declarations, stage)
    return sorted(user for user in required if user not in made)


def is_current(assessment: ConflictAssessment | None, declarations: Iterable[ConflictDeclaration]) -> bool:
    """The assessment is current while it has considered every declaration made (a later
    declaration, the second round or a new conflict, reopens it)."""
    if assessment is None:
        return False
    considered = set(assessment.considered or ())
    return all(d.id in considered for d in declarations)


def declares_conflict(declaration: ConflictDeclaration) -> bool:
    return declaration.answer is not ConflictAnswer.none


def unreviewed_conflicts(assessment: ConflictAssessment | None,
                         declarations: Iterable[ConflictDeclaration]) -> list[ConflictDeclaration]:
    considered = set(assessment.considered or ()) if assessment else set()
    return [d for d in declarations if declares_conflict(d) and d.id not in considered]


def unmitigated(user: int, assessment: ConflictAssessment | None, declarations: Iterable[ConflictDeclaration]) -> bool:
    """A person kept out by the latest assessment, or who has declared a conflict the assessment
    has not considered, has an unmitigated conflict. Any such declaration counts, not only the
    latest: a conflict declared is cleared by the agency's assessment, never by declaring "none"."""
    if assessment is not None and user in (assessment.kept_out or ()):
        return True
    considered = set(assessment.considered or ()) if assessment is not None else set()
    return any(d.user_id == user and declares_conflict(d) and d.id not in considered for d in declarations)


def declaration_errors(answer: str, interest: str, nature: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if answer not in {a.value for a in ConflictAnswer}:
        errors["answer"] = ["Say whether you have a conflict of interest, a potential one or none"]
    elif answer != ConflictAnswer.none.value:
        if not interest.strip():
            errors["interest"] = ["Name the supplier or the interest"]
        if not nature.strip():
            errors["nature"] = ["Describe the conflict: what the interest is and how it arises"]
    if len(interest.strip()) > MAX_INTEREST:
        errors["interest"] = [f"Name the supplier or interest in at most {MAX_INTEREST} characters"]
    if len(nature.strip()) > MAX_TEXT:
        errors["nature"] = [f"Describe the conflict in at most {MAX_TEXT:,} characters"]
    return errors


def assessment_errors(conflicts: str, mitigation: str, summary: str, any_conflict: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, text, words in (("conflicts", conflicts, "the conflicts"), ("mitigation", mitigation, "the steps"),
                              ("summary", summary, "the summary")):
        if len(text.strip()) > MAX_TEXT:
            errors[name] = [f"Write {words} in at most {MAX_TEXT:,} characters"]
    if not summary.strip():
        errors.setdefault("summary", ["Summarise the assessment"])
    if any_conflict:
        if not conflicts.strip():
            errors.setdefault("conflicts", ["Identify each conflict and potential conflict declared"])
        if not mitigation.strip():
            errors.setdefault("mitigation", ["Set out the steps taken to mitigate each conflict"])
    return errors


# Reading the facts ---------------------------------------------------------------------------

def shaped_by(session: Session, tender: Tender) -> dict[int, list[str]]:
    """Who shaped the tender, each with what they did, read from its audited acts and lines."""
    found: dict[int, list[str]] = {}

    def add(user: int | None, what: str) -> None:
        if user is not None and what not in found.setdefault(user, []):
            found[user].append(what)

    add(tender.created_by_id, SHAPING_ACTS["tender.formed"])
    for user, action in session.execute(select(AuditEvent.actor_id, AuditEvent.action).where(
            AuditEvent.subject_type == "tender", AuditEvent.subject_id == str(tender.id),
            AuditEvent.action.in_(list(SHAPING_ACTS)), AuditEvent.actor_id.is_not(None)).order_by(AuditEvent.seq)):
        add(user, SHAPING_ACTS[action])
    for (user,) in session.execute(select(LotLine.responded_by_id).join(Lot, Lot.id == LotLine.lot_id).where(
            Lot.tender_id == tender.id, LotLine.status == LineStatus.confirmed,
            LotLine.responded_by_id.is_not(None)).order_by(LotLine.id)):
        add(user, CONFIRMED_LINES)
    return found


def evaluators_of(session: Session, tender: Tender) -> list[int]:
    return list(session.scalars(select(Evaluator.user_id).where(Evaluator.tender_id == tender.id).order_by(Evaluator.id)))


def declarations_of(session: Session, tender: Tender) -> list[ConflictDeclaration]:
    return list(session.scalars(select(ConflictDeclaration).where(ConflictDeclaration.tender_id == tender.id)
                                .order_by(ConflictDeclaration.id)))


def assessments_of(session: Session, tender: Tender) -> list[ConflictAssessment]:
    """Every review, the latest first."""
    return list(session.scalars(select(ConflictAssessment).where(ConflictAssessment.tender_id == tender.id)
                                .order_by(ConflictAssessment.id.desc())))


def current_assessment(session: Session, tender: Tender) -> ConflictAssessment | None:
    found = assessments_of(session, tender)
    return found[0] if found else None


def bidder_names(session: Session, tender: Tender) -> list[str]:
    return list(session.scalars(select(Supplier.legal_name).join(OpenedBid, OpenedBid.supplier_id == Supplier.id)
                                .where(OpenedBid.tender_id == tender.id).order_by(Supplier.legal_name)))


def required_now(session: Session, tender: Tender, stage: ConflictStage) -> dict[int, tuple[str, ...]]:
    evaluators = evaluators_of(session, tender) if stage is ConflictStage.bidders_known else []
    return must_declare(stage, shaped_by(session, tender), evaluators)


# What publication and the decision ask -------------------------------------------------------

def publication_problems(session: Session, tender: Tender) -> list[str]:
    """Why the tender cannot be published yet, as far as conflicts go (empty: nothing stops it)."""
    declarations = declarations_of(session, tender)
    problems = []
    missing = undeclared(required_now(session, tender, ConflictStage.before_publication), declarations,
                         ConflictStage.before_publication)
    if missing:
        problems.append(f"Everyone who shaped the tender declares any conflict of interest first: "
                        f"{', '.join(_names(session, missing).values())} not yet")
    if not is_current(current_assessment(session, tender), declarations):
        problems.append("Record the conflicts assessment (it must consider every declaration made)")
    return problems


def decision_problems(session: Session, tender: Tender) -> list[str]:
    """A declared conflict the assessment has not reviewed stops the award decision."""
    found = unreviewed_conflicts(current_assessment(session, tender), declarations_of(session, tender))
    if not found:
        return []
    return [f"Review the conflicts assessment: {len(found)} declared conflict"
            f"{'' if len(found) == 1 else 's'} not yet reviewed"]


def may_evaluate(session: Session, tender: Tender, user: int | None) -> Verdict:
    """A person with an unmitigated conflict of interest neither marks nor moderates."""
    if user is not None and unmitigated(user, current_assessment(session, tender), declarations_of(session, tender)):
        return forbidden("You have a declared conflict of interest on this tender that is not mitigated: "
                         "you cannot mark or moderate its bids")
    return ALLOWED


def unmitigated_among(session: Session, tender: Tender, users: Iterable[int]) -> list[int]:
    """Those of `users` with an unmitigated conflict on the tender (kept out, or not yet reviewed)."""
    assessment, declarations = current_assessment(session, tender), declarations_of(session, tender)
    return [user for user in users if unmitigated(user, assessment, declarations)]


# Declaring -----------------------------------------------------------------------------------

def can_declare(session: Session, actor: Actor, tender: Tender) -> Verdict:
    stage = stage_of(tender.effective_status)
    if stage is None:
        return refused("Declarations are made before publication and again once the bidders are known")
    if actor_id(actor) not in required_now(session, tender, stage):
        return forbidden("Only the people who shape this tender declare on it")
    return ALLOWED


def declare(session: Session, actor: Actor, tender_id: int, *, answer: str, interest: str = "",
            nature: str = "") -> ConflictDeclaration:
    get_tender(session, actor, tender_id)
    tender = locked(session, tender_id)
    can_declare(session, actor, tender).enforce()
    stage = stage_of(tender.effective_status)
    assert stage is not None
    errors = declaration_errors(answer, interest, nature)
    if errors:
        raise InvalidInput("The declaration is not complete", field_errors=errors)
    return _record(session, actor, tender, stage, ConflictAnswer(answer), interest, nature)


def _record(session: Session, actor: Actor, tender: Tender, stage: ConflictStage, answer: ConflictAnswer,
            interest: str, nature: str) -> ConflictDeclaration:
    none = answer is ConflictAnswer.none
    declaration = ConflictDeclaration(
        tender_id=tender.id, user_id=actor_id(actor), stage=stage, answer=answer,
        interest="" if none else interest.strip(), nature="" if none else nature.strip(),
        bidders=bidder_names(session, tender) if stage is ConflictStage.bidders_known else [], declared_at=now())
    session.add(declaration)
    session.flush()
    record_event(session, actor, "conflicts.declared", subject=tender, details={
        "stage": stage.value, "answer": answer.value, "interest": declaration.interest[:300]})
    return declaration


def record_evaluator_declaration(session: Session, actor: Actor, tender: Tender, statement: str) -> None:
    """The evaluation panel's own declaration (no conflict with the named bidders) counts as
    the evaluator's declaration once the bidders are known, unless they have made one."""
    made = latest(declarations_of(session, tender), ConflictStage.bidders_known)
    if actor_id(actor) not in made:
        _record(session, actor, tender, ConflictStage.bidders_known, ConflictAnswer.none, "", statement)


# The assessment ------------------------------------------------------------------------------

def can_assess(session: Session, actor: Actor, tender: Tender) -> Verdict:
    if not access.can_manage_tenders(actor):
        return forbidden("Only the agency records the conflicts assessment")
    if stage_of(tender.effective_status) is None:
        return refused("The conflicts assessment is recorded before publication and reviewed until the decision is published")
    me = actor_id(actor) or -1
    if any(d.user_id == me and declares_conflict(d) for d in declarations_of(session, tender)):
        return forbidden("You declared a conflict on this tender: another agency user records the assessment")
    return ALLOWED


def assess(session: Session, actor: Actor, tender_id: int, *, conflicts: str, mitigation: str, summary: str,
           kept_out: Iterable[int] = ()) -> ConflictAssessment:
    """Record (or review) the assessment: it considers every declaration made so far."""
    tender = locked(session, tender_id)
    can_assess(session, actor, tender).enforce()
    stage = stage_of(tender.effective_status)
    assert stage is not None
    declarations = declarations_of(session, tender)
    conflicted = {d.user_id for d in declarations if declares_conflict(d)}  # ever declared, not only lately
    keep = sorted(set(kept_out))
    errors = assessment_errors(conflicts, mitigation, summary, bool(conflicted))
    if any(user not in conflicted for user in keep):
        errors["kept_out"] = ["Only a person who declared a conflict can be kept out of the evaluation"]
    if errors:
        raise InvalidInput("The assessment is not complete", field_errors=errors)
    assessment = ConflictAssessment(
        tender_id=tender.id, stage=stage, reviewed_by_id=actor_id(actor), reviewed_by_label=actor_label(actor),
        reviewed_at=now(), conflicts=conflicts.strip(), mitigation=mitigation.strip(), summary=summary.strip(),
        considered=[d.id for d in declarations], kept_out=keep)
    session.add(assessment)
    session.flush()
    record_event(session, actor, "conflicts.assessed", subject=tender, details={
        "stage": stage.value, "declarations": len(declarations), "conflicts": len(conflicted), "kept_out": keep})
    return assessment


# Pages ---------------------------------------------------------------------------------------

def _names(session: Session, users: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(users))
    if not wanted:
        return {}
    names = dict(session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())
    return {user: names.get(user, "a former user") for user in wanted}


@dataclass
class Person:
    user_id: int
    name: str
    shaped: tuple[str, ...]
    declarations: dict[ConflictStage, ConflictDeclaration] = field(default_factory=dict)
    kept_out: bool = False
    unmitigated: bool = False
    asked_before: bool = True                # they shaped it before publication (an evaluator may not have)

    def missing_text(self, stage: ConflictStage) -> str:
        """What a stage's empty cell says."""
        if stage is ConflictStage.before_publication and not self.asked_before:
            return "Not asked: no part in it then"
        return "Not declared"


@dataclass
class Overview:
    tender: Tender
    stage: ConflictStage | None
    people: list[Person]
    undeclared: list[Person]
    declarations: list[ConflictDeclaration]
    history: list[ConflictAssessment]
    current: bool
    unreviewed: list[ConflictDeclaration]
    conflicted: list[Person]                 # people whose latest declaration is a conflict
    names: dict[int, str]
    may_assess: Verdict = ALLOWED
    mine: bool = False                       # the viewer shapes it, or has declared on it

    @property
    def unreviewed_text(self) -> str:
        """What an unreviewed conflict stops, in the stage the tender is in."""
        n = len(self.unreviewed)
        who = f"{n} {'person has' if n == 1 else 'people have'} declared a conflict not yet reviewed"
        if self.stage is ConflictStage.before_publication:
            return f"{who}: the tender cannot be published until the assessment considers it."
        return f"{who}: the award decision cannot be published until the assessment considers it."


def overview(session: Session, actor: Actor, tender_id: int) -> Overview:
    """The agency's page: declarations by person and stage, who has not declared, the assessment's history."""
    if not access.can_manage_tenders(actor):
        raise PermissionDenied("Only the agency reads the tender's conflicts of interest")
    tender = get_tender(session, actor, tender_id)
    stage = stage_of(tender.effective_status)
    declarations = declarations_of(session, tender)
    history = assessments_of(session, tender)
    latest_review = history[0] if history else None
    shaped = shaped_by(session, tender)
    evaluators = evaluators_of(session, tender)
    required = must_declare(stage or ConflictStage.bidders_known, shaped, evaluators)
    everyone = set(required) | {d.user_id for d in declarations}
    names = _names(session, everyone | {a.reviewed_by_id for a in history if a.reviewed_by_id})
    people = []
    for user in sorted(everyone, key=lambda u: names.get(u, "")):
        person = Person(user, names.get(user, "a former user"), required.get(user, ()),
                        kept_out=bool(latest_review and user in (latest_review.kept_out or ())),
                        unmitigated=unmitigated(user, latest_review, declarations), asked_before=user in shaped)
        for d in declarations:
            if d.user_id == user:
                person.declarations[d.stage] = d
        people.append(person)
    missing = set(undeclared(required, declarations, stage)) if stage else set()
    return Overview(
        tender=tender, stage=stage, people=people, undeclared=[p for p in people if p.user_id in missing],
        declarations=declarations, history=history, current=is_current(latest_review, declarations),
        unreviewed=list({d.user_id: d for d in unreviewed_conflicts(latest_review, declarations)}.values()),
        conflicted=[p for p in people if (d := latest(declarations).get(p.user_id)) and declares_conflict(d)],
        names=names, may_assess=can_assess(session, actor, tender), mine=actor_id(actor) in everyone)


@dataclass
class MyDeclaration:
    tender: Tender
    stage: ConflictStage | None
    shaped: tuple[str, ...]
    made: dict[ConflictStage, ConflictDeclaration]
    bidders: list[str]
    may_declare: Verdict


def my_declaration(session: Session, actor: Actor, tender_id: int) -> MyDeclaration:
    """The declaration page of one person who shapes the tender (a read)."""
    tender = get_tender(session, actor, tender_id)
    me = actor_id(actor)
    stage = stage_of(tender.effective_status)
    verdict = can_declare(session, actor, tender)
    made = {d.stage: d for d in declarations_of(session, tender) if d.user_id == me}
    if not verdict and verdict.forbidden and not made:
        verdict.enforce()
    shaped = required_now(session, tender, stage).get(me or -1, ()) if stage else ()
    bidders = bidder_names(session, tender) if stage is ConflictStage.bidders_known else []
    return MyDeclaration(tender, stage, shaped, made, bidders, verdict)


def due_for(session: Session, actor: Actor) -> list[tuple[Tender, ConflictStage]]:
    """The tenders on which the person must declare now and has not, for their home page."""
    me = actor_id(actor)
    if me is None:
        return []
    found = []
    tenders = session.scalars(select(Tender).where(Tender.status.in_([TenderStatus.draft, *BIDDERS_KNOWN]))
                              .order_by(Tender.id))
    for tender in tenders:
        stage = stage_of(tender.effective_status)
        if stage is None:
            continue
        if me in required_now(session, tender, stage) and me not in latest(declarations_of(session, tender), stage):
            found.append((tender, stage))
    return found
