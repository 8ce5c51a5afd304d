"""Pages of one's own account and of getting back into it: a forgotten password, the account
page (password, email address, two-factor sign-in), and the second step of signing in. Each
view loads, authorises, calls a service, renders."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user

from procurement.core import twofactor as totp
from procurement.core.access import is_signed_in
from procurement.core.clock import now
from procurement.core.db import db
from procurement.core.errors import InvalidInput
from procurement.core.http import client_address, is_api_request, local_path, undone_if_refused
from procurement.core.limits import rate_limited
from procurement.core.webforms import apply_errors
from procurement.parties import recovery, sessions, twofactor
from procurement.parties.accounts import (
    LockoutPolicy,
    SignInRefused,
    needs_two_factor,
    parse_roles,
    refuse_if_locked,
)
from procurement.parties.auth import SESSION_KEY, page_actor, require
from procurement.parties.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgottenPasswordForm,
    NewPasswordForm,
    PasswordConfirmForm,
    TwoFactorCodeForm,
)
from procurement.parties.links import LinkRefused
from procurement.parties.models import User

bp = Blueprint("account", __name__)

PENDING_KEY = "pending_sign_in"  # a correct password waiting for its second factor
PENDING_MINUTES = 5
SETUP_KEY = "two_factor_setup"  # the secret being set up from the account page (encrypted)


def lockout_policy() -> LockoutPolicy:
    return LockoutPolicy(current_app.config["LOCKOUT_ATTEMPTS"], current_app.config["LOCKOUT_MINUTES"])


def two_factor_roles() -> frozenset[str]:
    """Read on each request, so a change of the setting (or a test's) applies at once."""
    return parse_roles(current_app.config.get("TWO_FACTOR_ROLES", ""))


def _secret_key() -> str:
    return current_app.config["SECRET_KEY"]


def finish_sign_in(user: User, next_path: str | None) -> Any:
    """Signed in: a new server-side session for this browser, and on to where they were going."""
    session.pop(PENDING_KEY, None)
    token = sessions.start_session(db.session, user)
    login_user(user)
    session[SESSION_KEY] = token
    flash(f"Signed in as {user.email}", "success")
    return redirect(local_path(next_path) or url_for("dashboards.home"))


def hold_for_second_factor(user: User, stage: str, next_path: str | None) -> Any:
    """A correct password, not yet a sign-in: kept in this browser's session for a few minutes."""
    session[PENDING_KEY] = {"user": user.id, "stage": stage, "next": local_path(next_path) or "",
                            "until": (now() + timedelta(minutes=PENDING_MINUTES)).timestamp()}
    return redirect(url_for("account.two_factor" if stage == "code" else "account.set_up_two_factor"))


def _held(stage: str) -> tuple[User, dict[str, Any]] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("stage") != stage:
        return None
    if float(pending.get("until", 0)) <= now().timestamp():
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, int(pending.get("user", 0)))
    if user is None or not user.active:
        return None
    return user, pending


def _start_again() -> Any:
    session.pop(PENDING_KEY, None)
    flash("Sign in again: the time to enter your code ran out, or you have not entered your password yet.", "info")
    return redirect(url_for("procurement.sign_in"))


@bp.before_app_request
def _two_factor_first() -> Any:
    """A signed-in person whose role needs two-factor sign-in and who has not set it up (the
    setting was turned on while they were signed in) sets it up before any other page."""
    if request.endpoint in (None, "static", "account.set_up_own_two_factor", "procurement.sign_out") \
            or request.path.startswith(("/static/", "/assets/")):
        return None
    if is_api_request() or not current_user.is_authenticated:
        return None
    if current_user.totp_enabled_at is None and needs_two_factor(current_user, two_factor_roles()):
        return redirect(url_for("account.set_up_own_two_factor"))
    return None


# A forgotten password -------------------------------------------------------------------

@bp.route("/password/forgotten", methods=["GET", "POST"])
@rate_limited("PASSWORD_RESET_RATE_LIMIT")
def forgotten_password() -> Any:
    form = ForgottenPasswordForm()
    if form.validate_on_submit():
        recovery.request_password_reset(db.session, form.email.data, client_address())
        return render_template("procurement/account/forgotten_sent.html")
    return render_template("procurement/account/forgotten.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@rate_limited("PASSWORD_RESET_RATE_LIMIT")
def reset_password(token: str) -> Any:
    try:
        user = recovery.reset_link_user(db.session, token)
    except LinkRefused as refused:
        return render_template("procurement/account/link_refused.html", message=refused.message,
                               again=url_for("account.forgotten_password")), 410 if refused.reason != "unknown" else 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                recovery.reset_password(db.session, token, form.password.data)
        except InvalidInput as error:
            apply_errors(form, error)
        except LinkRefused as refused:  # used by another request meanwhile
            return render_template("procurement/account/link_refused.html", message=refused.message,
                                   again=url_for("account.forgotten_password")), 410
        else:
            flash("Your password has been changed. Sign in.", "success")
            return redirect(url_for("procurement.sign_in"))
    return render_template("procurement/account/reset.html", form=form, user=user)


# The second step of signing in ----------------------------------------------------------

@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
@rate_limited("SIGN_IN_RATE_LIMIT")
def two_factor() -> Any:
    held = _held("code")
    if held is None:
        return _start_again()
    user, pending = held
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        # Like a wrong password, a wrong code is committed: it is what lockout counts.
        try:
            how = twofactor.sign_in_second_step(db.session, user, form.code.data, client_address(), lockout_policy(),
                                                _secret_key())
        except SignInRefused as refused:
            form.code.errors = [refused.message]
            form.code.data = ""
        else:
            if how == "recovery code":
                left = twofactor.recovery_codes_left(db.session, user)
                flash(f"You signed in with a recovery code: {left} left. Make new ones from your account "
                      "if you are running short.", "info")
            return finish_sign_in(user, pending.get("next"))
    return render_template("procurement/account/two_factor_code.html", form=form)


@bp.route("/sign-in/set-up-two-factor", methods=["GET", "POST"])
@rate_limited("SIGN_IN_RATE_LIMIT")
def set_up_two_factor() -> Any:
    held = _held("set_up")
    if held is None:
        return _start_again()
    user, pending = held
    secret = totp.decrypt_secret(pending.get("secret", ""), _secret_key())
    if secret is None:  # a secret of its own for this sign-in, kept (encrypted) until confirmed
        secret = totp.new_secret()
        pending["secret"] = totp.encrypt_secret(secret, _secret_key())
        session[PENDING_KEY] = pending
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            refuse_if_locked(db.session, user.email, client_address(), user, lockout_policy())
        except SignInRefused as refused:
            form.code.errors = [refused.message]
        else:
            try:
                with undone_if_refused():
                    codes = twofactor.set_up_at_sign_in(db.session, user, secret, form.code.data, client_address(),
                                                        lockout_policy(), _secret_key())
            except (InvalidInput, SignInRefused) as error:
                form.code.errors = list(getattr(error, "field_errors", {}).get("code", [error.message]))
            else:
                finish_sign_in(user, pending.get("next"))
                return render_template("procurement/account/recovery_codes.html", codes=codes,
                                       onward=local_path(pending.get("next")) or url_for("dashboards.home"),
                                       first_time=True)
    return render_template("procurement/account/set_up_two_factor.html", form=form, during_sign_in=True,
                           **_qr(secret, user.email))


def _qr(secret: str, email: str) -> dict[str, Any]:
    return {"qr_svg": totp.qr_svg(totp.provisioning_uri(secret, email)), "secret_groups": totp.secret_in_groups(secret)}


# The account page -----------------------------------------------------------------------

@bp.route("/account")
@login_required
def account() -> Any:
    require(is_signed_in(current_user))
    user = page_actor()
    return render_template("procurement/account/account.html", user=user,
                           codes_left=twofactor.recovery_codes_left(db.session, user),
                           two_factor_needed=needs_two_factor(user, two_factor_roles()),
                           codes_form=ConfirmForm())


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@rate_limited("SIGN_IN_RATE_LIMIT")  # a password (or code) is tried here too
def change_password() -> Any:
    require(is_signed_in(current_user))
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = page_actor()
        try:
            with undone_if_refused():
                recovery.change_password(db.session, user, form.current_password.data, form.new_password.data)
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            # Every session ended with the old password; this browser goes on in a fresh one.
            session[SESSION_KEY] = sessions.start_session(db.session, user)
            flash("Your password has been changed. You have been signed out everywhere else; "
                  "you are still signed in here.", "success")
            return redirect(url_for("account.account"))
    return render_template("procurement/account/change_password.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@rate_limited("SIGN_IN_RATE_LIMIT")  # a password (or code) is tried here too
def change_email() -> Any:
    require(is_signed_in(current_user))
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                new_email = recovery.request_email_change(db.session, page_actor(), form.email.data,
                                                          form.password.data)
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            return render_template("procurement/account/email_sent.html", new_email=new_email)
    return render_template("procurement/account/change_email.html", form=form)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> Any:
    try:
        user, new_email = recovery.email_change_link(db.session, token)
    except LinkRefused as refused:
        return render_template("procurement/account/link_refused.html", message=refused.message,
                               again=url_for("account.change_email")), 410 if refused.reason != "unknown" else 404
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                recovery.confirm_email_change(db.session, token)
        except InvalidInput as error:
            form.form_errors.append(error.message)
        except LinkRefused as refused:
            return render_template("procurement/account/link_refused.html", message=refused.message,
                                   again=url_for("account.change_email")), 410
        else:
            flash(f"Your email address is now {new_email}. Sign in with it from now on.", "success")
            return redirect(url_for("account.account") if current_user.is_authenticated
                            else url_for("procurement.sign_in"))
    return render_template("procurement/account/confirm_email.html", form=form, new_email=new_email)


# Two-factor sign-in from the account page ----------------------------------------------

@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
@rate_limited("SIGN_IN_RATE_LIMIT")  # a password (or code) is tried here too
def set_up_own_two_factor() -> Any:
    require(is_signed_in(current_user))
    user = page_actor()
    if user.totp_enabled_at is not None:
        return redirect(url_for("account.account"))
    # The secret being set up belongs to this person only (a shared browser's next user gets
    # a secret of their own, never the one the last one scanned).
    held = session.get(SETUP_KEY)
    secret = totp.decrypt_secret(held.get("secret", ""), _secret_key()) \
        if isinstance(held, dict) and held.get("user") == user.id else None
    if secret is None:
        secret = totp.new_secret()
        session[SETUP_KEY] = {"user": user.id, "secret": totp.encrypt_secret(secret, _secret_key())}
    form = TwoFactorCodeForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                codes = twofactor.enable_two_factor(db.session, user, user, secret, form.code.data, _secret_key())
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            session.pop(SETUP_KEY, None)
            return render_template("procurement/account/recovery_codes.html", codes=codes,
                                   onward=url_for("account.account"), first_time=True)
    return render_template("procurement/account/set_up_two_factor.html", form=form, during_sign_in=False,
                           required=needs_two_factor(user, two_factor_roles()), **_qr(secret, user.email))


@bp.route("/account/recovery-codes", methods=["POST"])
@login_required
def replace_codes() -> Any:
    require(is_signed_in(current_user))
    form = ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("account.account"))
    try:
        with undone_if_refused():
            codes = twofactor.make_recovery_codes(db.session, page_actor(), page_actor())
    except InvalidInput as error:
        flash(error.message, "error")
        return redirect(url_for("account.account"))
    return render_template("procurement/account/recovery_codes.html", codes=codes,
                           onward=url_for("account.account"), first_time=False)


@bp.route("/account/two-factor/off", methods=["GET", "POST"])
@login_required
@rate_limited("SIGN_IN_RATE_LIMIT")  # a password (or code) is tried here too
def turn_off_two_factor() -> Any:
    require(is_signed_in(current_user))
    user = page_actor()
    if user.totp_enabled_at is None:
        return redirect(url_for("account.account"))
    required = needs_two_factor(user, two_factor_roles())
    form = PasswordConfirmForm()
    if not required and form.validate_on_submit():
        try:
            with undone_if_refused():
                twofactor.disable_two_factor(db.session, user, user, form.password.data, two_factor_roles())
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash("Two-factor sign-in is off. You sign in with your password alone.", "success")
            return redirect(url_for("account.account"))
    return render_template("procurement/account/two_factor_off.html", form=form, required=required)
