"""The mail kernel's pure parts, and which email a notification gets."""
from __future__ import annotations

import pytest

from procurement.core.mail import Message, Notify, Outbox, Smtp, parse_smtp_url, sender_for
from procurement.notifications.models import EmailState, Frequency
from procurement.notifications.services import email_state_for


def test_smtp_urls():
    plain = parse_smtp_url("smtp://mail.example:2525")
    assert (plain.host, plain.port, plain.username, plain.implicit_tls, plain.starttls) == (
        "mail.example", 2525, None, False, False)
    tls = parse_smtp_url("smtp://user%40x:p%2Fw@mail.example:587?starttls=1")
    assert (tls.username, tls.password, tls.starttls, tls.port) == ("user@x", "p/w", True, 587)
    assert parse_smtp_url("smtps://mail.example").port == 465 and parse_smtp_url("smtp://m").port == 25
    for bad in ("http://mail.example", "smtp://", "mail.example:25"):
        with pytest.raises(ValueError, match="SMTP_URL"):
            parse_smtp_url(bad)


def test_the_sender_is_notify_then_smtp_then_the_outbox():
    assert isinstance(sender_for({}), Outbox)
    assert isinstance(sender_for({"SMTP_URL": "smtp://m:25"}), Smtp)
    key = "k-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
    assert isinstance(sender_for({"SMTP_URL": "smtp://m", "NOTIFY_API_KEY": key, "NOTIFY_TEMPLATE_ID": "t",
                                  "NOTIFY_BASE_URL": "http://x"}), Notify)
    with pytest.raises(ValueError, match="NOTIFY_TEMPLATE_ID"):
        sender_for({"NOTIFY_API_KEY": key})


def test_a_message_is_escaped_and_keeps_one_id_per_key():
    message = Message(key="notification:1", to="a@b.example", subject="Tom & Jerry <Ltd>",
                      body="First <b>para</b>\n\nSecond", link="https://x.example/a?b=1&c=2")
    assert "<b>para</b>" not in message.html and "&lt;b&gt;para&lt;/b&gt;" in message.html
    assert "Tom &amp; Jerry &lt;Ltd&gt;</h1>" in message.html and 'href="https://x.example/a?b=1&amp;c=2"' in message.html
    assert message.text == "First <b>para</b>\n\nSecond\n\nhttps://x.example/a?b=1&c=2\n"
    assert message.message_id == Message(key="notification:1", to="c@d", subject="", body="").message_id
    assert message.message_id != Message(key="notification:2", to="a@b.example", subject="", body="").message_id


@pytest.mark.parametrize("frequency, statutory, undeliverable, state", [
    (Frequency.immediately, False, False, EmailState.pending),
    (Frequency.daily, False, False, EmailState.in_digest),
    (Frequency.never, False, False, EmailState.not_wanted),
    (Frequency.never, True, False, EmailState.pending),   # the law wins over a preference
    (Frequency.daily, True, False, EmailState.pending),
    (Frequency.immediately, True, True, EmailState.undeliverable),  # but not over a bouncing address
])
def test_what_email_a_notification_gets(frequency, statutory, undeliverable, state):
    assert email_state_for(frequency, statutory=statutory, undeliverable=undeliverable) is state


@pytest.mark.parametrize("message, about", [
    ("email_address Not a valid email address", True),
    ("Can’t send to this recipient using a team-only API key", True),
    ("Can’t send to this recipient when service is in trial mode", True),
    ("Template not found", False),
    ("Missing personalisation: body", False),
])
def test_which_of_notifys_refusals_are_about_the_address(message, about):
    from procurement.core.mail import about_the_recipient

    assert about_the_recipient(message) is about
