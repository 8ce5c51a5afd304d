"""Procurement Act notices through a real Redis and a real RQ worker process, against the local
Find a Tender (tests/integration/opendata/fts_double.py): the publication's commit enqueues the
UK4's send; the worker submits it; the scheduled poll's job, run by the worker, finds it
published; a first submission the platform times out on is retried by RQ with the same key and
the platform makes one notice."""
from __future__ import annotations

import os

from sqlalchemy import select

from opendata.uk_notices import jobs as notice_jobs
from opendata.uk_notices.models import NoticeKind, NoticeState, UkNotice
from procurement.core.db import db
from tests import factories
from tests.integration.jobs.conftest import run_worker
from tests.integration.opendata.fts_double import API_KEY, FindATenderDouble


def _uk4(app, tender_id):
    with app.app_context():
        notice = db.session.scalars(select(UkNotice).where(UkNotice.tender_id == tender_id,
                                                           UkNotice.kind == NoticeKind.UK4)).one()
        db.session.expunge(notice)
        return notice


def _published_tender(app):
    with app.app_context():
        world = factories.published_tender(db.session)
        db.session.commit()  # the UK4's send is enqueued now
        return world["tender"].id


def _configured(app, double, monkeypatch):
    monkeypatch.setenv("FIND_A_TENDER_URL", double.url)  # the worker reads its settings from the environment
    monkeypatch.setenv("FIND_A_TENDER_API_KEY", API_KEY)
    monkeypatch.setenv("FIND_A_TENDER_TIMEOUT", "1")
    app.config.update(FIND_A_TENDER_URL=double.url, FIND_A_TENDER_API_KEY=API_KEY, FIND_A_TENDER_TIMEOUT=1.0)


def _unconfigured(app):
    app.config.update(FIND_A_TENDER_API_KEY=None)


def test_a_worker_sends_the_tender_notice_and_the_scheduled_poll_finds_it_published(jobs_app, monkeypatch):
    app = jobs_app
    with FindATenderDouble() as double:
        _configured(app, double, monkeypatch)
        try:
            tender_id = _published_tender(app)
            assert _uk4(app, tender_id).state is NoticeState.submitted
            assert run_worker(app).returncode == 0
            sent = _uk4(app, tender_id)
            assert sent.state is NoticeState.submitted and sent.submission_id and len(double.by_id) == 1
            with app.app_context():
                assert notice_jobs.poll_notices() >= 1  # enqueues a send job per submitted notice
            assert run_worker(app).returncode == 0
            published = _uk4(app, tender_id)
            assert published.state is NoticeState.published and published.platform_notice_id
            assert len(double.published) == 1
        finally:
            _unconfigured(app)


def test_a_timed_out_submission_is_retried_by_the_worker_and_published_once(jobs_app, monkeypatch):
    app = jobs_app
    with FindATenderDouble() as double:
        _configured(app, double, monkeypatch)
        try:
            double.time_out_next = 2.5
            tender_id = _published_tender(app)
            run_worker(app)  # the first attempt times out: RQ holds its retry
            notice = _uk4(app, tender_id)
            assert notice.state is NoticeState.submitted and not notice.submission_id and notice.last_error
            with app.app_context():
                notice_jobs.poll_notices()
            run_worker(app)
            with app.app_context():
                notice_jobs.poll_notices()
            run_worker(app)
            done = _uk4(app, tender_id)
            assert done.state is NoticeState.published
            assert len(double.by_id) == 1 and len(double.published) == 1
            assert set(double.submit_requests) == {done.idempotency_key}
        finally:
            _unconfigured(app)
