"""A client of ClamAV's daemon: PING, and INSTREAM (the file's bytes sent in chunks, each
prefixed by its length, a zero length ending them), over a unix socket or TCP, with a timeout.
clamd's protocol is small enough that a dependency would add more than it saves."""
from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

CHUNK_BYTES = 64 * 1024
DEFAULT_PORT = 3310


class ClamdError(Exception):
    """clamd did not answer, or answered with an error (a stream over its StreamMaxLength...)."""


def parse_url(url: str) -> tuple[int, str | tuple[str, int]]:
    """`unix:///run/clamav/clamd.ctl` or `tcp://127.0.0.1:3310` as (address family, address);
    ValueError, saying what is accepted, for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme == "unix" and parts.path and not parts.netloc:
        return socket.AF_UNIX, parts.path
    if parts.scheme == "tcp" and parts.hostname and parts.path in ("", "/"):
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            port = 0
        if 0 < port < 65536:
            return socket.AF_INET6 if ":" in parts.hostname else socket.AF_INET, (parts.hostname, port)
    raise ValueError(f"{url!r} is not a clamd address: give unix:///path/to/clamd.ctl or tcp://host:3310")


@dataclass(frozen=True)
class Clamd:
    url: str
    timeout: float = 20.0  # seconds for each step: connecting, sending a chunk, waiting for the verdict

    def ping(self) -> None:
        reply = self._ask(b"zPING\0")
        if reply != "PONG":
            raise ClamdError(f"clamd answered PING with {reply[:100]!r}")

    def scan(self, data: bytes) -> str | None:
        """The name of the signature `data` matches, or None when clamd finds it clean."""
        reply = self._ask(b"zINSTREAM\0", data)
        if reply.endswith(" FOUND"):
            return reply.removeprefix("stream: ").removesuffix(" FOUND").strip() or "unnamed signature"
        if reply == "stream: OK":
            return None
        raise ClamdError(f"clamd could not scan the file: {reply[:200]}")

    def _ask(self, command: bytes, data: bytes | None = None) -> str:
        family, address = parse_url(self.url)
        try:
            with socket.socket(family, socket.SOCK_STREAM) as connection:
                connection.settimeout(self.timeout)
                connection.connect(address)
                try:
                    connection.sendall(command)
                    if data is not None:
                        for start in range(0, len(data), CHUNK_BYTES):
                            chunk = data[start:start + CHUNK_BYTES]
                            connection.sendall(struct.pack("!L", len(chunk)) + chunk)
                        connection.sendall(struct.pack("!L", 0))
                except BrokenPipeError:  # clamd stops reading a stream over its limit, and says why
                    pass
                return _reply(connection)
        except OSError as exc:  # refused, no such socket, timed out, reset
            raise ClamdError(f"clamd at {self.url} did not answer: {exc}") from None


def _reply(connection: socket.socket) -> str:
    """clamd's answer to a z-command: text ended by a NUL (or by closing the connection)."""
    received = b""
    while not received.endswith(b"\0") and len(received) < 4096:
        part = connection.recv(4096)
        if not part:
            break
        received += part
    if not received:
        raise ClamdError("clamd closed the connection without an answer")
    return received.rstrip(b"\0").decode("utf-8", "replace").strip()
