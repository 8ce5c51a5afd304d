"""The notifications page, email choices, the development outbox: who may see what, and that
nobody reads, opens or marks another person's notifications."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from procurement.notifications.models import Notification, NotificationPreference
from procurement.notifications.services import notify
from tests import factories
from tests.conftest import csrf_token, fresh_browser, sign_in
from tests.factories import PASSWORD

ROLES = ["buyer", "supplier", "agency", "admin"]


def _told(session, user, key="event:1", link="/opportunities"):
    [notification] = notify(session, [user], kind="import_finished", key=key, subject=f"Your import {key} finished",
                            body="1,200 offers were added.", link=link)
    session.flush()
    return notification


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_each_person_sees_only_their_own_notifications(app, session, role):
    other = factories.user(session, "supplier")
    _told(session, other, key="theirs")
    with fresh_browser(app) as browser:
        if role != "anonymous":
            me = factories.user(session, role)
            _told(session, me, key="mine")
            sign_in(browser, me.email, PASSWORD)
        response = browser.get("/notifications")
        if role == "anonymous":
            assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
            return
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Your import mine finished" in page and "Your import theirs finished" not in page
        assert 'class="app-count">1<' in page  # the header's count


def test_opening_marks_read_and_goes_to_the_page_but_not_for_another_person(app, session):
    me = factories.user(session, "supplier")
    other = factories.user(session, "supplier")
    mine, theirs = _told(session, me, "a", "/opportunities/bids"), _told(session, other, "b")
    with fresh_browser(app) as browser:
        sign_in(browser, me.email, PASSWORD)
        token = csrf_token(browser, "/notifications")
        refused = browser.post(f"/notifications/{theirs.id}/open", data={"csrf_token": token})
        assert refused.status_code == 404
        opened = browser.post(f"/notifications/{mine.id}/open", data={"csrf_token": token})
        assert opened.status_code == 302 and opened.headers["Location"] == "/opportunities/bids"
        without_token = browser.post(f"/notifications/{mine.id}/open")
        assert without_token.status_code == 400
    session.refresh(mine)
    session.refresh(theirs)
    assert mine.read_at is not None and theirs.read_at is None


def test_a_link_off_the_service_is_not_followed(app, session):
    me = factories.user(session, "supplier")
    sneaky = _told(session, me, "c", "https://evil.example/")
    with fresh_browser(app) as browser:
        sign_in(browser, me.email, PASSWORD)
        response = browser.post(f"/notifications/{sneaky.id}/open", data={"csrf_token": csrf_token(browser, "/notifications")})
    assert response.headers["Location"] == "/notifications"


def test_mark_all_read_marks_only_mine(app, session):
    me, other = factories.user(session, "buyer"), factories.user(session, "buyer")
    _told(session, me, "d")
    _told(session, me, "e")
    theirs = _told(session, other, "f")
    with fresh_browser(app) as browser:
        sign_in(browser, me.email, PASSWORD)
        response = browser.post("/notifications/read", data={"csrf_token": csrf_token(browser, "/notifications")},
                                follow_redirects=True)
        assert "2 notifications marked as read" in response.get_data(as_text=True)
    assert all(n.read_at for n in session.scalars(select(Notification).where(Notification.user_id == me.id)))
    session.refresh(theirs)
    assert theirs.read_at is None


def test_choices_are_saved_and_bad_ones_refused_naming_the_kind(app, session):
    me = factories.user(session, "supplier")
    with fresh_browser(app) as browser:
        sign_in(browser, me.email, PASSWORD)
        page = browser.get("/account/notifications").get_data(as_text=True)
        assert "New opportunities in your interests" in page and "Openings waiting" not in page  # a supplier's kinds only
        token = csrf_token(browser, "/account/notifications")
        bad = browser.post("/account/notifications", data={"csrf_token": token, "kind-new_opportunity": "daily",
                                                             "kind-decision": "never"})
        assert bad.status_code == 200 and "cannot be turned off" in bad.get_data(as_text=True)
        assert session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == me.id)) is None
        typo = browser.post("/account/notifications", data={"csrf_token": token, "kind-new_opportunity": "hourly"})
        assert "Choose immediately, in a daily digest, or never" in typo.get_data(as_text=True)
        good = browser.post("/account/notifications", data={"csrf_token": token, "kind-new_opportunity": "daily",
                                                              "kind-answer_published": "never"})
        assert good.status_code == 302
    saved = dict(session.execute(select(NotificationPreference.kind, NotificationPreference.frequency)
                                 .where(NotificationPreference.user_id == me.id)).all())
    assert {k: v.value for k, v in saved.items()} == {"new_opportunity": "daily", "answer_published": "never"}


def test_the_outbox_exists_only_in_development_without_a_mail_service(app, session, client):
    me = factories.user(session, "supplier")
    notify(session, [me], kind="decision", key="outbox:1", subject="Shown in the outbox", body="B", link="/x")
    session.flush()
    assert app.config["APP_ENV"] == "development"
    assert "Shown in the outbox" in client.get("/dev/outbox").get_data(as_text=True)
    for setting, value in [("APP_ENV", "production"), ("SMTP_URL", "smtp://127.0.0.1:1")]:
        previous = app.config.get(setting)
        app.config[setting] = value
        try:
            assert client.get("/dev/outbox").status_code == 404
        finally:
            app.config[setting] = previous
