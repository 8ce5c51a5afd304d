"""A double of GOV.UK Notify's API of our own: a local HTTP server answering
POST /v2/notifications/email as Notify's documentation describes (a JWT signed with the API
key's secret, HS256, iss = the service id; 201 with the notification's id, reference and
content; 400 and 403 with Notify's error shape), keeping what it was asked to send."""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"test_key-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"


class NotifyDouble:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                if self.path != "/v2/notifications/email":
                    return self._answer(404, {"status_code": 404, "errors": [{"error": "NotFound", "message": "Not found"}]})
                scheme, _, token = self.headers.get("Authorization", "").partition(" ")
                try:
                    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
                    if scheme != "Bearer" or claims["iss"] != SERVICE_ID or abs(time.time() - claims["iat"]) > 30:
                        raise jwt.InvalidTokenError("wrong issuer or time")
                except jwt.InvalidTokenError:
                    return self._answer(403, {"status_code": 403, "errors": [
                        {"error": "AuthError", "message": "Invalid token: API key not found"}]})
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                if body.get("template_id") != TEMPLATE_ID:
                    return self._answer(400, {"status_code": 400, "errors": [
                        {"error": "BadRequestError", "message": "Template not found"}]})
                if body["email_address"].startswith("bounce"):
                    return self._answer(400, {"status_code": 400, "errors": [
                        {"error": "BadRequestError", "message": "Can’t send to this recipient using a team-only API key"}]})
                notification_id = str(uuid.uuid4())
                personalisation = body.get("personalisation", {})
                double.sent.append({**body, "id": notification_id})
                self._answer(201, {
                    "id": notification_id, "reference": body.get("reference"),
                    "content": {"subject": personalisation.get("subject"), "body": personalisation.get("body"),
                                "from_email": "london.joint.procurement@notifications.service.gov.uk"},
                    "uri": f"https://api.notifications.service.gov.uk/v2/notifications/{notification_id}",
                    "template": {"id": TEMPLATE_ID, "version": 1,
                                 "uri": f"https://api.notifications.service.gov.uk/v2/template/{TEMPLATE_ID}"},
                })

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "NotifyDouble":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
