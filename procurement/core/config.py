"""Settings read from the environment, with safe defaults for one machine and no set-up."""
from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .clamd import parse_url as parse_clamd_url
from .errors import StartupError
from .storage import parse_storage_url

REPO_ROOT = Path(__file__).resolve().parents[2]


def normalise_database_url(raw: str) -> URL:
    """Parse DATABASE_URL; only SQLite and PostgreSQL (through psycopg 3) are supported."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise StartupError(f"DATABASE_URL is malformed: {raw!r} ({exc})") from None
    backend = url.get_backend_name()
    if backend == "postgres":
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "postgresql":
        if url.get_driver_name() not in ("psycopg", "psycopg2") or url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        if url.get_driver_name() == "psycopg2":
            raise StartupError("DATABASE_URL names psycopg2; use postgresql+psycopg:// (psycopg 3)")
    elif backend != "sqlite":
        raise StartupError(
            f"DATABASE_URL names an unsupported database {backend!r}; use sqlite:/// or postgresql://"
        )
    if backend != "sqlite" and not url.database:
        raise StartupError(f"DATABASE_URL has no database name: {raw!r}")
    return url


def _instance_secret(instance_path: Path, filename: str, make: Any) -> str:
    """Read a secret kept under instance/, creating it (mode 0600) on first run."""
    path = instance_path / filename
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _new_sealing_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def load_settings(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The application's settings: environment, then `overrides` (tests), then defaults."""
    env = os.environ
    overrides = dict(overrides or {})
    settings: dict[str, Any] = {}

    raw_url = overrides.pop("DATABASE_URL", None) or env.get("DATABASE_URL") or (
        f"sqlite:///{instance_path / 'procurement.db'}"
    )
    settings["DATABASE_URL"] = normalise_database_url(raw_url).render_as_string(hide_password=False)
    settings["REDIS_URL"] = overrides.pop("REDIS_URL", None) or env.get("REDIS_URL") or None
    settings["RQ_QUEUE"] = env.get("RQ_QUEUE", "procurement")
    # Who runs background jobs: RQ's workers (with Redis), a thread of each serving process
    # (the default without Redis: never inside a request), or inline after the commit (the
    # tests' default, so a test sees a job's result at once).
    runner = overrides.pop("JOB_RUNNER", None) or env.get("JOB_RUNNER") or (
        "rq" if settings["REDIS_URL"] else "inline" if overrides.get("TESTING") else "thread")
    if runner not in ("rq", "thread", "inline"):
        raise StartupError(f"JOB_RUNNER must be rq, thread or inline, not {runner!r}")
    if runner == "rq" and not settings["REDIS_URL"]:
        raise StartupError("JOB_RUNNER=rq needs REDIS_URL")
    settings["JOB_RUNNER"] = runner
    # Where stored files live: local (instance/), file:///shared/folder, database, or
    # s3://bucket/prefix (S3_ENDPOINT_URL for a server other than AWS's).
    settings["STORAGE"] = parse_storage_url(overrides.pop("STORAGE_URL", None) or env.get("STORAGE_URL") or "local")
    settings["S3_ENDPOINT_URL"] = env.get("S3_ENDPOINT_URL") or None
    # Uploads another party downloads are scanned by clamd when this names it; unset, nothing scans.
    settings["CLAMD_URL"] = overrides.pop("CLAMD_URL", None) or env.get("CLAMD_URL") or None
    if settings["CLAMD_URL"]:
        try:
            parse_clamd_url(settings["CLAMD_URL"])
        except ValueError as exc:
            raise StartupError(f"CLAMD_URL: {exc}") from None

    settings["SECRET_KEY"] = overrides.pop("SECRET_KEY", None) or env.get("SECRET_KEY") or (
        _instance_secret(instance_path, "secret_key", lambda: secrets.token_hex(32))
    )
    settings["BID_SEALING_KEY"] = overrides.pop("BID_SEALING_KEY", None) or env.get(
        "BID_SEALING_KEY"
    ) or _instance_secret(instance_path, "bid_sealing.key", _new_sealing_key)

    settings.update(
        SERVICE_NAME="London Joint Procurement",
        APP_ENV=env.get("APP_ENV", "development"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=env.get("SESSION_COOKIE_SECURE", "0") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        LOCKOUT_ATTEMPTS=int(env.get("LOCKOUT_ATTEMPTS", "5")),
        LOCKOUT_MINUTES=int(env.get("LOCKOUT_MINUTES", "15")),
        # Attempts per client address (flask-limiter's notation, limits separated by ";"),
        # counted beside lockout: lockout guards an account, these the service's time.
        SIGN_IN_RATE_LIMIT=env.get("SIGN_IN_RATE_LIMIT", "10 per minute;100 per hour"),
        PASSWORD_RESET_RATE_LIMIT=env.get("PASSWORD_RESET_RATE_LIMIT", "5 per minute;20 per hour"),
        SIGN_UP_RATE_LIMIT=env.get("SIGN_UP_RATE_LIMIT", "5 per minute;20 per hour"),
        # Roles that must sign in with an authenticator app as well as a password (comma list;
        # empty: nobody must, though anyone may choose to).
        TWO_FACTOR_ROLES=env.get("TWO_FACTOR_ROLES", "agency,admin"),
        RATELIMIT_ENABLED=env.get("RATELIMIT_ENABLED", "1") == "1",
        RATELIMIT_KEY_PREFIX=env.get("RATELIMIT_KEY_PREFIX", "ljp-limits"),
        # A signed-in session ends after this long without a request, and this long after
        # signing in whatever happens (OWASP ASVS 3.3).
        SESSION_IDLE_MINUTES=int(env.get("SESSION_IDLE_MINUTES", "60")),
        SESSION_MAX_HOURS=int(env.get("SESSION_MAX_HOURS", "12")),
        SESSION_KEEP_DAYS=int(env.get("SESSION_KEEP_DAYS", "30")),
        CATALOGUE_IMPORT_MAX_BYTES=int(env.get("CATALOGUE_IMPORT_MAX_BYTES", str(512 * 1024 * 1024))),
        REQUIREMENT_UPLOAD_MAX_BYTES=int(env.get("REQUIREMENT_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024))),
        # Request bodies, by kind: a form or JSON; a form with files (tender documents of 20 MB,
        # quality attachments); a bid's JSON (five 2 MB attachments as base64); a catalogue file.
        BODY_MAX_BYTES=int(env.get("BODY_MAX_BYTES", str(1024 * 1024))),
        UPLOAD_MAX_BYTES=int(env.get("UPLOAD_MAX_BYTES", str(25 * 1024 * 1024))),
        BID_BODY_MAX_BYTES=int(env.get("BID_BODY_MAX_BYTES", str(16 * 1024 * 1024))),
        CLAMD_TIMEOUT=float(env.get("CLAMD_TIMEOUT", "20")),
        JOB_SWEEP_SECONDS=int(env.get("JOB_SWEEP_SECONDS", "60")),
        JOB_POLL_SECONDS=float(env.get("JOB_POLL_SECONDS", "5")),
        # Without Redis the web process runs the schedule (tenders closing at their deadline)
        # in a thread of its own; with Redis, `flask cron` does, beside the workers.
        SCHEDULE_IN_PROCESS=env.get("SCHEDULE_IN_PROCESS", "1") == "1",
        OCDS_OCID_PREFIX=env.get("OCDS_OCID_PREFIX", "ocds-ljp000"),
        # Who publishes the open data (an OCDS package's publisher: name, identifier scheme and
        # uid, URI), its publication policy, and the agency's own scheme-qualified identifier
        # (GB-PPON-ABCD-1234-EFGH, say) if it has one (opendata/ocds.py).
        OCDS_PUBLISHER_NAME=env.get("OCDS_PUBLISHER_NAME", "London Joint Procurement e-agency"),
        OCDS_PUBLISHER_SCHEME=env.get("OCDS_PUBLISHER_SCHEME", ""),
        OCDS_PUBLISHER_UID=env.get("OCDS_PUBLISHER_UID", ""),
        OCDS_PUBLISHER_URI=env.get("OCDS_PUBLISHER_URI", ""),
        OCDS_PUBLICATION_POLICY=env.get("OCDS_PUBLICATION_POLICY", "https://londonconnects.example/open-data"),
        OCDS_AGENCY_IDENTIFIER=env.get("OCDS_AGENCY_IDENTIFIER", ""),
        OPTIMISER_SECONDS=int(env.get("OPTIMISER_SECONDS", "60")),
        TRUSTED_PROXIES=int(env.get("TRUSTED_PROXIES", "0")),
        API_TOKEN_DEFAULT_DAYS=int(env.get("API_TOKEN_DEFAULT_DAYS", "90")),
        # Mail: SMTP by URL (smtp://user:password@host:587?starttls=1, smtps://host:465), or GOV.UK
        # Notify with its API key and one email template whose subject is ((subject)) and whose
        # body is ((body)); with neither, messages are kept and shown on the development outbox.
        SMTP_URL=env.get("SMTP_URL") or None,
        MAIL_FROM=env.get("MAIL_FROM", "London Joint Procurement <no-reply@londonconnects.example>"),
        NOTIFY_API_KEY=env.get("NOTIFY_API_KEY") or None,
        NOTIFY_TEMPLATE_ID=env.get("NOTIFY_TEMPLATE_ID") or None,
        NOTIFY_BASE_URL=env.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"),
        # Notify's delivery receipts are POSTed to /callbacks/notify with this bearer token.
        NOTIFY_CALLBACK_TOKEN=env.get("NOTIFY_CALLBACK_TOKEN") or None,
        # The address people reach this service at, for the links in emails.
        SERVICE_URL=env.get("SERVICE_URL", "http://127.0.0.1:5000").rstrip("/"),
        # Companies House's public data API: with a key, a supplier's company number is looked up.
        COMPANIES_HOUSE_API_KEY=env.get("COMPANIES_HOUSE_API_KEY") or None,
        COMPANIES_HOUSE_URL=env.get("COMPANIES_HOUSE_URL", "https://api.company-information.service.gov.uk"),
        # Find a Tender's notice API (the e-sender interface): with a key, the Procurement Act's
        # notices are submitted to the central platform; without one they are published on this
        # service only, and every page relying on them says so.
        FIND_A_TENDER_URL=env.get("FIND_A_TENDER_URL", "https://www.find-tender.service.gov.uk").rstrip("/"),
        FIND_A_TENDER_API_KEY=env.get("FIND_A_TENDER_API_KEY") or None,
        FIND_A_TENDER_TIMEOUT=float(env.get("FIND_A_TENDER_TIMEOUT", "20")),
        ASSETS_DIR=env.get("ASSETS_DIR", str(REPO_ROOT / "node_modules")),
        # flask-smorest: the JSON API and its OpenAPI document live under /api/v1.
        API_TITLE="London Joint Procurement API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/assets/swagger-ui/",
    )
    settings.update(overrides)
    # Counted in Redis when there is one, so every web instance counts together.
    settings.setdefault("RATELIMIT_STORAGE_URI", env.get("RATELIMIT_STORAGE_URI") or settings["REDIS_URL"] or "memory://")
    # Uploads larger than the import limit are cut off by the server, not read into memory.
    settings.setdefault("CATALOGUE_BODY_MAX_BYTES", settings["CATALOGUE_IMPORT_MAX_BYTES"] + (1 << 20))
    settings.setdefault("MAX_CONTENT_LENGTH", settings["CATALOGUE_BODY_MAX_BYTES"])
    return settings
