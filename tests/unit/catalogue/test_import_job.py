"""The catalogue import job begins as a writer on SQLite, whether a worker or a request runs it."""
from __future__ import annotations

from catalogue import jobs
from procurement.core import db as database


def test_the_import_job_runs_as_a_writer(monkeypatch):
    seen = []
    monkeypatch.setattr(jobs, "_import_catalogue_file", lambda import_id: seen.append(database._writes.get()) or {})
    jobs.import_catalogue_file(1)
    assert seen == [True] and database._writes.get() is False
