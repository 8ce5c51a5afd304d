"""Pages anyone may read without an account: the notice search, a tender's notice, and the
footer's pages (accessibility, privacy, cookies, contact). Every one of them only reads."""
from __future__ import annotations

import json
import mimetypes
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import current_user

from opendata import notices, ocds
from opendata.forms import NoticeSearchForm
from procurement.core import access
from procurement.core.clock import now
from procurement.core.db import db
from procurement.core.http import send_stored
from procurement.core.storage import file_store

bp = Blueprint("public", __name__, template_folder="templates")
MAX_PAGE = 1000
CONTACT_EMAIL = "e-agency@demo.londonconnects.example"


def _prefix() -> str:
    return current_app.config["OCDS_OCID_PREFIX"]


def contact_email() -> str:
    return current_app.config.get("CONTACT_EMAIL") or CONTACT_EMAIL


@bp.context_processor
def _contact() -> dict[str, Any]:
    return {"agency_email": contact_email}


def _page() -> int:
    text = request.args.get("page", "").strip()
    if not text:
        return 1
    if not text.isdecimal() or not 1 <= int(text) <= MAX_PAGE:
        abort(400, description=f"Page must be a whole number from 1 to {MAX_PAGE}")
    return int(text)


@bp.route("/notices", endpoint="notices")
def notices_search() -> Any:
    form = NoticeSearchForm(request.args, notices.locations(db.session))
    page = _page()
    if request.args and not form.validate():
        return render_template("public/notices.html", form=form, results=None, page_url=None), 400
    if not request.args:
        form.validate()  # nothing typed: the amounts stay empty
    results = notices.search_notices(db.session, _prefix(), form.query(page))
    args = request.args.copy()
    args.pop("page", None)

    def page_url(number: int) -> str:
        return url_for("public.notices", **{k: args.getlist(k) for k in args}, page=number)

    return render_template("public/notices.html", form=form, results=results, page_url=page_url)


@bp.route("/notices/<ocid>")
def notice(ocid: str) -> Any:
    found = notices.notice(db.session, _prefix(), ocid)
    if found is None:
        abort(404)
    return render_template("public/notice.html", notice=found, tender=found.tender,
                           is_supplier=access.has_role(current_user, access.SUPPLIER))


def _download(document: dict[str, Any], filename: str) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False, indent=1), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/notices/<ocid>/release-package.json")
def release_package(ocid: str) -> Any:
    """The tender's releases as one OCDS release package, to download."""
    tender = notices.tender_for_ocid(db.session, _prefix(), ocid)
    releases = ocds.tender_releases(db.session, tender, _prefix()) if tender is not None else []
    if not releases:
        abort(404)
    return _download(ocds.release_package(releases, request.url, now()), f"{ocid}-release-package.json")


@bp.route("/notices/<ocid>/record-package.json")
def record_package(ocid: str) -> Any:
    """The tender's OCDS record (its releases and the compiled release), to download."""
    package = ocds.record_package(db.session, _prefix(), ocid, request.url, now())
    if package is None:
        abort(404)
    return _download(package, f"{ocid}-record-package.json")


@bp.route("/notices/<ocid>/documents/<int:document_id>")
def document(ocid: str, document_id: int) -> Any:
    """A document the notice lists, as any supplier reads it (the tender's own, or an amendment's)."""
    found = notices.public_document(db.session, _prefix(), ocid, document_id)
    if found is None:
        abort(404)
    return send_stored(file_store(db.session), found.stored_path, download_name=found.filename, size=found.size,
                       sha256=found.sha256, mimetype=mimetypes.guess_type(found.filename)[0] or "application/octet-stream")


@bp.route("/accessibility")
def accessibility() -> Any:
    return render_template("public/accessibility.html")


@bp.route("/privacy")
def privacy() -> Any:
    return render_template("public/privacy.html", keep_days=current_app.config["SESSION_KEEP_DAYS"])


@bp.route("/cookies")
def cookies() -> Any:
    return render_template("public/cookies.html", idle_minutes=current_app.config["SESSION_IDLE_MINUTES"],
                           max_hours=current_app.config["SESSION_MAX_HOURS"],
                           cookie_name=current_app.config.get("SESSION_COOKIE_NAME") or "session")


@bp.route("/contact")
def contact() -> Any:
    return render_template("public/contact.html")
