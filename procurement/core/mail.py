"""Sending one email, knowing nothing of what it is about: SMTP (configured by a URL), GOV.UK
Notify (notifications-python-client, with its API key), or, with neither, nothing at all: the
message stays in the outgoing table and the development outbox shows it.

A sender returns the provider's reference for the message, raises PermanentFailure when the
address will never take it (an SMTP 5xx, Notify's 400 for an address it cannot send to), and
lets any other error out so the job is retried."""
from __future__ import annotations

import hashlib
import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit


class PermanentFailure(Exception):
    """The address refused the message for good: do not try again."""


@dataclass(frozen=True)
class Message:
    key: str            # the outgoing email's key: the same message always gets the same Message-ID
    to: str
    subject: str
    body: str           # plain text; paragraphs split by blank lines
    link: str = ""      # the page it is about, as a full URL
    sender: str = ""
    service_name: str = "London Joint Procurement"

    @property
    def message_id(self) -> str:
        digest = hashlib.sha256(self.key.encode()).hexdigest()[:32]
        return f"<{digest}@london-joint-procurement>"

    @property
    def text(self) -> str:
        return f"{self.body}\n\n{self.link}\n" if self.link else f"{self.body}\n"

    @property
    def html(self) -> str:
        return render_html(self)


def render_html(message: Message) -> str:
    """The plain style of a GOV.UK Notify email: the service's name in a black bar, the
    subject as a heading, paragraphs, the link written out in full."""
    paragraphs = "".join(
        f'<p style="margin:0 0 20px;font-size:19px;line-height:1.32">{html.escape(part).replace(chr(10), "<br>")}</p>'
        for part in message.body.split("\n\n") if part.strip())
    link = (f'<p style="margin:0 0 20px;font-size:19px;line-height:1.32"><a href="{html.escape(message.link)}" '
            f'style="color:#1d70b8">{html.escape(message.link)}</a></p>') if message.link else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
        f'{html.escape(message.subject)}</title></head>'
        '<body style="margin:0;font-family:Helvetica,Arial,sans-serif;color:#0b0c0c">'
        f'<div style="background:#0b0c0c;color:#fff;padding:10px 20px;font-size:24px;font-weight:bold">'
        f'{html.escape(message.service_name)}</div>'
        '<div style="max-width:580px;padding:20px">'
        f'<h1 style="font-size:27px;margin:0 0 20px">{html.escape(message.subject)}</h1>{paragraphs}{link}'
        '</div></body></html>')


class Sender(Protocol):
    name: str

    def send(self, message: Message) -> str: ...


class Outbox:
    """No mail service configured: the message is only kept (the outgoing row is the record)."""

    name = "outbox"

    def send(self, message: Message) -> str:
        return message.message_id


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool   # smtps://
    starttls: bool
    timeout: float = 30.0


def parse_smtp_url(url: str) -> SmtpSettings:
    """smtp://user:password@host:587?starttls=1, or smtps://host:465; the port defaults to
    25 (smtp) or 465 (smtps)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:password@host:587?starttls=1 or smtps://host:465")
    query = parse_qs(parts.query)
    implicit = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname, port=parts.port or (465 if implicit else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit, starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        timeout=float(query.get("timeout", ["30"])[0]))


class Smtp:
    name = "smtp"

    def __init__(self, url: str):
        self.settings = parse_smtp_url(url)

    def send(self, message: Message) -> str:
        email = EmailMessage()
        email["From"] = message.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Message-ID"] = message.message_id
        email["X-LJP-Key"] = message.key
        email.set_content(message.text)
        email.add_alternative(message.html, subtype="html")
        s = self.settings
        connection: smtplib.SMTP
        if s.implicit_tls:
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.starttls:
                connection.starttls(context=ssl.create_default_context())
            if s.username:
                connection.login(s.username, s.password or "")
            # Only the recipient's own refusal is about the address; a refused sender (a relay
            # not allowed) or message is the service's to fix, and is retried, never blamed on
            # the address.
            try:
                refused = connection.send_message(email)
            except smtplib.SMTPRecipientsRefused as error:
                raise _permanent_or_not(error.recipients.get(message.to, (450, b""))) from error
            if message.to in refused:
                raise _permanent_or_not(refused[message.to])
        finally:
            try:
                connection.quit()
            except smtplib.SMTPException:
                connection.close()
        return message.message_id


def _permanent_or_not(reply: tuple[int, Any]) -> Exception:
    code, text = reply
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    if 500 <= int(code) < 600:
        return PermanentFailure(f"{code} {text}".strip())
    return smtplib.SMTPResponseException(code, text)


class Notify:
    """GOV.UK Notify: one email template whose subject is ((subject)) and body ((body)); the
    outgoing key is the reference, so the delivery receipt finds the row again."""

    name = "notify"

    def __init__(self, api_key: str, template_id: str, base_url: str):
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(api_key, base_url=base_url)
        self.template_id = template_id

    def send(self, message: Message) -> str:
        from notifications_python_client.errors import HTTPError

        body = message.text.rstrip("\n")
        try:
            response = self.client.send_email_notification(
                email_address=message.to, template_id=self.template_id, reference=message.key,
                personalisation={"subject": message.subject, "body": body})
        except HTTPError as error:
            # Notify answers 400 for what will never be sent to this address (not a valid
            # address, a team-only key's stranger); a 400 about the template or personalisation
            # is the service's to fix, and 403, 429 and 5xx are worth trying again.
            if error.status_code == 400 and about_the_recipient(str(error.message)):
                raise PermanentFailure(f"Notify: {error.message}") from error
            raise
        return str(response["id"])


def about_the_recipient(notify_message: str) -> bool:
    """Whether one of Notify's 400 errors is about the address (its documented messages:
    "email_address Not a valid email address", "Can't send to this recipient using a team-only
    API key", "Can't send to this recipient when service is in trial mode")."""
    words = notify_message.lower()
    return "recipient" in words or "email_address" in words


def sender_for(config: Any) -> Sender:
    if config.get("NOTIFY_API_KEY"):
        if not config.get("NOTIFY_TEMPLATE_ID"):
            raise ValueError("NOTIFY_API_KEY needs NOTIFY_TEMPLATE_ID, the email template to send through")
        return Notify(config["NOTIFY_API_KEY"], config["NOTIFY_TEMPLATE_ID"], config["NOTIFY_BASE_URL"])
    if config.get("SMTP_URL"):
        return Smtp(config["SMTP_URL"])
    return Outbox()
