"""A job that fails for good tells the agency, once per job; an email job that fails tells
nobody (no loop of failures announced by email)."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from sqlalchemy import select

from procurement.core.clock import now
from procurement.core.jobrecords import KINDS, Job, JobOptions, JobStatus, Kind, register_kinds, release_abandoned, request_job, run_job
from procurement.notifications.models import Notification
from procurement.notifications.receivers import tell_job_failed
from tests import factories


def _fails(session: Any, job: Any, progress: Any) -> dict[str, Any]:
    raise RuntimeError("the printer is on fire")


@pytest.fixture()
def failing_kind() -> Iterator[str]:
    register_kinds(Kind("test_message_fails", "Test report", _fails, JobOptions(retries=1, retry_intervals=(0,))))
    yield "test_message_fails"
    KINDS.pop("test_message_fails", None)


def _told(session: Any) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.kind == "job_failed").order_by(Notification.id)))


def test_the_last_failure_tells_every_agency_user_once(session: Any, failing_kind: str) -> None:
    agency = [factories.user(session, "agency") for _ in range(2)]
    supplier, admin = factories.user(session, "supplier"), factories.user(session, "admin")
    job = request_job(session, agency[0], failing_kind, "test", 1)
    session.flush()
    with pytest.raises(RuntimeError):
        run_job(job.id, "test")
    assert _told(session) == []  # a retry is left
    with pytest.raises(RuntimeError):
        run_job(job.id, "test")
    told = _told(session)
    assert sorted(n.user_id for n in told) == sorted(u.id for u in agency)
    assert {supplier.id, admin.id}.isdisjoint(n.user_id for n in told)
    assert told[0].link == "/jobs" and "Test report" in told[0].subject and "printer is on fire" in told[0].body
    with pytest.raises(RuntimeError):  # tried again by hand, failed again: still one each
        run_job(job.id, "test")
    assert len(_told(session)) == 2


def test_a_job_of_a_dead_runner_failed_for_good_tells_the_agency(session: Any, failing_kind: str) -> None:
    agency = factories.user(session, "agency")
    job = Job(kind=failing_kind, subject_type="test", subject_id=2, status=JobStatus.running, attempts=2,
              runner="host:1:dead", heartbeat_at=now())
    session.add(job)
    session.flush()
    assert release_abandoned(session, lambda runner, beat: True) == [job.id]
    assert [n.user_id for n in _told(session)] == [agency.id]


def test_a_failed_email_is_not_announced(session: Any) -> None:
    factories.user(session, "agency")
    job = Job(kind="send_email", subject_type="outgoing_email", subject_id=1, status=JobStatus.failed, attempts=5,
              error="SMTP down")
    session.add(job)
    session.flush()
    assert tell_job_failed(session, job) == 0 and _told(session) == []
