"""Fixtures: a real SMTP server, and the app pointed at it for one test."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.integration.notifications.smtp import SmtpServer


@pytest.fixture()
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture()
def smtp_app(app: Any, smtp: SmtpServer) -> Iterator[Any]:
    previous = app.config.get("SMTP_URL")
    app.config["SMTP_URL"] = smtp.url
    yield app
    app.config["SMTP_URL"] = previous
