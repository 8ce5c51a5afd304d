"""Emails through a real Redis, real RQ worker processes and a real SMTP server: a worker
killed while the SMTP server holds its reply, and Redis flushed before pick-up, lose no
message and send none twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from procurement.core.db import db
from procurement.core.jobrecords import Job, JobStatus, recover
from procurement.notifications.models import OutgoingEmail, OutgoingState
from procurement.notifications.services import notify
from tests import factories
from tests.integration.jobs.conftest import REPO, run_worker
from tests.integration.jobs.processes import kill_worker, wait_until
from tests.integration.notifications.smtp import SmtpServer


def _env(app, smtp_url):
    return {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
            "SECRET_KEY": "jobs", "BID_SEALING_KEY": "k", "INSTANCE_PATH": app.instance_path, "SMTP_URL": smtp_url}


def _tell(app, people=3):
    """`people` suppliers told of one decision (a statutory kind: an email each)."""
    with app.app_context():
        session = db.session
        users = [factories.user(session, "supplier") for _ in range(people)]
        notify(session, users, kind="decision", key=f"decision:{users[0].id}", subject="Decision published",
               body="The award decision has been published.", link="/opportunities/1/result")
        session.commit()
        return {user.email for user in users}


def _emails(app):
    with app.app_context():
        return {email.to_address: email.status for email in db.session.scalars(select(OutgoingEmail))}


def _sent_once(server, addresses):
    received = server.handler.messages()
    to = sorted(address for message in received for address in message.to)
    assert to == sorted(addresses), "each person gets exactly one message"
    assert len({message.message_id for message in received}) == len(received)


def test_a_worker_killed_mid_send_loses_no_email_and_sends_none_twice(jobs_app):
    app = jobs_app
    with SmtpServer() as server:
        server.handler.hold_next = True  # the first message's reply waits until the worker is dead
        addresses = _tell(app)
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=REPO,
                                  env=_env(app, server.url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            wait_until(server.handler.holding.is_set, "the worker to be sending", timeout=120)
            kill_worker(worker)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
        server.let_go()
        assert server.handler.messages() == []  # the held message was never acknowledged, so never kept
        with app.app_context():
            running = list(db.session.scalars(select(Job.id).where(Job.kind == "send_email",
                                                                   Job.status == JobStatus.running)))
            assert len(running) == 1, "one send was under way when the worker died"
            assert set(running) <= set(recover(app, stale_after=timedelta(0)))
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "worker", "--burst"], cwd=REPO,
                                env=_env(app, server.url), capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        _sent_once(server, addresses)
        assert set(_emails(app).values()) == {OutgoingState.sent}
        # Running every job again (a sweeper that found them all, a retry) sends nothing more.
        with app.app_context():
            from procurement.core.jobrecords import run_job

            for job_id in db.session.scalars(select(Job.id).where(Job.kind == "send_email")):
                run_job(job_id)
        _sent_once(server, addresses)


def test_redis_flushed_before_pick_up_loses_no_email(jobs_app):
    from redis import Redis

    app = jobs_app
    with SmtpServer() as server:
        addresses = _tell(app)
        Redis.from_url(app.config["REDIS_URL"]).flushdb()  # every message to the workers is gone
        with app.app_context():
            recovered = recover(app)
        assert len(recovered) == 3
        os.environ["SMTP_URL"] = server.url
        try:
            result = run_worker(app)
        finally:
            del os.environ["SMTP_URL"]
        assert result.returncode == 0, result.stderr
        _sent_once(server, addresses)
        assert set(_emails(app).values()) == {OutgoingState.sent}
