"""What the parties floor asks of the floors above it, without importing them (they connect
at start-up, in the composition root)."""
from __future__ import annotations

from typing import Any

from blinker import Namespace
from sqlalchemy.orm import Session

_signals = Namespace()

email_wanted = _signals.signal("account-email-wanted", doc="""
An email about a person's own account is to be sent (a password reset link, a new address to
confirm, a notice that a change was asked). Sent with the session as sender and the keywords of
`procurement.notifications.services.send_email` (`key=`, `to=`, `subject=`, `body=`, `link=`,
`user=`), inside the transaction that asks for it: the email commits or rolls back with it.""")


def send_account_email(session: Session, **email: Any) -> None:
    """Ask for an email through `email_wanted`; a service with no one to send it is misbuilt."""
    if not email_wanted.receivers:
        raise RuntimeError("No receiver of email_wanted is connected: the factory connects the mail service")
    email_wanted.send(session, **email)
