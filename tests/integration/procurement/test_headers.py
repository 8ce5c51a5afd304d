"""Headers every response carries (issue 18, finding 5: no Content-Security-Policy on any page)."""
from __future__ import annotations

import re

from tests import factories
from tests.conftest import sign_in


def test_pages_allow_no_inline_script_but_the_template_line_with_its_nonce(client):
    response = client.get("/sign-in")
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", policy).group(1)
    assert "script-src 'self' 'nonce-" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    html = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert client.get("/sign-in").headers["Content-Security-Policy"] != policy  # a nonce per response


def test_signed_in_pages_are_not_stored_and_https_asks_for_https(client, session):
    assert "no-store" not in client.get("/sign-in").headers.get("Cache-Control", "")
    factories.user(session, "buyer", email="kept@camden.example")
    sign_in(client, "kept@camden.example", factories.PASSWORD)
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in client.get("/").headers
    assert client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_api_documentation_page_keeps_the_policy_with_no_inline_script(client):
    import re

    response = client.get("/api/v1/docs")
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    page = response.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="' in attributes and not body.strip() for attributes, body in scripts)
    assert "swagger-start.js" in page and 'data-spec-url="/api/v1/openapi.json"' in page
