"""Open data, public without sign-in: the change feed of OCDS release packages (followed by an
opaque cursor, opendata/feed.py), record packages, a bulk download of everything (JSON, and as
spreadsheets), the Local Government Transparency Code export, and the public register of
tenders and contracts."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from sqlalchemy import select

from opendata import feed, ocds, spreadsheets
from procurement.core.audit import AuditEvent
from procurement.core.clock import now
from procurement.core.db import db

bp = Blueprint("ocds", __name__, template_folder="templates")
LIMIT_DEFAULT = 20
REPLACED = ("since", "until", "page", "per_page")


class BadQuery(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _prefix() -> str:
    return current_app.config["OCDS_OCID_PREFIX"]


def _whole(name: str, default: int, low: int, high: int) -> int:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    if not text.isdecimal() or not low <= int(text) <= high:
        raise BadQuery(name, f"{name} must be a whole number from {low} to {high}")
    return int(text)


def _bad(error: BadQuery) -> Any:
    response = jsonify({"code": 400, "status": "Bad Request", "message": error.message, "errors": {error.field: [error.message]}})
    response.status_code = 400
    return response


def _json(document: dict[str, Any], filename: str | None = None) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False, separators=(",", ":")), mimetype="application/json")
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/api/ocds/releases")
def releases() -> Any:
    """The change feed: a release package of the published contracting processes changed after
    `cursor` (all of each one's releases), `limit` processes at most, in the order of their
    latest change; the Link header (rel="next") and X-Next-Cursor carry the cursor to continue
    from. A
    reader keeps that cursor and asks again: no change is ever behind it (opendata/feed.py)."""
    for name in REPLACED:
        if name in request.args:
            return _bad(BadQuery(name, f"{name} is no longer taken: follow the feed with cursor (from the last "
                                       "response's X-Next-Cursor or Link header) and limit; the first request has no cursor"))
    try:
        limit = _whole("limit", LIMIT_DEFAULT, 1, feed.LIMIT_MAX)
        after = feed.decode(request.args.get("cursor", ""))
    except BadQuery as error:
        return _bad(error)
    except feed.BadCursor as error:
        return _bad(BadQuery("cursor", f"{error}: start again without a cursor, or use the Link header's as given"))
    page = feed.changes(db.session, after, limit)
    tenders = {t.id: t for t in ocds.published_tenders(db.session) if t.id in {c.tender_id for c in page.changes}}
    found = [r for c in page.changes if c.tender_id in tenders
             for r in ocds.tender_releases(db.session, tenders[c.tender_id], _prefix())]
    package = ocds.release_package(found, request.url, now())
    following = url_for("ocds.releases", _external=True, cursor=page.next_cursor, limit=limit)
    response = _json(package)  # OCDS 1.1's package has no links field: the cursor travels in headers
    response.headers["Link"] = f'<{following}>; rel="next"'
    response.headers["X-Next-Cursor"] = page.next_cursor
    response.headers["X-Feed-Watermark"] = feed.encode(page.watermark)
    response.headers["X-Feed-More"] = "true" if page.more else "false"
    return response


@bp.route("/api/ocds/releases/all.json")
def bulk() -> Any:
    """Everything published, as one release package to download."""
    return _json(ocds.release_package(ocds.all_releases(db.session, _prefix()), request.url, now()),
                 filename=f"{_prefix()}-releases.json")


def _file(content: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The spreadsheets last made, by database, prefix, format and the audit log's latest entry (its
# chained hash): what is published changes only with an act recorded there, so until the next
# one a download is the same file, made once per process rather than by flattentool on every
# anonymous request.
_FLATTENED: dict[tuple[str, str, str, str], bytes] = {}


def _flattened(output: str) -> bytes:
    last = db.session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    key = (str(db.engine.url), _prefix(), output, f"{last.seq}:{last.hash}" if last else "")
    if key not in _FLATTENED:
        package = ocds.release_package(ocds.all_releases(db.session, _prefix()), request.base_url, now())
        made = spreadsheets.flatten(package, output)
        for stale in [k for k in _FLATTENED if k[:3] == key[:3]]:
            del _FLATTENED[stale]
        _FLATTENED[key] = made
    return _FLATTENED[key]


@bp.route("/api/ocds/releases/all.xlsx")
def bulk_xlsx() -> Any:
    """Everything published as a workbook, a sheet per OCDS array (flattentool)."""
    return _file(_flattened("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 f"{_prefix()}-releases.xlsx")


@bp.route("/api/ocds/releases/all-csv.zip")
def bulk_csv() -> Any:
    """Everything published as CSV files, one a sheet, in a ZIP (flattentool)."""
    return _file(_flattened("csv"), "application/zip", f"{_prefix()}-releases-csv.zip")


@bp.route("/open-data/transparency-code/contracts.csv")
def transparency_contracts() -> Any:
    """Local Government Transparency Code 2015: every authority's contract over £5,000."""
    return _file(spreadsheets.transparency_contracts(db.session, _prefix()), "text/csv",
                 "transparency-code-contracts.csv")


@bp.route("/open-data/transparency-code/tenders.csv")
def transparency_tenders() -> Any:
    """Local Government Transparency Code 2015: every invitation to tender over £5,000."""
    return _file(spreadsheets.transparency_tenders(db.session, _prefix()), "text/csv", "transparency-code-tenders.csv")


@bp.route("/api/ocds/records/<ocid>")
def record(ocid: str) -> Any:
    package = ocds.record_package(db.session, _prefix(), ocid, request.url, now())
    if package is None:
        response = jsonify({"code": 404, "status": "Not Found", "message": "No published contracting process has this ocid"})
        response.status_code = 404
        return response
    return _json(package)


@bp.route("/register")
def register() -> Any:
    """The public register: published tenders and awarded contracts, by CPV, organisation and date."""
    errors: dict[str, str] = {}
    values = {k: request.args.get(k, "").strip()[:200] for k in ("cpv", "organisation", "since", "until")}
    days: dict[str, date | None] = {}
    for name in ("since", "until"):
        try:
            days[name] = date.fromisoformat(values[name]) if values[name] else None
        except ValueError:
            errors[name] = "Enter the date as YYYY-MM-DD, for example 2026-11-01"
            days[name] = None
    if values["cpv"] and not values["cpv"].replace("-", "").isdecimal():
        errors["cpv"] = "Enter a CPV code in digits, for example 30213100 or 302"
    rows = [] if errors else ocds.register(db.session, _prefix(), cpv=values["cpv"], organisation=values["organisation"],
                                           since=days["since"], until=days["until"])
    return render_template("ocds/register.html", rows=rows, values=values, errors=errors)


def describe(spec: Any, app: Any) -> None:
    """The change feed in the API's OpenAPI document (it is public: no token)."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "ocds.releases")
    error = {"type": "object", "properties": {"code": {"type": "integer"}, "status": {"type": "string"},
                                              "message": {"type": "string"}, "errors": {"type": "object"}}}
    spec.path(rule=rule, operations={"get": {
        "tags": ["Open data"], "summary": "The OCDS change feed", "security": [],
        "description": (
            "A release package of the published contracting processes changed after `cursor`, each with all its "
            "releases, in the order of their latest change. Keep the cursor from the `X-Next-Cursor` header (or the "
            "`Link` header's rel=\"next\") and ask again with it: a change is never behind it, however writers' "
            "commits interleave (positions are the audit log's commit-ordered seq, served below a watermark). "
            "`X-Feed-More: true` means ask again straight away. The first request has no cursor. The day-level "
            "`since`, `until`, `page` and `per_page` of earlier versions are refused with a 400 naming `cursor`."),
        "parameters": [
            {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 40},
             "description": "Opaque: from the previous response's X-Next-Cursor"},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": feed.LIMIT_MAX, "default": LIMIT_DEFAULT},
             "description": "Contracting processes per page"},
        ],
        "responses": {
            "200": {"description": "An OCDS 1.1 release package (the UK profile)",
                    "headers": {"X-Next-Cursor": {"schema": {"type": "string"}},
                                "X-Feed-More": {"schema": {"type": "string", "enum": ["true", "false"]}},
                                "Link": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"description": "A bad cursor or limit, or a parameter the feed no longer takes",
                    "content": {"application/json": {"schema": error}}},
        }}})
