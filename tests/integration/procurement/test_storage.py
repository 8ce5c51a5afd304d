"""The one file store and its three back ends, each against the real thing: a folder, the
database (SQLite and PostgreSQL), and an S3-compatible server (moto's, started here)."""
from __future__ import annotations

import hashlib
import io
import socket
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select

from procurement.core.errors import StartupError
from procurement.core.storage import (
    CHUNK_BYTES, DatabaseStorage, LocalStorage, S3Storage, StoredChunk, StoredFile, TooLarge, file_store,
    parse_storage_url)
from tenders.forming import publication
from tests import factories
from tests.conftest import sign_in

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 9000 + b"\n%%EOF\n"  # over two chunks


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's S3-compatible server on a port of its own, with a bucket for the store."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps its state per process, not per server: start each server empty
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)
    boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-2", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(
        Bucket="ljp-files", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    yield endpoint
    server.stop()


@pytest.fixture()
def s3_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                        ("AWS_DEFAULT_REGION", "eu-west-2")):
        monkeypatch.setenv(name, value)


@pytest.fixture(params=["local", "database", "s3"])
def store(request: pytest.FixtureRequest, session: Any, tmp_path: Any) -> Any:
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    if request.param == "database":
        return DatabaseStorage(session)
    request.getfixturevalue("s3_env")
    return S3Storage("ljp-files", "test-prefix", endpoint_url=request.getfixturevalue("s3_server"))


def test_a_file_goes_in_and_comes_out_whole_with_its_digest(store: Any) -> None:
    stored = store.put("documents/award_notice/tender-1-v1-notice.pdf", io.BytesIO(PDF))
    assert stored.size == len(PDF) and stored.sha256 == hashlib.sha256(PDF).hexdigest()
    with store.open(stored.key) as handle:
        assert handle.read() == PDF
    with store.local_copy(stored.key) as path:
        assert path.read_bytes() == PDF
    store.put(stored.key, b"replaced")  # a second run replaces the file under the same key
    with store.open(stored.key) as handle:
        assert handle.read() == b"replaced"
    store.delete(stored.key)
    with pytest.raises(FileNotFoundError):
        store.open(stored.key)
    store.check()


def test_a_file_over_its_limit_is_refused_and_nothing_is_kept(store: Any) -> None:
    with pytest.raises(TooLarge):
        store.put("uploads/catalogue/big.csv", io.BytesIO(b"x" * (CHUNK_BYTES + 10)), max_bytes=CHUNK_BYTES)
    with pytest.raises(FileNotFoundError):
        store.open("uploads/catalogue/big.csv")


@pytest.mark.parametrize("key", ["/etc/passwd", "documents/../secret_key", "secret_key", "uploads\\x", ""])
def test_a_key_is_one_the_service_makes(store: Any, key: str) -> None:
    with pytest.raises(ValueError):
        store.put(key, b"x")


def test_the_database_store_keeps_a_file_in_chunks_in_the_owners_transaction(session: Any) -> None:
    store = DatabaseStorage(session)
    savepoint = session.begin_nested()
    store.put("documents/kind/a.pdf", PDF)
    assert session.scalar(select(func.count()).select_from(StoredChunk).where(
        StoredChunk.key == "documents/kind/a.pdf")) == -(-len(PDF) // CHUNK_BYTES) == 3
    savepoint.rollback()  # the request that stored it was refused: no file is left
    assert session.get(StoredFile, "documents/kind/a.pdf") is None
    assert session.scalar(select(func.count()).select_from(StoredChunk)) == 0


def test_storage_url_names_one_of_the_three(tmp_path: Any) -> None:
    assert parse_storage_url("") == {"kind": "local", "root": None}
    assert parse_storage_url("file:///srv/ljp") == {"kind": "local", "root": "/srv/ljp"}
    assert parse_storage_url("database") == {"kind": "database"}
    assert parse_storage_url("s3://bucket/a/b?endpoint=http://127.0.0.1:9000") == {
        "kind": "s3", "bucket": "bucket", "prefix": "a/b", "endpoint_url": "http://127.0.0.1:9000"}
    for bad in ("ftp://x", "s3://", "file://relative", "postgres"):
        with pytest.raises(StartupError, match="STORAGE_URL"):
            parse_storage_url(bad)


@pytest.mark.parametrize("kind", ["database", "s3"])
def test_a_tender_document_is_stored_and_downloaded_through_the_configured_store(
        request: pytest.FixtureRequest, app: Any, session: Any, client: Any, monkeypatch: pytest.MonkeyPatch,
        kind: str) -> None:
    if kind == "s3":
        request.getfixturevalue("s3_env")
        monkeypatch.setitem(app.config, "STORAGE", {"kind": "s3", "bucket": "ljp-files", "prefix": "web",
                                                     "endpoint_url": request.getfixturevalue("s3_server")})
        monkeypatch.delitem(app.extensions, "s3_storage", raising=False)
    else:
        monkeypatch.setitem(app.config, "STORAGE", {"kind": "database"})
    world = factories.published_tender(session, publish=False)
    document = publication.add_document(session, world["agency"], world["tender"].id, title="Specification",
                                        filename="specification.pdf", stream=io.BytesIO(PDF))
    session.flush()
    assert isinstance(file_store(session), DatabaseStorage if kind == "database" else S3Storage)
    assert not (Path(app.instance_path) / document.stored_path).exists()  # not on this machine's disk
    sign_in(client, world["agency"].email, factories.PASSWORD)
    response = client.get(f"/tenders/documents/{document.id}")
    assert response.status_code == 200
    assert response.data == PDF and response.headers["X-Content-SHA256"] == hashlib.sha256(PDF).hexdigest()
    assert response.headers["Content-Length"] == str(len(PDF))
    assert 'filename="specification.pdf"' in response.headers["Content-Disposition"]
    monkeypatch.delitem(app.extensions, "s3_storage", raising=False)
