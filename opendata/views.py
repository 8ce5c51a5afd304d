"""Open data, public without sign-in: OCDS release packages (paginated, by date), record
packages, a bulk download of everything, and the public register of tenders and contracts."""
from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from opendata import ocds
from procurement.core.clock import LONDON, now
from procurement.core.db import db

bp = Blueprint("ocds", __name__, template_folder="templates")
PER_PAGE_MAX = 500


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


def _day(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuery(name, f"{name} must be a date as YYYY-MM-DD") from None


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
    """A release package: page `page` of `per_page` releases, oldest first; `since` and `until`
    (dates, London) limit the releases' dates."""
    try:
        page, per_page = _whole("page", 1, 1, 100000), _whole("per_page", 100, 1, PER_PAGE_MAX)
        since, until = _day("since"), _day("until")
    except BadQuery as error:
        return _bad(error)
    if since and until and until < since:
        return _bad(BadQuery("until", "until must not be before since"))
    found = ocds.all_releases(db.session, _prefix(),
                              since=datetime.combine(since, time(0), LONDON) if since else None,
                              until=datetime.combine(until, time(23, 59, 59), LONDON) if until else None)
    chunk = found[(page - 1) * per_page: page * per_page]
    package = ocds.release_package(chunk, request.url, now())
    response = _json(package)
    links = []
    args = {k: v for k, v in request.args.items() if k != "page"}
    if page * per_page < len(found):
        links.append(f'<{url_for("ocds.releases", _external=True, page=page + 1, **args)}>; rel="next"')
    if page > 1:
        links.append(f'<{url_for("ocds.releases", _external=True, page=page - 1, **args)}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    response.headers["X-Total-Count"] = str(len(found))
    return response


@bp.route("/api/ocds/releases/all.json")
def bulk() -> Any:
    """Everything published, as one release package to download."""
    return _json(ocds.release_package(ocds.all_releases(db.session, _prefix()), request.url, now()),
                 filename=f"{_prefix()}-releases.json")


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
