"""Forms whose fields are named by number (price-L-I, score-B-C, crit-N-*, evaluator) are loaded
by the same schemas as the API: input that is not what the field asks for is shown as a clear
problem, the page answers (never a 500), and nothing is changed."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from procurement.core.clock import frozen_at
from tenders.bidding import bids
from tenders.models import Bid, Evaluator, Mark, OpenedBid, TenderStatus
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in


def test_a_bid_form_problem_is_shown_at_its_field_and_nothing_is_stored(app, session):
    """Nothing valid to keep (the one price is not a number): the problems at their fields,
    what was typed shown again, and no draft made."""
    world = factories.published_tender(session)
    page = f"/opportunities/{world['tender'].id}/bid"
    with fresh_browser(app) as browser:
        sign_in(browser, world["bidder"].email, factories.PASSWORD)
        response = browser.post(page, data={"csrf_token": csrf_token(browser, page), "price-1-1": "12,50.x",
                                            "tier-1-1-1-from": "1", "tier-1-1-1-price": "760",
                                            "tier-1-1-2-from": "1", "tier-1-1-2-price": "740", "action": "save"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in text
    laptop = world["tender"].lots[0].items[0].description
    assert (f'<a href="#price-1-1">Enter the unit price for {laptop} as a number of pounds, like 720.00; '
            "this line is not saved until it is corrected</a>") in text
    assert f'<a href="#tier-1-1-1-from">{laptop}: tiers: band 1- overlaps the band before it; this line is not saved' in text
    assert 'govuk-form-group--error' in text and 'value="12,50.x"' in text
    assert session.scalar(select(func.count()).select_from(Bid)) == 0


@pytest.fixture()
def opened(session):
    return factories.opened_tender(session)


def _post(app, user, url, data, page):
    with fresh_browser(app) as browser:
        sign_in(browser, user.email, factories.PASSWORD)
        response = browser.post(url, data={"csrf_token": csrf_token(browser, page), **data})
        assert response.status_code == 302, (url, response.status_code)
        return browser.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("evaluators, lead, message", [
    (["x"], None, "Choose the evaluators from the list"),
    (None, "", "Choose the lead evaluator"),
    (None, "9" * 40, "Choose the lead evaluator"),
])
def test_a_panel_not_chosen_from_the_list_is_refused(app, session, opened, evaluators, lead, message):
    tender, agency, second = opened["tender"], opened["agency"], opened["second_agency"]
    page = f"/tenders/{tender.id}/evaluation"
    data = {"evaluator": evaluators or [str(agency.id), str(second.id)], "lead": str(agency.id) if lead is None else lead}
    with frozen_at(opened["after"]):
        shown = _post(app, agency, f"{page}/start", data, page)
    assert message in shown
    session.expire_all()
    assert tender.status is TenderStatus.opened and session.scalars(select(Evaluator)).all() == []


@pytest.mark.parametrize("score", ["x", "4.5", "9", "-1", "²", "9" * 5000])
def test_a_mark_that_is_not_0_to_5_is_refused(app, session, opened, score):
    from tenders.award import evaluation

    tender, lead, panelist = opened["tender"], opened["agency"], opened["second_agency"]
    first = session.scalars(select(OpenedBid).where(OpenedBid.tender_id == tender.id).order_by(OpenedBid.id)).first()
    page = f"/tenders/{tender.id}/evaluation"
    with frozen_at(opened["after"]):
        evaluation.start_evaluation(session, lead, tender.id, [lead.id, panelist.id], lead.id)
        evaluation.declare(session, lead, tender.id, "No conflict of interest")
        session.flush()
        criteria = tender.criteria
        shown = _post(app, lead, f"{page}/marks", {
            f"score-{first.id}-{criteria[0].id}": "3", f"why-{first.id}-{criteria[0].id}": "Seen",
            f"score-{first.id}-{criteria[1].id}": score, f"why-{first.id}-{criteria[1].id}": "Seen", "action": "save"}, page)
    assert "Marks are whole numbers from 0 to 5" in shown
    assert session.scalars(select(Mark)).all() == []


@pytest.mark.parametrize("fields, message", [
    ({"crit-1-weight": "forty"}, "Criterion 1: the weight is a whole number from 1 to 100"),
    ({"crit-1-weight": "²"}, "Criterion 1: the weight is a whole number from 1 to 100"),
    ({"crit-1-weight": "0"}, "Criterion 1: the weight is a whole number from 1 to 100"),
    ({"crit-2-pass": "3.5"}, "Criterion 2: the pass mark is a whole number from 0 to 5"),
    ({"crit-2-pass": "6"}, "Criterion 2: the pass mark is a whole number from 0 to 5"),
    ({"crit-2-descriptors": "\n".join(["x" * 501] * 6)}, "Criterion 2: each mark&#39;s descriptor is at most 500 characters"),
])
def test_criteria_that_are_not_whole_numbers_are_refused(app, session, fields, message):
    world = factories.published_tender(session, publish=False)
    tender = world["tender"]
    before = [(c.name, c.weight, c.pass_mark) for c in tender.criteria]
    data = {f"crit-{n}-{name}": value for n, (name_, weight) in enumerate([("Quality", "30"), ("Social value", "10")], start=1)
            for name, value in (("name", name_), ("weight", weight), ("descriptors", "\n".join(f"mark {m}" for m in range(6))))}
    page = f"/tenders/{tender.id}"
    shown = _post(app, world["agency"], f"{page}/criteria", {**data, **fields}, page)
    assert message in shown
    session.expire_all()
    assert [(c.name, c.weight, c.pass_mark) for c in tender.criteria] == before
    good = _post(app, world["agency"], f"{page}/criteria", data, page)
    assert "Criteria saved" in good


@pytest.mark.parametrize("field", ["score-x-1", "score-1-", "score--1-2", "score-1-2-3", "score-99999999999-1",
                                   "score-%s-1" % ("9" * 400),
                                   "score-\u0664-\u0663"])  # Arabic-Indic digits are not ids
def test_a_malformed_marks_field_name_is_ignored_not_a_500(app, session, opened, field):
    """Issue 18, finding 9: a malformed field name on the marks form gave a 500."""
    from tenders.award import evaluation

    tender, lead, panelist = opened["tender"], opened["agency"], opened["second_agency"]
    page = f"/tenders/{tender.id}/evaluation"
    with frozen_at(opened["after"]):
        evaluation.start_evaluation(session, lead, tender.id, [lead.id, panelist.id], lead.id)
        evaluation.declare(session, lead, tender.id, "No conflict of interest")
        session.flush()
        shown = _post(app, lead, f"{page}/marks", {field: "3", "action": "save"}, page)
    assert "Enter at least one mark" in shown
    assert session.scalars(select(Mark)).all() == []


def test_a_supplier_posting_an_empty_marks_form_is_refused_not_told_marks_saved(app, session, opened):
    """Issue 18, finding 9: a supplier posting an empty marks form was told "Marks saved"."""
    tender = opened["tender"]
    supplier = factories.user(session, "supplier", supplier_id=factories.supplier(session).id)
    with fresh_browser(app) as browser, frozen_at(opened["after"]):
        sign_in(browser, supplier.email, factories.PASSWORD)
        token = csrf_token(browser, "/")
        response = browser.post(f"/tenders/{tender.id}/evaluation/marks", data={"csrf_token": token, "action": "save"})
        assert response.status_code == 403
        assert "Marks saved" not in browser.get("/").get_data(as_text=True)


def test_a_bad_price_keeps_what_was_typed_and_every_other_saved_answer(app, session):
    """A saved price changed to what is not a number: the form shows it as typed, its error
    saying that line is not saved; the answer typed with it is saved."""
    world = factories.published_tender(session)
    tender, bidder = world["tender"], world["bidder"]
    page = f"/opportunities/{tender.id}/bid"
    with fresh_browser(app) as browser:
        sign_in(browser, bidder.email, factories.PASSWORD)
        browser.post(page, data={"csrf_token": csrf_token(browser, page), "price-1-1": "745", "action": "save"})
        response = browser.post(page, data={"csrf_token": csrf_token(browser, page), "price-1-1": "7,45.0.0",
                                            "quality-1": "Next-day swap-out", "action": "review"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="7,45.0.0"' in text and 'id="price-1-1-error"' in text
    assert "as a number of pounds, like 720.00; this line is not saved until it is corrected" in text
    draft = bids.read_draft(session, bidder, tender.id)
    assert draft["lines"] == [] and [q["text"] for q in draft["quality"]] == ["Next-day swap-out"]
