"""Background jobs: RQ on Redis when REDIS_URL is set, otherwise the job runner's thread in
the serving process (core/runner.py), or inline where a test or command asks for it.

A job is handed over only after the transaction that asks for it commits, so a worker never
looks for a row that is not there yet (and a rolled-back request enqueues nothing).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("procurement.jobs")


@dataclass(frozen=True)
class JobOptions:
    timeout: int = 600
    retries: int = 3
    retry_intervals: tuple[int, ...] = (10, 60, 300)
    failure_ttl: int = 7 * 24 * 3600
    extra: dict[str, Any] = field(default_factory=dict)


def redis_connection(url: str) -> Any:
    from redis import Redis

    return Redis.from_url(url)


def queue_for(app: Any) -> Any:
    from rq import Queue

    return Queue(app.config["RQ_QUEUE"], connection=redis_connection(app.config["REDIS_URL"]))


def _pending(session: Session) -> list[tuple[Callable[..., Any], tuple[Any, ...], JobOptions]]:
    return session.info.setdefault("pending_jobs", [])


def enqueue_after_commit(
    session: Session, func: Callable[..., Any], *args: Any, options: JobOptions | None = None
) -> None:
    """Hand `func(*args)` to the queue once `session` commits; drop it if it rolls back."""
    _pending(session).append((func, args, options or JobOptions()))


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    jobs = session.info.pop("pending_jobs", [])
    if not jobs:
        return
    app = current_app._get_current_object()
    for func, args, options in jobs:
        dispatch(app, func, args, options)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop("pending_jobs", None)


def dispatch(app: Any, func: Callable[..., Any], args: tuple[Any, ...], options: JobOptions) -> Any:
    """Hand a committed job on, by JOB_RUNNER: "rq" enqueues it for RQ's workers; "thread"
    wakes this process's runner, which takes it from the job table (a process serving no
    requests, a CLI command, has none, and runs it now instead); "inline" runs it now."""
    mode = app.config.get("JOB_RUNNER", "inline")
    if mode == "rq":
        from rq import Retry

        return queue_for(app).enqueue(
            func, *args, job_id=options.extra.get("job_id"), job_timeout=options.timeout, failure_ttl=options.failure_ttl,
            retry=Retry(max=options.retries, interval=list(options.retry_intervals))
            if options.retries else None,
        )
    runner = app.extensions.get("job_runner")
    if mode == "thread" and runner is not None:
        runner.wake()  # the row is queued; the runner claims it
        return None
    # Run now, in this process, in a fresh session of its own. A failure is the job's to
    # record (its row says failed); it must not undo or fail the work that asked.
    log.info("running %s%r in-process", func.__name__, args)
    try:
        return func(*args)
    except Exception:  # noqa: BLE001 - recorded by the job; logged here
        log.exception("in-process job %s%r failed", func.__name__, args)
        return None
