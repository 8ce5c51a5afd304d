"""A client for Find a Tender's notice API, the interface e-senders submit notices through.

As its published documentation describes it (www.find-tender.service.gov.uk/apidocumentation:
"home" for authentication, "api-how-to-guide", "Notices/1/POST-Submission-Notice-Submit",
"Notices/2/GET-Submission-Notice-Information" and "ResourceModel?modelName=NoticeInformation2"):
- every request carries the organisation's CDP API key in the `CDP-Api-Key` header, and
  `Accept: application/json`;
- POST {base}/api/latest/notice/submission/submit, form-encoded (`application/x-www-form-urlencoded`)
  with one parameter `notice`, the notice Base64-encoded, answers a NoticeInformation object
  (`submission_id` "yyyymmdd-nnnnnn", `received_at`, `status` such as RECEIVED, `reason_code`,
  `no_doc_ext` - the notice's own identifier in the e-sender's system -, `publication_info`,
  and the validation reports); with `?async=1` it answers 202 before validating;
- GET {base}/api/latest/notice/submission/info/{submission_id} answers the same object, whose
  `publication_info` once published holds `publication_date`, `no_doc_ojs` (the notice's
  number) and `truk_links` {"EN": the notice's page}, and (version 2) its `ocids`;
- errors answer {"timestamp", "status", "error", "message"[, "exception"]}.

What the documentation leaves open, and how this client fills it: the documented body is the
platform's reception XML; a Procurement Act notice here is an OCDS release in the UK profile
(the data the platform itself publishes), so that JSON is what is Base64-encoded. The
documentation names no idempotency mechanism beyond `no_doc_ext`, so the client sends the
notice's own key both as `no_doc_ext` and as an `Idempotency-Key` header, the same on every
retry: a platform (and our test double) that has seen the key answers the first submission
again instead of making a second. A rejection is a status the documentation lists among the
end states that are not publication (NOT_PUBLISHED, STOPPED, and any *_FAILED or REJECTED),
its reasons taken from the validation reports' messages and the reason code.

The kernel knows no notice: it takes a key and bytes and returns what the platform said.
"""
from __future__ import annotations

import base64
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SUBMIT_PATH = "/api/latest/notice/submission/submit"
INFO_PATH = "/api/latest/notice/submission/info/{submission_id}"

PUBLISHED = "PUBLISHED"
# Statuses that end without publication; any other status is still on its way (RECEIVED...).
_NOT_PUBLISHED = {"NOT_PUBLISHED", "STOPPED", "REJECTED", "CANCELLED", "WITHDRAWN"}


class PlatformError(Exception):
    """The platform could not be asked, or its answer could not be used: try again later
    (the notice stays submitted; the same key is sent next time, so it is never made twice)."""


@dataclass(frozen=True)
class Outcome:
    """What the platform said of a submission."""

    submission_id: str
    status: str
    received_at: datetime | None = None
    published_at: datetime | None = None
    notice_number: str = ""
    link: str = ""
    reasons: list[str] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED

    @property
    def rejected(self) -> bool:
        return self.status in _NOT_PUBLISHED or self.status.endswith("_FAILED")


def _moment(value: Any) -> datetime | None:
    """The documentation writes ISO 8601 with Z or an offset, and publication_date as
    "2023-09-12 15:45:35" (taken as UTC)."""
    if not value:
        return None
    text = str(value).strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _reasons(info: dict[str, Any]) -> list[str]:
    found = []
    for report in ("technical_validation_report", "validation_rules_report", "quality_control_report"):
        value = info.get(report) or {}
        items = value.get("items", []) if isinstance(value, dict) else value if isinstance(value, list) else []
        for item in items:
            if isinstance(item, dict):
                where = item.get("path") or item.get("field") or ""
                message = item.get("message") or item.get("description") or json.dumps(item)
                found.append(f"{where}: {message}" if where else str(message))
            else:
                found.append(str(item))
    if not found and info.get("reason_code"):
        found.append(f"Reason code {info['reason_code']}")
    return found


def parse_outcome(raw: bytes) -> Outcome:
    """A NoticeInformation object as the documentation shapes it; PlatformError if it is not one."""
    try:
        info = json.loads(raw)
        submission_id, status = str(info["submission_id"]), str(info["status"]).upper()
        publication = info.get("publication_info") or {}
        if not isinstance(publication, dict):
            raise TypeError("publication_info is not an object")
        links = publication.get("truk_links") or {}
        outcome = Outcome(submission_id=submission_id, status=status, received_at=_moment(info.get("received_at")),
                          published_at=_moment(publication.get("publication_date")),
                          notice_number=str(publication.get("no_doc_ojs") or ""),
                          link=str(links.get("EN") or "") if isinstance(links, dict) else "",
                          reasons=_reasons(info))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PlatformError(f"Find a Tender's answer could not be read: {exc}") from None
    if outcome.published and not (outcome.published_at and outcome.notice_number):
        raise PlatformError("Find a Tender said PUBLISHED without the notice's number and publication date")
    return outcome


class FindATender:
    def __init__(self, base_url: str, api_key: str, timeout: float = 20.0):
        self.base_url, self.api_key, self.timeout = base_url.rstrip("/"), api_key, timeout

    def _ask(self, method: str, path: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers={
            "CDP-Api-Key": self.api_key, "Accept": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured https URL
                return response.read()
        except urllib.error.HTTPError as error:
            body = error.read()[:2000].decode(errors="replace")
            raise PlatformError(f"Find a Tender answered {error.code}: {body}") from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as error:
            raise PlatformError(f"Find a Tender could not be reached: {error}") from None

    def submit(self, key: str, notice: bytes) -> Outcome:
        """Submit a notice under its own key (the same key on every retry)."""
        form = urllib.parse.urlencode({"notice": base64.b64encode(notice).decode(), "no_doc_ext": key}).encode()
        raw = self._ask("POST", SUBMIT_PATH, form, {"Content-Type": "application/x-www-form-urlencoded",
                                                   "Idempotency-Key": key})
        return parse_outcome(raw)

    def info(self, submission_id: str) -> Outcome:
        """Where a submitted notice stands."""
        raw = self._ask("GET", INFO_PATH.format(submission_id=urllib.parse.quote(submission_id, safe="")))
        return parse_outcome(raw)


def client_for(config: Any) -> FindATender | None:
    """The configured client, or None without an API key (notices then stay on this service)."""
    if not config.get("FIND_A_TENDER_API_KEY"):
        return None
    return FindATender(config["FIND_A_TENDER_URL"], config["FIND_A_TENDER_API_KEY"],
                       float(config.get("FIND_A_TENDER_TIMEOUT", 20)))
