"""The job table: the source of truth for background work. RQ carries a job; this row says
what it is, whether it ran, how far it got and what came of it. A job asked for in a
transaction is enqueued only after that transaction commits; a lost message (Redis restarted
or flushed, a worker killed) is found by the sweeper from the row and enqueued again.
Handlers are idempotent, so running a job twice leaves one result."""
from __future__ import annotations

import enum
import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

from blinker import Namespace
from sqlalchemy import JSON, ForeignKey, Index, String, Text, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from .clock import now
from .db import Base, db, str_enum, writing
from .jobs import JobOptions, dispatch, enqueue_after_commit
from procurement.core.db import on_postgresql
from procurement.core.access import Actor, actor_id, actor_label

log = logging.getLogger("procurement.jobs")

job_failed = Namespace().signal("job-failed", doc="""
A job has failed for good: its last attempt failed and no retry is left (RQ's, the thread
runner's or the sweeper's). Sent with the job's id as sender after the failure is committed;
a receiver opens its own session (the kernel knows nothing of who is told).""")

# The note on a job the sweeper sends again, so its page can say why it ran twice.
SENT_AGAIN_NOTE = "sent again: the worker or its message was lost"


class JobStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(Base):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus, "job_status"), default=JobStatus.queued)
    attempts: Mapped[int] = mapped_column(default=0)
    progress: Mapped[int] = mapped_column(default=0)        # 0 to 100
    progress_note: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    requested_by_label: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
    started_at: Mapped[Optional[datetime]]
    heartbeat_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]
    runner: Mapped[str] = mapped_column(String(120), default="", server_default="")  # who claimed it
    run_after: Mapped[Optional[datetime]]  # a retry waits until then

    __table_args__ = (Index("ix_job_status", "status"), Index("ix_job_subject", "subject_type", "subject_id"))


Progress = Callable[[int, str], None]
Handler = Callable[[Session, "Job", Progress], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """A kind of job: `handler(session, job, progress) -> result`, with its options. Each domain
    declares its kinds (a module's JOB_KINDS); the composition root registers them."""

    name: str
    title: str
    handler: Handler
    options: JobOptions = JobOptions()


KINDS: dict[str, Kind] = {}


def register_kinds(*kinds: Kind) -> None:
    for found in kinds:
        KINDS[found.name] = found


def request_job(session: Session, actor: Actor, kind_name: str, subject_type: str, subject_id: int) -> Job:
    """A job row in the caller's transaction, enqueued after it commits. If the same job is
    already queued or running, that one is returned."""
    if kind_name not in KINDS:
        raise ValueError(f"unknown job kind {kind_name!r}")
    existing = session.scalar(select(Job).where(Job.kind == kind_name, Job.subject_type == subject_type,
                                                Job.subject_id == subject_id,
                                                Job.status.in_([JobStatus.queued, JobStatus.running])))
    if existing is not None:
        return existing
    job = Job(kind=kind_name, subject_type=subject_type, subject_id=subject_id, requested_by_id=actor_id(actor),
              requested_by_label=actor_label(actor))
    session.add(job)
    session.flush()
    enqueue_after_commit(session, run_job, job.id, options=_options(job))
    return job


def rq_id(job_id: int) -> str:
    """The RQ job's id: fixed per job row, so the sweeper can always look it up."""
    return f"ljp-job-{job_id}"


def _options(job: Job) -> JobOptions:
    base = KINDS[job.kind].options if job.kind in KINDS else JobOptions()
    return JobOptions(base.timeout, base.retries, base.retry_intervals, base.failure_ttl,
                      {**base.extra, "job_id": rq_id(job.id)})


def retry_job(session: Session, job: Job) -> Job:
    """Ask again for a failed job."""
    if job.status is not JobStatus.failed:
        raise ValueError("only a failed job is retried")
    job.status, job.error, job.progress, job.progress_note = JobStatus.queued, "", 0, ""
    enqueue_after_commit(session, run_job, job.id, options=_options(job))
    return job


def run_job(job_id: int, runner: str = "rq") -> dict[str, Any]:
    """The one entry point RQ, the thread runner or an inline caller calls; `runner` names
    who runs it. Safe to run twice."""
    with writing():  # on SQLite a job is a writer from its first statement (see db.writing)
        return _run_job(job_id, runner)


def _run_job(job_id: int, runner: str) -> dict[str, Any]:
    bound = db.bound()
    session = bound.sessionmaker()
    try:
        job = session.get(Job, job_id, with_for_update=on_postgresql(session))
        if job is None:
            return {"job_id": job_id, "status": "missing"}
        if job.status is JobStatus.done:
            return {"job_id": job_id, "status": "already done"}
        job.status, job.attempts, job.started_at, job.heartbeat_at = JobStatus.running, job.attempts + 1, now(), now()
        job.error, job.runner, job.run_after = "", runner[:120], None
        if on_postgresql(session):
            # Bookkeeping need not wait for the disk: if this mark is lost in a crash, the row
            # still says queued and the sweeper runs the job again all the same.
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        session.commit()

        separate = on_postgresql(session)

        def progress(percent: int, note: str = "") -> None:
            """On PostgreSQL on a connection of its own, so pages see it at once; on SQLite
            (one writer at a time) with the job's own next commit."""
            values = dict(progress=max(0, min(100, percent)), progress_note=note[:200], heartbeat_at=now())
            if separate:
                with bound.engine.begin() as connection:
                    connection.execute(Job.__table__.update().where(Job.__table__.c.id == job_id).values(**values))
            else:
                session.execute(Job.__table__.update().where(Job.__table__.c.id == job_id).values(**values))

        try:
            result = KINDS[job.kind].handler(session, job, progress)
        except Exception as exc:
            session.rollback()
            failed = session.get(Job, job_id)
            assert failed is not None
            failed.status, failed.finished_at = JobStatus.failed, now()
            failed.error = f"{type(exc).__name__}: {exc}"[:2000]
            for_good = failed.attempts > _options(failed).retries
            session.commit()
            log.warning("job %s (%s) failed: %s", job_id, failed.kind, traceback.format_exc(limit=3))
            if for_good:
                _tell_failed(job_id)
            raise
        job = session.get(Job, job_id)
        assert job is not None
        job.status, job.finished_at, job.progress, job.result = JobStatus.done, now(), 100, result
        job.progress_note = "finished"  # not the last step it was on
        session.commit()
        return {"job_id": job_id, "status": "done", **result}
    finally:
        session.close()


def _tell_failed(job_id: int) -> None:
    """Send `job_failed`; a receiver's own failure is logged, never the job's."""
    try:
        job_failed.send(job_id)
    except Exception:  # noqa: BLE001 - telling people must not change what happened to the job
        log.exception("telling of failed job %s failed", job_id)


def recover(app: Any, stale_after: timedelta = timedelta(minutes=5)) -> list[int]:
    """The sweeper: enqueue again every job whose row says queued or running but which RQ no
    longer holds (Redis restarted or flushed), and every running job whose heartbeat is older
    than `stale_after` and whose RQ job is no longer being worked on (a killed worker).
    Without Redis there is nothing to recover. Returns the ids enqueued."""
    if not app.config.get("REDIS_URL"):
        return []
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    from .jobs import queue_for

    queue = queue_for(app)
    session = db.bound(app).sessionmaker()
    recovered = []
    try:
        for job in session.scalars(select(Job).where(Job.status.in_([JobStatus.queued, JobStatus.running]))):
            try:
                status = RQJob.fetch(rq_id(job.id), connection=queue.connection).get_status(refresh=True)
            except NoSuchJobError:
                status = None
            status = getattr(status, "value", status)
            held = status in ("queued", "deferred", "scheduled") or (
                status == "started" and job.heartbeat_at is not None and now() - job.heartbeat_at < stale_after)
            if held:
                continue
            dispatch(app, run_job, (job.id,), _options(job))
            job.status, job.progress_note = JobStatus.queued, SENT_AGAIN_NOTE
            recovered.append(job.id)
        session.commit()
    finally:
        session.close()
    for job_id in recovered:
        log.warning("job %s recovered by the sweeper", job_id)
    return recovered


# The thread runner's side of the table (see core/runner.py): claim, retry, abandoned work ---


def _may_start() -> Any:
    return (Job.status == JobStatus.queued) & ((Job.run_after.is_(None)) | (Job.run_after <= now()))


def has_queued(session: Session) -> bool:
    """Whether any job waits that may start now (a read, before taking SQLite's write lock)."""
    return session.scalar(select(Job.id).where(_may_start()).limit(1)) is not None


def running_claims(session: Session) -> list[tuple[str, Optional[datetime]]]:
    """(runner, heartbeat) of every running job a thread runner claimed."""
    return [(runner, beat) for runner, beat in session.execute(
        select(Job.runner, Job.heartbeat_at).where(Job.status == JobStatus.running, Job.runner != "rq",
                                                   Job.runner != ""))]


def claim_next(session: Session, runner: str) -> int | None:
    """Claim the oldest queued job that may start now for `runner`, or None. A claim is a
    compare-and-set on the row (`WHERE status = 'queued'`), so of two runners racing for a
    job exactly one gets it, on either database."""
    while True:
        candidate = session.scalar(select(Job.id).where(_may_start()).order_by(Job.id).limit(1))
        if candidate is None:
            session.rollback()
            return None
        claimed = session.execute(
            Job.__table__.update().where(Job.__table__.c.id == candidate, Job.__table__.c.status == "queued")
            .values(status="running", runner=runner[:120], heartbeat_at=now())).rowcount
        session.commit()
        if claimed == 1:
            return candidate


def retry_later(session: Session, job_id: int) -> bool:
    """After a failed attempt on the thread runner: queue the job again after its kind's next
    interval while it has retries left (RQ does this itself). Whether it will run again."""
    job = session.get(Job, job_id)
    if job is None or job.status is not JobStatus.failed:
        return False
    options = _options(job)
    if job.attempts > options.retries:
        return False
    intervals = options.retry_intervals or (0,)
    wait = intervals[min(job.attempts - 1, len(intervals) - 1)]
    job.status, job.run_after = JobStatus.queued, now() + timedelta(seconds=wait)
    job.progress_note = f"attempt {job.attempts} failed; trying again"[:200]
    session.commit()
    return True


def release_abandoned(session: Session, dead: Callable[[str, Optional[datetime]], bool]) -> list[int]:
    """Jobs a thread runner claimed whose process has died (`dead(runner, heartbeat_at)`):
    each is queued again while it has attempts left, otherwise failed, with why. Returns the
    ids released. RQ's own jobs are the sweeper's (`recover`)."""
    released, failed = [], []
    for job in session.scalars(select(Job).where(Job.status == JobStatus.running, Job.runner != "rq",
                                                 Job.runner != "").with_for_update()):
        if not dead(job.runner, job.heartbeat_at):
            continue
        why = f"the process running it ({job.runner}) stopped"
        if job.attempts <= _options(job).retries:
            job.status, job.run_after, job.progress_note = JobStatus.queued, None, f"{why}; resumed"[:200]
        else:
            job.status, job.finished_at = JobStatus.failed, now()
            job.error = f"{why} after {job.attempts} attempt(s)"
            failed.append(job.id)
        released.append(job.id)
        log.warning("job %s: %s", job.id, why)
    session.commit()
    for job_id in failed:
        _tell_failed(job_id)
    return released
