"""Request ids, logging, the commit boundary, and one error shape for pages and the API."""
from __future__ import annotations

import logging
import re
import uuid
from contextlib import contextmanager
from http import HTTPStatus
import json
import secrets
import time
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from sqlalchemy.exc import OperationalError

from .audit import write_kept_events
from .db import db, end_request_writing
from .errors import DomainError

log = logging.getLogger("procurement")
requests_log = logging.getLogger("procurement.requests")  # one JSON line per request

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site (for a `next` after signing in, or a form's way
    back), else None. No scheme or host, no `//` or backslash a browser reads as another host,
    and no whitespace or control character (a browser drops a tab from `/\t/evil.example`,
    leaving `//evil.example`; a CR or LF would split the Location header)."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def client_address() -> str:
    """The client's address: the peer's, or with TRUSTED_PROXIES set the one the trusted
    proxies put in X-Forwarded-For (ProxyFix, wrapped round the app in create_app, has already
    made it `remote_addr`). What lockout and rate limits count by."""
    return request.remote_addr or "unknown"


def request_line(response: Response) -> str:
    """The request as one JSON line: its id, who (a user id, or none), the route (the URL rule,
    never the query string), the method, the status and the time taken."""
    from flask import session

    api_user = g.get("api_user")
    user_id = getattr(api_user, "id", None) if api_user is not None else session.get("_user_id")
    started = g.get("started")
    return json.dumps({
        "request_id": g.get("request_id", "-"), "user_id": int(user_id) if str(user_id or "").isdecimal() else None,
        "method": request.method, "route": request.url_rule.rule if request.url_rule else request.path[:200],
        "status": response.status_code,
        "ms": round((time.perf_counter() - started) * 1000, 1) if started is not None else None,
    }, separators=(",", ":"))


def _signed_in() -> bool:
    """A request made as somebody: a bearer token, or a browser session that signed in."""
    from flask import session

    return bool(request.headers.get("Authorization")) or "_user_id" in session


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message: str, errors: dict[str, Any] | None = None) -> Response:
    """The API's one error shape (the same as flask-smorest's own)."""
    body: dict[str, Any] = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    return response


@contextmanager
def undone_if_refused() -> Iterator[None]:
    """Run a service call whose refusal the view answers itself (the form again, or a message
    and a redirect): if the call raises, everything this request wrote is rolled back there and
    then, and the request is marked refused so the boundary commits nothing.

    Without it, a response under 400 would commit the rows a service flushed before refusing
    (marks saved before "Mark every response first"). Rolling back at once also lets the page
    shown with the errors read the database as it is. Audit events written inside go with the
    rest, so the hash chain is only ever extended by events that are kept, and jobs asked for
    inside are dropped (procurement.core.jobs drops them on rollback).
    """
    try:
        yield
    except Exception:
        db.session.rollback()
        g.request_refused = True
        raise


def _summarise(problems: Any) -> str | None:
    """One sentence naming what was wrong with the request, by location and field."""
    parts = []
    for location, found in problems.items() if isinstance(problems, dict) else []:
        if isinstance(found, dict):
            names = ", ".join(str(name) for name in found if name != "_schema")
            schema = found.get("_schema")
            detail = names or " ".join(map(str, schema or []))
            parts.append(f"Invalid {location} fields: {detail}" if names else f"Invalid {location}: {detail}")
        elif isinstance(found, list):
            parts.append(" ".join(map(str, found)))
    return "; ".join(parts) or None


def _nul_field(incoming: Any) -> str | None:
    """The name of the first input holding a NUL character, if any."""
    for source in (incoming.args, incoming.form):
        for name, values in source.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return name.replace("\x00", "")
    if incoming.is_json:
        def walk(value: Any, path: str) -> str | None:
            if isinstance(value, str):
                return path if "\x00" in value else None
            if isinstance(value, dict):
                for key, item in value.items():
                    found = path + "." + str(key) if "\x00" in str(key) else walk(item, f"{path}.{key}" if path else str(key))
                    if found:
                        return found.replace("\x00", "").lstrip(".") or "json"
            if isinstance(value, list):
                for n, item in enumerate(value):
                    found = walk(item, f"{path}[{n}]")
                    if found:
                        return found
            return None

        found = walk(incoming.get_json(silent=True), "")
        return None if found is None else (found or "body")
    return None


JSON_MAX_DEPTH = 32  # objects and lists within each other; the deepest bid is 6


def accepts_up_to(config_key: str) -> Callable[[Any], Any]:
    """Mark a view (or an API method) as taking a body of up to `app.config[config_key]`
    bytes; every other request is held to BODY_MAX_BYTES (UPLOAD_MAX_BYTES for a file)."""
    def mark(view: Any) -> Any:
        view.body_limit_key = config_key
        return view
    return mark


def _body_limit(app: Flask) -> int:
    view = app.view_functions.get(request.endpoint or "")
    method = getattr(getattr(view, "view_class", None), request.method.lower(), None)
    key = getattr(view, "body_limit_key", None) or getattr(method, "body_limit_key", None)
    if key is None:
        key = "UPLOAD_MAX_BYTES" if request.mimetype == "multipart/form-data" else "BODY_MAX_BYTES"
    return int(app.config[key])


def json_depth_error(body: bytes) -> str | None:
    """Why a JSON body is refused before anything parses it for real: nested deeper than
    JSON_MAX_DEPTH (100,000 brackets made the parser raise RecursionError), else None. A body
    that is not JSON at all is left for the schema to name."""
    try:
        value = json.loads(body)
    except RecursionError:
        return f"The JSON is nested more than {JSON_MAX_DEPTH} levels deep"
    except ValueError:
        return None
    frontier, depth = ([value] if isinstance(value, (dict, list)) else []), 0
    while frontier:
        depth += 1
        if depth > JSON_MAX_DEPTH:
            break
        frontier = [child for node in frontier for child in (node.values() if isinstance(node, dict) else node)
                    if isinstance(child, (dict, list))]
    else:
        return None
    return f"The JSON is nested more than {JSON_MAX_DEPTH} levels deep"


def content_security_policy(nonce: str) -> str:
    """No inline script but the GOV.UK template's one line, which carries this response's
    nonce (Swagger UI's start-up script is a file of ours: templates/swagger_ui.html); styles
    may be inline (the savings charts are SVG with their own style elements)."""
    return ("default-src 'self'; " f"script-src 'self' 'nonce-{nonce}'; " "style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from flask import has_request_context

        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def init_http(app: Flask) -> None:
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
        handler.addFilter(RequestIdFilter())
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    if not requests_log.handlers:  # the request lines are JSON alone, for a log collector
        plain = logging.StreamHandler()
        plain.setFormatter(logging.Formatter("%(message)s"))
        requests_log.addHandler(plain)
        requests_log.propagate = False
    requests_log.setLevel(logging.INFO)

    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.csp_nonce = secrets.token_urlsafe(16)  # a new one for every response
        g.started = time.perf_counter()

    @app.context_processor
    def _csp_nonce() -> dict[str, str]:
        """The nonce the GOV.UK template puts on its one inline script (`cspNonce`)."""
        return {"cspNonce": g.get("csp_nonce", "")}

    def _limit_the_body() -> None:
        """Every request's body has a ceiling by its kind (a file upload, a catalogue file, a
        bid's JSON with its attachments, anything else), enforced as it is read (413); a JSON
        body's depth is checked before any parser recurses into it (400)."""
        request.max_content_length = _body_limit(app)
        if request.is_json and request.content_length != 0:
            problem = json_depth_error(request.get_data(cache=True))
            if problem:
                raise BadRequest(problem)

    # First of all, before anything (CSRF protection, the NUL check) reads the body.
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_the_body)

    @app.before_request
    def _refuse_nul_characters() -> Any:
        """Text may not hold the NUL character: PostgreSQL cannot store it, and no person types
        it. Refused here for every input (query string, form fields, JSON) with its field named."""
        found = _nul_field(request)
        if found is None:
            return None
        message = f"{found} contains a NUL character, which is not allowed"
        if is_api_request():
            return json_error(422, message, {found: ["Remove the NUL character"]})
        return render_template("errors/generic.html", status=400, description=message), 400

    @app.after_request
    def _commit_or_roll_back(response: Response) -> Response:
        # The request is the unit of work: services flush, and here it commits once, unless the
        # response is an error or a view answered a refusal itself (see undone_if_refused).
        refused = g.pop("request_refused", False)
        if "db_session" in g:
            if response.status_code < 400 and not refused:
                db.session.commit()
            else:
                db.session.rollback()
        if g.get("kept_events") and write_kept_events(db.session):  # a refusal's own record, kept
            db.session.commit()
        response.headers["X-Request-ID"] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", content_security_policy(
            g.get("csp_nonce") or secrets.token_urlsafe(16)))
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if _signed_in() and not request.path.startswith(("/static/", "/assets/")):
            response.headers["Cache-Control"] = "no-store"  # a signed-in page or file is nobody else's
        requests_log.info(request_line(response))
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if is_api_request():
            data = getattr(error, "data", None) or {}
            problems = data.get("messages") or data.get("errors")
            message = (_summarise(problems) if problems else None) or data.get("message") \
                or error.description or HTTPStatus(status).phrase
            return json_error(status, message, problems)
        if status == 401:
            from flask import redirect, url_for

            return redirect(url_for("procurement.sign_in", next=request.full_path))
        template = f"errors/{status}.html" if status in (400, 403, 404, 405, 409) else "errors/generic.html"
        return render_template(template, status=status, description=error.description), status

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Any:
        if is_api_request():
            return json_error(error.status, error.message, error.field_errors or None)
        template = {403: "errors/403.html", 404: "errors/404.html"}.get(error.status, "errors/generic.html")
        return render_template(template, status=error.status, description=error.message), error.status

    @app.errorhandler(OperationalError)
    def _database_busy(error: OperationalError) -> Any:
        """SQLite's one write lock held past the busy timeout (the default set-up while a large
        catalogue import is merged): a 503 the person can act on, not a 500. Nothing was written:
        the request's transaction is rolled back."""
        if "database is locked" not in str(error.orig):
            raise error
        if "db_session" in g:
            db.session.rollback()
        end_request_writing()  # the page's own reads (the signed-in user) need no write lock
        log.warning("database busy: %s %s", request.method, request.path)
        message = ("The service is busy finishing a large piece of work and could not save this. "
                   "Nothing was changed: try again in a minute.")
        if is_api_request():
            response = json_error(503, message)
        else:
            response = app.make_response((render_template("errors/generic.html", status=503, description=message), 503))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(InternalServerError)
    def _server_error(error: InternalServerError) -> Any:
        original = getattr(error, "original_exception", None) or error
        log.error("unhandled error", exc_info=original)
        if "db_session" in g:
            db.session.rollback()
        end_request_writing()
        request_id = g.get("request_id", "-")
        if is_api_request():
            return json_error(500, f"Something went wrong on our side. Reference: {request_id}")
        return render_template("errors/500.html", request_id=request_id), 500




def send_stored(store: Any, key: str, *, download_name: str, size: int, sha256: str = "",
                mimetype: str = "application/octet-stream") -> Response:
    """A stored file as a download, streamed from whichever store holds it, a chunk at a time,
    inside the request (so the database store's session is still open while it streams)."""
    from urllib.parse import quote

    from procurement.core.filenames import ascii_name

    from flask import stream_with_context

    source = store.open(key)

    def chunks() -> Iterator[bytes]:
        try:
            while chunk := source.read(1 << 20):
                yield chunk
        finally:
            source.close()

    response = Response(stream_with_context(chunks()), mimetype=mimetype, direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    # filename= in plain ASCII for old clients, filename* in UTF-8 (RFC 6266) for the rest.
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name(download_name)}\"; filename*=UTF-8''{quote(download_name, safe='')}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    if sha256:
        response.headers["X-Content-SHA256"] = sha256
    return response
