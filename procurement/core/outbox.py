"""Asking for an email or a notification from below the floor that sends them.

Accounts, sign-up and the supplier's people (the parties floor) must email people, but the
notifications package that writes the outgoing mail and the notifications sits above them
(imports only point down). So they ask here, and the composition root connects the
notifications package's `send_email` and `notify` (`connect`), which then run in the caller's
transaction as if called directly. Nothing is ever dropped: asking before anything is
connected is an error, not a silent no-op."""
from __future__ import annotations

from typing import Any, Callable, Iterable

_senders: dict[str, Callable[..., Any]] = {}


def connect(*, send_email: Callable[..., Any], notify: Callable[..., Any]) -> None:
    """Connect the functions that do the sending (every app of the process shares them)."""
    _senders.update(send_email=send_email, notify=notify)


def _sender(name: str) -> Callable[..., Any]:
    if name not in _senders:
        raise RuntimeError(f"nothing sends {name}: the factory calls procurement.core.outbox.connect")
    return _senders[name]


def send_email(session: Any, *, key: str, to: str, subject: str, body: str, link: str = "",
               user: Any = None) -> Any:
    """One email after the transaction commits (procurement.notifications.services.send_email)."""
    return _sender("send_email")(session, key=key, to=to, subject=subject, body=body, link=link, user=user)


def notify(session: Any, users: Iterable[Any], *, kind: str, key: str, subject: str, body: str,
           link: str = "") -> Any:
    """Tell people of one event (procurement.notifications.services.notify)."""
    return _sender("notify")(session, list(users), kind=kind, key=key, subject=subject, body=body, link=link)
