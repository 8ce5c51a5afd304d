"""Tender work the clock makes due, as a scheduled task (see procurement/core/schedule.py)."""
from __future__ import annotations

from procurement.core.db import db, writing
from procurement.core.schedule import Task
from tenders.lifecycle import tick


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


SCHEDULED = [Task("tenders.tick", 60, tick_tenders)]
