import pytest

from procurement.factory import create_app
from procurement.core.errors import StartupError


def test_a_malformed_database_url_is_a_clear_start_up_error(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(StartupError, match="DATABASE_URL is malformed"):
        create_app({"DATABASE_URL": "this is not a url"})


def test_an_unreachable_database_is_a_clear_start_up_error(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(StartupError, match="cannot reach the database at postgresql"):
        create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"})


def test_the_default_is_a_sqlite_file_under_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'procurement.db'}"
    assert app.config["REDIS_URL"] is None
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    from procurement.core.db import db

    db.bound(app).engine.dispose()
