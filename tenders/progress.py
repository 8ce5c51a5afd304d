"""Where a joint tender stands and what comes next, for its pages: the draft's builder tasks
(details, lots, criteria, documents, award rules, the buyers' confirmation, publish), each with
its status, and the one next action on the tender, with who must take it.

`draft_tasks` and `next_action` are pure functions of plain facts (`TenderFacts`), read once
by `tender_facts`; the draft's checks are publication's own (`publication_problems`), so the
task list, the publish page and the service agree."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from procurement.core.clock import LONDON, now, today
from procurement.parties.models import User
from tenders import rules
from tenders.forming import publication
from tenders.models import (
    AwardDecision,
    Clarification,
    Evaluator,
    LineStatus,
    Lot,
    ShortPeriodGround,
    Tender,
    TenderStatus,
)

DETAILS_FIELDS = frozenset({"clarification_deadline", "submission_deadline", "expected_award_on"})


class TaskStatus(str, enum.Enum):
    """A builder task's status, in the GOV.UK task list's words."""

    not_started = "Not started"
    in_progress = "In progress"
    completed = "Completed"
    cannot_start = "Cannot start yet"


@dataclass(frozen=True)
class Task:
    key: str          # the task page's name in its URL
    title: str
    status: TaskStatus
    hint: str = ""

    @property
    def reachable(self) -> bool:
        return self.status is not TaskStatus.cannot_start


@dataclass(frozen=True)
class TenderFacts:
    """What the next step of one tender depends on, read at one moment."""

    status: TenderStatus                     # the effective status (the deadline taken into account)
    today: date
    confirm_by: date
    confirmation_closed: bool = False
    lines_pending: int = 0
    lines_confirmed: int = 0
    lines_declined: int = 0
    details_started: bool = False            # a deadline has been set
    details_problems: tuple[str, ...] = ()   # the timeline's, as if a short period's ground were recorded
    lots: int = 0
    lots_valued: int = 0                     # lots with an estimated value
    lots_problems: tuple[str, ...] = ()
    criteria: int = 0
    criteria_problems: tuple[str, ...] = ()
    documents: int = 0
    award_optimised: bool = False
    submission_deadline: datetime | None = None
    unanswered_questions: int = 0
    opening_requested_by: str | None = None
    opening_requested_at: datetime | None = None
    panel: int = 0
    panel_declared: int = 0
    panel_submitted: int = 0
    lead: str | None = None
    recommended: int = 0
    approved: int = 0
    standstill_ends: date | None = None
    standstill_paused: bool = False
    cancel_reason: str = ""


@dataclass(frozen=True)
class NextAction:
    """The banner's sentence: what happens next and who does it (`who`: "agency", "buyers",
    "suppliers" or "" when nothing more is to be done)."""

    text: str
    who: str
    tasks: list[Task] = field(default_factory=list)
    where: str = ""   # where the step is taken: "evaluation" (the workspace), "box" (this page's tender box)


def day_text(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def moment_text(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


# The draft's tasks --------------------------------------------------------------------------

def draft_tasks(f: TenderFacts) -> list[Task]:
    """The builder's tasks in order; publish can start only once every other task is complete."""
    if f.details_problems:
        details = TaskStatus.in_progress if f.details_started else TaskStatus.not_started
    else:
        details = TaskStatus.completed
    if not f.confirmation_closed:
        lots, lots_hint = TaskStatus.cannot_start, "Once the buyers' confirmation is closed"
    elif f.lots_problems:
        lots, lots_hint = TaskStatus.cannot_start, f.lots_problems[0]
    else:
        lots = TaskStatus.completed if f.lots_valued >= f.lots else (
            TaskStatus.in_progress if f.lots_valued else TaskStatus.not_started)
        lots_hint = f"{_plural(f.lots, 'lot')}, {f.lots_valued:,} with an estimated value"
    if not f.criteria_problems:
        criteria = TaskStatus.completed
    else:
        criteria = TaskStatus.in_progress if f.criteria else TaskStatus.not_started
    documents = TaskStatus.completed if f.documents else TaskStatus.not_started
    answered = f.lines_confirmed + f.lines_declined
    total = answered + f.lines_pending
    if f.confirmation_closed:
        confirmation, confirmation_hint = TaskStatus.completed, f"{f.lines_confirmed:,} of {total:,} lines confirmed"
    else:
        confirmation = TaskStatus.in_progress if answered else TaskStatus.not_started
        confirmation_hint = f"{f.lines_confirmed:,} of {total:,} lines confirmed; buyers answer by {day_text(f.confirm_by)}"
    before = [
        Task("details", "Details and timeline", details, "; ".join(f.details_problems[:1])),
        Task("lots", "Lots", lots, lots_hint),
        Task("criteria", "Quality criteria and weights", criteria, "; ".join(f.criteria_problems[:1])),
        Task("documents", "Tender documents", documents, _plural(f.documents, "document") if f.documents else ""),
        # The default rule (each lot awarded on its own) is a complete answer.
        Task("award-rules", "Award rules", TaskStatus.completed,
             "Optimised across lots" if f.award_optimised else "Each lot awarded on its own"),
        Task("confirmation", "Buyers' confirmation of their lines", confirmation, confirmation_hint),
    ]
    ready = all(t.status is TaskStatus.completed for t in before)
    publish = Task("publish", "Check and publish", TaskStatus.not_started if ready else TaskStatus.cannot_start,
                   "" if ready else "Once every task above is completed")
    return [*before, publish]


def may_publish(tasks: list[Task]) -> bool:
    return tasks[-1].reachable


# The next action ----------------------------------------------------------------------------

def next_action(f: TenderFacts, *, agency: bool = True, own_pending: int = 0) -> NextAction:
    """The one next step on the tender and who takes it. The agency's version names its staff
    and counts; a buyer's names no agency user and no bid, and asks for their own lines'
    answers (`own_pending`: the buyer's lines they may still answer)."""
    s = f.status
    if s is TenderStatus.draft and own_pending and not agency:
        return NextAction(f"Next: confirm or decline your organisation's {_plural(own_pending, 'line')} by "
                          f"{day_text(f.confirm_by)}; lines not confirmed by then drop out", "buyers")
    if s is TenderStatus.draft:
        return _draft_next(f, agency)
    if s is TenderStatus.published:
        due = moment_text(f.submission_deadline) if f.submission_deadline else "the deadline"
        text = f"Next: suppliers bid by {due}"
        if agency and f.unanswered_questions:
            text += f"; the agency answers {_plural(f.unanswered_questions, 'clarification question')} meanwhile"
        return NextAction(text, "suppliers")
    if s is TenderStatus.closed:
        if f.opening_requested_at is not None:
            who = f" — requested by {f.opening_requested_by or 'an agency user'} on {day_text(f.opening_requested_at.astimezone(LONDON).date())}"
            return NextAction("Next: a second agency user must confirm the opening" + (who if agency else ""), "agency",
                              where="box")
        return NextAction("Next: an agency user requests the opening of the tender box; a second confirms it", "agency",
                          where="box")
    if s is TenderStatus.opened:
        return NextAction("Next: the agency names the evaluation panel and its lead to start the evaluation", "agency", where="evaluation")
    if s is TenderStatus.evaluation:
        return replace(_evaluation_next(f, agency), where="evaluation")
    if s is TenderStatus.award_proposed:
        return NextAction("Next: the agency publishes the award decision to the bidders; standstill then begins", "agency", where="evaluation")
    if s is TenderStatus.standstill:
        if f.standstill_paused:
            return NextAction("Standstill is paused by a challenge; the agency resumes it once the challenge is resolved", "agency", where="evaluation")
        if f.standstill_ends is not None and f.today > f.standstill_ends:
            return NextAction(f"Next: the agency enters the contracts (standstill ended on {day_text(f.standstill_ends)})", "agency", where="evaluation")
        ends = day_text(f.standstill_ends) if f.standstill_ends else "after 8 working days"
        return NextAction(f"Standstill ends {ends}; then the agency enters the contracts", "agency", where="evaluation")
    if s is TenderStatus.awarded:
        return NextAction("Next: the agency marks the tender complete once its contracts are in place", "agency", where="evaluation")
    if s is TenderStatus.complete:
        return NextAction("Nothing more to do: the tender is complete", "")
    if s is TenderStatus.cancelled:
        return NextAction("Nothing more to do: the tender was cancelled"
                          + (f" ({f.cancel_reason})" if f.cancel_reason else ""), "")
    return NextAction("Nothing more to do: no bid arrived by the deadline", "")


def _draft_next(f: TenderFacts, agency: bool) -> NextAction:
    total = f.lines_pending + f.lines_confirmed + f.lines_declined
    if not f.confirmation_closed:
        if f.lines_pending and f.today <= f.confirm_by:
            return NextAction(f"Next: buyers confirm their lines by {day_text(f.confirm_by)} "
                              f"({f.lines_confirmed:,} of {total:,} confirmed)", "buyers", draft_tasks(f))
        why = "every line is answered" if not f.lines_pending else (
            f"{_plural(f.lines_pending, 'line')} went unconfirmed by {day_text(f.confirm_by)}")
        return NextAction(f"Next: the agency closes the buyers' confirmation ({why})", "agency", draft_tasks(f))
    tasks = draft_tasks(f)
    if not agency:
        return NextAction("Next: the agency prepares the tender for publication", "agency", tasks)
    left = [t for t in tasks[:-1] if t.status is not TaskStatus.completed]
    if left:
        names = ", ".join(t.title.lower() for t in left)
        return NextAction(f"Next: the agency completes {_plural(len(left), 'task')} ({names}), then publishes the tender",
                          "agency", tasks)
    return NextAction("Next: the agency checks and publishes the tender", "agency", tasks)


def _evaluation_next(f: TenderFacts, agency: bool) -> NextAction:
    if f.panel and f.panel_submitted < f.panel:
        counts = f" ({f.panel_submitted:,} of {f.panel:,} submitted)" if agency else ""
        return NextAction(f"Next: the evaluators declare any conflict of interest and submit their marks{counts}", "agency")
    if f.recommended < f.lots:
        lead = f"the lead, {f.lead}," if agency and f.lead else "the lead"
        counts = f" ({f.recommended:,} of {_plural(f.lots, 'lot')} recommended)" if agency and f.lots > 1 else ""
        return NextAction(f"Next: {lead} moderates the scores and recommends an award{counts}", "agency")
    if f.approved < f.lots:
        counts = f" ({f.approved:,} of {f.lots:,} approved)" if agency and f.lots > 1 else ""
        return NextAction(f"Next: a second agency user approves the recommended award{counts}", "agency")
    return NextAction("Next: the agency publishes the award decision to the bidders", "agency")


# Reading the facts --------------------------------------------------------------------------

def _user_name(session: Session, user_id: int | None) -> str | None:
    return session.scalar(select(User.full_name).where(User.id == user_id)) if user_id else None


def tender_facts(session: Session, tender: Tender) -> TenderFacts:
    """The facts of one tender, now (a read: it writes nothing)."""
    lines = [line for lot in tender.lots for line in lot.lines]
    by_status = {status: sum(1 for line in lines if line.status is status) for status in LineStatus}
    status = tender.effective_status
    draft: dict[str, object] = {}
    if status is TenderStatus.draft:
        problems = publication.publication_problems(session, tender)
        # The 25-day period is decided at publication, where a ground for 10 may be recorded.
        grounded = rules.timeline_errors(now(), tender.clarification_deadline, tender.submission_deadline,
                                         tender.expected_award_on,
                                         rules.ShortPeriod(short_period_ground=ShortPeriodGround.urgency,
                                                           short_period_reason="stated at publication"))
        draft = {
            "details_started": tender.submission_deadline is not None or tender.clarification_deadline is not None,
            "details_problems": tuple(m for k, ms in grounded.items() if k in DETAILS_FIELDS for m in ms),
            "lots_problems": tuple(problems.get("lots", ())),
            "criteria_problems": tuple(problems.get("criteria", ())),
            "lots": sum(1 for lot in tender.lots if any(l.status is LineStatus.confirmed for l in lot.lines)),
            "lots_valued": sum(1 for lot in tender.lots if lot.estimated_value is not None
                               and any(l.status is LineStatus.confirmed for l in lot.lines)),
            "criteria": len(tender.criteria), "documents": len(tender.documents),
        }
    evaluation: dict[str, object] = {}
    if status is TenderStatus.evaluation:
        panel = list(session.scalars(select(Evaluator).where(Evaluator.tender_id == tender.id)))
        decisions = list(session.scalars(select(AwardDecision).join(Lot, Lot.id == AwardDecision.lot_id)
                                         .where(Lot.tender_id == tender.id)))
        lead = next((e for e in panel if e.is_lead), None)
        evaluation = {
            "panel": len(panel), "panel_declared": sum(1 for e in panel if e.declared_at),
            "panel_submitted": sum(1 for e in panel if e.marks_submitted_at),
            "lead": _user_name(session, lead.user_id) if lead else None,
            "recommended": len(decisions), "approved": sum(1 for d in decisions if d.approved_at),
            "lots": len(tender.lots),
        }
    questions = 0
    if status is TenderStatus.published:
        questions = session.scalar(select(func.count(Clarification.id)).where(
            Clarification.tender_id == tender.id, Clarification.answered_at.is_(None))) or 0
    held = tender.standstill
    return TenderFacts(
        status=status, today=today(), confirm_by=tender.confirm_by,
        confirmation_closed=tender.confirmation_closed_at is not None,
        lines_pending=by_status[LineStatus.pending], lines_confirmed=by_status[LineStatus.confirmed],
        lines_declined=by_status[LineStatus.declined] + by_status[LineStatus.dropped],
        award_optimised=tender.award_optimised, submission_deadline=tender.submission_deadline,
        unanswered_questions=questions,
        opening_requested_by=_user_name(session, tender.opening_requested_by_id),
        opening_requested_at=tender.opening_requested_at,
        standstill_ends=held.ends_on if held else None, standstill_paused=bool(held and held.paused_at),
        cancel_reason=tender.cancel_reason or "",
        **draft, **evaluation,  # type: ignore[arg-type]
    )

