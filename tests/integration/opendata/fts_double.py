"""A double of Find a Tender's notice API of our own: a local HTTP server answering as its
documentation describes (www.find-tender.service.gov.uk/apidocumentation):
POST /api/latest/notice/submission/submit (form-encoded `notice`, Base64; the `CDP-Api-Key`
header) and GET /api/latest/notice/submission/info/{submission_id}, each answering a
NoticeInformation object (submission_id, received_at, status, reason_code, publication_info with
publication_date, no_doc_ojs and truk_links, the validation reports); a wrong key answers 400
"Access Denied" as documented.

It accepts a notice (RECEIVED) and publishes it after `polls_before_publish` asks; it can be told
to reject the next submission with reasons, to answer the next one with something unreadable, or
to time out on the next one (it keeps the submission, as a platform that received it would, and
answers too late). A submission under a key it has seen answers that submission again: it makes
one notice per key, so `published` counts each notice once."""
from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from procurement.core.clock import now

API_KEY = "cdp-test-key-0b8c1f"
INFO_PREFIX = "/api/latest/notice/submission/info/"


@dataclass
class Submission:
    submission_id: str
    key: str
    notice: dict[str, Any]
    received_at: str
    status: str = "RECEIVED"
    polls: int = 0
    reasons: list[dict[str, str]] = field(default_factory=list)
    published: dict[str, Any] | None = None


class FindATenderDouble:
    def __init__(self, polls_before_publish: int = 1) -> None:
        self.polls_before_publish = polls_before_publish
        self.by_key: dict[str, Submission] = {}
        self.by_id: dict[str, Submission] = {}
        self.submit_requests: list[str] = []  # the key of every submit request, retries included
        self.reject_next: list[dict[str, str]] | None = None
        self.garble_next = False
        self.time_out_next = 0.0  # seconds to wait before answering the next submission
        self._lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self, status: int, body: Any) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    pass

            def _authorised(self) -> bool:
                if self.headers.get("CDP-Api-Key") == API_KEY:
                    return True
                self._answer(400, {"timestamp": now().strftime("%Y-%m-%dT%H:%M:%SZ"), "status": 400,
                                   "error": "Access Denied", "path": self.path})
                return False

            def do_POST(self) -> None:  # noqa: N802
                if self.path.split("?")[0] != "/api/latest/notice/submission/submit":
                    return self._answer(404, {"status": 404, "error": "Not Found", "path": self.path})
                if not self._authorised():
                    return None
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
                try:
                    notice = json.loads(base64.b64decode(form["notice"][0]))
                except (KeyError, ValueError):
                    return self._answer(400, {"status": 400, "error": "Bad Request", "message": "notice is not valid Base64"})
                key = self.headers.get("Idempotency-Key") or form.get("no_doc_ext", [""])[0]
                wait, garble = double._take_once()
                submission = double._receive(key, notice)
                if wait:
                    time.sleep(wait)
                if garble:
                    return self._answer(200, b"<html>Service temporarily unavailable</html>")
                self._answer(200, double.information(submission))

            def do_GET(self) -> None:  # noqa: N802
                if not self.path.startswith(INFO_PREFIX):
                    return self._answer(404, {"status": 404, "error": "Not Found", "path": self.path})
                if not self._authorised():
                    return None
                submission = double.by_id.get(self.path[len(INFO_PREFIX):])
                if submission is None:
                    return self._answer(404, {"status": 404, "error": "Not Found", "message": "Unknown submission id"})
                self._answer(200, double.information(double._poll(submission)))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # what the server does ---------------------------------------------------------------

    def _take_once(self) -> tuple[float, bool]:
        with self._lock:
            wait, garble = self.time_out_next, self.garble_next
            self.time_out_next, self.garble_next = 0.0, False
            return wait, garble

    def _receive(self, key: str, notice: dict[str, Any]) -> Submission:
        with self._lock:
            self.submit_requests.append(key)
            if key and key in self.by_key:
                return self.by_key[key]
            moment = now()
            submission_id = f"{moment:%Y%m%d}-{len(self.by_id) + 1:06d}"
            submission = Submission(submission_id, key, notice, moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
            if self.reject_next is not None:
                submission.status, submission.reasons, self.reject_next = "NOT_PUBLISHED", self.reject_next, None
            self.by_id[submission_id] = submission
            if key:
                self.by_key[key] = submission
            return submission

    def _poll(self, submission: Submission) -> Submission:
        with self._lock:
            if submission.status == "RECEIVED":
                submission.polls += 1
                if submission.polls >= self.polls_before_publish:
                    moment = now()
                    number = f"{len([s for s in self.by_id.values() if s.published]) + 1:06d}-{moment:%Y}"
                    submission.status = "PUBLISHED"
                    submission.published = {
                        "ojs_number": "000", "no_doc_ojs": number, "publication_date": moment.strftime("%Y-%m-%d %H:%M:%S"),
                        "truk_links": {"EN": f"https://www.find-tender.service.gov.uk/Notice/{number}"},
                        "ocids": [submission.notice.get("ocid", "")]}
            return submission

    def information(self, submission: Submission) -> dict[str, Any]:
        return {"submission_id": submission.submission_id, "received_at": submission.received_at,
                "status": submission.status, "reason_code": "BV" if submission.reasons else None,
                "status_updated_at": submission.received_at, "no_doc_ext": submission.key[:11] or None, "form": None,
                "languages": ["EN"], "publication_info": submission.published,
                "technical_validation_report": None,
                "validation_rules_report": {"items": submission.reasons} if submission.reasons else None,
                "quality_control_report": None, "ref_submission_id": None, "ref_no_doc_ojs": None}

    @property
    def published(self) -> list[Submission]:
        return [s for s in self.by_id.values() if s.status == "PUBLISHED"]

    # running it -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FindATenderDouble":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
