"""The demand board's page (its defaults, like-for-like prices, tenders under way, the GOV.UK
date filter), the requirement form (every error at once, the CPV finder) and the confirmation
pages of irreversible acts, for each role."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from procurement.core.clock import today
from demand.board import BoardFilter
from demand.models import Requirement, RequirementStatus
from tenders.forming import pooling
from tests import factories
from tests.conftest import assert_page_access, csrf_token, sign_in

ROLES = ["anonymous", "own buyer", "other buyer", "supplier", "agency"]


@pytest.fixture()
def world(session):
    laptop = factories.catalogue_item(session, name="Board laptop")
    factories.linked_offer(session, laptop, "812.50", "25:789.00; 100:755.00")
    refurbished = factories.linked_offer(session, laptop, "389.00", "20:369.00; 100:349.00")
    refurbished.title = "Refurbished ThinkPad T14 laptop"
    monitor = factories.catalogue_item(session, name="Board monitor")
    factories.linked_offer(session, monitor, "150.00", "100:120.00")
    kiosk = factories.catalogue_item(session, name="Board kiosk")
    own_org, other_org, third_org = (factories.organisation(session) for _ in range(3))
    own = factories.user(session, "buyer", organisation_id=own_org.id)
    other = factories.user(session, "buyer", organisation_id=other_org.id)
    third = factories.user(session, "buyer", organisation_id=third_org.id)
    for buyer, quantity in ((own, "60"), (other, "50")):
        factories.requirement(session, buyer, catalogue_item_id=laptop.id, unit="", quantity=quantity,
                              baseline_unit_price="845.00")
    alone = factories.requirement(session, third, catalogue_item_id=kiosk.id, unit="", quantity="2",
                                  baseline_unit_price="4000.00")
    for buyer in (own, other):
        factories.requirement(session, buyer, catalogue_item_id=monitor.id, unit="", quantity="80",
                              baseline_unit_price="150.00", days=90)
    agency = factories.user(session, "agency")
    tender = pooling.form_tender(session, agency, board=BoardFilter(), pool_keys=[f"item-{monitor.id}"],
                                 title="Monitors under way", confirm_by=today() + timedelta(days=5))
    # More monitors from the same organisations, needed later, while the first ones are in a tender.
    for buyer in (own, other):
        factories.requirement(session, buyer, catalogue_item_id=monitor.id, unit="", quantity="10",
                              baseline_unit_price="150.00", days=120)
    pooled = session.scalars(select(Requirement).where(Requirement.organisation_id == own_org.id,
                                                       Requirement.status == RequirementStatus.pooled)).one()
    session.commit()
    return {"users": {"own buyer": own, "other buyer": other, "supplier": factories.user(session, "supplier"),
                      "agency": agency}, "laptop": laptop, "monitor": monitor, "kiosk": kiosk, "tender": tender,
            "alone": alone, "pooled": pooled, "own_org": own_org}


def _as(client, world, role):
    if role != "anonymous":
        sign_in(client, world["users"][role].email, factories.PASSWORD)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_agency_sees_the_board(client, world, role):
    _as(client, world, role)
    assert_page_access(client.get("/demand"), role, {"agency"})


def test_the_board_answers_worth_tendering(client, world):
    _as(client, world, "agency")
    html = client.get("/demand").get_data(as_text=True)
    assert "Board laptop" in html and "Board kiosk" not in html  # one organisation: not shown by default
    assert 'type="date"' not in html and 'name="needed_from"' in html and "Day" in html
    # Like for like: the new laptops are priced at the new offer's 100+ break, not the refurbished one's.
    laptops = html[html.index("Board laptop"):]
    laptops = laptops[:laptops.index("govuk-summary-card__title", 30) if "govuk-summary-card__title" in laptops[30:] else None]
    assert "£755.00" in laptops and "£349.00" not in laptops
    # A pool with a tender under way is flagged, with a link to it.
    monitors = html[html.index("Board monitor"):]
    assert "Tender under way" in monitors and f'href="/tenders/{world["tender"].id}"' in monitors
    assert "govuk-tag--red" not in html and "govuk-tag--blue" in html
    everything = client.get("/demand?min_organisations=1").get_data(as_text=True)
    assert "Board kiosk" in everything
    assert "Show every pool" in html


def test_the_board_takes_day_month_year_dates_and_reports_bad_ones(client, world):
    _as(client, world, "agency")
    later = today() + timedelta(days=60)
    html = client.get(f"/demand?needed_from={later.day}&needed_from={later.month}&needed_from={later.year}"
                      "&min_organisations=1").get_data(as_text=True)
    assert "Board monitor" in html and "Board laptop" not in html  # the laptops are needed sooner
    bad = client.get("/demand?needed_from=31&needed_from=2&needed_from=2027").get_data(as_text=True)
    assert "There is a problem" in bad and "Enter a real date" in bad
    wrong_way = client.get(f"/demand?needed_from={later.isoformat()}&needed_to={today().isoformat()}").get_data(as_text=True)
    assert "must not be before its start" in wrong_way


def test_the_requirement_form_reports_every_error_at_once(session, client, world):
    _as(client, world, "own buyer")
    before = session.scalar(select(func.count(Requirement.id)))
    response = client.post("/requirements/new", data={
        "csrf_token": csrf_token(client, "/requirements/new"), "organisation_id": str(world["own_org"].id),
        "catalogue_item_id": "0", "quantity": "", "delivery_location": "", "baseline_unit_price": "",
        "needed_by": ["", "", ""], "submit": "Save requirement"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.count("govuk-error-summary__title") == 1
    summary = html[html.index("govuk-error-summary"):html.index("</ul>", html.index("govuk-error-summary"))]
    for message in ("Enter a quantity", "Enter where it is to be delivered", "Enter the date it is needed by",
                    "Enter what you pay today per unit", "Choose a catalogue item or enter a CPV code",
                    "Describe what is needed"):
        assert message in summary, message
    assert session.scalar(select(func.count(Requirement.id))) == before


def test_the_cpv_finder_works_without_javascript(session, client, world):
    _as(client, world, "own buyer")
    token = csrf_token(client, "/requirements/new")
    before = session.scalar(select(func.count(Requirement.id)))
    found = client.post("/requirements/new", data={"csrf_token": token, "catalogue_item_id": "0", "cpv_search": "portable computers",
                                                   "find_cpv": "Find CPV codes", "quantity": "3"}).get_data(as_text=True)
    assert 'name="use_cpv" value="30213100-6"' in found and "There is a problem" not in found
    chosen = client.post("/requirements/new", data={"csrf_token": token, "catalogue_item_id": "0", "use_cpv": "30213100-6",
                                                    "quantity": "3"}).get_data(as_text=True)
    assert re.search(r'name="cpv_code"[^>]*value="30213100-6"|value="30213100-6"[^>]*name="cpv_code"', chosen)
    nothing = client.post("/requirements/new", data={"csrf_token": token, "cpv_search": "zzqqxx",
                                                     "find_cpv": "Find CPV codes"}).get_data(as_text=True)
    assert "No CPV codes match ‘zzqqxx’. Try other words" in nothing and "There is a problem" not in nothing
    everyday = client.post("/requirements/new", data={"csrf_token": token, "cpv_search": "laptops",
                                                      "find_cpv": "Find CPV codes"}).get_data(as_text=True)
    assert 'name="use_cpv" value="30213100-6"' in everyday  # 'Portable computers', by the vocabulary's words
    assert session.scalar(select(func.count(Requirement.id))) == before
    form = client.get("/requirements/new").get_data(as_text=True)
    assert "demand board" not in form.lower()


CONFIRMS = {"own buyer": 200, "other buyer": 404, "supplier": 404, "agency": 403}


@pytest.mark.parametrize("role", ROLES)
def test_withdrawing_goes_through_a_confirmation_page(session, client, world, role):
    _as(client, world, role)
    requirement_id = world["pooled"].id
    page = client.get(f"/requirements/{requirement_id}/withdraw")
    if role == "anonymous":
        assert page.status_code == 302
        return
    assert page.status_code == CONFIRMS[role]
    session.expire_all()
    assert session.get(Requirement, requirement_id).status is RequirementStatus.pooled  # a GET changes nothing
    if role == "own buyer":
        html = page.get_data(as_text=True)
        assert "What happens" in html and "cannot be undone" in html
        done = client.post(f"/requirements/{requirement_id}/withdraw",
                           data={"csrf_token": csrf_token(client, f"/requirements/{requirement_id}/withdraw")})
        assert done.status_code == 302
        session.expire_all()
        assert session.get(Requirement, requirement_id).status is RequirementStatus.withdrawn


def test_the_agency_confirms_a_cancellation_with_a_reason(session, client, world):
    _as(client, world, "agency")
    alone = world["alone"].id
    page = client.get(f"/requirements/{alone}/cancel")
    assert page.status_code == 200 and 'name="reason"' in page.get_data(as_text=True)
    assert client.get(f"/requirements/{alone}/agency-withdraw").status_code == 409  # only a committed one
    token = csrf_token(client, f"/requirements/{alone}/cancel")
    client.post(f"/requirements/{alone}/cancel", data={"csrf_token": token, "reason": ""})
    session.expire_all()
    assert session.get(Requirement, alone).status is RequirementStatus.submitted  # no reason: refused
    client.post(f"/requirements/{alone}/cancel", data={"csrf_token": token, "reason": "Bought elsewhere"})
    session.expire_all()
    assert session.get(Requirement, alone).status is RequirementStatus.cancelled


def test_lines_to_confirm_show_the_expected_price_and_saving(client, world):
    _as(client, world, "own buyer")
    html = client.get("/requirements/pools").get_data(as_text=True)
    # 160 monitors pooled reach the 100+ break at £120.00: 80 x (150 - 120) = £2,400.00 saved.
    assert "£120.00" in html and "£9,600.00" in html and "£2,400.00" in html


def test_enter_in_a_field_with_no_search_saves_the_form(session, client, world):
    """Enter in a text field presses the first button, the finder's: with nothing to find,
    the form is saved as if 'Save requirement' was pressed."""
    _as(client, world, "own buyer")
    needed = today() + timedelta(days=30)
    response = client.post("/requirements/new", data={
        "csrf_token": csrf_token(client, "/requirements/new"), "organisation_id": str(world["own_org"].id),
        "catalogue_item_id": str(world["laptop"].id), "quantity": "4", "delivery_location": "Camden Town Hall",
        "needed_by": [str(needed.day), str(needed.month), str(needed.year)], "baseline_unit_price": "845.00",
        "cpv_search": "", "find_cpv": "Find CPV codes"})
    assert response.status_code == 302
