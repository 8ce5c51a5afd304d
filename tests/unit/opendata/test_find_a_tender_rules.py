"""The Find a Tender client's reading of the platform's answers (NoticeInformation, as its
documentation shapes it) and the tendering period counted from the tender notice."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from procurement.core.find_a_tender import PlatformError, parse_outcome
from tenders.rules import MIN_TENDER_DAYS, MIN_URGENT_DAYS, period_from_notice

RECEIVED = {"submission_id": "20261204-000050", "received_at": "2026-12-04T08:10:04Z", "status": "RECEIVED",
            "reason_code": None, "publication_info": None, "technical_validation_report": None,
            "validation_rules_report": None, "quality_control_report": None}


def _answer(**changes):
    return json.dumps({**RECEIVED, **changes}).encode()


def test_a_received_notice_is_neither_published_nor_rejected():
    outcome = parse_outcome(_answer())
    assert outcome.submission_id == "20261204-000050" and not outcome.published and not outcome.rejected
    assert outcome.received_at == datetime(2026, 12, 4, 8, 10, 4, tzinfo=timezone.utc)


def test_a_published_notice_has_its_number_time_and_link():
    outcome = parse_outcome(_answer(status="PUBLISHED", publication_info={
        "no_doc_ojs": "002015-2026", "publication_date": "2026-12-04 15:45:35",
        "truk_links": {"EN": "https://www.find-tender.service.gov.uk/Notice/002015-2026"}}))
    assert outcome.published and outcome.notice_number == "002015-2026"
    assert outcome.published_at == datetime(2026, 12, 4, 15, 45, 35, tzinfo=timezone.utc)
    assert outcome.link.endswith("/Notice/002015-2026")


def test_a_rejection_carries_the_validation_reports_messages():
    outcome = parse_outcome(_answer(status="NOT_PUBLISHED", reason_code="BV", validation_rules_report={
        "items": [{"path": "tender/title", "message": "Too long"}]}))
    assert outcome.rejected and outcome.reasons == ["tender/title: Too long"]
    assert parse_outcome(_answer(status="VALIDATION_FAILED", reason_code="TV")).reasons == ["Reason code TV"]


@pytest.mark.parametrize("raw", [b"<html>busy</html>", b"{}", b'{"submission_id": "1"}', b"[]",
                                 _answer(status="PUBLISHED", publication_info=None),
                                 _answer(publication_info="soon")])
def test_an_answer_that_cannot_be_used_is_an_error_to_retry(raw):
    with pytest.raises(PlatformError):
        parse_outcome(raw)


def test_the_tendering_period_counts_from_the_notices_publication():
    published = datetime(2026, 12, 4, 9, tzinfo=timezone.utc)
    assert period_from_notice(published, published + timedelta(days=MIN_TENDER_DAYS), grounded=False) is None
    late = period_from_notice(published, published + timedelta(days=MIN_TENDER_DAYS - 1), grounded=False)
    assert late and "25 days" in late and "4 December 2026" in late
    assert period_from_notice(published, published + timedelta(days=MIN_URGENT_DAYS), grounded=True) is None
