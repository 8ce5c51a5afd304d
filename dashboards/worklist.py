"""What needs the signed-in person, for their home page: one worklist per role, each item a
plain sentence, the page where it is done and its date, most urgent first.

Each function takes a session and the acting user and returns small dataclasses; what an
item offers is what the domain's predicates (tenders.permissions) allow, and what a person
sees is what they may see (a buyer its own organisations' lines, a supplier its own bids).
Every query reads a role's rows at once: no per-row load in a loop over tenders."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from demand.models import Requirement, RequirementStatus
from demand.rules import status_words
from procurement.core import access
from procurement.core.access import Actor, actor_id
from procurement.core.clock import LONDON, now, today
from procurement.core.errors import PermissionDenied
from procurement.core.jobrecords import KINDS, Job, JobStatus
from procurement.core.security import lockout_ends
from procurement.parties.models import Organisation, SignInAttempt, User
from tenders import conflicts, permissions
from tenders.award import exclusions as tender_exclusions
from tenders.award import outcome
from tenders.lifecycle import open_for_bids
from tenders.models import (
    AwardDecision,
    Bid,
    BidStatus,
    CallOffOrder,
    Clarification,
    Evaluator,
    LineStatus,
    LowPriceCheck,
    Lot,
    LotLine,
    OpenedBid,
    Standstill,
    Tender,
    TenderStatus,
)

Due = date | datetime | None


@dataclass(frozen=True)
class Link:
    """Where an item is done: an endpoint and its arguments (the page builds the URL)."""

    endpoint: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """One thing on a worklist: what it is about (`title`, the link's words), a plain
    sentence, its date and a state tag (words and a GOV.UK tag colour)."""

    title: str
    text: str
    link: Link | None
    due: Due = None
    tag: str = ""
    colour: str = "grey"
    when: str = "Due"        # what the date is: "Due", "Requested", "Deadline"...

    @property
    def due_text(self) -> str:
        return date_text(self.due)

    @property
    def sort_key(self) -> tuple[int, datetime]:
        if self.due is None:
            return (1, datetime.max.replace(tzinfo=LONDON))
        if isinstance(self.due, datetime):
            return (0, self.due)
        # A day's item is due by the end of that day, London time.
        return (0, datetime(self.due.year, self.due.month, self.due.day, 23, 59, tzinfo=LONDON))


@dataclass
class Section:
    """A heading, its items (most urgent first) and what to say when there are none."""

    heading: str
    items: list[Item]
    empty: str
    more: Link | None = None        # the page listing everything of this kind
    more_text: str = ""

    def __post_init__(self) -> None:
        self.items.sort(key=lambda item: item.sort_key)

    @property
    def first_due(self) -> tuple[int, datetime]:
        return self.items[0].sort_key if self.items else (2, datetime.max.replace(tzinfo=LONDON))


@dataclass(frozen=True)
class Count:
    """A figure with a label and where to see the rows behind it."""

    label: str
    value: int
    link: Link | None = None


@dataclass
class Worklist:
    """A role's home: the sections that need the person, then figures to read."""

    role: str
    heading: str
    sections: list[Section]
    counts: list[Count] = field(default_factory=list)
    counts_heading: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        return sum(len(s.items) for s in self.sections)


def date_text(when: Due) -> str:
    """A date as every page writes it, in London: '2 December 2026', or with the time, '2
    December 2026 at 14:00'."""
    if when is None:
        return ""
    if isinstance(when, datetime):
        local = when.astimezone(LONDON)
        return f"{local.day} {local:%B %Y} at {local:%H:%M}"
    return f"{when.day} {when:%B %Y}"


def _by_urgency(sections: list[Section]) -> list[Section]:
    """Sections with items first, the most urgent first; then the empty ones, as listed."""
    return sorted(sections, key=lambda s: s.first_due)


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _quoted(tender: Tender) -> str:
    return f"Tender ‘{tender.title}’"


def _task(action: str, tender: Tender) -> str:
    """An item's link words: what to do, and to which tender."""
    return f"{action}: {tender.title}"


def time_left(deadline: datetime | None, at: datetime | None = None) -> str:
    """How long until a deadline, in words: '3 days left', '5 hours left', 'closed'."""
    if deadline is None:
        return "no deadline set"
    left = deadline - (at or now())
    if left <= timedelta(0):
        return "closed"
    if left >= timedelta(days=2):
        return f"{left.days} days left"
    hours = int(left.total_seconds() // 3600)
    if hours >= 1:
        return _plural(hours, "hour") + " left"
    return _plural(max(1, int(left.total_seconds() // 60)), "minute") + " left"


# The agency ---------------------------------------------------------------------------------

def _past_deadline() -> Any:
    """Tenders past their deadline and not yet opened, by the clock (a published tender past
    its deadline is closed, whether or not the tick has recorded it)."""
    return or_(Tender.status == TenderStatus.closed,
               and_(Tender.status == TenderStatus.published, Tender.submission_deadline <= now()))


def agency_worklist(session: Session, actor: Actor) -> Worklist:
    if not access.can_manage_tenders(actor):
        raise PermissionDenied("The agency's worklist is for agency staff")
    me = actor_id(actor)
    live = list(session.scalars(select(Tender).where(or_(
        _past_deadline(), Tender.status.in_([TenderStatus.draft, TenderStatus.opened, TenderStatus.evaluation,
                                             TenderStatus.award_proposed, TenderStatus.standstill]),
        open_for_bids())).order_by(Tender.id)))
    ids = [t.id for t in live]
    standstills = {s.tender_id: s for s in session.scalars(select(Standstill).where(Standstill.tender_id.in_(ids)))} if ids else {}
    panel: dict[int, list[Evaluator]] = defaultdict(list)
    for evaluator in session.scalars(select(Evaluator).where(Evaluator.tender_id.in_(ids))) if ids else ():
        panel[evaluator.tender_id].append(evaluator)
    decisions = list(session.execute(select(AwardDecision, Lot).join(Lot, Lot.id == AwardDecision.lot_id)
                                     .where(Lot.tender_id.in_(ids)).order_by(Lot.number))) if ids else []
    lots = dict(session.execute(select(Lot.tender_id, func.count(Lot.id)).where(Lot.tender_id.in_(ids))
                                .group_by(Lot.tender_id)).all()) if ids else {}
    names = _names(session, [t.opening_requested_by_id for t in live] + [d.recommended_by_id for d, _l in decisions])

    box: list[Item] = []
    evaluating: list[Item] = []
    approvals: list[Item] = []
    publishing: list[Item] = []
    contracts: list[Item] = []
    drafts: list[Item] = []
    workspace = lambda t: Link("evaluation.workspace", {"tender_id": t.id})  # noqa: E731
    page = lambda t: Link("tenders.tender", {"tender_id": t.id})  # noqa: E731
    for tender in live:
        status = tender.effective_status
        if status is TenderStatus.closed:
            if permissions.can_request_opening(actor, tender):
                box.append(Item(_task("Request the opening", tender), f"{_quoted(tender)}: the deadline has passed and the box waits for "
                                "an agency user to request its opening (a second confirms it).", page(tender),
                                tender.submission_deadline, "To request", "blue", "Deadline was"))
            elif permissions.can_confirm_opening(actor, tender):
                who = names.get(tender.opening_requested_by_id or 0, "another agency user")
                box.append(Item(_task("Confirm the opening", tender), f"{_quoted(tender)}: the opening was requested by {who} and waits "
                                "for a second agency user to confirm it.", page(tender),
                                tender.opening_requested_at, "To confirm", "orange", "Requested"))
        elif status is TenderStatus.opened and permissions.can_start_evaluation(actor, tender):
            evaluating.append(Item(_task("Start the evaluation", tender), f"{_quoted(tender)}: the bids are opened; name the evaluation "
                                   "panel and its lead to start the evaluation.", workspace(tender),
                                   tender.expected_award_on, "To start", "blue", "Award expected"))
        elif status is TenderStatus.evaluation:
            members = panel.get(tender.id, [])
            mine = next((e for e in members if e.user_id == me), None)
            if mine is not None and permissions.can_declare(actor, tender, mine):
                evaluating.append(Item(_task("Declare and mark", tender), f"{_quoted(tender)}: you are on the panel; declare that you "
                                       "have no conflict of interest, then mark each response.", workspace(tender),
                                       tender.expected_award_on, "To declare", "blue", "Award expected"))
            elif mine is not None and permissions.can_mark(actor, tender, mine):
                evaluating.append(Item(_task("Submit your marks", tender), f"{_quoted(tender)}: you are on the panel and have not "
                                       "submitted your marks.", workspace(tender), tender.expected_award_on,
                                       "To mark", "blue", "Award expected"))
            elif mine is not None and permissions.can_moderate(actor, tender, mine, members):
                recommended = sum(1 for d, lot in decisions if lot.tender_id == tender.id)
                if recommended < lots.get(tender.id, 0):
                    evaluating.append(Item(_task("Moderate and recommend", tender), f"{_quoted(tender)}: every evaluator has submitted; as "
                                           "lead, record the moderated scores and recommend each lot's award.",
                                           workspace(tender), tender.expected_award_on, "To moderate", "orange", "Award expected"))
        elif status is TenderStatus.award_proposed and permissions.can_publish_decision(actor, tender):
            publishing.append(Item(_task("Publish the decision", tender), f"{_quoted(tender)}: every lot's award is approved; the decision "
                                   "waits to be published to the bidders (standstill then begins).",
                                   workspace(tender), tender.expected_award_on, "To publish", "blue", "Award expected"))
        elif status is TenderStatus.standstill:
            held = standstills.get(tender.id)
            if permissions.can_enter_contracts(actor, tender, held) and held is not None:
                contracts.append(Item(_task("Enter the contracts", tender), f"{_quoted(tender)}: standstill ended on "
                                      f"{held.ends_on.day} {held.ends_on:%B %Y} with no challenge; enter the "
                                      "contracts and orders.", workspace(tender), held.ends_on, "To enter", "blue", "Standstill ended"))
            elif held is not None and held.paused_at is not None:
                contracts.append(Item(_task("Lift the challenge", tender), f"{_quoted(tender)}: a challenge has paused standstill; "
                                      "lift it once it is resolved.", workspace(tender), None, "Paused", "red"))
        if status in (TenderStatus.opened, TenderStatus.evaluation) and access.can_manage_tenders(actor):
            waiting = [b.supplier.legal_name for b in tender_exclusions.bidders(session, tender) if b.outstanding]
            if waiting:
                evaluating.append(Item(_task("Decide on exclusions", tender), f"{_quoted(tender)}: decide whether to exclude "
                                       f"{', '.join(waiting)} (a ground declared or listed); no award is recommended until you do.",
                                       Link("tender_exclusions.index", {"tender_id": tender.id}), tender.expected_award_on,
                                       "To decide", "orange", "Award expected"))
    for decision, lot in decisions:
        tender = next(t for t in live if t.id == lot.tender_id)
        if permissions.can_approve(actor, tender, decision):
            who = names.get(decision.recommended_by_id or 0, "the lead evaluator")
            approvals.append(Item(f"Approve the award of lot {lot.number}: {tender.title}",
                                  f"{_quoted(tender)}, lot {lot.number} ({lot.title}): the award was recommended by "
                                  f"{who} and waits for a second agency user to approve it.", workspace(tender),
                                  tender.expected_award_on, "To approve", "orange", "Award expected"))

    drafts_found = [t for t in live if t.status is TenderStatus.draft]
    if drafts_found:
        counts: dict[int, dict[LineStatus, int]] = defaultdict(dict)
        for tender_id, status, n in session.execute(
                select(Lot.tender_id, LotLine.status, func.count(LotLine.id)).join(LotLine, LotLine.lot_id == Lot.id)
                .where(Lot.tender_id.in_([t.id for t in drafts_found])).group_by(Lot.tender_id, LotLine.status)):
            counts[tender_id][status] = n
        for tender in drafts_found:
            pending = counts[tender.id].get(LineStatus.pending, 0)
            invited = pending + counts[tender.id].get(LineStatus.confirmed, 0)
            if tender.confirmation_closed_at is None:
                close = permissions.can_close_confirmation(actor, tender)
                if close:
                    drafts.append(Item(_task("Close the confirmation", tender), f"{_quoted(tender)}: "
                                       + ("every line is answered" if not pending else
                                          f"{_plural(pending, 'line')} of {invited:,} went unconfirmed by "
                                          f"{tender.confirm_by.day} {tender.confirm_by:%B %Y}")
                                       + "; close the buyers' confirmation to fix the lot quantities.",
                                       page(tender), tender.confirm_by, "To close", "blue", "Confirm by"))
                else:
                    drafts.append(Item(_task("Follow up the buyers", tender), f"{_quoted(tender)}: {_plural(pending, 'line')} of "
                                       f"{invited:,} still waiting for their buyers' confirmation, which closes on "
                                       f"{tender.confirm_by.day} {tender.confirm_by:%B %Y}.", page(tender),
                                       tender.confirm_by, f"{pending:,} pending", "yellow", "Confirm by"))
            elif permissions.can_prepare_publication(actor, tender):
                drafts.append(Item(_task("Prepare for publication", tender), f"{_quoted(tender)}: the lot quantities are confirmed; complete "
                                   "its details, criteria and documents, then publish it.", page(tender), None,
                                   "To publish", "blue"))

    questions: list[Item] = []
    open_ids = [t.id for t in live if t.effective_status is TenderStatus.published]
    if open_ids:
        unanswered = dict(session.execute(
            select(Clarification.tender_id, func.count(Clarification.id))
            .where(Clarification.tender_id.in_(open_ids), Clarification.answered_at.is_(None))
            .group_by(Clarification.tender_id)).all())
        for tender in live:
            n = unanswered.get(tender.id, 0)
            if n and permissions.can_answer_questions(actor, tender):
                questions.append(Item(_task("Answer the questions", tender), f"{_quoted(tender)}: {_plural(n, 'clarification question')} "
                                      f"from suppliers {'is' if n == 1 else 'are'} not answered yet.", page(tender),
                                      tender.clarification_deadline or tender.submission_deadline,
                                      f"{n:,} unanswered", "yellow", "Questions close"))

    sections = [
        Section("Tender boxes to open", box, "Nothing needs you: no tender is waiting to be opened."),
        Section("Evaluations", evaluating, "Nothing needs you: no evaluation waits for your marks or moderation."),
        Section("Awards to approve", approvals, "Nothing needs you: no recommendation waits for a second approval."),
        Section("Decisions to publish", publishing, "Nothing needs you: no approved award waits to be published."),
        Section("Contracts to enter", contracts, "Nothing needs you: no standstill has ended without its contracts."),
        Section("Draft tenders", drafts, "Nothing needs you: no draft tender waits for its buyers or for you."),
        Section("Clarification questions", questions, "Nothing needs you: every supplier’s question is answered."),
        failed_jobs_section(session, actor),
        conflicts_section(session, actor),
    ]
    return Worklist("agency", "What needs you", _by_urgency(sections))


def conflicts_section(session: Session, actor: Actor) -> Section:
    """The tenders the person shapes and must declare on now (Procurement Act 2023 s.81)."""
    items = [Item(f"Declare conflicts for {tender.reference}",
                  f"{_quoted(tender)}: you shape this procurement; declare any conflict of interest "
                  + ("before it is published." if stage is conflicts.ConflictStage.before_publication
                     else "now that the bidders are known."),
                  Link("conflicts.declaration", {"tender_id": tender.id}), None, "To declare", "blue")
             for tender, stage in conflicts.due_for(session, actor)]
    return Section("Conflicts of interest", items, "Nothing needs you: you have declared on every tender you shape.")


def failed_jobs_section(session: Session, actor: Actor, limit: int = 10) -> Section:
    """Background jobs that failed (their attempts spent), newest first; linked to the Jobs
    page, where the agency retries them."""
    found = list(session.scalars(select(Job).where(Job.status == JobStatus.failed)
                                 .order_by(Job.finished_at.desc(), Job.id.desc()).limit(limit)))
    total = session.scalar(select(func.count(Job.id)).where(Job.status == JobStatus.failed)) or 0
    link = Link("documents.jobs") if access.can_view_jobs(actor) else None
    items = []
    for job in found:
        kind = KINDS[job.kind].title if job.kind in KINDS else job.kind.replace("_", " ")
        error = (job.error or "no error recorded").strip().splitlines()[-1][:160]
        items.append(Item(f"{kind}", f"{kind[:1].upper() + kind[1:]} failed after {_plural(job.attempts, 'attempt')}: "
                          f"{error}" + ("" if link else " (the agency retries it from its Jobs page)"),
                          link, None, "Failed", "red"))
    section = Section("Failed jobs", items, "Nothing needs you: no background job has failed.", link,
                      f"See all {total:,} failed jobs" if total > len(items) else "")
    # Newest first, as found: failures have no due date, so the sort kept the order.
    return section


# Buyers -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TenderDate:
    """A tender an organisation takes part in, with its stage and its next date."""

    tender_id: int
    title: str
    stage: str
    next_date: Due
    next_what: str
    colour: str
    link: Link


@dataclass(frozen=True)
class OrganisationSaving:
    organisation: str
    orders: int
    saving: Decimal
    baseline: Decimal
    target: Decimal | None

    @property
    def of_target(self) -> Decimal | None:
        if not self.target:
            return None
        return (self.saving / self.target * 100).quantize(Decimal("0.1"))


def _own_organisations(actor: Actor) -> list[int]:
    if not access.can_raise_requirements(actor):
        raise PermissionDenied("The buyer's worklist is for buyers")
    return sorted(actor.organisation_ids)


def buyer_worklist(session: Session, actor: Actor) -> Worklist:
    own = _own_organisations(actor)
    # Lines to confirm: the same rule as tenders.forming.pooling.lines_to_answer, read in one query.
    rows = session.execute(
        select(LotLine, Lot, Tender).join(Lot, Lot.id == LotLine.lot_id).join(Tender, Tender.id == Lot.tender_id)
        .where(LotLine.organisation_id.in_(own), LotLine.status == LineStatus.pending,
               Tender.status == TenderStatus.draft, Tender.confirmation_closed_at.is_(None))
        .order_by(Tender.confirm_by, LotLine.id)).all()
    by_tender: dict[int, list[tuple[LotLine, Lot]]] = defaultdict(list)
    tenders: dict[int, Tender] = {}
    for line, lot, tender in rows:
        by_tender[tender.id].append((line, lot))
        tenders[tender.id] = tender
    confirm = []
    for tender_id, lines in by_tender.items():
        tender = tenders[tender_id]
        today_cost = sum((l.quantity * l.baseline_unit_price for l, _lot in lines), Decimal(0))
        priced = [(l, lot) for l, lot in lines if lot.estimated_unit_price is not None]
        estimate = sum((l.quantity * lot.estimated_unit_price for l, lot in priced), Decimal(0))  # type: ignore[operator]
        words = f"{_quoted(tender)}: {_plural(len(lines), 'line')} of your organisation’s to confirm or decline"
        if priced and len(priced) == len(lines):
            unit = (f" (estimated {_money(priced[0][1].estimated_unit_price)} a unit)"
                    if len({lot.estimated_unit_price for _l, lot in priced}) == 1 else "")
            words += (f"; at the joint price{unit} they cost an estimated {_money(estimate)} against "
                      f"{_money(today_cost)} today, a saving of {_money(today_cost - estimate)}")
        words += f". Lines not confirmed by {tender.confirm_by.day} {tender.confirm_by:%B %Y} drop out."
        confirm.append(Item(_task("Confirm or decline your lines", tender), words, Link("pools.mine"), tender.confirm_by,
                            f"{len(lines):,} to confirm", "orange", "Confirm by"))

    by_status = dict(session.execute(select(Requirement.status, func.count(Requirement.id))
                                     .where(Requirement.organisation_id.in_(own))
                                     .group_by(Requirement.status)).all())
    counts = [Count(status_label(status), by_status.get(status, 0),
                    Link("demand.requirements", {"status": status.value}))
              for status in RequirementStatus if by_status.get(status, 0)]
    drafts = by_status.get(RequirementStatus.draft, 0)
    requirement_items = []
    if drafts:
        requirement_items.append(Item("Draft requirements", f"{_plural(drafts, 'requirement')} of your organisation’s "
                                      f"{'is' if drafts == 1 else 'are'} still a draft: submit "
                                      f"{'it' if drafts == 1 else 'them'} for the e-agency to pool with other "
                                      "organisations’ demand.",
                                      Link("demand.requirements", {"status": "draft"}), None, "Draft", "grey"))

    decisions = []
    for tender in outcome.decided_tenders(session, actor):
        if tender.status is TenderStatus.complete:
            continue
        contracted = tender.status is TenderStatus.awarded
        decisions.append(Item(
            f"See the outcome: {tender.title}",
            f"{_quoted(tender)}: the award decision is published. See who won each lot you take part in, the price you "
            "pay and what your organisation saves" + (", and your orders." if contracted else "."),
            Link("evaluation.outcome_page", {"tender_id": tender.id}), None,
            "Orders made" if contracted else "Decision published", "green"))

    dates = organisation_tenders(session, actor)
    savings = organisation_savings(session, actor)
    sections = [
        Section("Award decisions", decisions, "No award decision waits for you to read it.",
                Link("evaluation.awards"), "All your decisions, orders and savings"),
        Section("Lines to confirm", confirm, "Nothing needs you: no line in a draft joint tender waits for your answer.",
                Link("pools.mine"), "Your pools, estimated savings and lines to confirm"),
        Section("Requirements to submit", requirement_items, "Nothing needs you: none of your requirements is a draft.",
                Link("demand.new_requirement"), "Raise a requirement"),
        conflicts_section(session, actor),
    ]
    return Worklist("buyer", "What needs you", _by_urgency(sections), counts, "Your requirements",
                    {"tenders": dates, "savings": savings})


def _money(amount: Any) -> str:
    return ("-" if amount < 0 else "") + f"£{abs(amount):,.2f}"


def status_label(status: RequirementStatus) -> str:
    return status_words(status)  # the words the requirements pages tag it with


def organisation_tenders(session: Session, actor: Actor) -> list[TenderDate]:
    """The tenders the buyer's organisations take part in (those they can see: a line in one of
    its lots), still under way, each with its next date; soonest first."""
    own = _own_organisations(actor)
    found = list(session.scalars(select(Tender).where(
        permissions.visible_tenders(actor),
        Tender.status.notin_([TenderStatus.complete, TenderStatus.cancelled, TenderStatus.unsuccessful]),
        Tender.id.in_(select(Lot.tender_id).join(LotLine, LotLine.lot_id == Lot.id).where(
            LotLine.organisation_id.in_(own), LotLine.status.in_([LineStatus.pending, LineStatus.confirmed]))))))
    ids = [t.id for t in found]
    standstills = {s.tender_id: s for s in session.scalars(select(Standstill).where(Standstill.tender_id.in_(ids)))} if ids else {}
    out = []
    for tender in found:
        status = tender.effective_status
        held = standstills.get(tender.id)
        when: Due
        if status is TenderStatus.draft:
            when, what, colour = ((tender.confirm_by, "Buyers confirm their lines by", "yellow")
                                  if tender.confirmation_closed_at is None else
                                  (None, "Being prepared for publication", "grey"))
        elif status is TenderStatus.published:
            when, what, colour = tender.submission_deadline, "Bids close", "green"
        elif status is TenderStatus.standstill and held is not None:
            when, what, colour = ((None, "Standstill paused by a challenge", "red") if held.paused_at else
                                  (held.ends_on, "Standstill ended" if held.ends_on < today() else "Standstill ends", "purple"))
        elif status is TenderStatus.awarded:
            when, what, colour = None, "Contracts entered: see your orders", "green"
        else:
            when, what, colour = tender.expected_award_on, "Award expected", "blue"
        decided = status in (TenderStatus.standstill, TenderStatus.awarded)
        link = Link("evaluation.outcome_page" if decided else "tenders.tender", {"tender_id": tender.id})
        out.append(TenderDate(tender.id, tender.title, tender.stage, when, what, colour, link))
    blank = Item("", "", None)
    out.sort(key=lambda d: Item("", "", None, d.next_date).sort_key if d.next_date else blank.sort_key)
    return out


def organisation_savings(session: Session, actor: Actor) -> list[OrganisationSaving]:
    """Each of the buyer's organisations' orders so far: what they save against what they paid
    before, and against the organisation's annual savings target where one is set."""
    own = _own_organisations(actor)
    totals = {o: (n, b or Decimal(0), t or Decimal(0)) for o, n, b, t in session.execute(
        select(CallOffOrder.organisation_id, func.count(CallOffOrder.id), func.sum(CallOffOrder.baseline),
               func.sum(CallOffOrder.total)).where(CallOffOrder.organisation_id.in_(own))
        .group_by(CallOffOrder.organisation_id))}
    out = []
    for organisation in session.scalars(select(Organisation).where(Organisation.id.in_(own)).order_by(Organisation.name)):
        n, baseline, total = totals.get(organisation.id, (0, Decimal(0), Decimal(0)))
        out.append(OrganisationSaving(organisation.name, n, Decimal(baseline) - Decimal(total), Decimal(baseline),
                                      organisation.annual_savings_target))
    return out


# Suppliers ----------------------------------------------------------------------------------

def supplier_worklist(session: Session, actor: Actor) -> Worklist:
    supplier_id = permissions.own_supplier(actor)
    if supplier_id is None:
        raise PermissionDenied("The supplier's worklist is for suppliers")
    own_bids = {b.tender_id: b for b in session.scalars(select(Bid).where(Bid.supplier_id == supplier_id))}
    open_tenders = list(session.scalars(select(Tender).where(open_for_bids()).order_by(Tender.submission_deadline)))
    detail = lambda t: Link("opportunities.detail", {"tender_id": t.id})  # noqa: E731
    bid_page = lambda t: Link("opportunities.bid", {"tender_id": t.id})  # noqa: E731

    opportunities, drafts, submitted = [], [], []
    for tender in open_tenders:
        bid = own_bids.get(tender.id)
        left = time_left(tender.submission_deadline)
        if bid is not None and bid.status is BidStatus.submitted:
            if bid.needs_reconfirmation:
                drafts.append(Item(_task("Re-confirm your bid", tender), f"{_quoted(tender)}: the tender was amended; re-confirm your "
                                   f"submitted bid before the deadline ({left}).", bid_page(tender),
                                   tender.submission_deadline, "To re-confirm", "orange", "Deadline"))
            else:
                submitted.append(Item(_task("Your submitted bid", tender), f"{_quoted(tender)}: your bid is in the box; you can replace "
                                      f"or withdraw it until the deadline ({left}).", bid_page(tender),
                                      tender.submission_deadline, "Submitted", "green", "Deadline"))
        elif bid is not None and bid.status is BidStatus.draft and bid.draft_sealed is not None:
            drafts.append(Item(_task("Finish your bid", tender), f"{_quoted(tender)}: your draft bid is saved but not submitted "
                               f"({left}).", bid_page(tender), tender.submission_deadline, "Draft", "yellow", "Deadline"))
        else:
            opportunities.append(Item(_task("See the opportunity", tender), f"{_quoted(tender)}: open for bids, {left}."
                                      + (" You withdrew your bid." if bid is not None and bid.status is BidStatus.withdrawn
                                         else ""), detail(tender), tender.submission_deadline,
                                      left[:1].upper() + left[1:], "blue", "Deadline"))

    # Bids in the box of tenders past their deadline, waiting for the decision.
    waiting_ids = [tid for tid, b in own_bids.items() if b.status is BidStatus.submitted]
    results: list[Item] = []
    if waiting_ids:
        after = list(session.execute(
            select(Tender, Standstill).outerjoin(Standstill, Standstill.tender_id == Tender.id)
            .where(Tender.id.in_(waiting_ids), ~open_for_bids(), Tender.status != TenderStatus.draft)))
        opened = set(session.scalars(select(OpenedBid.tender_id).where(OpenedBid.supplier_id == supplier_id,
                                                                       OpenedBid.tender_id.in_(waiting_ids))))
        for tender, held in after:
            if tender.id in opened and permissions.can_read_results(actor, tender):
                if held is not None and tender.status is TenderStatus.standstill:
                    ended = today() > held.ends_on
                    text = (f"{_quoted(tender)}: the award decision is published; standstill "
                            + ("is paused by a challenge." if held.paused_at else
                               f"{'ended' if ended else 'ends'} on {held.ends_on.day} {held.ends_on:%B %Y}.")
                            + " Read your assessment summary.")
                    due: Due = None if held.paused_at else held.ends_on
                    when = "Standstill ended" if held.ends_on < today() else "Standstill ends"
                else:
                    text, due = f"{_quoted(tender)}: the award decision is published. Read your assessment summary.", None
                    when = "Standstill ends"
                results.append(Item(_task("Read your results", tender), text, Link("evaluation.results", {"tender_id": tender.id}), due,
                                    "Results published", "green", when))
            elif tender.status in (TenderStatus.cancelled, TenderStatus.unsuccessful):
                continue
            else:
                submitted.append(Item(_task("Your bid in evaluation", tender), f"{_quoted(tender)}: the deadline has passed; your bid waits "
                                      "for the opening and the evaluation, results come with the award decision.",
                                      detail(tender), tender.expected_award_on, "In evaluation", "blue", "Award expected"))
    checks = list(session.execute(
        select(LowPriceCheck, Tender).join(OpenedBid, OpenedBid.id == LowPriceCheck.opened_bid_id)
        .join(Tender, Tender.id == OpenedBid.tender_id)
        .where(OpenedBid.supplier_id == supplier_id, LowPriceCheck.decision.is_(None),
               Tender.status == TenderStatus.evaluation)))
    for check, tender in checks:
        results.append(Item(_task("Explain your price", tender), f"{_quoted(tender)}: the evaluators ask you to explain an abnormally "
                            f"low price ({check.reason}).", Link("evaluation.results", {"tender_id": tender.id}),
                            tender.expected_award_on, "To explain", "orange", "Award expected"))

    asked = list(session.execute(
        select(Clarification, Tender).join(Tender, Tender.id == Clarification.tender_id)
        .where(Clarification.supplier_id == supplier_id, or_(Clarification.answered_at.is_(None), open_for_bids()))
        .order_by(Clarification.asked_at.desc()).limit(20)))
    answers = []
    for question, tender in asked:
        said = question.question if len(question.question) <= 80 else question.question[:77].rstrip() + "…"
        if question.answered_at:
            answers.append(Item(_task("Answer to your question", tender), f"{_quoted(tender)}: your question “{said}” is answered, and the "
                                "answer published to every supplier.", detail(tender), tender.submission_deadline,
                                "Answered", "green", "Deadline"))
        else:
            answers.append(Item(_task("Your question", tender), f"{_quoted(tender)}: your question “{said}” waits for the agency’s "
                                "answer.", detail(tender), tender.submission_deadline, "Waiting", "grey", "Deadline"))

    declaration, declared_words = _declaration_item(session, supplier_id)
    if declaration is not None:
        drafts.append(declaration)
    sections = [
        Section("Bids to finish", drafts, "Nothing needs you: no draft bid or amended bid waits for you."),
        Section("Results", results, "Nothing needs you: no result or price explanation waits for you.",
                Link("opportunities.mine"), "Your bids, open and closed, and their results"),
        Section("Open opportunities", opportunities, "No tender is open for bids at the moment.",
                Link("opportunities.index"), "Find opportunities by CPV code"),
        Section("Your submitted bids", submitted, "You have no submitted bid waiting for a decision.",
                Link("opportunities.mine"), "All your bids"),
        Section("Your questions", answers, "You have no question waiting or answered on an open tender."),
    ]
    return Worklist("supplier", "What needs you", sections, extra={"declaration": declared_words})


def _declaration_item(session: Session, supplier_id: int) -> tuple[Item | None, str]:
    """The exclusions declaration on the supplier's home: a task when it is missing, out of date or
    within a month of it; and a sentence of where it stands."""
    from suppliers import exclusions

    declaration = exclusions.current_declaration(session, supplier_id)
    link = Link("exclusions.mine")
    if declaration is None:
        return (Item("Declare the exclusion grounds", "You cannot bid until your company has declared the exclusion grounds "
                     "(asked once, it counts for a year).", link, None, "To declare", "red", "Due"),
                "Exclusions declaration: not made yet.")
    ends = exclusions.expires_on(declaration)
    day = ends.astimezone(LONDON).date()
    if not exclusions.is_current(declaration, now()):
        return (Item("Declare the exclusion grounds again", "Your exclusions declaration is more than a year old: declare "
                     "again before you bid.", link, ends, "Out of date", "red", "Expired"),
                f"Exclusions declaration: version {declaration.version}, out of date since {date_text(day)}.")
    words = f"Exclusions declaration: version {declaration.version}, counts until {date_text(day)}."
    if ends - now() < timedelta(days=30):
        return (Item("Renew your exclusions declaration", "Your exclusions declaration stops counting within a month: "
                     "declare again to keep bidding.", link, ends, "Renew", "orange", "Due"), words)
    return None, words


# Administrators -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SignIn:
    email: str
    at: datetime
    succeeded: bool


def admin_worklist(session: Session, actor: Actor, *, attempts: int = 5, minutes: int = 15) -> Worklist:
    """Locked accounts (the sign-in lockout's rule, read for every account at once), failed
    jobs, recent sign-ins, and the platform's figures as a small secondary section."""
    if not access.can_manage_accounts(actor):
        raise PermissionDenied("The administrator's worklist is for administrators")
    at, window = now(), timedelta(minutes=minutes)
    failures: dict[str, list[datetime]] = defaultdict(list)
    last_success = dict(session.execute(select(SignInAttempt.email, func.max(SignInAttempt.attempted_at))
                                        .where(SignInAttempt.succeeded, SignInAttempt.attempted_at > at - window)
                                        .group_by(SignInAttempt.email)).all())
    for email, when in session.execute(select(SignInAttempt.email, SignInAttempt.attempted_at).where(
            SignInAttempt.succeeded.is_(False), SignInAttempt.attempted_at > at - window)):
        if last_success.get(email) is None or when > last_success[email]:
            failures[email].append(when)
    accounts = dict(session.execute(select(User.email, User.id).where(User.email.in_(sorted(failures)))).all()) if failures else {}
    locked = []
    for email, times in sorted(failures.items()):
        ends = lockout_ends(times, at, limit=attempts, window=window)
        if ends is None:
            continue
        link = Link("admin.user", {"user_id": accounts[email]}) if email in accounts else None
        locked.append(Item(email, f"{email}: sign-in is locked after {_plural(len(times), 'failed attempt')}; it "
                           f"unlocks by itself at {ends.astimezone(LONDON):%H:%M}"
                           + ("." if link else " (no account has this address)."), link, ends, "Locked", "red", "Unlocks"))
    recent = [SignIn(e, w, s) for e, w, s in session.execute(
        select(SignInAttempt.email, SignInAttempt.attempted_at, SignInAttempt.succeeded)
        .order_by(SignInAttempt.attempted_at.desc(), SignInAttempt.id.desc()).limit(10))]
    sections = [
        Section("Locked accounts", locked, "Nothing needs you: no account is locked out of signing in.",
                Link("admin.users"), "Accounts"),
        failed_jobs_section(session, actor),
    ]
    from procurement.parties.services import platform_counts

    figures = platform_counts(session)
    counts = [Count("Organisations", figures["organisations"], Link("procurement.organisations")),
              Count("Suppliers", figures["suppliers"], Link("suppliers.index")),
              Count("Accounts", figures["users"], Link("admin.users")),
              Count("CPV codes", figures["cpv_codes"], Link("procurement.cpv"))]
    return Worklist("admin", "What needs you", _by_urgency(sections), counts, "The platform", {"sign_ins": recent})


def worklists(session: Session, actor: Actor, **admin: Any) -> list[Worklist]:
    """The worklists of every role the person has, in the order agency, buyer, supplier, admin."""
    found = []
    if access.can_manage_tenders(actor):
        found.append(agency_worklist(session, actor))
    if access.can_raise_requirements(actor):
        found.append(buyer_worklist(session, actor))
    if permissions.own_supplier(actor) is not None:
        found.append(supplier_worklist(session, actor))
    if access.can_manage_accounts(actor):
        found.append(admin_worklist(session, actor, **admin))
    return found
