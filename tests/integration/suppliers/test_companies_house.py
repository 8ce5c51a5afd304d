"""The Companies House client against a server of our own that answers as the public data API
does: the profile as JSON (200), {"errors": [...]} for an unknown number (404), 401 for a key it
does not know, and a server too slow to answer in time."""
from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from suppliers.companies_house import (
    CompaniesHouseUnavailable,
    CompanyNotFound,
    look_up_company,
    names_match,
)

KEY = "test-api-key-0001"
PROFILE = {
    "company_name": "RIVERSIDE LAPTOPS LIMITED", "company_number": "12345678", "company_status": "active",
    "type": "ltd", "registered_office_address": {"address_line_1": "1 River Street", "locality": "London",
                                                 "postal_code": "E1 1AA", "country": "England"},
}


class FakeCompaniesHouse(BaseHTTPRequestHandler):
    asked: list[tuple[str, str]] = []

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
        auth = self.headers.get("Authorization", "")
        FakeCompaniesHouse.asked.append((self.path, auth))
        expected = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
        if auth != expected:
            self._answer(401, {"error": "Invalid Authorization", "type": "ch:service"})
        elif self.path == "/company/12345678":
            self._answer(200, PROFILE)
        elif self.path == "/company/99999999":
            time.sleep(1.5)
            self._answer(200, PROFILE)
        elif self.path == "/company/55555555":
            self._answer(502, {"error": "Bad gateway"})
        else:
            self._answer(404, {"errors": [{"error": "company-profile-not-found", "type": "ch:service"}]})


@pytest.fixture(scope="module")
def companies_house() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCompaniesHouse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_company_is_read_with_the_key_as_the_basic_user_name(companies_house):
    FakeCompaniesHouse.asked.clear()
    profile = look_up_company("12345678", api_key=KEY, base_url=companies_house + "/")
    assert (profile.number, profile.name, profile.status, profile.is_active) == \
        ("12345678", "RIVERSIDE LAPTOPS LIMITED", "active", True)
    assert profile.address == "1 River Street, London, E1 1AA"
    assert FakeCompaniesHouse.asked == [("/company/12345678", "Basic " + base64.b64encode(f"{KEY}:".encode()).decode())]


def test_an_unknown_number_is_not_found(companies_house):
    with pytest.raises(CompanyNotFound):
        look_up_company("00000001", api_key=KEY, base_url=companies_house)


@pytest.mark.parametrize("number, key, timeout", [
    ("12345678", "a-wrong-key", 10),   # 401: our key refused
    ("55555555", KEY, 10),             # a 5xx
    ("99999999", KEY, 0.5),            # too slow
])
def test_a_refused_key_an_error_or_a_timeout_is_unavailable(companies_house, number, key, timeout):
    with pytest.raises(CompaniesHouseUnavailable):
        look_up_company(number, api_key=key, base_url=companies_house, timeout=timeout)


def test_nobody_listening_is_unavailable():
    with pytest.raises(CompaniesHouseUnavailable):
        look_up_company("12345678", api_key=KEY, base_url="http://127.0.0.1:9", timeout=2)


@pytest.mark.parametrize("given, registered, same", [
    ("Riverside Laptops Ltd", "RIVERSIDE LAPTOPS LIMITED", True),
    ("riverside laptops, ltd.", "RIVERSIDE LAPTOPS LIMITED", True),
    ("Kiosk & Access Ltd", "KIOSK AND ACCESS LIMITED", True),
    ("Riverbank Laptops Ltd", "RIVERSIDE LAPTOPS LIMITED", False),
    ("Ltd", "LIMITED", False),
])
def test_names_match_whatever_their_case_punctuation_and_suffix(given, registered, same):
    assert names_match(given, registered) is same


def test_the_sign_up_page_uses_the_configured_service(app, client, session, companies_house, monkeypatch):
    """End to end: with a key set, the page asks our server, and a wrong name is refused."""
    from tests.integration.suppliers.test_supplier_sign_up import GOOD, post

    monkeypatch.setitem(app.config, "COMPANIES_HOUSE_API_KEY", KEY)
    monkeypatch.setitem(app.config, "COMPANIES_HOUSE_URL", companies_house)
    page = post(client, "/join/supplier", {**GOOD, "legal_name": "Someone Else Ltd"}).get_data(as_text=True)
    assert "as Companies House has it for 12345678: RIVERSIDE LAPTOPS LIMITED" in page
    assert post(client, "/join/supplier", GOOD).status_code == 302
    monkeypatch.setitem(app.config, "COMPANIES_HOUSE_API_KEY", "a-wrong-key")
    page = post(client, "/join/supplier", {**GOOD, "email": "other@riverside.example"}).get_data(as_text=True)
    assert "We cannot check your company with Companies House at the moment" in page
