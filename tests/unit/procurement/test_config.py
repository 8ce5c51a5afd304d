from pathlib import Path

import pytest

from procurement.core.clock import frozen_at, now, to_london
from procurement.core.config import load_settings, normalise_database_url
from procurement.core.errors import StartupError


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_database_url("sqlite:///x.db").drivername == "sqlite"


@pytest.mark.parametrize("url", ["not a url", "mysql://u@h/db", "postgresql://u@h", "postgresql+psycopg2://u@h/d"])
def test_bad_database_urls_are_named(url):
    with pytest.raises(StartupError, match="DATABASE_URL"):
        normalise_database_url(url)


def test_secrets_are_generated_once_with_mode_0600(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("BID_SEALING_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = load_settings(tmp_path)
    second = load_settings(tmp_path)
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) == 64
    assert first["BID_SEALING_KEY"] == second["BID_SEALING_KEY"]
    for name in ("secret_key", "bid_sealing.key"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
    assert first["DATABASE_URL"] == f"sqlite:///{tmp_path / 'procurement.db'}"
    assert first["REDIS_URL"] is None


def test_environment_wins_over_generated_secrets(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_settings(tmp_path)["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_the_clock_is_utc_and_only_tests_move_it():
    from datetime import datetime, timezone

    assert now().tzinfo is not None
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    with frozen_at(moment):
        assert now() == moment
        assert to_london(now()).hour == 13  # British Summer Time
    assert now() != moment


def test_clamd_is_off_unless_named_and_a_malformed_address_stops_start_up(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("CLAMD_URL", raising=False)
    assert load_settings(tmp_path)["CLAMD_URL"] is None
    monkeypatch.setenv("CLAMD_URL", "tcp://127.0.0.1:3310")
    assert load_settings(tmp_path)["CLAMD_URL"] == "tcp://127.0.0.1:3310"
    monkeypatch.setenv("CLAMD_URL", "127.0.0.1:3310")
    with pytest.raises(StartupError, match="CLAMD_URL: '127.0.0.1:3310' is not a clamd address"):
        load_settings(tmp_path)


def test_rate_limits_count_in_redis_when_there_is_one_else_in_memory(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.delenv("RATELIMIT_ENABLED", raising=False)  # the suite turns them off
    alone = load_settings(tmp_path, {"SECRET_KEY": "s", "BID_SEALING_KEY": "k"})
    assert alone["RATELIMIT_STORAGE_URI"] == "memory://" and alone["RATELIMIT_ENABLED"] is True
    assert alone["SIGN_IN_RATE_LIMIT"] == "10 per minute;100 per hour"
    shared = load_settings(tmp_path, {"SECRET_KEY": "s", "BID_SEALING_KEY": "k", "REDIS_URL": "redis://r:6379/2"})
    assert shared["RATELIMIT_STORAGE_URI"] == "redis://r:6379/2"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://limits:6379/5")
    assert load_settings(tmp_path, {"SECRET_KEY": "s", "BID_SEALING_KEY": "k", "REDIS_URL": "redis://r:6379/2"})[
        "RATELIMIT_STORAGE_URI"] == "redis://limits:6379/5"


def test_sessions_last_an_idle_hour_and_twelve_hours_at_most_by_default(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("SESSION_IDLE_MINUTES", raising=False)  # the suite lengthens them
    monkeypatch.delenv("SESSION_MAX_HOURS", raising=False)
    settings = load_settings(tmp_path, {"SECRET_KEY": "s", "BID_SEALING_KEY": "k"})
    assert (settings["SESSION_IDLE_MINUTES"], settings["SESSION_MAX_HOURS"], settings["SESSION_KEEP_DAYS"]) == (60, 12, 30)
