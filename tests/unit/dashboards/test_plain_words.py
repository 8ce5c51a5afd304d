"""Every act the code can write in the audit log, and every kind of job, has a sentence in
dashboards.plain_words. The acts are found in the code itself: each call of record_event or
keep_event, and each call of a function that passes its `action` on to one, so a new act without
words fails here."""
from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from catalogue.models import ImportOutcome
from dashboards import plain_words
from procurement.core.jobrecords import SENT_AGAIN_NOTE

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ["procurement", "suppliers", "catalogue", "demand", "tenders", "opendata", "reports", "dashboards"]
RECORDERS = {"record_event": 2, "keep_event": 2}  # function name -> the action's position
# Actions made up at run time, and what they can be.
FORMATTED = {"catalogue_import.{record.outcome.value}": [f"catalogue_import.{o.value}" for o in ImportOutcome]}
# Passes on actions already recorded elsewhere (keep_event's, written after the rollback).
FORWARDS = {"event.pop('action')"}
ACTION = re.compile(r"^[a-z_]+(\.[a-z_]+)?$")


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text())) for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))]


def _called(node: ast.Call) -> str | None:
    return getattr(node.func, "id", None) or getattr(node.func, "attr", None)


def _action_argument(node: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for given in node.keywords:
        if given.arg == keyword:
            return given.value
    return node.args[position] if len(node.args) > position else None


def recorded_actions() -> set[str]:
    """Every action string the code can pass to record_event or keep_event, directly or through a
    function whose `action` parameter it forwards (tenders.lifecycle.move, demand's move_requirement...)."""
    modules = _modules()
    recorders, found, unknown = dict(RECORDERS), set(), []
    changed = True
    while changed:  # find the forwarding functions, then the functions forwarding to those
        changed = False
        for _, tree in modules:
            for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
                params = [a.arg for a in function.args.args + function.args.kwonlyargs]
                if "action" not in params or function.name in recorders:
                    continue
                for call in (n for n in ast.walk(function) if isinstance(n, ast.Call) and _called(n) in recorders):
                    argument = _action_argument(call, recorders[_called(call)], "action")
                    if isinstance(argument, ast.Name) and argument.id == "action":
                        positional = [a.arg for a in function.args.args]
                        recorders[function.name] = positional.index("action") if "action" in positional else 99
                        changed = True
    for path, tree in modules:
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and _called(n) in recorders):
            argument = _action_argument(call, recorders[_called(call)], "action")
            if argument is None:
                continue
            text = ast.unparse(argument)
            if isinstance(argument, ast.Name) and argument.id == "action" or text in FORWARDS:
                continue
            if isinstance(argument, ast.JoinedStr):
                if text.strip("f'\"") not in FORMATTED:
                    unknown.append(f"{path.relative_to(REPO)}:{call.lineno} {text}")
                found.update(FORMATTED.get(text.strip("f'\""), []))
                continue
            strings = [n.value for n in ast.walk(argument) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            if not strings or not all(ACTION.match(s) for s in strings):
                unknown.append(f"{path.relative_to(REPO)}:{call.lineno} {text}")
            found.update(strings)
    assert not unknown, "actions this test cannot read: name them in FORMATTED or FORWARDS\n" + "\n".join(unknown)
    return found


def job_kinds() -> set[str]:
    """Every kind the domains declare (a module's JOB_KINDS, which the composition root registers),
    and every kind named where a job is asked for."""
    kinds = set()
    for path, tree in _modules():
        if any(isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "JOB_KINDS" for t in n.targets) for n in tree.body):
            module = importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts))
            kinds.update(kind.name for kind in module.JOB_KINDS)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call) and _called(n) == "request_job"):
            if len(call.args) > 2 and isinstance(call.args[2], ast.Constant):
                kinds.add(call.args[2].value)
    return kinds


def test_the_scan_finds_the_acts_it_should():
    found = recorded_actions()
    assert {"tender.opening_requested", "award_pack.requested", "tender.closed", "requirement.withdrawn_by_agency",
            "catalogue_import.rejected", "upload.virus_found", "sign_out", "bid.replaced"} <= found
    assert len(found) > 80


def test_every_act_the_code_can_record_has_words():
    missing = sorted(recorded_actions() - set(plain_words.ACTS))
    assert missing == [], f"give these acts a sentence in dashboards/plain_words.py ACTS: {missing}"


def test_every_sentence_names_its_subject_or_needs_none_and_reads_as_words():
    for action, act in plain_words.ACTS.items():
        assert act.group in plain_words.GROUPS and act.label and act.label[0].isupper(), action
        assert "_" not in act.sentence + act.label, action
        assert set(re.findall(r"{(\w+)}", act.sentence)) <= {"who", "subject"}, action


def test_every_kind_of_job_has_words():
    kinds = job_kinds()
    assert {"award_pack", "award_notice", "catalogue_import", "savings_report", "optimise_award"} <= kinds
    assert sorted(kinds - set(plain_words.JOB_WORDS)) == [], "give these job kinds words in plain_words.JOB_WORDS"


@pytest.mark.parametrize("action, who, subject, expected", [
    ("tender.opening_requested", "Alex Lead", "‘Laptops for schools’", "Alex Lead requested the opening of ‘Laptops for schools’"),
    ("tender.closed", "The service's clock", "‘Laptops’ (LC-2026-0002)", "‘Laptops’ (LC-2026-0002) closed at its deadline"),
    ("sign_in.failed", "Someone not signed in", "a@b.example", "Someone failed to sign in as a@b.example"),
    ("user_session.pruned", "The service's schedule", "", "The service's schedule deleted old sign-in sessions"),
    ("award_pack.requested", "Alex Lead", "", "Alex Lead asked for the award documents of something"),
])
def test_a_sentence_reads_as_the_act(action, who, subject, expected):
    sentence = plain_words.act_sentence(action, who, subject)
    assert str(sentence) == expected
    assert sentence.subject == subject


def test_an_act_the_mapping_does_not_know_still_reads_as_words():
    sentence = str(plain_words.act_sentence("widget.re_framed", "Ada", "‘X’"))
    assert sentence == "Ada: widget: re framed (‘X’)" and "_" not in sentence
    assert plain_words.act_label("widget.re_framed") == "Widget: re framed"
    assert plain_words.act_group("widget.re_framed") == "Other"


def test_who_is_a_name_or_the_service_in_words():
    assert plain_words.who_words("alex@x.example", "Alex Lead") == "Alex Lead"
    assert plain_words.who_words("gone@x.example") == "gone@x.example"
    assert plain_words.who_words("seed-demo") == "The demo set-up"
    assert plain_words.who_words("anonymous") == "Someone not signed in"
    assert plain_words.who_words("job:catalogue_import") == "The service"
    assert plain_words.who_words("flask tenders rebuild-award-records") == "An administrator at the command line"
    assert plain_words.who_mid_sentence("The service") == "the service"
    assert plain_words.who_mid_sentence("Alex Lead") == "Alex Lead"


def test_the_what_filter_offers_every_act_and_every_group_in_words():
    choices = dict(plain_words.what_choices())
    assert set(plain_words.ACTS) <= set(choices)
    assert choices["award_pack.requested"] == "Evaluation and award: award documents asked for"
    assert choices["api_token.created"] == "Accounts: API token made"
    assert plain_words.actions_for("group:Bids") == [a for a, act in plain_words.ACTS.items() if act.group == "Bids"]
    assert plain_words.actions_for("tender.opened") == ["tender.opened"] and plain_words.actions_for("") is None


@pytest.mark.parametrize("kind, status, expected", [
    ("award_notice", "done", "Award decision notice for lot 1 of ‘Laptops’ made"),
    ("award_notice", "queued", "Award decision notice for lot 1 of ‘Laptops’ waiting to be made"),
    ("award_notice", "running", "Award decision notice for lot 1 of ‘Laptops’ being made"),
    ("award_notice", "failed", "Award decision notice for lot 1 of ‘Laptops’ could not be made"),
    ("award_pack", "done", "Award documents for lot 1 of ‘Laptops’ asked for, one job each"),
    ("award_pack", "failed", "Award documents for lot 1 of ‘Laptops’ could not be asked for"),
])
def test_a_job_reads_as_what_it_makes(kind, status, expected):
    assert str(plain_words.job_sentence(kind, status, "lot 1 of ‘Laptops’")) == expected


def test_the_jobs_filter_offers_every_kind_in_words():
    choices = dict(plain_words.job_what_choices())
    assert set(plain_words.JOB_WORDS) <= set(choices) and choices["award_notice"] == "Award decision notices"
    assert all("_" not in label for label in choices.values())


def test_every_kind_reads_in_every_state():
    for kind in plain_words.JOB_WORDS:
        for status in plain_words.STATUS_WORDS:
            sentence = str(plain_words.job_sentence(kind, status, "Thames Digital's catalogue file offers.csv"))
            assert "_" not in sentence and "{" not in sentence and sentence[0].isupper(), (kind, status)


def test_what_happened_to_a_job_is_told_in_words():
    assert plain_words.job_story(2, "the process running it (host:123:thread) stopped; resumed", "") == [
        "Job retried after the worker running it stopped"]
    assert plain_words.job_story(1, SENT_AGAIN_NOTE, "") == ["Job sent again after the worker or its message was lost"]
    assert plain_words.job_story(1, "attempt 1 failed; trying again", "") == ["Attempt 1 failed; it will be tried again"]
    assert plain_words.job_story(3, "finished", "") == ["Tried 3 times"]
    assert plain_words.job_story(1, "", "ValueError: LC-2026-0001 has no published award decision") == [
        "Why: LC-2026-0001 has no published award decision"]
    assert plain_words.job_story(2, "", "the process running it (host:99:runner) stopped after 2 attempt(s)") == [
        "Tried 2 times", "Why: the worker running it stopped after 2 attempts"]
    assert plain_words.job_story(1, "finished", "") == []


def test_progress_is_told_only_while_running():
    assert plain_words.progress_words("running", 40, "rendering the PDF") == "40% done: rendering the PDF"
    assert plain_words.progress_words("done", 100, "finished") == ""


def test_the_chain_is_told_in_words():
    assert plain_words.describe_chain(True, 1234, None, None).startswith("The chain of digests is whole: all 1,234 entries")
    broken = plain_words.describe_chain(False, 56, 57, "its contents do not match its stored digest (altered)")
    assert "broken at entry 57: its contents do not match" in broken and "56 entries before it" in broken
