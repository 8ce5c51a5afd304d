"""A requirement's page in plain words: its status, its last move, who raised it, the CPV finder's words."""
from __future__ import annotations

import pytest

from demand import rules
from demand.models import RequirementStatus as S


def test_every_status_has_capitalised_plain_words():
    assert rules.status_words(S.committed) == "Committed" and rules.status_words(S.fulfilled) == "Delivered"
    assert all(rules.status_words(s)[0].isupper() and "_" not in rules.status_words(s) for s in S)


@pytest.mark.parametrize(("reason", "sentence"), [
    ("confirmed into tender LC-2026-0001", "Committed to joint tender LC-2026-0001"),
    ("confirmed into tender LC-2026-0001, lot 2", "Committed to joint tender LC-2026-0001, lot 2"),
    ("not confirmed for tender LC-2026-0003 by 2026-11-04",
     "Not confirmed for joint tender LC-2026-0003 by 4 November 2026: back with the e-agency to pool"),
    ("Budget withdrawn by the council", "Budget withdrawn by the council"),
])
def test_a_move_s_reason_reads_as_a_sentence_without_iso_dates(reason, sentence):
    assert rules.status_sentence(reason) == sentence


def test_system_actors_are_named_in_words():
    assert rules.actor_words("seed-demo") == "the demo set-up"
    assert rules.actor_words("flask seed-demo") == "an administrator at the command line"
    assert rules.actor_words("gone@camden.example") == "gone@camden.example"


@pytest.mark.parametrize(("query", "stems"), [
    ("laptop", ["portable", "computer"]),
    ("Laptops", ["portable", "computer"]),
    ("mobile phones", ["mobile", "telephone"]),
    ("office supplies", ["office", "suppl"]),
    ("glass", ["glass"]),
])
def test_the_cpv_finder_tries_the_vocabulary_s_words_by_stem(query, stems):
    assert rules.cpv_search_words(query) == stems
