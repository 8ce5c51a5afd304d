"""Savings reports: the arithmetic, the charts on the page and in the PDF, access, the job."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from reports import savings as reports
from procurement.core.clock import LONDON, frozen_at
from procurement.core.errors import InvalidInput, PermissionDenied
from procurement.core.jobrecords import JobStatus
from dashboards import documents as reading
from procurement.core.documents import Document
from tenders.award import evaluation
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in
from tests.factories import stored_file


@pytest.fixture()
def world(session):
    made = factories.decided_tender(session)
    standstill = made["standstill"]
    with frozen_at(datetime.combine(standstill.ends_on + timedelta(days=1), time(10), LONDON)):
        evaluation.enter_contracts(session, made["agency"], made["tender"].id)
    session.commit()
    return made


def test_the_report_adds_up(session, world):
    report = reports.build(session, world["agency"], reports.ReportQuery("tender", tender_id=world["tender"].id))
    # 60 and 90 laptops at 745.00 against 900.00 paid before.
    assert (report.baseline, report.cost, report.saving, report.percent) == (
        Decimal("135000.00"), Decimal("111750.00"), Decimal("23250.00"), Decimal("17.2"))
    assert [(name, saving) for name, _, _, saving, _ in report.by_organisation()] == [
        (world["orgs"][1].name, Decimal("13950.00")), (world["orgs"][0].name, Decimal("9300.00"))]
    assert [v for _, v in report.cumulative()] == [Decimal("23250.00")]
    own = reports.build(session, world["buyers"][0], reports.ReportQuery("organisation", organisation_id=world["orgs"][0].id))
    assert own.saving == Decimal("9300.00")
    category = reports.build(session, world["agency"], reports.ReportQuery("category", cpv="30213100"))
    assert category.saving == Decimal("23250.00")
    assert reports.build(session, world["agency"], reports.ReportQuery("category", cpv="48000000")).rows == []
    svg = reports.savings_by_organisation_svg(report)
    assert svg.startswith("<svg") and 'role="img"' in svg and world["orgs"][0].name in svg


def test_reports_are_checked_and_private(session, world):
    with pytest.raises(InvalidInput):
        reports.build(session, world["agency"], reports.ReportQuery("category", cpv="12"))
    for actor, query in [(world["buyers"][0], reports.ReportQuery("organisation", organisation_id=world["orgs"][1].id)),
                         (world["buyers"][0], reports.ReportQuery("tender", tender_id=world["tender"].id)),
                         (world["bidders"][0], reports.ReportQuery("tender", tender_id=world["tender"].id))]:
        with pytest.raises(PermissionDenied):
            reports.build(session, actor, query)


def test_the_pdf_is_made_by_a_job_with_its_charts(session, world):
    job = reports.request_pdf(session, world["buyers"][0], reports.ReportQuery("organisation", organisation_id=world["orgs"][0].id))
    session.commit()  # runs in-process after the commit
    session.refresh(job)
    assert job.status is JobStatus.done and job.result["saving"] == "9300.00"
    document = session.scalars(select(Document).where(Document.kind == "savings_report")).one()
    reader = PdfReader(stored_file(document))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert world["orgs"][0].name in text and "9,300.00" in text and "Savings by organisation" in text
    assert reading.get_document(session, world["buyers"][0], document.id)
    with pytest.raises(Exception):
        reading.get_document(session, world["buyers"][1], document.id)


def test_the_page_shows_the_charts(app, session, world):
    with fresh_browser(app) as browser:
        sign_in(browser, world["agency"].email, factories.PASSWORD)
        page = browser.get(f"/reports/savings?kind=tender&tender_id={world['tender'].id}").get_data(as_text=True)
        assert "<svg" in page and "Cumulative savings" in page and "£23,250.00" in page
        response = browser.post("/reports/savings", data={"csrf_token": csrf_token(browser, "/reports/savings"),
                                                          "kind": "tender", "tender_id": str(world["tender"].id)})
        assert response.status_code == 302 and "/reports/savings/requests/" in response.headers["Location"]
    with fresh_browser(app) as browser:
        sign_in(browser, world["bidders"][0].email, factories.PASSWORD)
        assert browser.get("/reports/savings").status_code == 403


def test_whoever_asked_for_a_report_follows_its_job_and_nobody_else_does(app, session, world):
    """Found by the browser journey: a buyer's report page polled the job's status and got a
    403, so its live status never moved and the PDF never appeared without a manual reload."""
    asker, other_buyer, supplier = world["buyers"][0], world["buyers"][1], world["bidders"][0]
    job = reports.request_pdf(session, asker, reports.ReportQuery("organisation", organisation_id=world["orgs"][0].id))
    session.commit()
    expected = {asker.email: 200, world["agency"].email: 200, other_buyer.email: 403, supplier.email: 403}
    for email, status in expected.items():
        with fresh_browser(app) as browser:
            sign_in(browser, email, factories.PASSWORD)
            response = browser.get(f"/jobs/{job.id}.json")
            assert response.status_code == status, email
            if status == 200:
                assert response.get_json()["finished"] is True
    with fresh_browser(app) as browser:
        assert "/sign-in" in browser.get(f"/jobs/{job.id}.json").headers["Location"]
