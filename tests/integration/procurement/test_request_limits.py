"""Request bodies have ceilings by kind, and JSON a depth (issue 18, finding 6): 100,000
brackets gave a 500 (RecursionError); a 25 MB JSON body held a worker for 18.7 s at 680 MB."""
from __future__ import annotations

import io
import json

import pytest

from procurement.core.http import JSON_MAX_DEPTH, json_depth_error


def test_depth_is_measured_without_recursing():
    assert json_depth_error(b"[" * 100_000 + b"]" * 100_000) is not None
    assert json_depth_error(json.dumps({"a": [[{"b": [1]}]]}).encode()) is None
    deep = "[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH
    assert json_depth_error(deep.encode()) is None
    assert json_depth_error(("[" + deep + "]").encode()) is not None
    assert json_depth_error(b"not json") is None  # left for the schema to name


@pytest.mark.parametrize("path", ["/api/v1/tenders", "/api/v1/requirements", "/api/v1/opportunities/1/bid"])
def test_deeply_nested_json_is_a_400_in_the_api_error_shape(client, path):
    response = client.post(path, data="[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == 400 and "nested more than 32 levels" in body["message"]


def test_a_json_body_over_its_ceiling_is_a_413_before_it_is_read(client, app):
    big = b'{"title": "' + b"x" * (app.config["BODY_MAX_BYTES"] + 1) + b'"}'
    response = client.post("/api/v1/tenders", data=big, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["code"] == 413


def test_a_bid_may_carry_its_attachments_but_not_25_mb(client, app):
    within = b'{"lots": [], "quality": [], "pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    assert client.put("/api/v1/opportunities/1/bid/draft", data=within, content_type="application/json").status_code != 413
    over = b'{"pad": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    assert client.put("/api/v1/opportunities/1/bid/draft", data=over, content_type="application/json").status_code == 413


def test_a_form_with_a_file_has_the_upload_ceiling_and_a_page_form_the_small_one(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "BODY_MAX_BYTES", 64 * 1024)  # files stay in memory below 500 KB
    page = client.post("/sign-in", data={"email": "x" * (65 * 1024)})
    assert page.status_code == 413
    upload = {"file": (io.BytesIO(b"x" * (200 * 1024)), "r.csv")}  # over BODY_MAX_BYTES, under UPLOAD_MAX_BYTES
    assert client.post("/requirements/upload", data=upload, content_type="multipart/form-data").status_code != 413
