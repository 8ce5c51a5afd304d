"""`/healthz` and `/readyz` (issue 18, build 3): the process answers; it can serve, or says which
check fails (503), without signing in and without saying more."""
from __future__ import annotations


def test_the_process_answers_and_is_ready(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"] == "ok" and ready.get_json()["status"] == "ready"


def test_a_failing_check_makes_it_not_ready(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["redis"].startswith("failing: ")
    assert "127.0.0.1" not in ready.get_data(as_text=True)  # names the check, not the address


def test_each_request_is_one_json_line_with_its_id_user_route_status_and_time(client, session, caplog):
    import json
    import logging

    from tests import factories
    from tests.conftest import sign_in

    user = factories.user(session, "buyer", email="logged@camden.example")
    sign_in(client, "logged@camden.example", factories.PASSWORD)
    with caplog.at_level(logging.INFO, logger="procurement.requests"):
        logger = logging.getLogger("procurement.requests")
        logger.addHandler(caplog.handler)
        try:
            client.get("/requirements?page=1", headers={"X-Request-ID": "req-12345678"})
        finally:
            logger.removeHandler(caplog.handler)
    (line,) = [json.loads(r.getMessage()) for r in caplog.records
               if r.name == "procurement.requests" and "req-12345678" in r.getMessage()]
    assert line["request_id"] == "req-12345678" and line["user_id"] == user.id
    assert line["route"] == "/requirements" and line["method"] == "GET" and line["status"] == 200
    assert isinstance(line["ms"], float)
