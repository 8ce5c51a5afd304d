"""The clamd client against a real clamd (the tests' own, whose one signature is the EICAR test
string), and clamd in `/readyz` (issue 18, build 5)."""
from __future__ import annotations

import socket
import threading

import pytest

from procurement.core.clamd import Clamd, ClamdError
from tests.conftest import CLAMD_SIGNATURE, EICAR


def test_clamd_answers_ping_and_names_the_signature_a_file_matches(clamd_url):
    clamd = Clamd(clamd_url, timeout=10)
    clamd.ping()
    assert clamd.scan(EICAR) == f"{CLAMD_SIGNATURE}.UNOFFICIAL"
    assert clamd.scan(b"%PDF-1.7\n" + EICAR + b"\n%%EOF\n") == f"{CLAMD_SIGNATURE}.UNOFFICIAL"  # inside a file
    assert clamd.scan(b"%PDF-1.7\nA clean specification\n%%EOF\n") is None


def test_a_file_of_many_chunks_is_streamed_whole(clamd_url):
    clamd = Clamd(clamd_url, timeout=10)
    assert clamd.scan(b"x" * (3 * 1024 * 1024)) is None
    assert clamd.scan(b"x" * (3 * 1024 * 1024) + EICAR) == f"{CLAMD_SIGNATURE}.UNOFFICIAL"  # in the last chunk


def test_no_clamd_at_the_address_is_an_error_not_a_verdict(tmp_path):
    with pytest.raises(ClamdError, match="did not answer"):
        Clamd(f"unix://{tmp_path / 'nothing.sock'}", timeout=1).scan(b"x")
    with pytest.raises(ClamdError, match="did not answer"):
        Clamd("tcp://127.0.0.1:1", timeout=1).ping()


def test_a_clamd_that_never_answers_times_out():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        held: list[socket.socket] = []
        accepting = threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True)
        accepting.start()
        try:
            with pytest.raises(ClamdError, match="timed out"):
                Clamd(f"tcp://127.0.0.1:{listener.getsockname()[1]}", timeout=0.3).scan(b"x")
        finally:
            accepting.join(5)
            for connection in held:
                connection.close()


def test_readyz_checks_clamd_when_configured(client, app, clamd_url, tmp_path, monkeypatch):
    assert client.get("/readyz").get_json()["checks"]["clamd"] == "not configured"
    monkeypatch.setitem(app.config, "CLAMD_URL", clamd_url)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"]["clamd"] == "ok"
    monkeypatch.setitem(app.config, "CLAMD_URL", f"unix://{tmp_path / 'gone.sock'}")
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["clamd"] == "failing: ClamdError"
    assert "gone.sock" not in ready.get_data(as_text=True)
