"""The tender builder's task statuses and the next action on a tender, from plain facts."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from tenders.models import TenderStatus
from tenders.progress import TaskStatus, TenderFacts, draft_tasks, may_publish, next_action

TODAY = date(2026, 12, 3)
DRAFT = TenderFacts(status=TenderStatus.draft, today=TODAY, confirm_by=date(2026, 12, 20), lines_pending=7,
                    details_problems=("Set the deadline for bids",), lots_problems=("Close the buyers' confirmation first",),
                    criteria_problems=("The weights must add up to 100",), lots=1)
READY = replace(DRAFT, confirmation_closed=True, lines_pending=0, lines_confirmed=5, lines_declined=2,
                details_started=True, details_problems=(), lots_problems=(), criteria_problems=(), criteria=2,
                documents=1, lots=2, lots_valued=2)


def statuses(facts: TenderFacts) -> dict[str, TaskStatus]:
    return {t.key: t.status for t in draft_tasks(facts)}


def test_a_new_draft_has_nothing_started_and_cannot_publish() -> None:
    assert statuses(DRAFT) == {
        "details": TaskStatus.not_started, "lots": TaskStatus.cannot_start, "criteria": TaskStatus.not_started,
        "documents": TaskStatus.not_started, "award-rules": TaskStatus.completed,
        "confirmation": TaskStatus.not_started, "publish": TaskStatus.cannot_start}
    assert not may_publish(draft_tasks(DRAFT))


def test_tasks_in_progress() -> None:
    facts = replace(DRAFT, details_started=True, criteria=1, lines_pending=4, lines_confirmed=3)
    found = statuses(facts)
    assert found["details"] is found["criteria"] is found["confirmation"] is TaskStatus.in_progress
    hint = next(t.hint for t in draft_tasks(facts) if t.key == "confirmation")
    assert hint == "3 of 7 lines confirmed; buyers answer by 20 December 2026"


def test_lots_wait_for_the_confirmation_then_for_their_values() -> None:
    closed = replace(READY, lots_valued=0)
    assert statuses(closed)["lots"] is TaskStatus.not_started
    assert statuses(replace(closed, lots_valued=1))["lots"] is TaskStatus.in_progress
    no_line = replace(READY, lots_problems=("No lot has a confirmed line",))
    (lots,) = [t for t in draft_tasks(no_line) if t.key == "lots"]
    assert lots.status is TaskStatus.cannot_start and lots.hint == "No lot has a confirmed line"


def test_publish_opens_only_when_every_other_task_is_complete() -> None:
    assert set(statuses(READY).values()) == {TaskStatus.completed, TaskStatus.not_started}
    assert statuses(READY)["publish"] is TaskStatus.not_started and may_publish(draft_tasks(READY))
    for spoilt in (replace(READY, documents=0), replace(READY, criteria_problems=("x",)),
                   replace(READY, details_problems=("x",)), replace(READY, confirmation_closed=False),
                   replace(READY, lots_valued=1)):
        assert not may_publish(draft_tasks(spoilt)), spoilt


@pytest.mark.parametrize("facts, text, who", [
    (replace(DRAFT, lines_pending=4, lines_confirmed=3), "Next: buyers confirm their lines by 20 December 2026 (3 of 7 confirmed)",
     "buyers"),
    (replace(DRAFT, lines_pending=0, lines_confirmed=7), "Next: the agency closes the buyers' confirmation (every line is answered)",
     "agency"),
    (replace(DRAFT, today=date(2026, 12, 21), lines_pending=2, lines_confirmed=5),
     "Next: the agency closes the buyers' confirmation (2 lines went unconfirmed by 20 December 2026)", "agency"),
    (replace(READY, documents=0), "Next: the agency completes 1 task (tender documents), then publishes the tender", "agency"),
    (READY, "Next: the agency checks and publishes the tender", "agency"),
])
def test_the_next_action_on_a_draft(facts: TenderFacts, text: str, who: str) -> None:
    found = next_action(facts)
    assert (found.text, found.who) == (text, who)


def test_the_next_action_through_the_tender() -> None:
    at = TenderFacts(status=TenderStatus.published, today=TODAY, confirm_by=TODAY,
                     submission_deadline=datetime(2027, 1, 15, 12, tzinfo=timezone.utc), unanswered_questions=2)
    assert next_action(at).text == ("Next: suppliers bid by 15 January 2027 at 12:00; the agency answers 2 clarification "
                                    "questions meanwhile")
    assert next_action(at, agency=False).text == "Next: suppliers bid by 15 January 2027 at 12:00"
    closed = replace(at, status=TenderStatus.closed)
    assert next_action(closed).text.startswith("Next: an agency user requests the opening")
    requested = replace(closed, opening_requested_by="Alex Lead",
                        opening_requested_at=datetime(2026, 12, 3, 9, tzinfo=timezone.utc))
    assert next_action(requested).text == ("Next: a second agency user must confirm the opening — requested by Alex Lead "
                                           "on 3 December 2026")
    assert "Alex Lead" not in next_action(requested, agency=False).text
    marking = replace(at, status=TenderStatus.evaluation, panel=3, panel_submitted=1, lots=2, lead="Alex Lead")
    assert next_action(marking).text.endswith("(1 of 3 submitted)")
    moderating = replace(marking, panel_submitted=3, recommended=1)
    assert next_action(moderating).text == ("Next: the lead, Alex Lead, moderates the scores and recommends an award "
                                            "(1 of 2 lots recommended)")
    assert next_action(replace(moderating, recommended=2, approved=1)).text.startswith(
        "Next: a second agency user approves")
    standstill = replace(at, status=TenderStatus.standstill, standstill_ends=date(2026, 12, 15))
    assert next_action(standstill).text == "Standstill ends 15 December 2026; then the agency enters the contracts"
    assert next_action(replace(standstill, today=date(2026, 12, 16))).text == (
        "Next: the agency enters the contracts (standstill ended on 15 December 2026)")
    assert "paused by a challenge" in next_action(replace(standstill, standstill_paused=True)).text
    done = next_action(replace(at, status=TenderStatus.cancelled, cancel_reason="Demand fell away"))
    assert (done.text, done.who) == ("Nothing more to do: the tender was cancelled (Demand fell away)", "")


def test_a_buyer_is_asked_for_their_own_lines() -> None:
    facts = replace(DRAFT, lines_pending=4, lines_confirmed=3)
    assert next_action(facts, agency=False, own_pending=2).text == (
        "Next: confirm or decline your organisation's 2 lines by 20 December 2026; lines not confirmed by then drop out")
    assert next_action(facts, agency=False).text.startswith("Next: buyers confirm their lines")
    assert next_action(READY, agency=False).text == "Next: the agency prepares the tender for publication"


def test_the_next_action_says_where_it_is_taken() -> None:
    at = TenderFacts(status=TenderStatus.closed, today=TODAY, confirm_by=TODAY)
    assert next_action(at).where == "box"
    for status in (TenderStatus.opened, TenderStatus.evaluation, TenderStatus.award_proposed, TenderStatus.standstill):
        assert next_action(replace(at, status=status)).where == "evaluation", status
    assert next_action(replace(at, status=TenderStatus.published)).where == ""
