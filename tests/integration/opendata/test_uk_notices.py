"""The Procurement Act notices against a local Find a Tender of our own (fts_double): a tender
from pooled demand to contract makes its UK4, UK6 and UK7 in order, each accepted by the
platform and valid in the UK profile; the UK4's publication opens the box, the UK6's starts
standstill; a cancelled tender its UK12; a rejection is shown, corrected and submitted again; a
timed-out submission is published once; a body failing the schema is never sent. Without an API
key a notice is published on this service only, and the pages say so."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Iterator

import pytest
from sqlalchemy import select

from opendata import profile
from opendata.uk_notices import bodies, jobs, services
from opendata.uk_notices.models import NoticeKind, NoticeState, UkNotice
from procurement.core.audit import AuditEvent
from procurement.core.clock import LONDON, frozen_at, to_london
from procurement.core.errors import Conflict, InvalidInput
from tenders import permissions
from tenders.award import evaluation, scoring
from tenders.forming import publication
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.integration.opendata.fts_double import API_KEY, FindATenderDouble

from tests.factories import PASSWORD  # noqa: E402


@pytest.fixture()
def fts(app: Any) -> Iterator[FindATenderDouble]:
    keys = ("FIND_A_TENDER_URL", "FIND_A_TENDER_API_KEY", "FIND_A_TENDER_TIMEOUT")
    before = {k: app.config.get(k) for k in keys}
    with FindATenderDouble() as double:
        app.config.update(FIND_A_TENDER_URL=double.url, FIND_A_TENDER_API_KEY=API_KEY, FIND_A_TENDER_TIMEOUT=1.0)
        try:
            yield double
        finally:
            app.config.update(before)


def _notices(session: Any, tender: Any, kind: NoticeKind | None = None) -> list[UkNotice]:
    session.expire_all()
    found = services.notices_of_tender(session, tender.id)
    return [n for n in found if kind is None or n.kind is kind]


def _poll(session: Any) -> None:
    """The scheduled task's pass: each submitted notice asked after (its job runs inline here)."""
    jobs.poll_notices()
    session.expire_all()


def _accepted_bodies_are_valid(fts: FindATenderDouble) -> None:
    for submission in fts.by_id.values():
        assert profile.problems(submission.notice) == [], submission.submission_id


def _notice_type(body: dict[str, Any], section: str) -> str:
    holder = body[section][0] if isinstance(body[section], list) else body[section]
    return holder["documents"][-1 if section != "contracts" else 0]["noticeType"]


def test_a_tender_from_pooled_demand_to_contract_makes_its_uk4_uk6_and_uk7_in_order(session, fts, client):
    def tender_notice(world: dict[str, Any]) -> None:
        session.commit()  # the UK4 goes to the platform once the publication commits
        (uk4,) = _notices(session, world["tender"], NoticeKind.UK4)
        assert uk4.state is NoticeState.submitted and uk4.submission_id
        assert not permissions.can_bid(world["bidder"], world["tender"])  # no bid before the UK4 is published
        _poll(session)
        assert uk4.state is NoticeState.published and uk4.platform_notice_id and uk4.platform_link.startswith("https://")
        assert world["tender"].tender_notice_published_at == uk4.published_at == world["tender"].published_at
        assert permissions.can_bid(world["bidder"], world["tender"])

    world = factories.decided_tender(session, after_publish=tender_notice)
    tender, lead = world["tender"], world["agency"]
    session.commit()
    (uk6,) = _notices(session, tender, NoticeKind.UK6)
    assert uk6.state is NoticeState.submitted
    standstill = evaluation.standstill_of(session, tender)
    assert standstill.notice_pending
    with frozen_at(world["after"] + timedelta(days=20)), pytest.raises(Conflict, match="UK6"):
        evaluation.enter_contracts(session, lead, tender.id)

    published_on = to_london(world["after"]).date() + timedelta(days=3)
    with frozen_at(datetime.combine(published_on, time(10), LONDON)):
        _poll(session)
    assert uk6.state is NoticeState.published
    standstill = evaluation.standstill_of(session, tender)
    assert not standstill.notice_pending and standstill.ends_on == scoring.standstill_ends(published_on)
    assert to_london(uk6.published_at).date() == published_on and "Standstill counted from" in uk6.note
    from procurement.notifications.models import Notification

    moved = session.scalars(select(Notification).where(Notification.subject.startswith("Standstill end moved"))).all()
    assert moved and all(f"ends on {standstill.ends_on:%-d %B %Y}" in n.body for n in moved)  # the bidders are told

    with frozen_at(datetime.combine(standstill.ends_on - timedelta(days=0), time(12), LONDON)), pytest.raises(Conflict):
        evaluation.enter_contracts(session, lead, tender.id)  # standstill's last day still counts
    entered = datetime.combine(standstill.ends_on + timedelta(days=1), time(12), LONDON)
    with frozen_at(entered):
        evaluation.enter_contracts(session, lead, tender.id)
        session.commit()
        (uk7,) = _notices(session, tender, NoticeKind.UK7)
        assert uk7.due_on == entered.date() + timedelta(days=30) and uk7.state is NoticeState.submitted
        _poll(session)
    assert uk7.state is NoticeState.published

    uk4, uk6, uk7 = (_notices(session, tender, k)[0] for k in (NoticeKind.UK4, NoticeKind.UK6, NoticeKind.UK7))
    assert uk4.id < uk6.id < uk7.id and uk4.published_at < uk6.published_at < uk7.published_at
    assert len(fts.published) == 3 and len(fts.by_id) == 3
    _accepted_bodies_are_valid(fts)
    sent = {s.notice["tag"][0]: s.notice for s in fts.by_id.values()}
    assert _notice_type(sent["tender"], "tender") == "UK4"
    assert _notice_type(sent["award"], "awards") == "UK6" and sent["award"]["awards"][0]["documents"][0]["documentType"] == "awardNotice"
    assert _notice_type(sent["contract"], "contracts") == "UK7"
    assert sent["contract"]["contracts"][0]["documents"][0]["documentType"] == "contractNotice"
    from opendata import ocds

    public = client.get(f"/notices/{ocds.ocid(client.application.config['OCDS_OCID_PREFIX'], tender.id)}").get_data(as_text=True)
    for notice in (uk4, uk6, uk7):
        assert f'href="{notice.platform_link}">{notice.platform_notice_id}</a>' in public
    assert services.SERVICE_ONLY not in public


def test_a_cancelled_tender_makes_its_uk12(session, fts):
    world = factories.published_tender(session)
    session.commit()
    _poll(session)
    publication.cancel(session, world["agency"], world["tender"].id, "The boroughs' needs changed")
    session.commit()
    (uk12,) = _notices(session, world["tender"], NoticeKind.UK12)
    _poll(session)
    assert uk12.state is NoticeState.published
    body = next(s.notice for s in fts.by_id.values() if s.notice["tag"] == ["tenderCancellation"])
    assert body["tender"]["status"] == "cancelled" and "statusDetails" not in body["tender"]
    assert body["tender"]["amendments"][-1]["rationale"] == "The boroughs' needs changed"
    assert _notice_type(body, "tender") == "UK12"
    _accepted_bodies_are_valid(fts)


def test_a_tender_cancelled_before_its_tender_notice_appears_stops_it_and_terminates_nothing(session, fts):
    fts.reject_next = [{"path": "tender/description", "message": "Say where the goods are delivered"}]
    world = factories.published_tender(session)
    session.commit()
    (uk4,) = _notices(session, world["tender"], NoticeKind.UK4)
    assert uk4.state is NoticeState.rejected
    with pytest.raises(Conflict):  # the tender waits on it: correct it, do not withdraw it
        services.withdraw(session, world["agency"], uk4, "Not wanted")
    publication.cancel(session, world["agency"], world["tender"].id, "The boroughs' needs changed")
    session.commit()
    session.refresh(uk4)
    assert uk4.state is NoticeState.withdrawn and "cancelled" in uk4.withdrawn_reason
    assert _notices(session, world["tender"], NoticeKind.UK12) == []


def test_a_rejected_notice_is_shown_with_its_reasons_corrected_and_submitted_again(session, fts, client):
    fts.reject_next = [{"path": "tender/description", "message": "The description must say where the goods are delivered"}]
    world = factories.published_tender(session)
    session.commit()
    (uk4,) = _notices(session, world["tender"], NoticeKind.UK4)
    assert uk4.state is NoticeState.rejected and "where the goods are delivered" in uk4.reasons[0]
    assert not permissions.can_bid(world["bidder"], world["tender"])  # still not published

    agency = factories.user(session, "agency", password=PASSWORD)
    session.commit()
    sign_in(client, agency.email, PASSWORD)
    page = client.get(f"/agency/notices/{uk4.id}").get_data(as_text=True)
    assert "Find a Tender rejected this notice" in page and "where the goods are delivered" in page and "Submit again" in page

    first_key = uk4.idempotency_key
    response = client.post(f"/agency/notices/{uk4.id}/submit", data={"csrf_token": csrf_token(client, f"/agency/notices/{uk4.id}")})
    assert response.status_code == 302
    session.expire_all()
    assert uk4.state is NoticeState.submitted and uk4.idempotency_key != first_key and uk4.reasons == []
    _poll(session)
    assert uk4.state is NoticeState.published and len(fts.published) == 1
    assert permissions.can_bid(world["bidder"], world["tender"])


def test_a_submission_the_platform_times_out_on_is_published_exactly_once(session, fts):
    fts.time_out_next = 2.5  # longer than the client waits (1 s)
    world = factories.published_tender(session)
    session.commit()  # the first attempt times out: the notice stays submitted
    (uk4,) = _notices(session, world["tender"], NoticeKind.UK4)
    assert uk4.state is NoticeState.submitted and not uk4.submission_id and "could not be reached" in uk4.last_error
    _poll(session)  # sent again under the same key: the platform answers its first submission
    assert uk4.state is NoticeState.submitted and uk4.submission_id
    _poll(session)
    _poll(session)
    assert uk4.state is NoticeState.published
    assert fts.submit_requests == [uk4.idempotency_key] * 2 and len(fts.by_id) == 1 and len(fts.published) == 1
    published = session.scalars(select(AuditEvent).where(AuditEvent.action == "notice.published",
                                                         AuditEvent.subject_id == str(uk4.id))).all()
    assert len(published) == 1


def test_an_answer_that_cannot_be_read_leaves_the_notice_submitted_and_it_is_retried(session, fts):
    fts.garble_next = True
    world = factories.published_tender(session)
    session.commit()
    (uk4,) = _notices(session, world["tender"], NoticeKind.UK4)
    assert uk4.state is NoticeState.submitted and "could not be read" in uk4.last_error
    _poll(session)
    _poll(session)
    assert uk4.state is NoticeState.published and len(fts.by_id) == 1


def test_a_body_failing_the_schema_is_never_submitted_and_its_problems_are_listed_by_field(session, fts, client, monkeypatch):
    real = bodies.tender_body

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        body = real(*args, **kwargs)
        body["tender"]["value"] = {"amount": "about a hundred thousand", "currency": "GBP"}
        return body

    monkeypatch.setattr(bodies, "tender_body", broken)
    world = factories.published_tender(session)
    session.commit()
    (uk4,) = _notices(session, world["tender"], NoticeKind.UK4)
    assert uk4.state is NoticeState.draft and fts.submit_requests == []
    assert [p["field"] for p in services.problems(uk4)] == ["tender/value/amount"]
    assert not permissions.can_bid(world["bidder"], world["tender"])
    with pytest.raises(InvalidInput) as refused:
        services.submit(session, world["agency"], uk4)
    assert "tender/value/amount" in refused.value.field_errors
    session.rollback()

    agency = factories.user(session, "agency", password=PASSWORD)
    session.commit()
    sign_in(client, agency.email, PASSWORD)
    page = client.get(f"/agency/notices/{uk4.id}").get_data(as_text=True)
    assert "does not meet the UK profile" in page and "tender/value/amount" in page
    client.post(f"/agency/notices/{uk4.id}/submit", data={"csrf_token": csrf_token(client, f"/agency/notices/{uk4.id}")})
    session.expire_all()
    assert uk4.state is NoticeState.draft and fts.submit_requests == []


def test_a_contract_above_five_million_waits_for_a_copy_of_the_contract(session, fts, client):
    from tenders.models import Contract, Lot

    world = factories.decided_tender(session, after_publish=lambda w: (session.commit(), _poll(session)))
    session.commit()
    with frozen_at(world["after"] + timedelta(days=2)):
        _poll(session)
    standstill = evaluation.standstill_of(session, world["tender"])
    monkeypatch_value = services.CONTRACT_COPY_OVER
    services.CONTRACT_COPY_OVER = __import__("decimal").Decimal("1000")  # every contract here is "large"
    try:
        with frozen_at(datetime.combine(standstill.ends_on + timedelta(days=1), time(12), LONDON)):
            evaluation.enter_contracts(session, world["agency"], world["tender"].id)
        (uk7,) = _notices(session, world["tender"], NoticeKind.UK7)
        assert uk7.state is NoticeState.draft and services.needs_contract_copy(session, uk7)
        with pytest.raises(InvalidInput, match="copy of the contract"):
            services.submit(session, world["agency"], uk7)
        services.attach_contract_copy(session, world["agency"], uk7, "contract.pdf", b"%PDF-1.4 signed contract")
        services.submit(session, world["agency"], uk7)
        assert uk7.state is NoticeState.submitted
        copies = [d for c in uk7.body["contracts"] for d in c["documents"] if d["documentType"] == "contractSigned"]
        assert copies and profile.problems(uk7.body) == []
        public = copies[0]["url"].split("://", 1)[1].split("/", 1)[1]
        session.commit()
        assert client.get(f"/{public}").status_code == 404  # not before its notice is published
        _poll(session)
        session.refresh(uk7)
        assert uk7.state is NoticeState.published
        answer = client.get(f"/{public}")  # anyone, signed in or not, once it is
        assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
    finally:
        services.CONTRACT_COPY_OVER = monkeypatch_value
    assert session.scalars(select(Contract).join(Lot).where(Lot.tender_id == world["tender"].id)).first() is not None


def test_without_an_api_key_a_notice_is_published_on_this_service_only_and_the_pages_say_so(session, client):
    world = factories.published_tender(session)
    (uk4,) = _notices(session, world["tender"], NoticeKind.UK4)
    assert uk4.state is NoticeState.published and uk4.service_only and not uk4.platform_notice_id
    assert permissions.can_bid(world["bidder"], world["tender"])
    agency = factories.user(session, "agency", password=PASSWORD)
    session.commit()
    sign_in(client, agency.email, PASSWORD)
    from opendata import ocds

    ocid = ocds.ocid(client.application.config["OCDS_OCID_PREFIX"], world["tender"].id)
    for path in (f"/agency/notices/{uk4.id}", f"/tenders/{world['tender'].id}", "/agency/notices"):
        assert services.SERVICE_ONLY in client.get(path).get_data(as_text=True), path
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    public = client.get(f"/notices/{ocid}").get_data(as_text=True)
    assert "Tender notice" in public and services.SERVICE_ONLY in public


def test_pipeline_and_engagement_notices_are_made_by_agency_staff(session, client):
    world = factories.published_tender(session, publish=False)
    big = factories.organisation(session)
    big.annual_spend = __import__("decimal").Decimal("250000000")
    small = world["orgs"][0]
    with pytest.raises(InvalidInput, match="over £100m"):
        services.create_pipeline(session, world["agency"], small.id)
    uk1 = services.create_pipeline(session, world["agency"], big.id)
    assert uk1.kind is NoticeKind.UK1 and profile.problems(uk1.body) == []
    uk2 = services.create_engagement(session, world["agency"], world["tender"].id)
    assert profile.problems(uk2.body) == [] and uk2.body["planning"]["documents"][0]["noticeType"] == "UK2"
    services.submit(session, world["agency"], uk2)
    assert uk2.state is NoticeState.published and uk2.service_only
    with pytest.raises(Conflict):
        services.withdraw(session, world["agency"], uk2, "no longer")
    services.withdraw(session, world["agency"], uk1, "Published by the authority itself")
    assert uk1.state is NoticeState.withdrawn
