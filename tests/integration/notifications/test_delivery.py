"""Notifications written with their event, and their emails sent through a real SMTP server
(aiosmtpd): exactly one message each, to the right person, with the page's link; preferences,
the digest, permanent and temporary failures."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from procurement.core.clock import frozen_at
from procurement.core.jobrecords import Job, JobStatus
from procurement.notifications.models import EmailState, Notification, OutgoingEmail, OutgoingState
from procurement.notifications.services import notify, send_digests, set_preferences
from tests import factories


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_notification_sends_one_email_with_its_link(smtp_app, smtp, session):
    supplier = factories.user(session, "supplier")
    other = factories.user(session, "supplier")
    notify(session, [supplier], kind="new_opportunity", key="tender:7", subject="New opportunity: laptops",
           body="A joint tender in your interests has been published.\n\nBids are due by 17 December 2026.",
           link="/opportunities/7")
    session.commit()  # the job runs after the commit (inline in the tests)
    [received] = smtp.handler.messages()
    assert received.to == [supplier.email] and received.subject == "New opportunity: laptops"
    assert f"{smtp_app.config['SERVICE_URL']}/opportunities/7" in received.part("plain")
    html = received.part("html")
    assert "New opportunity: laptops</h1>" in html and 'href="http://127.0.0.1:5000/opportunities/7"' in html
    assert other.email not in received.to
    email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.user_id == supplier.id))
    assert email.status is OutgoingState.sent and email.provider == "smtp" and email.provider_reference == received.message_id


def test_telling_of_the_same_event_twice_sends_nothing_more(smtp_app, smtp, session):
    supplier = factories.user(session, "supplier")
    for _ in range(2):
        notify(session, [supplier, supplier], kind="answer_published", key="answer:3", subject="An answer", body="B",
               link="/opportunities/3")
        session.commit()
    assert len(smtp.handler.messages()) == 1
    assert _count(session, Notification, Notification.user_id == supplier.id) == 1


def test_preferences_decide_the_email_but_statutory_ones_always_go(smtp_app, smtp, session):
    supplier = factories.user(session, "supplier")
    set_preferences(session, supplier, {"new_opportunity": "never", "answer_published": "daily"})
    notify(session, [supplier], kind="new_opportunity", key="o:1", subject="Opportunity", body="B")
    notify(session, [supplier], kind="answer_published", key="a:1", subject="Answer", body="B")
    notify(session, [supplier], kind="decision", key="d:1", subject="Decision", body="B")
    session.commit()
    states = dict(session.execute(select(Notification.kind, Notification.email_state)
                                  .where(Notification.user_id == supplier.id)).all())
    assert states == {"new_opportunity": EmailState.not_wanted, "answer_published": EmailState.in_digest,
                      "decision": EmailState.sent}
    assert [m.subject for m in smtp.handler.messages()] == ["Decision"]


def test_a_statutory_kind_cannot_be_turned_off(session):
    from procurement.core.errors import InvalidInput

    supplier = factories.user(session, "supplier")
    with pytest.raises(InvalidInput) as refused:
        set_preferences(session, supplier, {"decision": "never", "new_opportunity": "daily"})
    assert "decision" in refused.value.field_errors
    from procurement.notifications.models import NotificationPreference

    assert _count(session, NotificationPreference, NotificationPreference.user_id == supplier.id) == 0  # nothing half-saved


def test_the_daily_digest_goes_once_a_day_with_everything_waiting(smtp_app, smtp, session):
    supplier = factories.user(session, "supplier")
    set_preferences(session, supplier, {"answer_published": "daily"})
    for n in range(3):
        notify(session, [supplier], kind="answer_published", key=f"answer:{n}", subject=f"Answer {n}",
               body=f"Question {n} answered", link=f"/opportunities/{n}")
    session.commit()
    day = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)
    with frozen_at(day):
        assert send_digests(session, day=day) == 1
        session.commit()
        notify(session, [supplier], kind="answer_published", key="answer:late", subject="Late answer", body="L")
        assert send_digests(session, day=day) == 0  # today's digest has gone: the late one waits
        session.commit()
    [digest] = smtp.handler.messages()
    assert digest.subject == "Your daily digest: 3 updates"
    text = digest.part("plain")
    assert all(f"Answer {n}" in text for n in range(3)) and "Late answer" not in text
    late = session.scalar(select(Notification).where(Notification.key.like("answer:late%")))
    assert late.email_state is EmailState.in_digest


def test_a_permanent_refusal_marks_the_address_and_tells_the_administrators(smtp_app, smtp, session):
    admin = factories.user(session, "admin")
    bouncing = factories.user(session, "supplier", email="bounce.me@test.example")
    notify(session, [bouncing], kind="decision", key="d:9", subject="Decision", body="B")
    session.commit()
    session.refresh(bouncing)
    assert bouncing.email_undeliverable_at is not None and "550" in bouncing.email_undeliverable_reason
    email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.user_id == bouncing.id))
    assert email.status is OutgoingState.undeliverable
    told = session.scalar(select(Notification).where(Notification.user_id == admin.id, Notification.kind == "undeliverable"))
    assert told is not None and told.link == f"/admin/users/{bouncing.id}" and bouncing.email not in told.body
    # Nothing more is emailed to it; the site still shows it.
    notify(session, [bouncing], kind="decision", key="d:10", subject="Another", body="B")
    session.commit()
    assert [m.to for m in smtp.handler.messages()] == [[admin.email]]
    later = session.scalar(select(Notification).where(Notification.key.like("d:10%")))
    assert later.email_state is EmailState.undeliverable


def test_a_temporary_refusal_fails_the_job_to_be_retried_and_keeps_the_email_queued(smtp_app, smtp, session):
    waiting = factories.user(session, "supplier", email="later.please@test.example")
    notify(session, [waiting], kind="decision", key="d:11", subject="Decision", body="B")
    session.commit()
    email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.user_id == waiting.id))
    assert email.status is OutgoingState.queued and smtp.handler.messages() == []
    job = session.scalar(select(Job).where(Job.kind == "send_email", Job.subject_id == email.id))
    assert job.status is JobStatus.failed and "451" in job.error
    session.refresh(waiting)
    assert waiting.email_undeliverable_at is None


def test_an_administrator_clears_an_undeliverable_address(smtp_app, smtp, session):
    from tests.conftest import csrf_token, fresh_browser, sign_in
    from tests.factories import PASSWORD

    admin = factories.user(session, "admin")
    bouncing = factories.user(session, "supplier", email="bounce.again@test.example")
    notify(session, [bouncing], kind="decision", key="d:12", subject="Decision", body="B")
    session.commit()
    with fresh_browser(smtp_app) as browser:
        sign_in(browser, bouncing.email, PASSWORD)
        refused = browser.post(f"/admin/users/{bouncing.id}/deliverable", data={"csrf_token": csrf_token(browser, "/")})
        assert refused.status_code == 403
    session.refresh(bouncing)
    assert bouncing.email_undeliverable_at is not None
    with fresh_browser(smtp_app) as browser:
        sign_in(browser, admin.email, PASSWORD)
        page = browser.get(f"/admin/users/{bouncing.id}").get_data(as_text=True)
        assert "cannot be delivered" in page and "550" in page
        browser.post(f"/admin/users/{bouncing.id}/deliverable", data={"csrf_token": csrf_token(browser, "/")})
    session.refresh(bouncing)
    assert bouncing.email_undeliverable_at is None and bouncing.email_undeliverable_reason == ""


def test_an_email_failing_every_attempt_is_marked_failed_not_left_queued(smtp_app, smtp, session):
    from procurement.notifications.receivers import job_failed

    waiting = factories.user(session, "supplier", email="later.again@test.example")
    notify(session, [waiting], kind="decision", key="d:13", subject="Decision", body="B")
    session.commit()
    email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.user_id == waiting.id))
    job = session.scalar(select(Job).where(Job.kind == "send_email", Job.subject_id == email.id))
    assert job.status is JobStatus.failed and email.status is OutgoingState.queued  # a retry is due
    job_failed(job.id)  # what the kernel signals once no retry is left
    session.refresh(email)
    assert email.status is OutgoingState.failed and "451" in email.error


def test_a_refused_sender_is_retried_and_never_blamed_on_the_address(smtp_app, smtp, session):
    smtp_app.config["MAIL_FROM"] = "Relay Denied <deny@relay.example>"
    original = smtp.handler.__class__.handle_MAIL if hasattr(smtp.handler.__class__, "handle_MAIL") else None

    async def refuse_sender(self, server, session_, envelope, address, options):
        return "550 5.7.1 Relaying denied"

    smtp.handler.__class__.handle_MAIL = refuse_sender
    try:
        someone = factories.user(session, "supplier")
        notify(session, [someone], kind="decision", key="d:14", subject="Decision", body="B")
        session.commit()
    finally:
        if original is None:
            del smtp.handler.__class__.handle_MAIL
        else:
            smtp.handler.__class__.handle_MAIL = original
        smtp_app.config["MAIL_FROM"] = "London Joint Procurement <no-reply@londonconnects.example>"
    session.refresh(someone)
    email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.user_id == someone.id))
    assert someone.email_undeliverable_at is None and email.status is OutgoingState.queued


def test_a_sent_link_keeps_no_single_use_token(smtp_app, smtp, session):
    from procurement.notifications.services import send_email

    someone = factories.user(session, "supplier")
    send_email(session, key="reset:test", to=someone.email, subject="Reset your password", body="B",
               link="/password/reset/SECRET-TOKEN", user=someone)
    session.commit()
    [message] = smtp.handler.messages()
    assert "/password/reset/SECRET-TOKEN" in message.part("plain")  # the person gets it
    email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.key == "reset:test"))
    assert "SECRET-TOKEN" not in email.link  # the table does not keep it
