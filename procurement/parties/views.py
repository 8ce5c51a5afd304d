"""Pages: home per role, sign-in and out, the account's API tokens, organisations, and the
administrators' pages. Each view loads, authorises, calls a service, renders."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from procurement.parties import accounts, sessions, twofactor
from procurement.parties.account_views import finish_sign_in, hold_for_second_factor, lockout_policy, two_factor_roles
from procurement.parties.accounts import RoleGrant, SignInRefused
from procurement.parties.auth import SESSION_KEY, page_actor, require
from procurement.core import access
from procurement.core.db import db
from procurement.core.http import client_address
from procurement.core.limits import rate_limited
from procurement.core.errors import InvalidInput
from procurement.core.http import undone_if_refused
from procurement.core.webforms import apply_errors
from procurement.parties.forms import (
    ConfirmForm,
    OrganisationForm,
    SignInForm,
    SignOutForm,
    TokenCreateForm,
    UserCreateForm,
    UserRolesForm,
    options,
)
from procurement.parties.models import Organisation, Role
from procurement.parties.services import (
    create_organisation,
    get_organisation,
    list_organisations,
    search_cpv,
)
from suppliers.models import Supplier

bp = Blueprint("procurement", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/sign-in", methods=["GET", "POST"])
@rate_limited("SIGN_IN_RATE_LIMIT")
def sign_in() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("dashboards.home"))
    form = SignInForm()
    if form.validate_on_submit():
        policy = lockout_policy()
        # The one refusal that is committed (so not undone_if_refused): a failed attempt is the
        # access record that lockout counts, and its audit event is kept with it.
        try:
            accepted = accounts.sign_in(
                db.session, form.email.data, form.password.data, client_address(), policy,
                two_factor_roles=two_factor_roles(),
            )
        except SignInRefused as refused:
            form.form_errors.append(refused.message)
            form.password.data = ""
        else:
            if accepted.second_factor is not None:
                return hold_for_second_factor(accepted.user, accepted.second_factor, request.args.get("next"))
            return finish_sign_in(accepted.user, request.args.get("next"))
    return render_template("procurement/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out() -> Any:
    form = SignOutForm()
    if form.validate_on_submit():
        accounts.record_sign_out(db.session, page_actor())
        sessions.end_session(db.session, session.pop(SESSION_KEY, None), "signed out")
        logout_user()
        flash("You have signed out", "success")
    return redirect(url_for("dashboards.home"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> Any:
    require(access.can_manage_own_tokens(current_user))
    form = TokenCreateForm()
    if request.method == "GET":
        form.days.data = current_app.config["API_TOKEN_DEFAULT_DAYS"]
    new_token = None
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                _token, new_token = accounts.create_api_token(
                    db.session, page_actor(), name=form.name.data, days=form.days.data
                )
        except InvalidInput as error:
            apply_errors(form, error)
    return render_template(
        "procurement/tokens.html", form=form, new_token=new_token,
        tokens=accounts.list_own_tokens(db.session, page_actor()), revoke_form=ConfirmForm(),
    )


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Any:
    require(access.can_manage_own_tokens(current_user))
    form = ConfirmForm()
    if form.validate_on_submit():
        token = accounts.revoke_api_token(db.session, page_actor(), token_id)
        flash(f"The token “{token.name}” has been revoked", "success")
    return redirect(url_for("procurement.tokens"))


@bp.route("/organisations")
@login_required
def organisations() -> Any:
    require(access.can_list_organisations(current_user))
    return render_template("procurement/organisations.html",
                           organisations=list_organisations(db.session, page_actor()))


@bp.route("/organisations/<int:organisation_id>")
@login_required
def organisation(organisation_id: int) -> Any:
    found = get_organisation(db.session, page_actor(), organisation_id)
    return render_template("procurement/organisation.html", organisation=found)


@bp.route("/cpv")
@login_required
def cpv() -> Any:
    require(access.can_view_cpv_codes(current_user))
    query = request.args.get("q", "")[:100]
    return render_template("procurement/cpv.html", query=query,
                           codes=search_cpv(db.session, page_actor(), query))


# Administration --------------------------------------------------------------------------

def _organisation_choices() -> list[Any]:
    rows = db.session.execute(select(Organisation.id, Organisation.name).order_by(Organisation.name))
    return options([("", "No organisation")] + [(str(r.id), r.name) for r in rows])


def _supplier_choices() -> list[Any]:
    rows = db.session.execute(select(Supplier.id, Supplier.legal_name).order_by(Supplier.legal_name))
    return options([("", "No supplier")] + [(str(r.id), r.legal_name) for r in rows])


def _grants(form: Any) -> list[RoleGrant]:
    org = int(form.organisation_id.data) if form.organisation_id.data else None
    sup = int(form.supplier_id.data) if form.supplier_id.data else None
    return [RoleGrant(Role(role), org, sup) for role in form.roles.data]


@admin_bp.before_request
@login_required
def _admins_only() -> None:
    require(access.can_manage_accounts(current_user))


@admin_bp.route("/users")
def users() -> Any:
    return render_template("procurement/admin/users.html", users=accounts.list_users(db.session, page_actor()),
                           locked=accounts.locked_user_ids(db.session, page_actor(), lockout_policy()))


@admin_bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    form = UserCreateForm()
    form.organisation_id.choices = _organisation_choices()
    form.supplier_id.choices = _supplier_choices()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                user = accounts.create_user(
                    db.session, page_actor(), email=form.email.data, full_name=form.full_name.data,
                    password=form.password.data, grants=_grants(form),
                )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash(f"Account created for {user.email}", "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("procurement/admin/user_new.html", form=form)


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> Any:
    found = accounts.get_user(db.session, user_id)
    form = UserRolesForm()
    form.organisation_id.choices = _organisation_choices()
    form.supplier_id.choices = _supplier_choices()
    if request.method == "GET":
        form.roles.data = [m.role.value for m in found.memberships]
        buyer = next((m for m in found.memberships if m.role is Role.buyer), None)
        supplier = next((m for m in found.memberships if m.role is Role.supplier), None)
        form.organisation_id.data = str(buyer.organisation_id) if buyer else ""
        form.supplier_id.data = str(supplier.supplier_id) if supplier else ""
    elif form.validate_on_submit():
        try:
            with undone_if_refused():
                accounts.set_user_roles(db.session, page_actor(), found, _grants(form))
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash("Roles saved", "success")
            return redirect(url_for("admin.user", user_id=found.id))
    return render_template("procurement/admin/user.html", user=found, form=form, toggle_form=ConfirmForm(),
                           lock=accounts.lock_status(db.session, page_actor(), found, lockout_policy()))


@admin_bp.route("/users/<int:user_id>/two-factor/off", methods=["POST"])
def turn_off_two_factor(user_id: int) -> Any:
    found = accounts.get_user(db.session, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                twofactor.reset_two_factor(db.session, page_actor(), found)
        except InvalidInput as error:
            flash(error.message, "error")
        else:
            flash("Two-factor sign-in is off for this account: they set it up again at their next sign-in "
                  "if their role needs it", "success")
    return redirect(url_for("admin.user", user_id=found.id))


@admin_bp.route("/users/<int:user_id>/unlock", methods=["POST"])
def unlock_user(user_id: int) -> Any:
    found = accounts.get_user(db.session, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        accounts.unlock_user(db.session, page_actor(), found)
        flash("Account unlocked: its earlier failed attempts no longer count", "success")
    return redirect(url_for("admin.user", user_id=found.id))


@admin_bp.route("/users/<int:user_id>/deliverable", methods=["POST"])
def clear_undeliverable(user_id: int) -> Any:
    found = accounts.get_user(db.session, user_id)
    if ConfirmForm().validate_on_submit():
        accounts.clear_undeliverable(db.session, page_actor(), found)
        flash("Email will be sent to this address again", "success")
    return redirect(url_for("admin.user", user_id=found.id))


@admin_bp.route("/users/<int:user_id>/active", methods=["POST"])
def toggle_user(user_id: int) -> Any:
    found = accounts.get_user(db.session, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                accounts.set_user_active(db.session, page_actor(), found, not found.active)
        except InvalidInput as error:
            flash(error.message, "error")
        else:
            flash("Account activated" if found.active else "Account deactivated", "success")
    return redirect(url_for("admin.user", user_id=found.id))


@admin_bp.route("/organisations/new", methods=["GET", "POST"])
def new_organisation() -> Any:
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                organisation = create_organisation(
                    db.session, page_actor(), name=form.name.data, kind=form.kind.data,
                    gss_code=form.gss_code.data, org_identifier=form.org_identifier.data,
                    partnership=form.partnership.data, annual_savings_target=form.annual_savings_target.data,
                )
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash(f"{organisation.name} added", "success")
            return redirect(url_for("procurement.organisation", organisation_id=organisation.id))
    return render_template("procurement/admin/organisation_new.html", form=form)
