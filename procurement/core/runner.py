"""The default set-up's job runner: a thread of the serving process (or `flask jobs run`, a
process of its own) that takes queued jobs from the job table and runs them, one at a time,
outside any request. Where Redis is configured RQ's workers do this instead.

Several runners may share a database (gunicorn's workers, two machines): a claim is a
compare-and-set on the job row, so each job runs once. A runner names itself by host,
process and a token of its own; on start, and every pass after, it releases the jobs of
runners that have died (a process of this host that is gone, or a heartbeat gone silent),
resuming them while they have attempts left and failing them with why once they have not.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

from .clock import now
from .db import db, writing
from .jobrecords import claim_next, has_queued, release_abandoned, retry_later, run_job, running_claims

log = logging.getLogger("procurement.jobs")

HEARTBEAT_SECONDS = 30
_STARTING = threading.Lock()


def runner_name() -> str:
    """host:pid:token. The token tells this process from an earlier one given the same pid
    (a container's process is often pid 1 every time)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


LIVE: set[str] = set()  # the runners of this process


def is_dead(me: str, stale_after: timedelta) -> Callable[[str, Optional[datetime]], bool]:
    """The rule for `release_abandoned`, seen from runner `me` between its jobs: its own claims
    still running were cut short (a claim committed, then the run could not start or record its
    end: a lock wait, a database restart); a runner of this host is dead
    when its process is gone, or when it had this process's pid but is not one of its runners
    (an earlier life); a runner elsewhere is dead when its heartbeat is older than `stale_after`."""
    host, pid, _token = me.rsplit(":", 2)

    def dead(runner: str, heartbeat_at: Optional[datetime]) -> bool:
        if runner == me:  # asked between its jobs: a claim of its own still "running" was cut short
            return True
        try:
            their_host, their_pid, _ = runner.rsplit(":", 2)
            their_pid_number = int(their_pid)
        except ValueError:
            return heartbeat_at is None or now() - heartbeat_at > stale_after
        if their_host == host:
            if their_pid == pid:
                return runner not in LIVE
            return not _process_alive(their_pid_number)
        return heartbeat_at is None or now() - heartbeat_at > stale_after

    return dead


class Runner:
    """Runs queued jobs in a daemon thread until stopped. `wake()` after a commit that queued
    one; otherwise it looks every `poll_seconds`."""

    def __init__(self, app: Any, poll_seconds: float = 5.0, stale_after: timedelta = timedelta(minutes=5)) -> None:
        self.app, self.poll_seconds, self.stale_after = app, poll_seconds, stale_after
        self.name = runner_name()
        LIVE.add(self.name)
        self._wake, self._stop = threading.Event(), threading.Event()
        self.thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> "Runner":
        self.thread = threading.Thread(target=self.run_forever, name="job-runner", daemon=True)
        self.thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        LIVE.discard(self.name)
        self._stop.set()
        self._wake.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def run_forever(self) -> None:
        log.info("job runner %s started", self.name)
        while not self._stop.is_set():
            try:
                ran = self.run_pending()
            except Exception:  # noqa: BLE001 - the runner must outlive a bad pass (a database restart)
                log.exception("job runner pass failed")
                ran = 0
            if not ran:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def release_abandoned(self) -> list[int]:
        dead = is_dead(self.name, self.stale_after)
        with self.app.app_context():
            # Read first and write only when there is something to release: on SQLite a writer
            # waits for the one write lock, which a long job elsewhere may hold for a while.
            if not self._read(lambda session: any(dead(runner, beat) for runner, beat in running_claims(session))):
                return []
            with writing():
                session = db.bound(self.app).sessionmaker()
                try:
                    return release_abandoned(session, dead)
                finally:
                    session.close()

    def _read(self, question: Callable[[Any], Any]) -> Any:
        session = db.bound(self.app).sessionmaker()
        try:
            return question(session)
        finally:
            session.rollback()
            session.close()

    def run_pending(self, limit: int | None = None) -> int:
        """Release the dead's jobs, then run queued ones until none is left (or `limit`).
        How many ran."""
        self.release_abandoned()
        ran = 0
        while not self._stop.is_set() and (limit is None or ran < limit):
            with self.app.app_context():
                if not self._read(has_queued):
                    return ran
                with writing():
                    session = db.bound(self.app).sessionmaker()
                    try:
                        job_id = claim_next(session, self.name)
                    finally:
                        session.close()
                if job_id is None:
                    return ran
                self._run(job_id)
            ran += 1
        return ran

    def _run(self, job_id: int) -> None:
        beating = _Heartbeat(self.app, job_id)
        beating.start()
        try:
            run_job(job_id, self.name)
        except Exception:  # noqa: BLE001 - recorded on the job's row by run_job
            session = db.bound(self.app).sessionmaker()
            try:
                with writing():
                    if retry_later(session, job_id):
                        log.info("job %s will be tried again", job_id)
            finally:
                session.close()
        finally:
            beating.stop()


class _Heartbeat:
    """While a job runs, its row's heartbeat is touched every HEARTBEAT_SECONDS on a connection
    of its own, so another machine's runner can tell a long job from a dead one. Not on SQLite:
    one machine, where a dead runner is told by its process, and one writer at a time."""

    def __init__(self, app: Any, job_id: int) -> None:
        self.app, self.job_id = app, job_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if db.bound(self.app).engine.dialect.name != "postgresql":
            return
        self._thread = threading.Thread(target=self._beat, name=f"job-{self.job_id}-heartbeat", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        from .jobrecords import Job

        table = Job.__table__
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with db.bound(self.app).engine.begin() as connection:
                    connection.execute(table.update().where(table.c.id == self.job_id, table.c.status == "running")
                                       .values(heartbeat_at=now()))
            except Exception:  # noqa: BLE001 - a missed beat is only a later one
                log.warning("heartbeat of job %s failed", self.job_id, exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)


def start_runner(app: Any) -> Runner | None:
    """The serving process's runner, started once (on its first request)."""
    with _STARTING:
        if app.extensions.get("job_runner") is not None:
            return None
        runner = Runner(app, poll_seconds=float(app.config.get("JOB_POLL_SECONDS", 5)))
        app.extensions["job_runner"] = runner
        return runner.start()
