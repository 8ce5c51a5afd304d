"""Exclusions, the supplier's side and the agency's list (issue 21, item 3): a declaration with a
"yes" and no mitigation is refused at the field and writes nothing; a change is a new version,
the old kept; a debarment list with a bad row is refused whole with its row report; who may read
and import what; and taking part asks for a current declaration and no mandatory debarment."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from procurement.core.clock import now
from suppliers import exclusions
from suppliers.models import DebarmentEntry, DebarmentImport, ExclusionDeclaration
from tenders.bidding import bids
from tenders.bidding.bids import BidProblems
from tenders.models import Bid
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in

HEADER = "supplier_name,companies_house_number,grounds,kind,start_date,end_date,date_listed,source\n"


def _form(**changes: str) -> dict[str, str]:
    data = {f"ground-{g.code}": "no" for g in exclusions.GROUNDS}
    data.update({"connected-1-name": "", "connected-1-role": "", "associated-1-name": "", "associated-1-role": "",
                 "evidence": ""})
    data.update(changes)
    return data


def _count(session: Any, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_yes_without_mitigation_is_stopped_at_that_field_and_nothing_is_written(app, session):
    supplier = factories.supplier(session, declared=False)
    person = factories.user(session, "supplier", supplier_id=supplier.id)
    with fresh_browser(app) as browser:
        sign_in(browser, person.email, factories.PASSWORD)
        token = csrf_token(browser, "/supplier/declaration/new")
        answers = _form(**{"ground-fraud_bribery": "yes", "ground-fraud_bribery-details": "A conviction in 2023",
                           "evidence": "Court papers"})
        for action in ("check", "declare"):
            page = browser.post("/supplier/declaration/new", data={"csrf_token": token, **answers, "action": action})
            html = page.get_data(as_text=True)
            assert page.status_code == 200 and "There is a problem" in html
            assert 'href="#ground-fraud_bribery-mitigation"' in html and "put it right (s.58)" in html
        assert exclusions.current_declaration(session, supplier.id) is None

        answers["ground-fraud_bribery-mitigation"] = "The staff involved left; an anti-bribery programme audited yearly"
        check = browser.post("/supplier/declaration/new", data={"csrf_token": token, **answers, "action": "check"})
        assert "Check your answers before you declare" in check.get_data(as_text=True)
        assert exclusions.current_declaration(session, supplier.id) is None  # checking writes nothing
        done = browser.post("/supplier/declaration/new", data={"csrf_token": token, **answers, "action": "declare"})
        assert done.status_code == 302 and done.headers["Location"].endswith("/supplier/declaration")
        mine = browser.get("/supplier/declaration").get_data(as_text=True)
        assert "Theft, fraud or bribery offences (Schedule 6): the supplier" in mine
    declared = exclusions.current_declaration(session, supplier.id)
    assert declared.version == 1 and declared.grounds["fraud_bribery"]["mitigation"].startswith("The staff")


def test_a_change_is_a_new_version_and_the_old_is_kept(session):
    supplier = factories.supplier(session)
    person = factories.user(session, "supplier", supplier_id=supplier.id)
    first = exclusions.current_declaration(session, supplier.id)
    second = exclusions.declare(session, person, supplier.id, grounds=exclusions.nothing_to_declare(),
                                connected=[{"name": "Ada Director", "role": "director"}], associated=[], evidence="")
    assert (first.version, second.version) == (1, 2)
    assert first.superseded_at is not None and second.superseded_at is None
    assert [d.version for d in exclusions.declarations_of(session, person, supplier.id)] == [2, 1]
    with pytest.raises(exclusions.InvalidInput):
        exclusions.declare(session, person, supplier.id, grounds={**exclusions.nothing_to_declare(),
                                                                  "insolvency": {"applies": True, "details": "x"}},
                           connected=[], associated=[], evidence="x")
    assert exclusions.current_declaration(session, supplier.id).version == 2


def test_a_bad_list_is_refused_whole_with_its_row_report(app, session):
    agency = factories.user(session, "agency")
    bad = (HEADER + "Good Ltd,01234567,Fraud,mandatory,2026-01-05,2031-01-04,2026-01-05,List of 5 January 2026\n"
           "Bad Ltd,NOPE,Fraud,maybe,2026-01-05,2031-01-04,yesterday,List\n").encode()
    with fresh_browser(app) as browser:
        sign_in(browser, agency.email, factories.PASSWORD)
        token = csrf_token(browser, "/debarment-list/import")
        import io

        page = browser.post("/debarment-list/import", data={"csrf_token": token, "file": (io.BytesIO(bad), "list.csv")},
                            content_type="multipart/form-data")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "The list is refused: nothing was imported" in html
        for field in ("companies_house_number", "kind", "date_listed"):
            assert f"<td class=\"govuk-table__cell\">{field}</td>" in html
        assert _count(session, DebarmentImport) == 0 and _count(session, DebarmentEntry) == 0
        good = bad.decode().splitlines()[:2]
        page = browser.post("/debarment-list/import", data={"csrf_token": token,
                                                            "file": (io.BytesIO("\n".join(good).encode()), "list.csv")},
                            content_type="multipart/form-data")
        assert page.status_code == 302
        listed = browser.get("/debarment-list").get_data(as_text=True)
        assert "Good Ltd" in listed and "01234567" in listed
    assert _count(session, DebarmentEntry) == 1


ROUTES = [
    ("GET", "/supplier/declaration", {"supplier"}),
    ("GET", "/supplier/declaration/new", {"supplier"}),
    ("GET", "/suppliers/{other}/declaration", {"agency"}),
    ("GET", "/debarment-list", {"agency"}),
    ("GET", "/debarment-list/import", {"agency"}),
    ("POST", "/debarment-list/import", {"agency"}),
    ("POST", "/supplier/declaration/new", {"supplier"}),
]


@pytest.mark.parametrize("role", ["buyer", "supplier", "agency", "admin"])
def test_who_may_read_and_keep_what(app, session, role):
    other = factories.supplier(session, legal_name="Someone Else Ltd")
    factories.exclusion_declaration(session, other.id, poor_performance={
        "applies": True, "details": "A secret about the contract", "mitigation": "New managers"})
    person = factories.user(session, role)
    with fresh_browser(app) as browser:
        sign_in(browser, person.email, factories.PASSWORD)
        token = csrf_token(browser)
        before = (_count(session, ExclusionDeclaration), _count(session, DebarmentImport))
        for method, path, allowed in ROUTES:
            url = path.format(other=other.id)
            response = browser.get(url) if method == "GET" else browser.post(url, data={"csrf_token": token})
            expected = {200} if role in allowed else {403}
            assert response.status_code in expected, (role, method, url, response.status_code)
            if role != "agency":
                assert "A secret about the contract" not in response.get_data(as_text=True)
        assert (_count(session, ExclusionDeclaration), _count(session, DebarmentImport)) == before
    if role == "supplier":  # its own declaration's versions only: another's is not addressable
        assert [d.supplier_id for d in exclusions.declarations_of(session, person, next(iter(person.supplier_ids)))]
        with pytest.raises(exclusions.PermissionDenied):
            exclusions.declarations_of(session, person, other.id)


def test_only_the_agency_imports_the_list(session):
    for role in ("buyer", "supplier", "admin"):
        with pytest.raises(exclusions.PermissionDenied):
            exclusions.import_debarment_list(session, factories.user(session, role), "list.csv",
                                             (HEADER + "A Ltd,,Fraud,mandatory,2026-01-01,2027-01-01,2026-01-01,L\n").encode())
    assert _count(session, DebarmentImport) == 0


def test_taking_part_asks_for_a_current_declaration_and_no_mandatory_debarment(session):
    world = factories.published_tender(session)
    tender, agency = world["tender"], world["agency"]
    undeclared = factories.supplier(session, declared=False)
    newcomer = factories.user(session, "supplier", supplier_id=undeclared.id)
    with pytest.raises(BidProblems) as refused:
        bids.save_draft(session, newcomer, tender.id, factories.bid())
    assert "Declare the exclusion grounds before you bid" in refused.value.problems[0]
    with pytest.raises(BidProblems):
        bids.submit(session, newcomer, tender.id, factories.bid())
    assert session.scalar(select(Bid.id).where(Bid.supplier_id == undeclared.id)) is None

    bidder = world["bidder"]
    declaration = exclusions.current_declaration(session, world["supplier_id"])
    declaration.declared_at = now() - timedelta(days=366)
    session.flush()
    with pytest.raises(BidProblems) as refused:
        bids.submit(session, bidder, tender.id, factories.bid())
    assert "more than a year old" in refused.value.problems[0]
    declaration.declared_at = now()
    session.flush()

    from suppliers.models import Supplier

    number = session.get(Supplier, world["supplier_id"]).companies_house_number
    exclusions.import_debarment_list(session, agency, "list.csv", (
        HEADER + f"Another Name Ltd,{number},Fraud,mandatory,2025-06-01,2030-01-01,2025-06-01,List\n").encode())
    with pytest.raises(BidProblems) as refused:
        bids.submit(session, bidder, tender.id, factories.bid())
    assert "debarment list for a mandatory ground" in refused.value.problems[0]
    exclusions.import_debarment_list(session, agency, "list.csv", (
        HEADER + f"Another Name Ltd,{number},Poor performance,discretionary,2025-06-01,2030-01-01,2025-06-01,List\n").encode())
    assert bids.submit(session, bidder, tender.id, factories.bid()).version == 1  # excludable: the agency decides later
