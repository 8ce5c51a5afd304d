"""The exclusion rules as plain functions: what a declaration must say, when it stops counting,
how a supplier is matched to the debarment list, and how a published list is read."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from suppliers import exclusions
from suppliers.exclusions import DebarmentListRefused, ExclusionStatus, Listed

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc)


def _problems(grounds=None, connected=(), associated=(), evidence=""):
    return exclusions.declaration_problems({**exclusions.nothing_to_declare(), **(grounds or {})}, connected,
                                           associated, evidence)


def test_all_no_is_a_complete_declaration():
    kept, errors = _problems()
    assert errors == {}
    assert all(a == {"applies": False} for a in kept["grounds"].values())
    assert set(kept["grounds"]) == {g.code for g in exclusions.GROUNDS}


def test_every_ground_is_answered():
    answers = exclusions.nothing_to_declare()
    del answers["terrorism"]
    _kept, errors = exclusions.declaration_problems(answers, [], [], "")
    assert list(errors) == ["ground-terrorism"]


def test_a_yes_without_mitigation_is_an_error_on_that_field():
    _kept, errors = _problems({"fraud_bribery": {"applies": True, "details": "A conviction in 2023", "mitigation": "  "}},
                              evidence="Court papers")
    assert list(errors) == ["ground-fraud_bribery-mitigation"]
    assert "put it right" in errors["ground-fraud_bribery-mitigation"][0]


def test_a_yes_with_mitigation_and_evidence_is_accepted():
    kept, errors = _problems({"poor_performance": {"applies": True, "details": "Contract ended early in 2024",
                                                   "mitigation": "New delivery manager and weekly reviews"}},
                             evidence="Board minutes, held by the company secretary")
    assert errors == {}
    assert kept["grounds"]["poor_performance"]["mitigation"].startswith("New delivery")


def test_a_yes_needs_the_evidence_described():
    _kept, errors = _problems({"poor_performance": {"applies": True, "details": "x", "mitigation": "y"}})
    assert list(errors) == ["evidence"]


def test_a_connected_person_with_a_ground_needs_mitigation_and_a_known_role():
    connected = [{"name": "A Director", "role": "director", "grounds": ["cartel"], "details": "Fined 2022", "mitigation": ""},
                 {"name": "Somebody", "role": "cousin"},
                 {"name": "", "role": "", "grounds": [], "details": "", "mitigation": ""}]  # an empty row: left out
    kept, errors = _problems(connected=connected)
    assert set(errors) == {"connected-1-mitigation", "connected-2-role"}
    assert len(kept["connected"]) == 2


def test_an_associated_person_says_what_it_is_relied_on_for():
    _kept, errors = _problems(associated=[{"name": "Install Co Ltd", "role": ""}])
    assert list(errors) == ["associated-1-role"]


def test_a_declaration_counts_for_a_year_and_not_once_replaced():
    declaration = SimpleNamespace(declared_at=NOW - timedelta(days=364), superseded_at=None)
    assert exclusions.is_current(declaration, NOW)
    assert not exclusions.is_current(SimpleNamespace(declared_at=NOW - timedelta(days=366), superseded_at=None), NOW)
    assert not exclusions.is_current(SimpleNamespace(declared_at=NOW, superseded_at=NOW), NOW)
    assert not exclusions.is_current(None, NOW)


@pytest.mark.parametrize("name, normalised", [
    ("Thames Digital Hardware Ltd", "thames digital hardware"),
    ("THAMES DIGITAL HARDWARE LIMITED", "thames digital hardware"),
    ("Smith & Sons (UK) plc", "smith and sons"),
    ("Café Systèmes Ltd.", "cafe systemes"),
])
def test_names_are_normalised(name, normalised):
    assert exclusions.normalise_name(name) == normalised


def _entry(name, number=None, kind="mandatory", starts=date(2026, 1, 1), ends=date(2030, 1, 1)):
    return Listed(1, name, number, kind, "Fraud", starts, ends, starts, "Published list")


def test_a_match_by_companies_house_number_whatever_the_name():
    found, near = exclusions.match("Renamed Ltd", "01234567", [_entry("Old Name Ltd", "1234567")], date(2026, 6, 1))
    assert len(found) == 1 and near == []


def test_a_match_by_name_only_when_the_entry_has_no_number():
    entries = [_entry("Thames Digital Hardware Limited")]
    found, _near = exclusions.match("Thames Digital Hardware Ltd", "01234567", entries, date(2026, 6, 1))
    assert len(found) == 1


def test_the_same_name_with_another_number_is_flagged_not_matched():
    found, near = exclusions.match("Thames Digital Hardware Ltd", "01234567", [_entry("Thames Digital Hardware Ltd", "07654321")],
                                   date(2026, 6, 1))
    assert found == [] and len(near) == 1


def test_a_similar_name_is_a_near_match_for_the_agency():
    found, near = exclusions.match("Thames Digital Hardware Ltd", None, [_entry("Thames Digital Hardware Services Ltd")],
                                   date(2026, 6, 1))
    assert found == [] and len(near) == 1
    found, near = exclusions.match("Capital Network Systems Ltd", None, [_entry("Thames Digital Hardware Ltd")], date(2026, 6, 1))
    assert found == [] and near == []


def test_an_entry_counts_only_while_in_force():
    entries = [_entry("Old Ltd", "01234567", starts=date(2020, 1, 1), ends=date(2025, 1, 1))]
    assert exclusions.match("Old Ltd", "01234567", entries, date(2026, 6, 1)) == ([], [])


def test_what_the_standing_means():
    current = SimpleNamespace(id=1)
    clean = ExclusionStatus(True, current)
    assert clean.participation() and not clean.excluded and clean.excludable == []
    assert not ExclusionStatus(False, None).participation()
    assert "more than a year" in ExclusionStatus(False, current).participation().reason
    debarred = ExclusionStatus(True, current, debarred=[_entry("X Ltd")])
    assert debarred.excluded and not debarred.participation()
    discretionary = ExclusionStatus(True, current, debarred=[_entry("X Ltd", kind="discretionary")])
    assert not discretionary.excluded and discretionary.participation() and discretionary.excludable


CSV_HEADER = "supplier_name,companies_house_number,grounds,kind,start_date,end_date,date_listed,source\n"


def test_a_good_csv_list_is_read():
    data = (CSV_HEADER + "Brindle Ltd,9876543,Fraud,mandatory,2026-01-05,2031-01-04,2026-01-05,List of 5 January 2026\n"
            "Quay Ltd,,Poor performance,Discretionary,2026-02-01,2028-02-01,2026-02-01,List of 1 February 2026\n").encode()
    rows = exclusions.parse_debarment_list(data, "list.csv")
    assert [r["companies_house_number"] for r in rows] == ["09876543", None]
    assert [r["kind"] for r in rows] == ["mandatory", "discretionary"]


def test_a_bad_list_is_refused_with_every_row_and_field():
    data = (CSV_HEADER + "Brindle Ltd,9876543,Fraud,mandatory,2026-01-05,2031-01-04,2026-01-05,List\n"
            ",ABC,Fraud,sometimes,2026-13-01,2026-01-01,2026-01-05,List\n"
            "Quay Ltd,,Poor,discretionary,2026-02-01,2025-02-01,2026-02-01,\n").encode()
    with pytest.raises(DebarmentListRefused) as refused:
        exclusions.parse_debarment_list(data, "list.csv")
    found = {(p.row, p.field) for p in refused.value.problems}
    assert found == {(2, "supplier_name"), (2, "companies_house_number"), (2, "kind"), (2, "start_date"),
                     (3, "end_date"), (3, "source")}
    assert refused.value.problems[0].words().startswith("Row 2, ")


def test_a_json_list_is_read_and_a_bad_one_refused():
    good = b'{"entries": [{"supplier_name": "A Ltd", "grounds": "Fraud", "kind": "mandatory", "start_date": "2026-01-01",' \
           b' "end_date": "2027-01-01", "date_listed": "2026-01-01", "source": "List"}]}'
    assert len(exclusions.parse_debarment_list(good, "list.json")) == 1
    with pytest.raises(DebarmentListRefused) as refused:
        exclusions.parse_debarment_list(b'[{"supplier_name": "A Ltd"}, 3]', "list.json")
    assert {(p.row, p.field) for p in refused.value.problems} >= {(1, "grounds"), (2, "entry")}
    with pytest.raises(DebarmentListRefused):
        exclusions.parse_debarment_list(b"[not json", "list.json")
    with pytest.raises(DebarmentListRefused) as refused:
        exclusions.parse_debarment_list(b"name,kind\nA,mandatory\n", "list.csv")
    assert refused.value.problems[0].field == "header"
