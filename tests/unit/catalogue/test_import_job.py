"""The catalogue import is a kind of job on the job table: declared by the catalogue,
registered by the composition root, run as a writer by the job system."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from catalogue import jobs
from procurement.core import db as database
from procurement.core import jobrecords

REPO = Path(__file__).resolve().parents[3]


def test_the_import_is_a_job_kind_with_explicit_options():
    [kind] = jobs.JOB_KINDS
    assert (kind.name, kind.handler) == ("catalogue_import", jobs.import_catalogue_file)
    assert (kind.options.timeout, kind.options.retries, kind.options.retry_intervals) == (3600, 2, (30, 300))


def test_rows_checked_become_the_jobs_percent_and_note():
    seen = []
    report = jobs.rows_checked(lambda percent, note: seen.append((percent, note)))
    for done, estimated in [(12_000, 50_000), (50_000, 50_000), (50_001, 50_000), (7, None), (0, 0)]:
        report(done, estimated)
    assert seen == [(24, "12,000 of 50,000 rows checked"), (99, "50,000 of 50,000 rows checked"),
                    (99, "50,001 rows checked"), (0, "7 rows checked"), (0, "0 rows checked")]


def test_only_the_composition_root_registers_the_kind():
    script = ("import catalogue.jobs, catalogue.services\n"
              "from procurement.core.jobrecords import KINDS\n"
              "assert 'catalogue_import' not in KINDS, KINDS\n"
              "from procurement.factory import create_app\n"
              "create_app({'DATABASE_URL': 'sqlite://', 'SKIP_DATABASE_CHECK': True, 'TESTING': True,\n"
              "            'SECRET_KEY': 'k', 'BID_SEALING_KEY': 'k'})\n"
              "assert KINDS['catalogue_import'].handler is catalogue.jobs.import_catalogue_file\n")
    result = subprocess.run([sys.executable, "-W", "error", "-c", script], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_import_job_runs_as_a_writer(monkeypatch):
    """On SQLite a job begins as a writer, whichever runs it (see db.writing): the import's
    staging and its progress share one write transaction."""
    seen = []
    monkeypatch.setattr(jobrecords, "_run_job", lambda job_id, runner: seen.append(database._writes.get()) or {})
    jobrecords.run_job(1)
    assert seen == [True] and database._writes.get() is False
