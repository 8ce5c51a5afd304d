"""The conflicts of interest rules (Procurement Act 2023 ss.81-83), from plain facts: who must
declare at which stage, whether the assessment is current, whose conflict is unmitigated."""
from __future__ import annotations

import pytest

from tenders import conflicts
from tenders.models import ConflictAnswer as A
from tenders.models import ConflictAssessment, ConflictDeclaration
from tenders.models import ConflictStage as S
from tenders.models import TenderStatus as T

SHAPED = {1: ["formed it from the pools"], 2: ["confirmed an organisation's lines"]}


def declared(id_: int, user: int, stage: S = S.before_publication, answer: A = A.none) -> ConflictDeclaration:
    return ConflictDeclaration(id=id_, user_id=user, stage=stage, answer=answer)


def assessed(*considered: int, kept_out: tuple[int, ...] = ()) -> ConflictAssessment:
    return ConflictAssessment(considered=list(considered), kept_out=list(kept_out), summary="s")


@pytest.mark.parametrize("status, stage", [
    (T.draft, S.before_publication), (T.published, None), (T.closed, None), (T.opened, S.bidders_known),
    (T.evaluation, S.bidders_known), (T.award_proposed, S.bidders_known), (T.standstill, None), (T.cancelled, None)])
def test_the_stage_follows_the_tender(status, stage):
    assert conflicts.stage_of(status) is stage


def test_shapers_declare_before_publication_and_evaluators_join_them_once_bidders_are_known():
    before = conflicts.must_declare(S.before_publication, SHAPED, evaluators=[3])
    assert set(before) == {1, 2}
    after = conflicts.must_declare(S.bidders_known, SHAPED, evaluators=[1, 3])
    assert set(after) == {1, 2, 3}
    assert after[1] == ("formed it from the pools", conflicts.EVALUATES) and after[3] == (conflicts.EVALUATES,)


def test_who_has_not_declared_is_counted_per_stage():
    made = [declared(1, 1), declared(2, 2, S.bidders_known)]
    assert conflicts.undeclared([1, 2], made, S.before_publication) == [2]
    assert conflicts.undeclared([1, 2], made, S.bidders_known) == [1]


def test_an_assessment_is_current_only_while_it_has_considered_every_declaration():
    made = [declared(1, 1), declared(2, 2)]
    assert not conflicts.is_current(None, made)
    assert conflicts.is_current(assessed(1, 2), made)
    # The second round (or a new conflict) reopens it.
    assert not conflicts.is_current(assessed(1, 2), [*made, declared(3, 1, S.bidders_known)])


def test_only_a_declared_conflict_left_unreviewed_stops_the_decision():
    made = [declared(1, 1), declared(2, 2, S.bidders_known), declared(3, 3, S.bidders_known, A.potential)]
    assert [d.id for d in conflicts.unreviewed_conflicts(assessed(1), made)] == [3]
    assert conflicts.unreviewed_conflicts(assessed(1, 3), made) == []


def test_an_unmitigated_conflict_is_one_unreviewed_or_kept_out():
    made = [declared(1, 1, answer=A.conflict), declared(2, 2)]
    assert conflicts.unmitigated(1, None, made)
    assert conflicts.unmitigated(1, assessed(2), made)            # not yet considered
    assert not conflicts.unmitigated(1, assessed(1, 2), made)      # considered and mitigated
    assert conflicts.unmitigated(1, assessed(1, 2, kept_out=(1,)), made)
    assert not conflicts.unmitigated(2, None, made)
    # The latest declaration is the person's position: a conflict declared later is not yet reviewed.
    later = [*made, declared(5, 2, S.bidders_known, A.conflict)]
    assert conflicts.unmitigated(2, assessed(1, 2), later)
    # Declaring "none" after a conflict does not clear it: only an assessment that considers it does.
    retracted = [*later, declared(6, 2, S.bidders_known, A.none)]
    assert conflicts.unmitigated(2, assessed(1, 2, 6), retracted)
    assert not conflicts.unmitigated(2, assessed(1, 2, 5, 6), retracted)


def test_a_declaration_of_a_conflict_names_the_interest_and_its_nature():
    assert conflicts.declaration_errors("none", "", "") == {}
    assert set(conflicts.declaration_errors("conflict", "", "")) == {"interest", "nature"}
    assert set(conflicts.declaration_errors("maybe", "", "")) == {"answer"}
    assert set(conflicts.declaration_errors("potential", "x" * 301, "n")) == {"interest"}
    assert conflicts.declaration_errors("potential", "Thames Digital", "My brother is a director") == {}


def test_an_assessment_of_conflicts_sets_out_the_steps_taken():
    assert set(conflicts.assessment_errors("", "", "", any_conflict=False)) == {"summary"}
    assert conflicts.assessment_errors("", "", "None declared", any_conflict=False) == {}
    assert set(conflicts.assessment_errors("", "", "Summary", any_conflict=True)) == {"conflicts", "mitigation"}
    assert set(conflicts.assessment_errors("c", "m", "s" * 5001, any_conflict=True)) == {"summary"}
