"""Pure rules of two-factor sign-in: the authenticator app's shared secret (TOTP, RFC 6238),
kept encrypted with a key derived from the service's SECRET_KEY; codes checked so that no
time step is used twice; one-time recovery codes, of which only a SHA-256 is kept."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Iterable

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ISSUER = "London Joint Procurement"
CODE_DIGITS = 6
VALID_WINDOW = 1  # the step before and after the current one, for a clock a little out
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 10


def _fernet(secret_key: str) -> Fernet:
    """A Fernet key of its own, derived from SECRET_KEY (HKDF, SHA-256), so the session
    signing key is never used directly for encryption."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ljp two-factor secret").derive(
        secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits


def encrypt_secret(secret: str, secret_key: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt_secret(token: str, secret_key: str) -> str | None:
    """The secret, or None if it was not encrypted with this key (or was tampered with)."""
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def secret_in_groups(secret: str) -> str:
    """The secret as it is easiest to type: groups of four."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as inline SVG markup (no script, no external file)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=4, title="QR code for your authenticator app",
                                                 dark="#0b0c0c", light="#ffffff")


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def looks_like_app_code(code: str) -> bool:
    code = normalise_code(code)
    return len(code) == CODE_DIGITS and code.isascii() and code.isdecimal()


def current_step(secret: str, at: datetime) -> int:
    return pyotp.TOTP(secret).timecode(at)


def matching_step(secret: str, code: str, at: datetime, last_step: int | None) -> int | None:
    """The time step whose code `code` is (the current one, or one either side), if it is
    later than `last_step` (a code used once, or an older one, is refused); else None."""
    code = normalise_code(code)
    if not looks_like_app_code(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_for_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes to show once, as xxxxx-xxxxx."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_digest(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def recovery_digests(codes: Iterable[str]) -> list[str]:
    return [recovery_digest(code) for code in codes]
