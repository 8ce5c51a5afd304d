"""Accounts' work the clock makes due, as a scheduled task (see procurement/core/schedule.py)."""
from __future__ import annotations

from flask import current_app

from procurement.core.access import SystemActor
from procurement.core.db import db, writing
from procurement.core.schedule import Task
from procurement.parties.sessions import SessionPolicy, prune_sessions


def prune_old_sessions() -> int:
    """Delete session rows unusable for longer than SESSION_KEEP_DAYS; idempotent."""
    with writing():  # on SQLite, take the write lock from the start: a request may write meanwhile
        session = db.bound().sessionmaker()
        try:
            deleted = prune_sessions(session, SystemActor("schedule"), SessionPolicy.from_settings(current_app.config))
            session.commit()
            return deleted
        finally:
            session.close()


SCHEDULED = [Task("parties.prune_sessions", 3600, prune_old_sessions)]
