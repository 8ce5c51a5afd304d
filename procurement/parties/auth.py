"""Who is acting: Flask-Login sessions for pages, bearer tokens for the JSON API."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, logout_user

from procurement.parties.accounts import user_for_api_token
from procurement.parties.sessions import SessionPolicy, session_user, signed_out_message
from procurement.core.db import db
from procurement.core.http import is_api_request, local_path
from procurement.parties.models import User

SESSION_KEY = "sid"  # the cookie's session token
login_manager = LoginManager()
login_manager.login_view = "procurement.sign_in"
login_manager.login_message = "Sign in to see this page"
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The user only while the session the cookie names is live on the server (sign-out, a
    password change, deactivation, or the idle and absolute limits end it)."""
    if not user_id.isdecimal():
        return None
    found = session_user(db.session, int(user_id), session.get(SESSION_KEY),
                         SessionPolicy.from_settings(current_app.config))
    if found.ended_because:
        g.session_ended_because = found.ended_because
    return found.user


def init_sessions(app: Flask) -> None:
    @app.before_request
    def _signed_out_by_the_clock() -> Any:
        """A page request whose session the clock has just ended goes to the sign-in page,
        told why (GOV.UK's pattern: "You were signed out after 60 minutes without activity"),
        and comes back to the page it asked for once signed in again."""
        if "_user_id" not in session or is_api_request() or request.path.startswith(("/static/", "/assets/")):
            return None
        if current_user.is_authenticated:  # loads the user, and ends a session past its limits
            return None
        because = g.pop("session_ended_because", None)
        if because is None:
            return None
        logout_user()
        session.pop(SESSION_KEY, None)
        flash(signed_out_message(because, SessionPolicy.from_settings(app.config)), "info")
        back = local_path(request.full_path.rstrip("?")) if request.method == "GET" else None
        if back and back.startswith(url_for("procurement.sign_in")):
            back = None
        return redirect(url_for("procurement.sign_in", next=back) if back else url_for("procurement.sign_in"))


def page_actor() -> Any:
    """The signed-in user as a plain object (services record it; a proxy will not do)."""
    return current_user._get_current_object()


def require(allowed: bool) -> None:
    """Views call this with a policy predicate's answer: 401 to sign in, else 403."""
    if not allowed:
        if not current_user.is_authenticated:
            abort(401)
        abort(403)


def api_actor() -> User:
    return g.api_user


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """API handlers take the user of a valid bearer token; cookies are not accepted there,
    which is what makes the API safe without CSRF tokens."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = user_for_api_token(db.session, token.strip()) if scheme.lower() == "bearer" and token else None
        if user is None:
            abort(401, description="Give a valid API token: Authorization: Bearer <token>")
        g.api_user = user
        return view(*args, **kwargs)

    return wrapper
