"""Tender pages and API: each role against the main routes, and the whole path from a
draft to an opened box in the browser and by API."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from procurement.core.clock import frozen_at, now, to_london
from tenders.bidding import bids
from tenders.models import OpenedBid, Tender, TenderStatus
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in, submit_bid_by_form




ROLES = ["anonymous", "buyer", "supplier", "agency", "admin"]
# (method, path, status for each signed-in role)
PAGES = [
    ("GET", "/opportunities/", {"buyer": 403, "supplier": 200, "agency": 200, "admin": 403}),
    ("GET", "/opportunities/{tender}", {"buyer": 403, "supplier": 200, "agency": 200, "admin": 403}),
    ("GET", "/opportunities/{tender}/bid", {"buyer": 403, "supplier": 200, "agency": 403, "admin": 403}),
    ("GET", "/opportunities/{tender}/schedule.csv", {"buyer": 403, "supplier": 200, "agency": 200, "admin": 403}),
    ("POST", "/opportunities/{tender}/bid/withdraw", {"buyer": 403, "supplier": 409, "agency": 403, "admin": 403}),
    ("GET", "/tenders/{tender}", {"buyer": 200, "supplier": 302, "agency": 200, "admin": 404}),
    ("POST", "/tenders/{tender}/publish", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("POST", "/tenders/{tender}/amend", {"buyer": 403, "supplier": 403, "agency": 302, "admin": 403}),
    ("POST", "/tenders/{tender}/cancel", {"buyer": 403, "supplier": 403, "agency": 302, "admin": 403}),
    ("POST", "/tenders/{tender}/opening/request", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("GET", "/tenders/{tender}/opened", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("GET", "/tenders/documents/{document}", {"buyer": 200, "supplier": 200, "agency": 200, "admin": 404}),
]


@pytest.fixture()
def world(session):
    made = factories.published_tender(session)
    made["users"] = {"buyer": made["buyers"][0], "supplier": made["bidder"], "agency": made["agency"],
                     "admin": factories.user(session, "admin")}
    made["ids"] = {"tender": made["tender"].id, "document": made["tender"].documents[0].id}
    return made


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, expected", PAGES, ids=[f"{m} {p}" for m, p, _ in PAGES])
def test_pages(app, world, role, method, path, expected):
    with fresh_browser(app) as browser:
        if role != "anonymous":
            assert sign_in(browser, world["users"][role].email, factories.PASSWORD).status_code == 302
        data = {"csrf_token": csrf_token(browser), "reason": "r", "summary": "s"} if method == "POST" else None
        response = browser.open(path.format(**world["ids"]), method=method, data=data)
        response.close()
        if role == "anonymous":
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        else:
            assert response.status_code == expected[role], (role, response.status_code)


API = [
    ("GET", "/api/v1/opportunities", {"buyer": 403, "supplier": 200, "agency": 200, "admin": 403}),
    ("GET", "/api/v1/opportunities/{tender}", {"buyer": 200, "supplier": 200, "agency": 200, "admin": 404}),
    ("GET", "/api/v1/opportunities/{tender}/bid", {"buyer": 403, "supplier": 200, "agency": 403, "admin": 403}),
    ("POST", "/api/v1/opportunities/{tender}/questions", {"buyer": 403, "supplier": 201, "agency": 403, "admin": 403}),
    ("PUT", "/api/v1/tenders/{tender}/details", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("POST", "/api/v1/tenders/{tender}/amendments", {"buyer": 403, "supplier": 403, "agency": 201, "admin": 403}),
    ("GET", "/api/v1/tenders/{tender}/box", {"buyer": 403, "supplier": 403, "agency": 200, "admin": 403}),
    ("POST", "/api/v1/tenders/{tender}/opening/confirm", {"buyer": 403, "supplier": 403, "agency": 409, "admin": 403}),
    ("POST", "/api/v1/tenders/{tender}/cancel", {"buyer": 403, "supplier": 403, "agency": 200, "admin": 403}),
]
BODIES = {
    "questions": {"question": "Is delivery included?"},
    "details": {"title": "T", "price_weight": 60, "clarification_deadline": "2030-01-01T12:00:00+00:00",
                "submission_deadline": "2030-02-01T12:00:00+00:00"},
    "amendments": {"summary": "Adds a docking station"},
    "cancel": {"reason": "Budget withdrawn"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, expected", API, ids=[f"{m} {p}" for m, p, _ in API])
def test_api(client, session, world, role, method, path, expected):
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {factories.token_for(session, world['users'][role])}"}
    body = next((b for k, b in BODIES.items() if path.endswith(k)), {}) if method != "GET" else None
    response = client.open(path.format(**world["ids"]), method=method, headers=headers, json=body)
    assert response.status_code == (401 if role == "anonymous" else expected[role]), response.get_json()


def test_a_bid_after_the_deadline_is_409_naming_it(client, session, world):
    headers = {"Authorization": f"Bearer {factories.token_for(session, world['bidder'], days=90)}"}
    with frozen_at(world["tender"].submission_deadline + timedelta(seconds=1)):
        response = client.post(f"/api/v1/opportunities/{world['tender'].id}/bid/submit", headers=headers,
                               json=factories.bid_content())
    assert response.status_code == 409 and "deadline for bids was" in response.get_json()["message"]


def test_bad_schedules_are_422_by_line(client, session, world):
    headers = {"Authorization": f"Bearer {factories.token_for(session, world['bidder'])}"}
    csv = b"lot,item,unit_price\n1,1,abc\nx,1,3\n"
    response = client.post(f"/api/v1/opportunities/{world['tender'].id}/bid/schedule", headers=headers,
                           data={"file": (io.BytesIO(csv), "schedule.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["errors"]["bid"] == ["line 3: lot and item must be numbers"]
    csv = b"lot,item,unit_price\n1,1,abc\n1,5,3\n"
    response = client.post(f"/api/v1/opportunities/{world['tender'].id}/bid/schedule", headers=headers,
                           data={"file": (io.BytesIO(csv), "schedule.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["errors"]["bid"] == ["Enter the unit price for lot 1, item 1 as a number of pounds, like 720.00"]
    csv = b"lot,item,unit_price\n1,1,745\n1,5,3\n"  # read, then set against the tender's items
    response = client.post(f"/api/v1/opportunities/{world['tender'].id}/bid/schedule", headers=headers,
                           data={"file": (io.BytesIO(csv), "schedule.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["errors"]["bid"] == ["lot 1, item 5: there is no such item in this lot"]


def test_the_whole_path_in_the_browser(app, session):
    world = factories.published_tender(session, publish=False)
    tender = world["tender"]
    with fresh_browser(app) as browser:
        sign_in(browser, world["agency"].email, factories.PASSWORD)
        token = csrf_token(browser, f"/tenders/{tender.id}")
        response = browser.post(f"/tenders/{tender.id}/details", data={
            "csrf_token": token, **_details(title="Browser tender", **{"lot-value-1": "120000"})})
        assert response.status_code == 302
        response = browser.post(f"/tenders/{tender.id}/publish", data={"csrf_token": token})
        assert response.status_code == 302
    session.expire_all()
    tender = session.get(Tender, tender.id)
    assert tender.status is TenderStatus.published and to_london(tender.submission_deadline).strftime("%H:%M") == "17:30"
    with fresh_browser(app) as browser:
        sign_in(browser, world["bidder"].email, factories.PASSWORD)
        assert tender.reference in browser.get("/opportunities/?cpv=30200000").get_data(as_text=True)
        assert tender.reference in browser.get("/opportunities/?cpv=302").get_data(as_text=True)  # a code's start
        assert tender.reference not in browser.get("/opportunities/?cpv=48").get_data(as_text=True)
        refused = browser.get("/opportunities/?cpv=laptops").get_data(as_text=True)
        assert "Enter a CPV code, or its first 2 to 8 digits" in refused and 'value="laptops"' in refused
        token = csrf_token(browser, f"/opportunities/{tender.id}/bid")
        schedule = browser.get(f"/opportunities/{tender.id}/schedule.csv").get_data(as_text=True)
        filled = schedule.replace("150,each,,,,", "150,each,745.00,BID-LAP,300,")
        response = browser.post(f"/opportunities/{tender.id}/bid/upload", data={
            "csrf_token": token, "file": (io.BytesIO(filled.encode()), "schedule.csv")}, content_type="multipart/form-data")
        assert response.status_code == 302
        page = browser.get(f"/opportunities/{tender.id}/bid").get_data(as_text=True)
        assert 'value="745.00"' in page  # the supplier's own draft, shown to it alone
        response = submit_bid_by_form(browser, tender.id, {
            "price-1-1": "745.00", "sku-1-1": "BID-LAP", "quality-1": "Fast", "quality-2": "Local"})
        assert response.status_code == 302 and "/receipts/1" in response.headers["Location"]
        receipt = browser.get(response.headers["Location"]).get_data(as_text=True)
        digest = bids.my_bid(session, world["bidder"], tender.id).receipts[0].digest
        assert digest in receipt and "£745.00 each" in receipt  # the supplier reads back what it submitted
        assert 'value="745.00"' in browser.get(f"/opportunities/{tender.id}/bid").get_data(as_text=True)  # a replacement starts from it
    after = tender.submission_deadline + timedelta(minutes=5)
    with frozen_at(after):
        for agency in (world["agency"], world["second_agency"]):
            with fresh_browser(app) as browser:
                sign_in(browser, agency.email, factories.PASSWORD)
                step = "request" if agency is world["agency"] else "confirm"
                response = browser.post(f"/tenders/{tender.id}/opening/{step}",
                                        data={"csrf_token": csrf_token(browser, f"/tenders/{tender.id}")})
                assert response.status_code == 302
        with fresh_browser(app) as browser:
            sign_in(browser, world["second_agency"].email, factories.PASSWORD)
            opened = browser.get(f"/tenders/{tender.id}/opened").get_data(as_text=True)
            assert "digest checked" in opened
    assert session.scalars(select(OpenedBid)).one().intact


def test_the_whole_path_through_the_api(client, session):
    world = factories.published_tender(session, publish=False)
    tender_id = world["tender"].id
    agency = {"Authorization": f"Bearer {factories.token_for(session, world['agency'], days=90)}"}
    second = {"Authorization": f"Bearer {factories.token_for(session, world['second_agency'], days=90)}"}
    bidder = {"Authorization": f"Bearer {factories.token_for(session, world['bidder'], days=90)}"}
    published = client.post(f"/api/v1/tenders/{tender_id}/publish", headers=agency, json={})
    assert published.status_code == 200 and published.get_json()["lots"][0]["items"][0]["quantity"] == "150"
    asked = client.post(f"/api/v1/opportunities/{tender_id}/questions", headers=bidder, json={"question": "Bags?"})
    answered = client.post(f"/api/v1/tenders/clarifications/{asked.get_json()['id']}/answer", headers=agency,
                           json={"answer": "No bags."})
    assert answered.status_code == 200
    assert client.put(f"/api/v1/opportunities/{tender_id}/bid/draft", headers=bidder,
                      json=factories.bid_content()).status_code == 200
    receipt = client.post(f"/api/v1/opportunities/{tender_id}/bid/submit", headers=bidder)
    assert receipt.status_code == 201, receipt.get_json()
    assert len(receipt.get_json()["digest"]) == 64
    box = client.get(f"/api/v1/tenders/{tender_id}/box", headers=agency).get_json()
    assert box[0]["digest"] == receipt.get_json()["digest"] and "lines" not in box[0]
    deadline = session.get(Tender, tender_id).submission_deadline
    with frozen_at(deadline + timedelta(seconds=1)):
        assert client.post(f"/api/v1/tenders/{tender_id}/opening/request", headers=agency).status_code == 200
        assert client.post(f"/api/v1/tenders/{tender_id}/opening/confirm", headers=agency).status_code == 409
        result = client.post(f"/api/v1/tenders/{tender_id}/opening/confirm", headers=second)
        assert result.status_code == 200 and result.get_json() == {"opened": 1, "corrupt": 0, "lines": 1}
    opened = client.get(f"/api/v1/tenders/{tender_id}/opened-bids", headers=agency).get_json()
    assert opened[0]["intact"] and opened[0]["digest"] == receipt.get_json()["digest"]


def test_a_draft_from_a_schedule_without_offers_shows_empty_fields_and_submits(app, session):
    """Found by the browser journey: a schedule with no offer SKU or capacity put 'None' in
    the form's fields, and submitting the form then named 'None' as an offer."""
    world = factories.published_tender(session)
    tender_id = world["tender"].id
    with fresh_browser(app) as browser:
        sign_in(browser, world["bidder"].email, factories.PASSWORD)
        token = csrf_token(browser, f"/opportunities/{tender_id}/bid")
        response = browser.post(f"/opportunities/{tender_id}/bid/upload", data={
            "csrf_token": token, "file": (io.BytesIO(b"lot,item,unit_price\n1,1,745.00\n"), "schedule.csv")},
            content_type="multipart/form-data")
        assert response.status_code == 302
        page = browser.get(f"/opportunities/{tender_id}/bid").get_data(as_text=True)
        assert 'value="745.00"' in page and 'value="None"' not in page
        response = submit_bid_by_form(browser, tender_id, {
            "price-1-1": "745.00", "sku-1-1": "", "capacity-1-1": "", "quality-1": "Fast", "quality-2": "Local"})
        assert response.status_code == 302 and "/receipts/1" in response.headers["Location"]


def _details(**extra):
    """The draft details form, filled in: the deadline 40 days away at 17:30, questions 5 days before."""
    deadline = to_london(now() + timedelta(days=40))
    questions = deadline - timedelta(days=5)
    return {"title": "Laptops", "price_weight": "60",
            "clarification_date": [str(questions.day), str(questions.month), str(questions.year)],
            "clarification_time": "12:00", "deadline_date": [str(deadline.day), str(deadline.month), str(deadline.year)],
            "deadline_time": "17:30", **extra}


def test_the_agency_names_each_lot_as_suppliers_will_see_it(app, session):
    world = factories.published_tender(session, publish=False)
    tender = world["tender"]
    with fresh_browser(app) as browser:
        sign_in(browser, world["agency"].email, factories.PASSWORD)
        token = csrf_token(browser, f"/tenders/{tender.id}")
        for fields, message in (({"lot-title-1": "   "}, "Lot 1: enter a title of at most 200 characters"),
                                ({"lot-title-1": "x" * 201}, "Lot 1: enter a title"),
                                ({"lot-title-x": "Laptops"}, "There is no lot x"),
                                ({"lot-value-1": "NaN"}, "Lot 1: the estimated value must be more than 0"),
                                ({"lot-value-1": "1e999999"}, "Lot 1: the estimated value must be in pounds and pence"),
                                ({"lot-value-1": "120000.005"}, "Lot 1: the estimated value must be in pounds and pence")):
            response = browser.post(f"/tenders/{tender.id}/details", data={"csrf_token": token, **_details(**fields)})
            assert response.status_code == 302
            assert message in browser.get(f"/tenders/{tender.id}/build/publish").get_data(as_text=True)
        session.expire_all()
        assert session.get(Tender, tender.id).lots[0].title != "Business laptops, 14-inch"
        response = browser.post(f"/tenders/{tender.id}/details", data={
            "csrf_token": token, **_details(**{"lot-title-1": "  Business laptops, 14-inch "})})
        assert response.status_code == 302
    session.expire_all()
    assert session.get(Tender, tender.id).lots[0].title == "Business laptops, 14-inch"


def test_lot_titles_through_the_api(client, session):
    world = factories.published_tender(session, publish=False)
    tender_id = world["tender"].id
    agency = {"Authorization": f"Bearer {factories.token_for(session, world['agency'], days=90)}"}
    body = {**BODIES["details"], "lot_titles": {"1": "Rugged tablets"}}
    response = client.put(f"/api/v1/tenders/{tender_id}/details", headers=agency, json=body)
    assert response.status_code == 200 and response.get_json()["lots"][0]["title"] == "Rugged tablets"
    for titles, field in (({"9": "No such lot"}, "lot_titles"), ({"one": "Tablets"}, "lot_titles"), ({"1": ""}, "lot_titles")):
        response = client.put(f"/api/v1/tenders/{tender_id}/details", headers=agency, json={**BODIES["details"], "lot_titles": titles})
        errors = response.get_json()["errors"]
        assert response.status_code == 422 and field in errors.get("json", errors), errors
    session.expire_all()
    assert session.get(Tender, tender_id).lots[0].title == "Rugged tablets"


def _date_parts(day):
    return [str(day.day), str(day.month), str(day.year)]


def test_the_agency_picks_the_ground_for_a_short_period_in_the_browser(app, session):
    world = factories.published_tender(session, days=15, publish=False)
    tender = world["tender"]
    with fresh_browser(app) as browser:
        sign_in(browser, world["agency"].email, factories.PASSWORD)
        page = browser.get(f"/tenders/{tender.id}/build/publish").get_data(as_text=True)
        assert page.count('name="short_period_ground"') == 3 and "With a stated urgency" in page  # fields under the radios
        token = csrf_token(browser, f"/tenders/{tender.id}")
        for ground, message in (("", "at least 25 days"), ("urgency", "State why urgency"),
                                ("planned_procurement_notice", "Enter the date the planned procurement notice")):
            response = browser.post(f"/tenders/{tender.id}/publish", data={
                "csrf_token": token, "short_period_ground": ground, "short_period_reason": ""})
            assert response.status_code == 302
            assert message in browser.get(f"/tenders/{tender.id}/build/publish").get_data(as_text=True)
            session.expire_all()
            assert session.get(Tender, tender.id).status is TenderStatus.draft
        notice_day = to_london(now()).date() - timedelta(days=40)
        response = browser.post(f"/tenders/{tender.id}/publish", data={
            "csrf_token": token, "short_period_ground": "planned_procurement_notice",
            "planned_notice_published_on": _date_parts(notice_day), "planned_notice_reference": "2026/S 000-123456",
            "short_period_reason": "typed under urgency, then another ground chosen"})
        assert response.status_code == 302
        page = browser.get(f"/tenders/{tender.id}").get_data(as_text=True)
    session.expire_all()
    published = session.get(Tender, tender.id)
    assert published.status is TenderStatus.published and published.short_period_reason == ""
    assert (published.planned_notice_published_on, published.planned_notice_reference) == (notice_day, "2026/S 000-123456")
    assert (f"At least 10 days, after a planned procurement notice (2026/S 000-123456) published on "
            f"{notice_day:%-d %B %Y}") in page


def test_the_ground_for_a_short_period_through_the_api(client, session):
    world = factories.published_tender(session, days=15, publish=False)
    tender_id = world["tender"].id
    agency = {"Authorization": f"Bearer {factories.token_for(session, world['agency'], days=90)}"}
    for body, field in (({}, "submission_deadline"), ({"short_period_reason": "Urgent"}, "submission_deadline"),
                        ({"short_period_ground": "urgency"}, "short_period_reason"),
                        ({"short_period_ground": "convenience"}, "short_period_ground"),
                        ({"short_period_ground": "planned_procurement_notice",
                          "planned_notice_published_on": (to_london(now()).date() - timedelta(days=39)).isoformat()},
                         "planned_notice_published_on")):
        response = client.post(f"/api/v1/tenders/{tender_id}/publish", headers=agency, json=body)
        errors = response.get_json()["errors"]
        assert response.status_code == 422 and field in errors.get("json", errors), (body, errors)
    session.expire_all()
    assert session.get(Tender, tender_id).status is TenderStatus.draft
    response = client.post(f"/api/v1/tenders/{tender_id}/publish", headers=agency, json={
        "short_period_ground": "urgency", "short_period_reason": "The current contract ends on 31 March"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["short_period_ground"], body["short_period_reason"]) == ("urgency", "The current contract ends on 31 March")
