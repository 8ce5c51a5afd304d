"""Sending an email: the job kind `send_email`, one job per outgoing email row, and the daily
digest as a scheduled task. A sent email is never sent again: the row's state is checked and
set in the job's own transaction, and the provider is given the row's key as its reference."""
from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from procurement.core import mail
from procurement.core.clock import now, to_london
from procurement.core.db import db, writing
from procurement.core.jobrecords import Job, Kind, Progress
from procurement.core.jobs import JobOptions
from procurement.core.schedule import Task
from procurement.notifications.models import OutgoingEmail, OutgoingState
from procurement.notifications.services import SEND_JOB, send_digests

# A temporary failure (the server down, a 4xx) is retried with backoff: 30 s, 2, 10, 30 minutes.
SEND_OPTIONS = JobOptions(timeout=60, retries=4, retry_intervals=(30, 120, 600, 1800), failure_ttl=7 * 24 * 3600)


# The pages whose links carry a single-use token (procurement/parties/links.py).
TOKEN_LINKS = ("/join/verify/", "/join/invitation/", "/password/reset/", "/account/email/confirm/")


def absolute(link: str, service_url: str) -> str:
    return f"{service_url}{link}" if link.startswith("/") else link


def send_outgoing(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    email = session.get(OutgoingEmail, job.subject_id)
    if email is None:
        return {"status": "missing"}
    if email.status is not OutgoingState.queued:
        return {"status": f"already {email.status.value}"}
    config = current_app.config
    message = mail.Message(
        key=email.key, to=email.to_address, subject=email.subject, body=email.body_text,
        link=absolute(email.link, config["SERVICE_URL"]) if email.link else "",
        sender=config["MAIL_FROM"], service_name=config["SERVICE_NAME"])
    sender = mail.sender_for(config)
    try:
        reference = sender.send(message)
    except mail.PermanentFailure as refused:
        email.status, email.error, email.provider = OutgoingState.undeliverable, str(refused)[:2000], sender.name
        session.flush()
        from procurement.notifications.delivery import mark_undeliverable

        mark_undeliverable(session, email.to_address, str(refused))
        return {"status": "undeliverable", "error": str(refused)[:200]}
    email.status, email.sent_at, email.provider, email.provider_reference = (
        OutgoingState.sent, now(), sender.name, reference[:200])
    if sender.name != "outbox" and email.link.startswith(TOKEN_LINKS):
        # A link may carry a single-use token (only its digest is kept elsewhere): once it has
        # gone, keep the page it led to, not the token. The outbox keeps it: it is how the
        # development set-up delivers.
        email.link = email.link.rsplit("/", 1)[0] + "/…"
    return {"status": "sent", "provider": sender.name}


DIGEST_HOUR = 7  # London time: the digest goes with the first run from 7 in the morning


def daily_digest() -> int:
    """Send the day's digests; the digest's key is the person and the day, so running again
    the same day sends nothing twice."""
    if to_london(now()).hour < DIGEST_HOUR:
        return 0
    with writing():
        session = db.bound().sessionmaker()
        try:
            sent = send_digests(session, day=now(), base_url=current_app.config["SERVICE_URL"])
            session.commit()
            return sent
        finally:
            session.close()


JOB_KINDS = [Kind(SEND_JOB, "Email", send_outgoing, SEND_OPTIONS)]
SCHEDULED = [Task("notifications.daily_digest", 3600, daily_digest)]
