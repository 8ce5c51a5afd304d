"""Who is acting: Flask-Login sessions for pages, bearer tokens for the JSON API."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort, g, request, session
from flask_login import LoginManager, current_user

from procurement.parties.accounts import session_user, user_for_api_token
from procurement.core.db import db
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
    password change or deactivation ends it)."""
    if not user_id.isdecimal():
        return None
    return session_user(db.session, int(user_id), session.get(SESSION_KEY))


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
