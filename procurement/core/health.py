"""Whether this process answers (`/healthz`) and whether it can serve (`/readyz`: the database,
Redis and clamd when configured, and the file store), for a load balancer or an orchestrator.
Both read only; neither needs signing in, and neither says more than each check's name and
state."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .clamd import Clamd
from .db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


def _database() -> str:
    with db.bound().engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return "ok"


def _redis() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    from .jobs import redis_connection

    redis_connection(url).ping()
    return "ok"


def _clamd() -> str:
    url = current_app.config.get("CLAMD_URL")
    if not url:
        return "not configured"
    Clamd(url, timeout=3).ping()
    return "ok"


def _storage() -> str:
    from .storage import file_store

    file_store().check()
    return "ok"


@bp.get("/readyz")
def readyz() -> Any:
    checks: dict[str, str] = {}
    for name, check in (("database", _database), ("redis", _redis), ("storage", _storage), ("clamd", _clamd)):
        try:
            checks[name] = check()
        except Exception as exc:  # a check that fails is reported, never raised
            checks[name] = f"failing: {type(exc).__name__}"
    ready = all(state in ("ok", "not configured") for state in checks.values())
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.status_code = 200 if ready else 503
    return response
