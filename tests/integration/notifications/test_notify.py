"""Sending through GOV.UK Notify (the real notifications-python-client against a double of
our own that answers as Notify's API documents), and Notify's delivery receipts."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from sqlalchemy import select

from procurement.notifications.models import Notification, OutgoingEmail, OutgoingState
from procurement.notifications.services import notify
from tests import factories
from tests.integration.notifications.notify_double import API_KEY, TEMPLATE_ID, NotifyDouble

CALLBACK_TOKEN = "a-long-random-callback-token-for-tests"


@pytest.fixture()
def notify_app(app: Any) -> Iterator[tuple[Any, NotifyDouble]]:
    keys = ("NOTIFY_API_KEY", "NOTIFY_TEMPLATE_ID", "NOTIFY_BASE_URL", "NOTIFY_CALLBACK_TOKEN")
    previous = {key: app.config.get(key) for key in keys}
    with NotifyDouble() as double:
        app.config.update(NOTIFY_API_KEY=API_KEY, NOTIFY_TEMPLATE_ID=TEMPLATE_ID, NOTIFY_BASE_URL=double.url,
                          NOTIFY_CALLBACK_TOKEN=CALLBACK_TOKEN)
        yield app, double
    app.config.update(previous)


def test_a_notification_goes_through_notify_with_its_key_as_reference(notify_app, session):
    app, double = notify_app
    supplier = factories.user(session, "supplier")
    [told] = notify(session, [supplier], kind="decision", key="decision:4", subject="Decision published",
                    body="Your bid ranks first.", link="/opportunities/4/result")
    session.commit()
    [sent] = double.sent
    email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.user_id == supplier.id))
    assert sent["email_address"] == supplier.email and sent["template_id"] == TEMPLATE_ID
    assert sent["reference"] == email.key == f"notification:{told.id}"
    assert sent["personalisation"]["subject"] == "Decision published"
    assert sent["personalisation"]["body"].endswith("http://127.0.0.1:5000/opportunities/4/result")
    assert email.status is OutgoingState.sent and email.provider == "notify" and email.provider_reference == sent["id"]


def test_notify_refusing_an_address_marks_it_undeliverable(notify_app, session):
    app, double = notify_app
    bouncing = factories.user(session, "supplier", email="bounce.notify@test.example")
    notify(session, [bouncing], kind="decision", key="decision:5", subject="Decision", body="B")
    session.commit()
    session.refresh(bouncing)
    assert double.sent == [] and bouncing.email_undeliverable_at is not None
    assert "team-only" in bouncing.email_undeliverable_reason


def _receipt(client, payload, token=CALLBACK_TOKEN):
    return client.post("/callbacks/notify", json=payload, headers={"Authorization": f"Bearer {token}"})


def test_a_permanent_failure_receipt_marks_the_address_and_tells_the_administrators(notify_app, session, client):
    app, double = notify_app
    admin = factories.user(session, "admin")
    supplier = factories.user(session, "supplier")
    notify(session, [supplier], kind="decision", key="decision:6", subject="Decision", body="B")
    session.commit()
    email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.user_id == supplier.id))
    response = _receipt(client, {"id": email.provider_reference, "reference": email.key, "to": supplier.email,
                                 "status": "permanent-failure", "notification_type": "email"})
    assert response.status_code == 200 and response.json["result"] == "marked undeliverable"
    session.refresh(supplier)
    session.refresh(email)
    assert supplier.email_undeliverable_at is not None and email.status is OutgoingState.undeliverable
    assert session.scalar(select(Notification).where(Notification.user_id == admin.id,
                                                     Notification.kind == "undeliverable")) is not None


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_a_receipt_without_the_right_token_is_refused_and_changes_nothing(notify_app, session, client, token):
    supplier = factories.user(session, "supplier")
    notify(session, [supplier], kind="decision", key="decision:7", subject="Decision", body="B")
    session.commit()
    email = session.scalar(select(OutgoingEmail).where(OutgoingEmail.user_id == supplier.id))
    response = _receipt(client, {"reference": email.key, "status": "permanent-failure"}, token=token)
    assert response.status_code == 401
    session.refresh(supplier)
    assert supplier.email_undeliverable_at is None


@pytest.mark.parametrize("payload", [None, [], {"reference": "x"}, {"status": 3}])
def test_a_malformed_receipt_is_refused(notify_app, client, payload):
    response = client.post("/callbacks/notify", json=payload, headers={"Authorization": f"Bearer {CALLBACK_TOKEN}"})
    assert response.status_code == 400


def test_receipts_are_refused_when_no_callback_token_is_set(app, client):
    assert app.config.get("NOTIFY_CALLBACK_TOKEN") is None
    assert _receipt(client, {"status": "delivered"}, token="anything").status_code == 401
