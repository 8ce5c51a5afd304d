"""Joining pages (issue 20): who can join, a supplier's and a buyer's sign-up, confirming the
address by its link, sending the link again, and accepting a colleague's invitation. Signed
out only (a link to confirm an address works for anyone who has it). Every POST is
rate-limited per address."""
from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import Conflict, InvalidInput, NotFound, Unavailable
from procurement.core.http import undone_if_refused
from procurement.core.limits import rate_limited
from procurement.core.webforms import apply_errors
from procurement.parties import joining as accounts_joining
from procurement.parties.links import LinkRefused, check_link
from procurement.parties.models import LinkPurpose
from suppliers import joining, people
from suppliers.companies_house import look_up_company
from suppliers.joining_forms import (
    AcceptInvitationForm,
    AskToJoinForm,
    BuyerSignUpForm,
    ConfirmEmailForm,
    ResendForm,
    SupplierSignUpForm,
    yes_no,
)

bp = Blueprint("joining", __name__, url_prefix="/join", template_folder="templates")


def _signed_in_already() -> Any:
    """Someone signed in makes no second account: they are sent home, told why."""
    if access.can_sign_up(current_user):
        return None
    flash("You are signed in already. Sign out first to create another account.",
          "error" if request.method == "POST" else "info")
    return redirect(url_for("dashboards.home"))


def _companies_house() -> Any:
    """The Companies House look-up, when the service has a key; without one the number is
    checked for its form only."""
    key = current_app.config.get("COMPANIES_HOUSE_API_KEY")
    if not key:
        return None
    return functools.partial(look_up_company, api_key=key, base_url=current_app.config["COMPANIES_HOUSE_URL"])


@bp.route("")
@rate_limited("SIGN_UP_RATE_LIMIT")  # a page of sign-up: it takes no POST, so nothing is counted
def index() -> Any:
    return render_template("suppliers/join/index.html",
                           organisations=accounts_joining.member_organisation_names(db.session))


@bp.route("/supplier", methods=["GET", "POST"])
@rate_limited("SIGN_UP_RATE_LIMIT")
def supplier() -> Any:
    if (away := _signed_in_already()) is not None:
        return away
    form = SupplierSignUpForm()
    existing = None
    if form.validate_on_submit():
        given = joining.SupplierSignUp(
            legal_name=form.legal_name.data or "", companies_house_number=form.companies_house_number.data or "",
            postal_address=form.postal_address.data or "", is_sme=yes_no(form.is_sme.data),
            is_voluntary_sector=yes_no(form.is_voluntary_sector.data), cpv_codes=form.cpv_codes.data or "",
            regions=list(form.regions.data or []), full_name=form.full_name.data or "", email=form.email.data or "",
            password=form.password.data or "")
        try:
            with undone_if_refused():
                joining.sign_up_supplier(db.session, given, companies_house=_companies_house())
        except joining.CompanyHasAccount as has:
            existing = has.supplier
            apply_errors(form, has)
        except InvalidInput as error:
            apply_errors(form, error)
        except Unavailable as error:
            form.form_errors.append(error.message)
        else:
            return redirect(url_for("joining.check_email", to=given.email.strip().lower()[:254]))
    form.password.data = ""
    return render_template("suppliers/join/supplier.html", form=form, existing=existing)


@bp.route("/supplier/ask", methods=["GET", "POST"])
@rate_limited("SIGN_UP_RATE_LIMIT")
def ask_to_join() -> Any:
    if (away := _signed_in_already()) is not None:
        return away
    number = joining.normalise_company_number(request.args.get("company", "")[:12])
    found = joining.supplier_with_number(db.session, number) if not joining.company_number_problem(number) else None
    if found is None:
        raise NotFound("No company with this number has an account: register it instead")
    form = AskToJoinForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                joining.ask_to_join(db.session, found, full_name=form.full_name.data or "", email=form.email.data or "",
                                    password=form.password.data or "")
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("joining.check_email", to=(form.email.data or "").strip().lower()[:254]))
    form.password.data = ""
    return render_template("suppliers/join/ask.html", form=form, supplier=found, number=number)


@bp.route("/buyer", methods=["GET", "POST"])
@rate_limited("SIGN_UP_RATE_LIMIT")
def buyer() -> Any:
    if (away := _signed_in_already()) is not None:
        return away
    form = BuyerSignUpForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                accounts_joining.sign_up_buyer(db.session, full_name=form.full_name.data or "",
                                               email=form.email.data or "", job_title=form.job_title.data or "",
                                               password=form.password.data or "")
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("joining.check_email", to=(form.email.data or "").strip().lower()[:254]))
    form.password.data = ""
    return render_template("suppliers/join/buyer.html", form=form,
                           organisations=accounts_joining.member_organisation_names(db.session))


@bp.route("/check-email")
@rate_limited("SIGN_UP_RATE_LIMIT")  # likewise
def check_email() -> Any:
    return render_template("suppliers/join/check_email.html", to=request.args.get("to", "")[:254])


@bp.route("/verify/<token>", methods=["GET", "POST"])
@rate_limited("SIGN_UP_RATE_LIMIT")
def verify(token: str) -> Any:
    form = ConfirmEmailForm()
    try:
        link = check_link(db.session, LinkPurpose.verify_email, token)
    except LinkRefused as refused:
        return render_template("suppliers/join/link_refused.html", message=refused.message, resend=True), 400
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                confirmed = joining.confirm_email(db.session, token)
        except LinkRefused as refused:
            return render_template("suppliers/join/link_refused.html", message=refused.message, resend=True), 400
        return render_template("suppliers/join/confirmed.html", confirmed=confirmed)
    return render_template("suppliers/join/verify.html", form=form, email=link.email)


@bp.route("/resend", methods=["GET", "POST"])
@rate_limited("SIGN_UP_RATE_LIMIT")
def resend() -> Any:
    form = ResendForm()
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        if not email:
            form.email.errors = ["Enter the email address you signed up with"]
        else:
            accounts_joining.resend_verification(db.session, email)
            return redirect(url_for("joining.check_email", to=email[:254], again=1))
    return render_template("suppliers/join/resend.html", form=form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@rate_limited("SIGN_UP_RATE_LIMIT")
def invitation(token: str) -> Any:
    if (away := _signed_in_already()) is not None:
        return away
    try:
        found = people.read_invitation(db.session, token)
    except LinkRefused as refused:
        return render_template("suppliers/join/link_refused.html", message=refused.message, resend=False), 400
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                user = people.accept_invitation(db.session, token, full_name=form.full_name.data or "",
                                                password=form.password.data or "")
        except InvalidInput as error:
            apply_errors(form, error)
        except Conflict as error:
            form.form_errors.append(error.message)
        except LinkRefused as refused:
            return render_template("suppliers/join/link_refused.html", message=refused.message, resend=False), 400
        else:
            flash(f"You have joined {found.supplier.legal_name}. Sign in as {user.email}.", "success")
            return redirect(url_for("procurement.sign_in"))
    form.password.data = ""
    return render_template("suppliers/join/invitation.html", form=form, invitation=found)
