"""Files another party downloads (tender documents, quality attachments) are checked by content
and scanned by a real clamd before anything keeps them (issue 18, build 5): a file holding the
EICAR test string is refused with nothing stored and an audit event kept; clamd not answering
refuses the upload (503), never lets it through and is never a 500."""
from __future__ import annotations

import base64
import io

import pytest
from sqlalchemy import select

from procurement.core.audit import AuditEvent, verify_chain
from procurement.core.storage import file_store
from tests.factories import stored_file
from procurement.core.errors import InvalidInput, Unavailable
from tenders.bidding import bids
from tenders.forming import publication
from tenders.models import Bid, TenderDocument
from tests import factories
from tests.conftest import CLAMD_SIGNATURE, EICAR, csrf_token, fresh_browser, sign_in

FOUND = f"The file holds a virus ({CLAMD_SIGNATURE}.UNOFFICIAL) and was not accepted"
INFECTED_PDF = b"%PDF-1.7\n" + EICAR + b"\n%%EOF\n"  # passes the type check: only clamd can tell
CLEAN_PDF = b"%PDF-1.7\n% rugged tablet specification\n%%EOF\n"


@pytest.fixture()
def draft(session):
    return factories.published_tender(session, publish=False)


@pytest.fixture()
def published(session):
    return factories.published_tender(session)


@pytest.fixture()
def clamd_down(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "CLAMD_URL", f"unix://{tmp_path / 'no-clamd.sock'}")


def _stored(tender_id: int) -> set[str]:
    folder = file_store().root / "documents" / "tenders" / str(tender_id)
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def _virus_events(session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "upload.virus_found")))


def _bearer(session, account) -> dict[str, str]:
    return {"Authorization": f"Bearer {factories.token_for(session, account)}"}


def _with_attachment(filename: str, content: bytes) -> dict:
    raw = factories.bid_content()
    raw["quality"][0]["attachments"] = [{"filename": filename, "content_base64": base64.b64encode(content).decode()}]
    return raw


# Tender documents ---------------------------------------------------------------------------

def test_an_infected_tender_document_is_refused_with_nothing_stored_and_an_event(session, draft, scanning):
    tender = draft["tender"]
    before = _stored(tender.id)
    with pytest.raises(InvalidInput) as refused:
        publication.add_document(session, draft["agency"], tender.id, title="Specification v2",
                                 filename="specification.pdf", stream=io.BytesIO(INFECTED_PDF))
    assert refused.value.field_errors == {"file": [FOUND]}
    assert [d.title for d in tender.documents] == ["Specification"] and _stored(tender.id) == before
    (event,) = _virus_events(session)
    assert event.actor_id == draft["agency"].id and (event.subject_type, event.subject_id) == ("tender", str(tender.id))
    assert event.details["signature"] == f"{CLAMD_SIGNATURE}.UNOFFICIAL" and event.details["field"] == "file"
    assert event.details["filename"] == "specification.pdf" and event.details["size"] == len(INFECTED_PDF)


def test_a_clean_pdf_is_scanned_and_kept(client, session, draft, scanning):
    tender = draft["tender"]
    response = client.post(f"/api/v1/tenders/{tender.id}/documents", headers=_bearer(session, draft["agency"]),
                           data={"title": "Drawings", "file": (io.BytesIO(CLEAN_PDF), "drawings.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    document = session.get(TenderDocument, response.get_json()["id"])
    assert stored_file(document).read() == CLEAN_PDF and not _virus_events(session)


def test_by_api_an_infected_document_is_422_naming_the_file_and_the_event_outlives_the_rollback(
        client, session, draft, scanning):
    tender = draft["tender"]
    before = _stored(tender.id)
    response = client.post(f"/api/v1/tenders/{tender.id}/documents", headers=_bearer(session, draft["agency"]),
                           data={"title": "Notes", "file": (io.BytesIO(EICAR), "notes.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_json()["message"] == FOUND and response.get_json()["errors"] == {"file": [FOUND]}
    assert not session.scalars(select(TenderDocument).where(TenderDocument.title == "Notes")).all()
    assert _stored(tender.id) == before
    (event,) = _virus_events(session)
    assert event.details["filename"] == "notes.txt" and event.request_id == response.headers["X-Request-ID"]
    assert verify_chain(session).ok


def test_on_the_page_an_infected_document_is_refused_with_a_message(app, session, draft, scanning):
    tender = draft["tender"]
    with fresh_browser(app) as browser:
        sign_in(browser, draft["agency"].email, factories.PASSWORD)
        response = browser.post(f"/tenders/{tender.id}/documents", data={
            "csrf_token": csrf_token(browser, f"/tenders/{tender.id}"), "title": "Site plan",
            "file": (io.BytesIO(INFECTED_PDF), "site-plan.pdf")}, content_type="multipart/form-data")
        assert response.status_code == 302
        assert FOUND in browser.get(response.headers["Location"]).get_data(as_text=True)
    assert not session.scalars(select(TenderDocument).where(TenderDocument.title == "Site plan")).all()
    assert len(_virus_events(session)) == 1


def test_an_amendment_s_infected_document_refuses_the_amendment(session, published, scanning):
    tender = published["tender"]
    with pytest.raises(InvalidInput, match="holds a virus"):
        publication.amend(session, published["agency"], tender.id, summary="A site plan added",
                          document=("Site plan", "site-plan.txt", io.BytesIO(EICAR)))


def test_a_document_that_is_not_what_its_name_says_is_refused_before_any_scan(client, session, draft, clamd_down):
    response = client.post(f"/api/v1/tenders/{draft['tender'].id}/documents", headers=_bearer(session, draft["agency"]),
                           data={"title": "Spec", "file": (io.BytesIO(b"MZ\x90\x00"), "spec.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"file": ["The file is named .pdf but is not a PDF"]}
    response = client.post(f"/api/v1/tenders/{draft['tender'].id}/documents", headers=_bearer(session, draft["agency"]),
                           data={"title": "Spec", "file": (io.BytesIO(b"<svg onload='x()'/>"), "spec.svg")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "Files of type .svg are not accepted" in response.get_json()["message"]


def test_clamd_down_refuses_a_document_with_503_and_stores_nothing(app, client, session, draft, clamd_down):
    tender = draft["tender"]
    before = _stored(tender.id)
    response = client.post(f"/api/v1/tenders/{tender.id}/documents", headers=_bearer(session, draft["agency"]),
                           data={"title": "Drawings", "file": (io.BytesIO(CLEAN_PDF), "drawings.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 503
    assert response.get_json()["message"] == "Virus scanning is unavailable, try again in a few minutes"
    with fresh_browser(app) as browser:
        sign_in(browser, draft["agency"].email, factories.PASSWORD)
        response = browser.post(f"/tenders/{tender.id}/documents", data={
            "csrf_token": csrf_token(browser, f"/tenders/{tender.id}"), "title": "Drawings",
            "file": (io.BytesIO(CLEAN_PDF), "drawings.pdf")}, content_type="multipart/form-data")
        assert response.status_code == 302
        page = browser.get(response.headers["Location"]).get_data(as_text=True)
        assert page.count("Virus scanning is unavailable, try again in a few minutes") == 1
    assert not session.scalars(select(TenderDocument).where(TenderDocument.title == "Drawings")).all()
    assert _stored(tender.id) == before and not _virus_events(session)


# Quality attachments in bids ----------------------------------------------------------------

def test_by_api_an_infected_attachment_refuses_the_draft_and_the_bid(client, session, published, scanning):
    tender, bidder = published["tender"], published["bidder"]
    headers = _bearer(session, bidder)
    for method, path in (("PUT", "draft"), ("POST", "submit")):
        response = client.open(f"/api/v1/opportunities/{tender.id}/bid/{path}", method=method, headers=headers,
                               json=_with_attachment("method-statement.txt", EICAR))
        assert response.status_code == 422, response.get_json()
        assert response.get_json()["errors"]["bid"] == [
            f"criterion 1, attachment 1 (method-statement.txt): {FOUND}"]
    assert session.scalar(select(Bid).where(Bid.tender_id == tender.id)) is None
    events = _virus_events(session)
    assert len(events) == 2 and {e.actor_id for e in events} == {bidder.id}
    assert events[0].details["supplier_id"] == published["supplier_id"]
    assert events[0].details["field"] == "criterion 1, attachment 1 (method-statement.txt)"
    clean = client.post(f"/api/v1/opportunities/{tender.id}/bid/submit", headers=headers,
                        json=_with_attachment("method-statement.pdf", CLEAN_PDF))
    assert clean.status_code == 201, clean.get_json()


def test_on_the_bid_form_an_infected_attachment_is_left_out_and_the_rest_saved(app, session, published, scanning):
    tender, bidder = published["tender"], published["bidder"]
    with fresh_browser(app) as browser:
        sign_in(browser, bidder.email, factories.PASSWORD)
        response = browser.post(f"/opportunities/{tender.id}/bid", data={
            "csrf_token": csrf_token(browser, f"/opportunities/{tender.id}/bid"), "price-1-1": "745.00",
            "sku-1-1": "BID-LAP", "quality-1": "Fast", "quality-2": "Local", "action": "save",
            "attachments-1": (io.BytesIO(INFECTED_PDF), "method.pdf")}, content_type="multipart/form-data")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert f"Criterion 1, attachment 1 (method.pdf): {FOUND}" in page and 'value="745.00"' in page
    draft = bids.read_draft(session, bidder, tender.id)
    assert draft["lines"][0][2] == "745.00" and [q["attachments"] for q in draft["quality"]] == [[], []]
    (event,) = _virus_events(session)
    assert event.subject_id == str(tender.id) and event.details["filename"] == "method.pdf"


def test_on_the_bid_form_an_attachment_that_is_not_what_its_name_says_is_named_at_its_field(
        app, session, published, clamd_down):
    tender, bidder = published["tender"], published["bidder"]
    with fresh_browser(app) as browser:
        sign_in(browser, bidder.email, factories.PASSWORD)
        response = browser.post(f"/opportunities/{tender.id}/bid", data={
            "csrf_token": csrf_token(browser, f"/opportunities/{tender.id}/bid"), "price-1-1": "745.00",
            "sku-1-1": "BID-LAP", "action": "save",
            "attachments-2": (io.BytesIO(b"<html><script>steal()</script>"), "plan.pdf")},
            content_type="multipart/form-data")
        page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="#attachments-2"' in page
    assert "Criterion 2, attachment 1: The file is named .pdf but is not a PDF" in page


def test_clamd_down_refuses_a_bid_s_attachments_with_503_or_the_form_kept(app, client, session, published, clamd_down):
    tender, bidder = published["tender"], published["bidder"]
    response = client.put(f"/api/v1/opportunities/{tender.id}/bid/draft", headers=_bearer(session, bidder),
                          json=_with_attachment("method.pdf", CLEAN_PDF))
    assert response.status_code == 503
    assert response.get_json()["message"] == "Virus scanning is unavailable, try again in a few minutes"
    with fresh_browser(app) as browser:
        sign_in(browser, bidder.email, factories.PASSWORD)
        response = browser.post(f"/opportunities/{tender.id}/bid", data={
            "csrf_token": csrf_token(browser, f"/opportunities/{tender.id}/bid"), "price-1-1": "745.00",
            "sku-1-1": "BID-LAP", "action": "review", "attachments-1": (io.BytesIO(CLEAN_PDF), "method.pdf")},
            content_type="multipart/form-data")
        page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Virus scanning is unavailable, try again in a few minutes" in page
    assert 'value="745.00"' in page and bids.my_bid(session, bidder, tender.id).bid is None


def test_without_clamd_configured_nothing_is_scanned(session, published, app):
    assert not app.config.get("CLAMD_URL")
    bids.save_draft(session, published["bidder"], published["tender"].id,
                    factories.bid(_with_attachment("method.txt", EICAR)))
    assert not _virus_events(session)


def test_a_scan_that_cannot_be_made_is_never_taken_for_clean(session, published, clamd_down):
    with pytest.raises(Unavailable):
        bids.submit(session, published["bidder"], published["tender"].id,
                    factories.bid(_with_attachment("method.pdf", CLEAN_PDF)))
