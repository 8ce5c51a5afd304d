"""Tender work the clock makes due, as scheduled tasks (see procurement/core/schedule.py): closing
tenders at their deadline, and the reminders of bids still in draft and lines still to confirm."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

from procurement.core.db import db, writing
from procurement.core.schedule import Task
from tenders.lifecycle import tick
from tenders.messages import remind_confirmations, remind_drafts


def tick_tenders() -> int:
    """Record the moves the clock has made due (tenders past their deadline close); idempotent."""
    with writing():  # on SQLite, take the write lock from the start: a request may write meanwhile
        session = db.bound().sessionmaker()
        try:
            moved = tick(session)
            session.commit()
            return moved
        finally:
            session.close()


def _in_own_session(work: Callable[[Session], int]) -> int:
    with writing():
        session = db.bound().sessionmaker()
        try:
            done = work(session)
            session.commit()
            return done
        finally:
            session.close()


def draft_reminders() -> int:
    """Tell suppliers of bids still in draft 3 days and 1 day before the deadline; each once."""
    return _in_own_session(remind_drafts)


def confirmation_reminders() -> int:
    """Tell buyers of lines still to confirm 2 days before the confirm-by date; each once."""
    return _in_own_session(remind_confirmations)


REMINDER_EVERY_SECONDS = 15 * 60

SCHEDULED = [Task("tenders.tick", 60, tick_tenders),
             Task("tenders.draft_reminders", REMINDER_EVERY_SECONDS, draft_reminders),
             Task("tenders.confirmation_reminders", REMINDER_EVERY_SECONDS, confirmation_reminders)]
