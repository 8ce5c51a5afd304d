"""Each role's home worklist on the demo: what needs the person, each item a sentence and a
link to where it is done; the evaluator is told of the opening the lead requested; what a
person sees is only theirs."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboards.worklist import admin_worklist, agency_worklist, buyer_worklist, supplier_worklist, worklists
from procurement.core.errors import PermissionDenied
from procurement.parties.models import SignInAttempt, User
from procurement.seed import seed_demo
from tenders.bidding.opening import request_opening
from tenders.models import Tender
from tests.conftest import sign_in


@pytest.fixture()
def demo(session):
    seed_demo(session)
    session.commit()
    users = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
    tenders = {t.title: t for t in session.scalars(select(Tender))}
    return {"users": users, "tenders": tenders}


def _items(worklist):
    return {item.title: item for section in worklist.sections for item in section.items}


def _tender(demo, part: str) -> Tender:
    return next(t for title, t in demo["tenders"].items() if part in title)


def test_the_agency_sees_the_box_to_open_the_contracts_to_enter_and_the_buyers_to_chase(session, demo):
    items = _items(agency_worklist(session, demo["users"]["agency.lead"]))
    closed, awarded, draft = _tender(demo, "network switches"), _tender(demo, "contact-centre"), _tender(demo, "monitor")
    assert items[f"Request the opening: {closed.title}"].link.args == {"tender_id": closed.id}
    assert f"Enter the contracts: {awarded.title}" in items
    chase = items[f"Follow up the buyers: {draft.title}"]
    assert "waiting for their buyers' confirmation" in chase.text and chase.due == draft.confirm_by


def test_after_the_lead_requests_the_opening_the_other_agency_user_is_asked_to_confirm_it(session, demo):
    lead, evaluator = demo["users"]["agency.lead"], demo["users"]["agency.evaluator"]
    closed = _tender(demo, "network switches")
    request_opening(session, lead, closed.id)
    session.commit()
    theirs = _items(agency_worklist(session, evaluator))
    confirm = theirs[f"Confirm the opening: {closed.title}"]
    assert lead.full_name in confirm.text and confirm.link.args == {"tender_id": closed.id}
    mine = _items(agency_worklist(session, lead))  # a second person confirms: never the one who asked
    assert f"Confirm the opening: {closed.title}" not in mine
    assert f"Request the opening: {closed.title}" not in mine


def test_a_buyer_sees_its_lines_to_confirm_with_the_joint_price_and_saving_and_only_its_own(session, demo):
    draft = _tender(demo, "monitor")
    for who in ("buyer.hackney", "buyer.gla"):
        mine = buyer_worklist(session, demo["users"][who])
        items = _items(mine)
        lines = items.get(f"Confirm or decline your lines: {draft.title}")
        assert lines is not None, who
        assert "of your organisation’s to confirm or decline" in lines.text
        assert "saving of £" in lines.text and lines.due == draft.confirm_by
        assert lines.link.endpoint == "pools.mine"
    camden = _items(buyer_worklist(session, demo["users"]["buyer.camden"]))  # Camden has no line in it
    assert f"Confirm or decline your lines: {draft.title}" not in camden


def test_a_supplier_sees_the_open_opportunity_and_its_result(session, demo):
    items = _items(supplier_worklist(session, demo["users"]["supplier.crm"]))
    awarded, open_ = _tender(demo, "contact-centre"), _tender(demo, "laptop")
    result = next(i for t, i in items.items() if awarded.title in t and i.link.endpoint == "evaluation.results")
    assert result.link.args == {"tender_id": awarded.id}
    assert any(open_.title in t and i.link.args == {"tender_id": open_.id} for t, i in items.items())


def test_an_administrator_sees_a_locked_account(app, session, demo):
    client = app.test_client()
    for _ in range(5):
        sign_in(client, "buyer.camden@demo.londonconnects.example", "not the password")
    assert session.scalar(select(SignInAttempt).where(SignInAttempt.succeeded.is_(False))) is not None
    items = _items(admin_worklist(session, demo["users"]["admin"]))
    locked = items["buyer.camden@demo.londonconnects.example"]
    assert locked.tag == "Locked" and locked.link.args == {"user_id": demo["users"]["buyer.camden"].id}


@pytest.mark.parametrize("worklist, who", [(agency_worklist, "buyer.camden"), (agency_worklist, "supplier.thames"),
                                           (admin_worklist, "agency.lead"), (admin_worklist, "buyer.camden")])
def test_a_role_s_worklist_is_refused_to_anyone_else(session, demo, worklist, who):
    with pytest.raises(PermissionDenied):
        worklist(session, demo["users"][who])


def test_each_person_gets_the_worklists_of_their_roles_and_the_home_page_shows_them(app, session, demo):
    assert [w.role for w in worklists(session, demo["users"]["supplier.thames"])] == ["supplier"]
    assert [w.role for w in worklists(session, demo["users"]["buyer.camden"])] == ["buyer"]
    client = app.test_client()
    sign_in(client, "agency.evaluator@demo.londonconnects.example", "london-demo-2026")
    page = client.get("/").get_data(as_text=True)
    assert "What needs you" in page and "Request the opening: " in page


def test_a_standstill_that_has_ended_reads_ended_for_the_buyer_and_the_supplier(session, demo):
    from datetime import datetime, time, timedelta

    from procurement.core.clock import LONDON, frozen_at

    awarded = _tender(demo, "contact-centre")
    ends_on = awarded.standstill.ends_on
    for day, words in ((ends_on, "Standstill ends"), (ends_on + timedelta(days=1), "Standstill ended")):
        with frozen_at(datetime.combine(day, time(12), LONDON)):
            result = next(i for i in _items(supplier_worklist(session, demo["users"]["supplier.crm"])).values()
                          if i.link.endpoint == "evaluation.results" and awarded.title in i.title)
            dates = buyer_worklist(session, demo["users"]["buyer.camden"]).extra["tenders"]
        assert result.when == words, day
        assert next(d for d in dates if d.tender_id == awarded.id).next_what == words, day
        assert f"See the outcome: {awarded.title}" in _items(buyer_worklist(session, demo["users"]["buyer.camden"]))
