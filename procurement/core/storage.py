"""Where stored files live: documents the service makes, tender documents and uploaded files.
One interface, three back ends, chosen by STORAGE_URL:

- `local` (the default) or `file:///a/shared/folder`: files in a folder, written atomically;
  one machine, or several sharing the folder.
- `database`: the content in the database itself, in chunks, written in the caller's
  transaction (a rolled-back request leaves no file; a committed row always has its file), and
  streamed out a chunk at a time. Every instance and worker that shares the database shares it.
- `s3://bucket/prefix`: S3-compatible object storage through boto3 (S3_ENDPOINT_URL for a
  server other than AWS's; credentials as boto3 finds them).

A file is named by a key (`documents/award_notice/...`, `uploads/catalogue/...`) that the
owning row keeps; keys are made by the service, never taken from a request."""
from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Iterator, Protocol
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import ForeignKey, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .clock import now
from .db import Base
from .errors import StartupError

CHUNK_BYTES = 1 << 20
KEY_PATTERN = re.compile(r"^(documents|uploads)/[^\x00]{1,480}$")


class StoredFile(Base):
    """A file kept in the database (the `database` back end): its key, size and digest."""

    __tablename__ = "stored_file"

    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now)


class StoredChunk(Base):
    __tablename__ = "stored_file_chunk"

    key: Mapped[str] = mapped_column(ForeignKey("stored_file.key", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    sha256: str


class TooLarge(ValueError):
    def __init__(self, limit: int):
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class Storage(Protocol):
    name: str

    def put(self, key: str, content: bytes | IO[bytes], *, max_bytes: int | None = None) -> Stored: ...

    def open(self, key: str) -> IO[bytes]: ...

    def local_copy(self, key: str) -> Any: ...  # a context manager giving a Path

    def delete(self, key: str) -> None: ...

    def check(self) -> None: ...


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key) or ".." in key.split("/") or "\\" in key:
        raise ValueError(f"not a storage key: {key[:80]!r}")
    return key


def _copy(content: bytes | IO[bytes], out: IO[bytes], max_bytes: int | None) -> tuple[int, str]:
    """Copy `content` into `out` a chunk at a time: (size, SHA-256); TooLarge as soon as it
    passes `max_bytes`."""
    digest, size = hashlib.sha256(), 0
    stream = io.BytesIO(content) if isinstance(content, bytes) else content
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise TooLarge(max_bytes)
        digest.update(chunk)
        out.write(chunk)
    return size, digest.hexdigest()


@contextmanager
def _spooled(content: bytes | IO[bytes], max_bytes: int | None) -> Iterator[tuple[IO[bytes], int, str]]:
    """The content in a temporary file (memory up to 8 MB), measured and digested."""
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK_BYTES) as spool:
        size, digest = _copy(content, spool, max_bytes)  # type: ignore[arg-type]
        spool.seek(0)
        yield spool, size, digest  # type: ignore[misc]


class LocalStorage:
    """Files under a folder; written to a temporary file beside the target and renamed, so a
    crash leaves the old file or the new one, never half."""

    name = "local"

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("a storage key may not leave the storage folder")
        return path

    def put(self, key: str, content: bytes | IO[bytes], *, max_bytes: int | None = None) -> Stored:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
        try:
            with os.fdopen(handle, "wb") as out:
                size, digest = _copy(content, out, max_bytes)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return Stored(key, size, digest)

    def open(self, key: str) -> IO[bytes]:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise FileNotFoundError(f"no stored file {key!r}") from None

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.exists():
            raise FileNotFoundError(f"no stored file {key!r}")
        yield path

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def check(self) -> None:
        folder = self.root
        while not folder.exists() and folder != folder.parent:  # folders are made as files need them
            folder = folder.parent
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OSError(f"{folder.name} is not writable")


class _ChunkReader(io.RawIOBase):
    """A stored file read a chunk at a time through the session (which sees its own
    transaction's writes); a download streams inside the request (see http.send_stored)."""

    def __init__(self, session: Session, key: str, count: int):
        self.session, self.key, self.count = session, key, count
        self.number, self.buffer = 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self.buffer and self.number < self.count:
            self.buffer = self.session.scalar(select(StoredChunk.data).where(
                StoredChunk.key == self.key, StoredChunk.number == self.number)) or b""
            self.number += 1
        size = min(len(target), len(self.buffer))
        target[:size], self.buffer = self.buffer[:size], self.buffer[size:]
        return size


class DatabaseStorage:
    """Content in the stored_file_chunk table, 1 MB a row, written in the session's transaction."""

    name = "database"

    def __init__(self, session: Session):
        self.session = session

    def put(self, key: str, content: bytes | IO[bytes], *, max_bytes: int | None = None) -> Stored:
        check_key(key)
        with _spooled(content, max_bytes) as (spool, size, digest):
            self.delete(key)
            self.session.add(StoredFile(key=key, size=size, sha256=digest))
            self.session.flush()
            number = 0
            while chunk := spool.read(CHUNK_BYTES):
                self.session.execute(StoredChunk.__table__.insert().values(key=key, number=number, data=chunk))
                number += 1
        return Stored(key, size, digest)

    def open(self, key: str) -> IO[bytes]:
        if self.session.get(StoredFile, check_key(key)) is None:
            raise FileNotFoundError(f"no stored file {key!r}")
        count = len(self.session.scalars(select(StoredChunk.number).where(StoredChunk.key == key)).all())
        return io.BufferedReader(_ChunkReader(self.session, key, count), buffer_size=CHUNK_BYTES)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with self.open(key) as source, _temporary_copy(source, key) as path:
            yield path

    def delete(self, key: str) -> None:
        self.session.execute(delete(StoredChunk).where(StoredChunk.key == key))
        self.session.execute(delete(StoredFile).where(StoredFile.key == key))

    def check(self) -> None:
        self.session.execute(select(StoredFile.key).limit(1)).all()


@contextmanager
def _temporary_copy(source: IO[bytes], key: str) -> Iterator[Path]:
    suffix = Path(key).suffix[:10]
    handle, name = tempfile.mkstemp(prefix="ljp-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK_BYTES)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


class S3Storage:
    """Objects in an S3 bucket under a prefix. A put is one object write (S3's own writes are
    atomic); reads stream the object's body."""

    name = "s3"

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, client: Any = None):
        self.bucket, self.prefix = bucket, prefix.strip("/")
        if client is None:
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint_url or None)
        self.client = client

    def _object(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, content: bytes | IO[bytes], *, max_bytes: int | None = None) -> Stored:
        name = self._object(key)
        with _spooled(content, max_bytes) as (spool, size, digest):
            self.client.put_object(Bucket=self.bucket, Key=name, Body=spool, ContentLength=size, Metadata={"sha256": digest})
        return Stored(key, size, digest)

    def open(self, key: str) -> IO[bytes]:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object(key))["Body"]
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(f"no stored file {key!r}") from None

    @contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        source = self.open(key)
        try:
            with _temporary_copy(source, key) as path:
                yield path
        finally:
            source.close()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def parse_storage_url(raw: str) -> dict[str, Any]:
    """STORAGE_URL as settings: {'kind': 'local'|'database'|'s3', ...}; StartupError if bad."""
    raw = (raw or "local").strip()
    if raw == "local":
        return {"kind": "local", "root": None}
    if raw == "database":
        return {"kind": "database"}
    parts = urlsplit(raw)
    if parts.scheme == "file" and parts.path.startswith("/"):
        return {"kind": "local", "root": parts.path}
    if parts.scheme == "s3" and parts.netloc:
        query = parse_qs(parts.query)
        return {"kind": "s3", "bucket": parts.netloc, "prefix": parts.path.strip("/"),
                "endpoint_url": (query.get("endpoint") or [None])[0]}
    raise StartupError(f"STORAGE_URL must be local, database, file:///folder or s3://bucket/prefix, not {raw!r}")


def file_store(session: Session | None = None) -> Storage:
    """The application's store, as STORAGE_URL says; the database store writes in `session`'s
    transaction (the request's, or the job's)."""
    from flask import current_app

    settings = current_app.config["STORAGE"]
    if settings["kind"] == "database":
        if session is None:
            from .db import db

            session = db.session
        return DatabaseStorage(session)
    if settings["kind"] == "s3":
        store = current_app.extensions.get("s3_storage")
        if store is None:
            store = current_app.extensions["s3_storage"] = S3Storage(
                settings["bucket"], settings["prefix"],
                settings.get("endpoint_url") or current_app.config.get("S3_ENDPOINT_URL"))
        return store
    return LocalStorage(Path(settings["root"] or current_app.instance_path))
