"""The supplier's own pages about itself (issue 20): its people, and the alerts it wants.
Under Home in the navigation (a supplier's account pages), linked from its home page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import Conflict, InvalidInput
from procurement.core.http import undone_if_refused
from procurement.core.limits import rate_limited
from procurement.core.webforms import apply_errors
from procurement.parties.auth import page_actor, require
from suppliers import interests, people
from suppliers.joining_forms import AdministratorForm, AlertsForm, DecisionForm, InviteForm, RemoveForm, yes_no
from suppliers.models import Supplier

bp = Blueprint("supplier_people", __name__, url_prefix="/supplier", template_folder="templates")


def _own_supplier_id(administer: bool = False) -> int:
    supplier_id = people.own_supplier_id(current_user)
    allowed = access.can_administer_supplier if administer else access.can_see_supplier_people
    require(allowed(current_user, supplier_id))
    assert supplier_id is not None
    return supplier_id


@bp.route("/people")
@login_required
def index() -> Any:
    found = people.people_page(db.session, page_actor(), _own_supplier_id())
    return render_template("suppliers/people/index.html", **found, me=current_user.id,
                           administrator_form=AdministratorForm(), decision_form=DecisionForm())


@bp.route("/people/invite", methods=["GET", "POST"])
@login_required
@rate_limited("SIGN_UP_RATE_LIMIT")
def invite() -> Any:
    supplier_id = _own_supplier_id(administer=True)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                people.invite_colleague(db.session, page_actor(), supplier_id, form.email.data or "")
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash(f"Invitation sent to {(form.email.data or '').strip().lower()}", "success")
            return redirect(url_for("supplier_people.index"))
    return render_template("suppliers/people/invite.html", form=form, supplier=db.session.get(Supplier, supplier_id))


@bp.route("/people/<int:user_id>/remove", methods=["GET", "POST"])
@login_required
def remove(user_id: int) -> Any:
    supplier_id = _own_supplier_id(administer=True)
    membership = people.colleague(db.session, page_actor(), supplier_id, user_id)
    form = RemoveForm()
    if form.validate_on_submit():
        answer = yes_no(form.confirm.data)
        if answer is None:
            form.confirm.errors = [f"Choose yes to remove {membership.user.full_name}, or no to keep them"]
        elif not answer:
            return redirect(url_for("supplier_people.index"))
        else:
            try:
                with undone_if_refused():
                    removed = people.remove_colleague(db.session, page_actor(), supplier_id, user_id)
            except Conflict as error:
                flash(error.message, "error")
            else:
                flash(f"{removed.full_name} no longer works for {membership.supplier.legal_name} here", "success")
            return redirect(url_for("supplier_people.index"))
    return render_template("suppliers/people/remove.html", form=form, membership=membership)


@bp.route("/people/<int:user_id>/administrator", methods=["POST"])
@login_required
def administrator(user_id: int) -> Any:
    supplier_id = _own_supplier_id(administer=True)
    form = AdministratorForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                user = people.set_administrator(db.session, page_actor(), supplier_id, user_id,
                                                yes_no(form.administers.data))
        except (InvalidInput, Conflict) as error:
            flash(error.field_errors.get("administers", [error.message])[0], "error")
        else:
            flash(f"{user.full_name} is {'now' if yes_no(form.administers.data) else 'no longer'} an administrator",
                  "success")
    return redirect(url_for("supplier_people.index"))


@bp.route("/people/requests/<int:user_id>", methods=["POST"])
@login_required
def decide_request(user_id: int) -> Any:
    supplier_id = _own_supplier_id(administer=True)
    form = DecisionForm()
    if form.validate_on_submit():
        accept = {"accept": True, "refuse": False}.get(form.decision.data or "")
        try:
            with undone_if_refused():
                user = people.decide_join_request(db.session, page_actor(), supplier_id, user_id, accept=accept)
        except (InvalidInput, Conflict) as error:
            flash(error.field_errors.get("decision", [error.message])[0], "error")
        else:
            flash(f"{user.full_name} {'has joined' if accept else 'has been refused'}", "success")
    return redirect(url_for("supplier_people.index"))


@bp.route("/alerts", methods=["GET", "POST"])
@login_required
def alerts() -> Any:
    supplier_id = people.own_supplier_id(current_user)
    require(access.can_set_supplier_alerts(current_user, supplier_id))
    supplier = db.session.get(Supplier, supplier_id)
    form = AlertsForm()
    if request.method == "GET":
        form.cpv_codes.data = ", ".join(supplier.alert_cpv_codes or [])
        form.regions.data = list(supplier.alert_regions or [])
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                interests.set_alert_interests(db.session, page_actor(), supplier_id, cpv_codes=form.cpv_codes.data or "",
                                              regions=list(form.regions.data or []))
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash("Your alerts are saved", "success")
            return redirect(url_for("supplier_people.alerts"))
    return render_template("suppliers/people/alerts.html", form=form, supplier=supplier,
                           codes=interests.describe_codes(db.session, list(supplier.alert_cpv_codes or [])))
