"""Fixtures for jobs through a real Redis and real RQ worker processes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL, fresh_redis

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture()
def redis_url():
    connection = fresh_redis()
    yield REDIS_URL
    connection.flushdb()
    connection.close()


@pytest.fixture()
def jobs_app(committed_app, redis_url):
    runner = committed_app.config["JOB_RUNNER"]
    committed_app.config.update(REDIS_URL=redis_url, JOB_RUNNER="rq")
    yield committed_app
    committed_app.config.update(REDIS_URL=None, JOB_RUNNER=runner)


def run_worker(app) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
           "SECRET_KEY": "jobs", "BID_SEALING_KEY": "k", "INSTANCE_PATH": app.instance_path}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "worker", "--burst"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)
