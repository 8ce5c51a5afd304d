"""The public pages (issue 19, point 6): the notice search with each filter, its errors naming
the field, the notice page of each published tender (never a draft, never a losing bidder's
price), the OCDS downloads and documents, and the footer pages, signed out and as each role."""
from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from opendata import notices
from procurement.core.access import SystemActor
from procurement.core.clock import to_london
from procurement.seed import seed_demo
from tenders.award.ranking import lot_totals
from tenders.forming import publication
from tenders.models import AwardShare, Tender, TenderStatus
from tests.conftest import fresh_browser, sign_in

PREFIX = "ocds-ljp000"
PASSWORD = "london-demo-2026"
AWARDED, CLOSED, OPEN = ("Joint contact-centre seats and GIS licences", "Joint network switches and CRM licences",
                         "Joint laptop and desktop refresh 2027")
DRAFT = "Joint monitor refresh"
FOOTER = ["/accessibility", "/privacy", "/cookies", "/contact"]
EMAILS = {"buyer": "buyer.camden@demo.londonconnects.example", "supplier": "supplier.thames@demo.londonconnects.example",
          "agency": "agency.lead@demo.londonconnects.example", "admin": "admin@demo.londonconnects.example"}


@pytest.fixture()
def demo(session):
    seed_demo(session)
    session.flush()
    return {t.title: t for t in session.scalars(select(Tender))}


def _titles(client, query: str = "") -> list[str]:
    response = client.get("/notices" + query)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    return re.findall(r'<a class="govuk-link" href="/notices/ocds-[^"]+">([^<]+)</a>', html)


def test_the_search_lists_every_published_tender_and_never_a_draft(client, demo):
    page = client.get("/notices").get_data(as_text=True)
    assert "3 notices found" in page
    assert set(_titles(client)) == {AWARDED, CLOSED, OPEN} and DRAFT not in page
    assert _titles(client, "?keywords=monitor") == []  # the draft's words find nothing
    assert "No notices match your search" in client.get("/notices?keywords=monitor").get_data(as_text=True)
    for wanted in ("Open", "Closed", "Awarded"):
        assert f">{wanted}<" in page.replace("\n", "").replace("  ", "")  # a status tag on each row


@pytest.mark.parametrize("query, found", [
    ("?keywords=laptop", {OPEN}),
    ("?keywords=LC-2026-0002", {CLOSED}),
    ("?keywords=gis+seats", {AWARDED}),
    ("?keywords=100%25", set()),  # a wildcard is a character, not a pattern
    ("?buyer=lambeth", {OPEN}),
    ("?buyer=croydon", {AWARDED, CLOSED, OPEN}),
    ("?buyer=Transport+for", {CLOSED}),
    ("?location=west", {AWARDED}),
    ("?location=north", set()),
    ("?location=E09000022", {OPEN}),
    ("?location=E09000008", {AWARDED, CLOSED, OPEN}),
    ("?cpv=302", {OPEN}),
    ("?cpv=30213100-6", {OPEN}),
    ("?cpv=48", {AWARDED, CLOSED}),
    ("?cpv=mapping", {AWARDED}),
    ("?cpv=network+components", {CLOSED}),
    ("?status=open", {OPEN}),
    ("?status=closed", {CLOSED}),
    ("?status=awarded", {AWARDED}),
    ("?status=cancelled", set()),
    ("?status=open&status=awarded", {AWARDED, OPEN}),
    ("?buyer=croydon&status=closed&cpv=324", {CLOSED}),
])
def test_each_filter(client, demo, query, found):
    assert set(_titles(client, query)) == found


def test_the_value_filter_is_exact_to_the_penny(client, session, demo):
    awarded, open_tender = demo[AWARDED], demo[OPEN]
    awarded.lots[0].estimated_value, awarded.lots[1].estimated_value = Decimal("100000.00"), Decimal("60000.01")
    for lot in open_tender.lots:
        lot.estimated_value = Decimal("250000")
    for lot in demo[CLOSED].lots:  # a tender whose value is not published is found by no value
        lot.estimated_value = None
    session.flush()
    assert set(_titles(client, "?value_min=160000.01")) == {AWARDED, OPEN}
    assert set(_titles(client, "?value_min=160000.02")) == {OPEN}
    assert set(_titles(client, "?value_max=%C2%A3160%2C000.01")) == {AWARDED}  # £160,000.01
    assert set(_titles(client, "?value_max=160000")) == set()
    assert set(_titles(client, "?value_min=400000&value_max=600000")) == {OPEN}  # two lots of 250,000
    assert "£160,000.01 excluding VAT" in client.get("/notices?keywords=gis").get_data(as_text=True)


def test_the_closing_date_filter_takes_london_days(client, demo):
    day = to_london(demo[CLOSED].submission_deadline).date()
    parts = f"{day.day}&closing_from={day.month}&closing_from={day.year}"
    assert set(_titles(client, f"?closing_from={parts}&closing_to={parts.replace('closing_from', 'closing_to')}")) == {CLOSED}
    later = to_london(demo[OPEN].submission_deadline).date()
    assert set(_titles(client, f"?closing_from={later.day}&closing_from={later.month}&closing_from={later.year}")) == {OPEN}
    assert set(_titles(client, f"?closing_to={day.day}&closing_to={day.month}&closing_to={day.year}")) == {AWARDED, CLOSED}


def test_a_cancelled_tender_is_found_as_cancelled(client, session, demo):
    publication.cancel(session, SystemActor("test"), demo[CLOSED].id, "The requirement has changed")
    session.flush()
    assert _titles(client, "?status=cancelled") == [CLOSED]
    page = client.get(f"/notices/{PREFIX}-{demo[CLOSED].id}").get_data(as_text=True)
    assert "Cancelled" in page and "The requirement has changed" in page


@pytest.mark.parametrize("query, message", [
    ("?keywords=" + "a" * 201, "Keywords must be 200 characters or fewer"),
    ("?buyer=" + "b" * 101, "Buyer organisation must be 100 characters or fewer"),
    ("?location=atlantis", "Choose a location from the list"),
    ("?value_min=lots", "Minimum value must be an amount in pounds"),
    ("?value_max=1e9", "Maximum value must be an amount in pounds"),
    ("?value_max=99999999999999", "Maximum value must be less than £1 trillion"),
    ("?value_min=20&value_max=10", "Maximum value must be the same as or more than the minimum value"),
    ("?cpv=12a", "CPV code must be 2 to 8 digits"),
    ("?cpv=" + "c" * 101, "CPV code or words must be 100 characters or fewer"),
    ("?closing_from=1&closing_from=&closing_from=2027", "Closing date from must include a day, a month and a year"),
    ("?closing_from=31&closing_from=2&closing_from=2027", "Closing date from must be a real date"),
    ("?closing_to=1&closing_to=1&closing_to=99999", "Closing date to must be a real date"),
    ("?closing_to=31&closing_to=12&closing_to=9999", "Closing date to must be a year from 2000 to 2100"),
    ("?closing_from=2&closing_from=2&closing_from=2027&closing_to=1&closing_to=2&closing_to=2027",
     "Closing date to must be the same as or after the closing date from"),
    ("?status=draft", "Choose statuses from the list"),
    ("?page=0", "Page must be a whole number from 1 to 1000"),
    ("?page=two", "Page must be a whole number from 1 to 1000"),
])
def test_a_bad_filter_is_refused_naming_the_field(client, demo, query, message):
    response = client.get("/notices" + query)
    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert message in page
    if not query.startswith("?page"):
        assert "There is a problem" in page and "govuk-error-summary" in page
        assert DRAFT not in page and AWARDED not in page  # no results beside the errors


def test_results_are_paged_in_the_query(client, demo, monkeypatch):
    monkeypatch.setattr(notices, "PER_PAGE", 1)
    first, second, third = (_titles(client, f"?page={n}") for n in (1, 2, 3))
    assert first == [OPEN] and second == [CLOSED] and third == [AWARDED]  # newest published first
    page = client.get("/notices?page=2&buyer=croydon").get_data(as_text=True)
    assert "3 notices found" in page and "govuk-pagination" in page
    assert "page=3" in page and "buyer=croydon" in page  # the links keep the filters
    assert _titles(client, "?page=50") == [AWARDED]  # past the end: the last page


def test_the_notice_of_the_awarded_tender_shows_the_award_and_no_losing_price(client, session, demo):
    tender = demo[AWARDED]
    page = client.get(f"/notices/{PREFIX}-{tender.id}").get_data(as_text=True)
    for seen in (AWARDED, tender.description, "Greater London Authority", "London Borough of Lewisham", "Award decision",
                 "Borough CRM Solutions Ltd", "£94,300.80", "£66,458.00", "Standstill period ends",
                 "Clarification questions close", "Award decision published", "Lot 1: Contact-centre telephony seat",
                 "48510000-6", "285 seats per year", "Specification", "release-package.json", "record-package.json"):
        assert seen in page, seen
    assert "Expected award" not in page  # once decided, the decision's date, not the one expected
    winners = {s.opened_bid_id for s in session.scalars(select(AwardShare).where(AwardShare.lot_id.in_([l.id for l in tender.lots])))}
    losing = [total for lot in tender.lots for bid, total in lot_totals(session, tender, lot).items() if bid not in winners]
    assert losing, "the demo's awarded tender has losing bids"
    for total in losing:
        assert f"£{total:,.2f}" not in page and f"{total:.2f}" not in page
    for secret in ("onboarding in four weeks", "@demo.londonconnects.example", "contact_email", "score"):
        assert secret not in page  # no quality answer, no person, no evaluation


def test_a_notice_before_its_award_shows_no_award(client, demo):
    page = client.get(f"/notices/{PREFIX}-{demo[CLOSED].id}").get_data(as_text=True)
    assert "Award decision" not in page and "Awarded to" not in page and "This tender no longer takes bids" in page
    page = client.get(f"/notices/{PREFIX}-{demo[OPEN].id}").get_data(as_text=True)
    assert "Sign in as a supplier" in page and "Register your company" in page and "/join/supplier" in page
    assert f"/sign-in?next=/opportunities/{demo[OPEN].id}" in page


def test_a_draft_or_unknown_notice_is_not_found(client, demo):
    draft = demo[DRAFT]
    assert draft.status is TenderStatus.draft
    for path in (f"/notices/{PREFIX}-{draft.id}", f"/notices/{PREFIX}-{draft.id}/release-package.json",
                 f"/notices/{PREFIX}-{draft.id}/record-package.json", f"/notices/{PREFIX}-999999", "/notices/not-an-ocid",
                 f"/notices/other-prefix-{demo[OPEN].id}", f"/notices/{PREFIX}-{'9' * 80}"):
        assert client.get(path).status_code == 404, path


def test_the_ocds_downloads_of_a_notice(client, demo):
    tender = demo[AWARDED]
    response = client.get(f"/notices/{PREFIX}-{tender.id}/release-package.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    package = json.loads(response.get_data())
    assert {r["ocid"] for r in package["releases"]} == {f"{PREFIX}-{tender.id}"}
    assert {"tender", "award"} <= {tag for r in package["releases"] for tag in r["tag"]}
    record = client.get(f"/notices/{PREFIX}-{tender.id}/record-package.json")
    assert record.status_code == 200 and json.loads(record.get_data())["records"][0]["ocid"] == f"{PREFIX}-{tender.id}"
    assert client.get(f"/api/ocds/records/{PREFIX}-{tender.id}").status_code == 200  # the API is as it was


def test_a_published_document_downloads_anonymously_and_a_drafts_never(client, session, demo):
    tender, draft = demo[AWARDED], demo[DRAFT]
    document = tender.documents[0]
    response = client.get(f"/notices/{PREFIX}-{tender.id}/documents/{document.id}")
    assert response.status_code == 200 and response.get_data()
    response.close()
    secret = publication.add_document(session, SystemActor("test"), draft.id, title="Draft specification",
                                      filename="draft.txt", stream=io.BytesIO(b"not yet public"))
    session.flush()
    assert client.get(f"/notices/{PREFIX}-{draft.id}/documents/{secret.id}").status_code == 404
    assert client.get(f"/notices/{PREFIX}-{tender.id}/documents/{secret.id}").status_code == 404  # not this tender's
    assert client.get(f"/notices/{PREFIX}-{demo[OPEN].id}/documents/{document.id}").status_code == 404


@pytest.mark.parametrize("role", ["anonymous", "buyer", "supplier", "agency", "admin"])
def test_every_public_page_reads_signed_out_and_as_each_role(app, session, demo, role):
    with fresh_browser(app) as browser:
        if role != "anonymous":
            assert sign_in(browser, EMAILS[role], PASSWORD).status_code == 302
        paths = ["/notices", "/notices?status=open&keywords=laptop", "/register", *FOOTER,
                 *(f"/notices/{PREFIX}-{demo[t].id}" for t in (AWARDED, CLOSED, OPEN))]
        for path in paths:
            response = browser.get(path)
            assert response.status_code == 200, (role, path, response.status_code)
            text = response.get_data(as_text=True)
            assert "None" not in re.sub(r"<[^>]+>", " ", text), (role, path)
        opportunity = browser.get(f"/notices/{PREFIX}-{demo[OPEN].id}").get_data(as_text=True)
        assert ("Go to the opportunity" in opportunity) == (role == "supplier")


def test_the_footer_pages_say_what_they_must(client, app):
    accessibility = client.get("/accessibility").get_data(as_text=True)
    for words in ("WCAG", "2.2", "partially compliant", "Equality and Human Rights Commission",
                  "Equality Advisory and Support Service", "axe-core", "keyboard", "3 December 2026",
                  "Reporting accessibility problems"):
        assert words in accessibility, words
    privacy = client.get("/privacy").get_data(as_text=True).replace("&#39;", "'")
    for words in ("LondonConnects e-agency", "data controller", "public task", "Procurement Act 2023", "audit log",
                  "Information Commissioner's Office", "sign-in records"):
        assert words in privacy, words
    cookies = client.get("/cookies").get_data(as_text=True)
    assert "session" in cookies and "No analytics" in cookies and f"{app.config['SESSION_IDLE_MINUTES']} minutes" in cookies
    contact = client.get("/contact").get_data(as_text=True)
    assert "e-agency@demo.londonconnects.example" in contact and 'id="join"' in contact
    assert 'id="accessibility-problem"' in contact


def test_the_cookie_the_cookies_page_names_is_the_only_one_set(app, session):
    """Signed out, reading notices sets no cookie; the sign-in form sets the one the page names."""
    with fresh_browser(app) as browser:
        assert "Set-Cookie" not in browser.get("/notices").headers
        cookies = browser.get("/sign-in").headers.getlist("Set-Cookie")
    name = app.config.get("SESSION_COOKIE_NAME") or "session"
    assert [c.split("=")[0] for c in cookies] == [name]
    assert "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0] and "Expires" not in cookies[0]
