"""Every package the demo serves passes lib-cove-ocds (the Open Contracting Partnership's own
checker, the engine of the OCDS Data Review Tool) offline: no schema errors, no additional
(undeclared) fields, every declared extension read. The standard comes from a ZIP made of the
vendored schema files; extensions are served from the vendored copies (opendata/profile.py)
by a requests transport adapter, and any other request fails the test: nothing is fetched."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import requests
from requests.adapters import BaseAdapter

from opendata import ocds, profile
from procurement.core.clock import now
from tests.integration.opendata.test_ocds import PREFIX, demo  # noqa: F401 (the fixture)

REPO = Path(__file__).resolve().parents[3]
STANDARD = REPO / "tests" / "data" / "ocds" / "standard"
STANDARD_URLS = {
    "https://standard.open-contracting.org/schema/1__1__5/versioned-release-validation-schema.json":
        STANDARD / "versioned-release-validation-schema.json",
}


def answer(request, content: bytes, content_type: str) -> requests.Response:  # noqa: ANN001
    import io

    from urllib3 import HTTPResponse

    response = requests.Response()
    response.url, response.request, response.status_code, response.encoding = request.url, request, 200, "utf-8"
    response.headers["Content-Type"] = content_type
    response.raw = HTTPResponse(body=io.BytesIO(content), status=200, headers={"Content-Type": content_type},
                                preload_content=False, request_url=request.url)
    response._content = content
    return response


def extension_archive(url: str) -> bytes | None:
    """GitHub's archive of a vendored extension (https://github.com/OWNER/REPO/archive/REF.zip),
    made from the vendored copy, as REPO-REF/ and its files."""
    import io

    for name, declared in profile.DECLARED.items():
        owner_repo, ref = declared.split("githubusercontent.com/", 1)[1].rsplit("/", 2)[:2]
        if url == f"https://github.com/{owner_repo}/archive/{ref}.zip":
            buffer = io.BytesIO()
            root = f"{owner_repo.split('/')[1]}-{ref}/"
            with zipfile.ZipFile(buffer, "w") as z:
                z.writestr(root, "")
                for path in sorted((profile.EXTENSIONS_DIR / name).rglob("*")):
                    if path.is_file():
                        z.write(path, root + str(path.relative_to(profile.EXTENSIONS_DIR / name)))
            return buffer.getvalue()
    return None


class OfflineAdapter(BaseAdapter):
    """Answers a vendored extension's or the standard's file from disk; anything else fails."""

    asked: list[str] = []

    def send(self, request, **kwargs):  # noqa: ANN001, ANN003
        self.asked.append(request.url)
        archive = extension_archive(request.url)
        if archive is not None:  # ocdsextensionregistry reads a GitHub extension from its archive
            return answer(request, archive, "application/zip")
        path = profile.local_copy(request.url) or STANDARD_URLS.get(request.url)
        if path is None:
            raise requests.ConnectionError(f"offline: refused to fetch {request.url}")
        return answer(request, path.read_bytes(), "application/json" if path.suffix == ".json" else "text/csv")

    def close(self) -> None:
        pass


@pytest.fixture()
def offline(monkeypatch, tmp_path):
    """Every requests session (ocdsextensionregistry's cached one included) goes to the adapter;
    the standard is a ZIP in the layout of GitHub's archive."""
    adapter = OfflineAdapter()
    monkeypatch.setattr(requests.Session, "get_adapter", lambda self, url: adapter)
    archive = tmp_path / "standard-1__1__5.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("standard-1__1__5/", "")
        z.write(REPO / "opendata" / "data" / "ocds" / "release-schema.json", "standard-1__1__5/schema/release-schema.json")
        for path in sorted(STANDARD.rglob("*")):
            if path.is_file() and path.name != "SOURCE.txt":
                z.write(path, f"standard-1__1__5/schema/{path.relative_to(STANDARD)}")
    import jsonref

    def load(uri, **kwargs):  # jsonref fetches with urllib, not requests: serve the standard's files too
        path = STANDARD_URLS.get(uri)
        if path is None:
            raise requests.ConnectionError(f"offline: refused to fetch {uri}")
        return jsonref.json.loads(path.read_text(), **kwargs)

    monkeypatch.setattr(jsonref, "jsonloader", load)
    return f"file://{archive}", adapter


def cove(document: dict, standard_zip: str, tmp_path: Path) -> dict:
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig({"standard_zip": standard_zip, "context": "api"})
    return ocds_json_output(str(tmp_path), json_data=document, lib_cove_ocds_config=config,
                            record_pkg="records" in document)


def problems(result: dict) -> dict:
    """What would make the package fail review: schema errors, fields outside the declared
    schema, extensions that could not be read, a schema that could not be resolved."""
    return {key: value for key, value in {
        "validation_errors": [f"{e['path']}: {e['description']}" for e in result["validation_errors"]],
        "additional_fields": [f["path"] + "/" + f["field"] for f in result["additional_fields"]],
        "invalid_extensions": (result.get("extensions") or {}).get("invalid_extensions") or [],
        "json_deref_error": result.get("json_deref_error"),
    }.items() if value}


def test_every_package_the_demo_serves_passes_libcoveocds(client, session, demo, offline, tmp_path):  # noqa: F811
    standard_zip, adapter = offline
    session.flush()
    served = {"bulk": client.get("/api/ocds/releases/all.json").get_json()}
    cursor = ""
    for n in range(20):  # the change feed, followed to its end, two processes a page
        page = client.get("/api/ocds/releases", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200
        served[f"feed page {n}"] = page.get_json()
        cursor = page.headers["X-Next-Cursor"]
        if page.headers["X-Feed-More"] == "false":
            break
    for release in served["bulk"]["releases"]:
        if release["tag"] == ["tender"]:
            served[f"release package {release['ocid']}"] = client.get(
                f"/notices/{release['ocid']}/release-package.json").get_json()
    for ocid in sorted({r["ocid"] for r in served["bulk"]["releases"]}):
        response = client.get(f"/api/ocds/records/{ocid}")
        assert response.status_code == 200
        served[f"record package {ocid}"] = response.get_json()
    assert len(served) > 4
    for name, document in served.items():
        assert document["extensions"] == ocds.EXTENSIONS, name
        result = cove(document, standard_zip, tmp_path)
        assert problems(result) == {}, (name, adapter.asked[:5], problems(result).get("invalid_extensions"))
    assert any("ocds_uk_extension" in url for url in adapter.asked)  # it read the vendored extensions
    tags = {tag for r in served["bulk"]["releases"] for tag in r["tag"]}
    assert {"planning", "tender", "tenderUpdate", "tenderCancellation", "award", "contract"} <= tags


def test_an_undeclared_field_is_caught(session, demo, offline, tmp_path):  # noqa: F811
    """The check has teeth: a field outside the profile is reported, and so is a bad value."""
    standard_zip, _ = offline
    releases = ocds.all_releases(session, PREFIX)
    package = ocds.release_package(releases[:2], "https://example.org/p", now())
    package["releases"][0]["tender"]["madeUpField"] = "x"
    package["releases"][1]["date"] = "yesterday"
    found = problems(cove(package, standard_zip, tmp_path))
    assert any("madeUpField" in f for f in found["additional_fields"])
    assert any("date" in e for e in found["validation_errors"])
