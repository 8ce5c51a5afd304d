"""The tender box's cryptography: each tender has a random data key, kept wrapped (AES-GCM)
by the master key; each bid version is sealed with the tender's data key (AES-GCM), its
additional data binding it to its tender, bid and version, so a blob moved elsewhere or
altered fails to open. The digest on a receipt is SHA-256 over the canonical bid."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12


class SealBroken(Exception):
    """A ciphertext that does not open with its key and context: altered, moved or corrupt."""


def master_key(secret: str) -> bytes:
    """The 256-bit master key derived from the configured BID_SEALING_KEY (any string)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"london-joint-procurement bid sealing master key").derive(secret.encode())


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _seal(key: bytes, plaintext: bytes, context: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())


def _open(key: bytes, sealed: bytes, context: str) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise SealBroken(f"cannot open ({context})") from exc


def wrap_key(master: bytes, data_key: bytes, tender_id: int) -> bytes:
    return _seal(master, data_key, f"tender-key:{tender_id}")


def unwrap_key(master: bytes, wrapped: bytes, tender_id: int) -> bytes:
    return _open(master, wrapped, f"tender-key:{tender_id}")


def bid_context(tender_id: int, bid_id: int, version: int | str) -> str:
    return f"bid:{tender_id}:{bid_id}:{version}"


def seal(data_key: bytes, plaintext: bytes, context: str) -> bytes:
    return _seal(data_key, plaintext, context)


def unseal(data_key: bytes, sealed: bytes, context: str) -> bytes:
    return _open(data_key, sealed, context)


def canonical(content: dict[str, Any]) -> bytes:
    """One byte string per bid content, whatever order its keys came in."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
