"""Exclusions pages: a supplier's declaration (the form, check your answers, what is declared
now and the versions before it); the agency reads a supplier's declaration and keeps the
debarment list (imports it, reads it)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict

from procurement.core.clock import now
from procurement.core.db import db
from procurement.core.errors import InvalidInput
from procurement.core.http import undone_if_refused
from procurement.parties.auth import page_actor, require
from procurement.parties.forms import ConfirmForm
from suppliers import exclusions, people
from suppliers.models import ExclusionDeclaration, Supplier

bp = Blueprint("exclusions", __name__, template_folder="templates")
PERSON_ROWS = {"connected": 3, "associated": 2}  # blank rows the form offers beyond those declared


class ListUploadForm(FlaskForm):
    file = FileField("The debarment list, as published (CSV or JSON)")


def _own_supplier_id() -> int:
    supplier_id = people.own_supplier_id(current_user)
    require(exclusions.can_declare(current_user, supplier_id))
    assert supplier_id is not None
    return supplier_id


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def answers_from(form: MultiDict) -> dict[str, Any]:
    """The form's fields as `exclusions.declare` takes them (limits are the service's)."""
    grounds = {g.code: {"applies": _yes_no(form.get(f"ground-{g.code}")),
                        "details": form.get(f"ground-{g.code}-details", "")[:5000],
                        "mitigation": form.get(f"ground-{g.code}-mitigation", "")[:5000]} for g in exclusions.GROUNDS}
    persons: dict[str, list[dict[str, Any]]] = {}
    for kind in PERSON_ROWS:
        rows = []
        for n in range(1, exclusions.MAX_PERSONS + 2):
            if f"{kind}-{n}-name" not in form:
                break
            rows.append({"name": form.get(f"{kind}-{n}-name", "")[:500], "role": form.get(f"{kind}-{n}-role", "")[:500],
                         "grounds": form.getlist(f"{kind}-{n}-grounds")[:len(exclusions.GROUNDS)],
                         "details": form.get(f"{kind}-{n}-details", "")[:5000],
                         "mitigation": form.get(f"{kind}-{n}-mitigation", "")[:5000]})
        persons[kind] = rows
    return {"grounds": grounds, "connected": persons["connected"], "associated": persons["associated"],
            "evidence": form.get("evidence", "")[:5000]}


def answers_of(declaration: ExclusionDeclaration | None) -> dict[str, Any]:
    """A declaration as the form shows it (to declare a change from it)."""
    if declaration is None:
        return {"grounds": {}, "connected": [], "associated": [], "evidence": ""}
    return {"grounds": declaration.grounds, "connected": declaration.connected_persons,
            "associated": declaration.associated_persons, "evidence": declaration.evidence}


def _rows(answers: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The declared persons and the blank rows after them."""
    shown = {}
    for kind, blanks in PERSON_ROWS.items():
        filled = [r for r in answers[kind] if any(r.get(k) for k in ("name", "role", "grounds", "details", "mitigation"))]
        shown[kind] = filled + [{}] * max(1, blanks - len(filled))
    return shown


def _summary(declaration: ExclusionDeclaration) -> dict[str, Any]:
    return {"declaration": declaration, "declared": exclusions.declared_grounds(declaration),
            "current": exclusions.is_current(declaration, now()), "expires": exclusions.expires_on(declaration)}


@bp.route("/supplier/declaration")
@login_required
def mine() -> Any:
    """What the supplier has declared now, and the versions before."""
    supplier_id = _own_supplier_id()
    versions = exclusions.declarations_of(db.session, page_actor(), supplier_id)
    return render_template("suppliers/exclusions/mine.html", supplier=db.session.get(Supplier, supplier_id),
                           latest=_summary(versions[0]) if versions and versions[0].superseded_at is None else None,
                           versions=versions, grounds=exclusions.GROUNDS)


@bp.route("/supplier/declaration/new", methods=["GET", "POST"])
@login_required
def declare() -> Any:
    """One form (every ground, the persons, the evidence), then check your answers, then declare."""
    supplier_id = _own_supplier_id()
    supplier = db.session.get(Supplier, supplier_id)
    errors: dict[str, list[str]] = {}
    if request.method == "GET":
        answers = answers_of(exclusions.current_declaration(db.session, supplier_id))
    else:
        if not ConfirmForm().validate_on_submit():
            flash("The form expired: try again", "error")
            return redirect(url_for("exclusions.declare"))
        answers = answers_from(request.form)
        action = request.form.get("action")
        if action in ("check", "declare"):
            _kept, errors = exclusions.declaration_problems(answers["grounds"], answers["connected"],
                                                            answers["associated"], answers["evidence"])
        if action == "check" and not errors:
            return render_template("suppliers/exclusions/check.html", supplier=supplier, answers=answers,
                                   rows=_rows(answers), grounds=exclusions.GROUNDS, roles=exclusions.CONNECTED_ROLES,
                                   words=exclusions.ground_words, button=ConfirmForm())
        if action == "declare" and not errors:
            try:
                with undone_if_refused():
                    made = exclusions.declare(db.session, page_actor(), supplier_id, **answers)
            except InvalidInput as error:
                errors = error.field_errors
            else:
                flash(f"Declaration version {made.version} made: it counts for every tender for a year", "success")
                return redirect(url_for("exclusions.mine"))
    return render_template("suppliers/exclusions/form.html", supplier=supplier, answers=answers, rows=_rows(answers),
                           errors=errors, grounds=exclusions.GROUNDS, roles=exclusions.CONNECTED_ROLES,
                           button=ConfirmForm())


@bp.route("/supplier/declaration/<int:version>")
@login_required
def version(version: int) -> Any:
    supplier_id = _own_supplier_id()
    found = exclusions.declaration_version(db.session, page_actor(), supplier_id, version)
    return render_template("suppliers/exclusions/version.html", supplier=db.session.get(Supplier, supplier_id),
                           **_summary(found), roles=exclusions.CONNECTED_ROLES, words=exclusions.ground_words,
                           grounds=exclusions.GROUNDS, back=url_for("exclusions.mine"))


@bp.route("/suppliers/<int:supplier_id>/declaration")
@login_required
def supplier_declaration(supplier_id: int) -> Any:
    """The agency reads a supplier's declaration (its own people read theirs on their own pages)."""
    require(exclusions.can_keep_debarment_list(current_user))
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        abort(404)
    versions = exclusions.declarations_of(db.session, page_actor(), supplier_id)
    status = exclusions.status_of(db.session, supplier_id)
    return render_template("suppliers/exclusions/agency_supplier.html", supplier=supplier, versions=versions, status=status,
                           latest=_summary(versions[0]) if versions and versions[0].superseded_at is None else None,
                           roles=exclusions.CONNECTED_ROLES, words=exclusions.ground_words, grounds=exclusions.GROUNDS)


@bp.route("/debarment-list")
@login_required
def debarment_list() -> Any:
    require(exclusions.can_keep_debarment_list(current_user))
    return render_template("suppliers/exclusions/debarment_list.html", page=exclusions.debarment_list(db.session, page_actor()))


@bp.route("/debarment-list/import", methods=["GET", "POST"])
@login_required
def import_list() -> Any:
    """The published list, taken whole: a file with any bad row is refused with a row report."""
    require(exclusions.can_keep_debarment_list(current_user))
    form, problems = ListUploadForm(), []
    if request.method == "POST":
        if not form.validate_on_submit() or not form.file.data:
            problems = [exclusions.RowProblem(0, "file", "choose the list's file (CSV or JSON)")]
        else:
            data = form.file.data.read(exclusions.MAX_LIST_BYTES + 1)
            try:
                with undone_if_refused():
                    imported = exclusions.import_debarment_list(db.session, page_actor(), form.file.data.filename or "", data)
            except exclusions.DebarmentListRefused as error:
                problems = error.problems
            else:
                flash(f"Debarment list imported: {imported.rows} entries, in force from now", "success")
                return redirect(url_for("exclusions.debarment_list"))
    return render_template("suppliers/exclusions/import.html", form=form, problems=problems,
                           columns=exclusions.LIST_FIELDS)
