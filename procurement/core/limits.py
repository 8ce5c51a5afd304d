"""Rate limits (flask-limiter) on the routes a stranger can hammer: signing in, resetting a
password, signing up. Counted per client address, in Redis when REDIS_URL is set (so every web
instance counts together), else in the process's memory.

A view opts in with `@rate_limited("SIGN_IN_RATE_LIMIT")`, naming the setting that holds its
limit ("10 per minute;100 per hour"); `init_rate_limits(app)`, called once every blueprint is
registered, applies the limits. A request over a limit is answered 429 with Retry-After and
the service's usual error page or JSON error, before the view runs: it changes nothing.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, TypeVar

from flask import Flask, current_app, render_template
from flask_limiter import Limiter, RateLimitExceeded

from .http import client_address, is_api_request, json_error

RATE_LIMIT_SETTINGS = ("SIGN_IN_RATE_LIMIT", "PASSWORD_RESET_RATE_LIMIT", "SIGN_UP_RATE_LIMIT")
# Only the attempts count: anyone may load the form as often as they like.
LIMITED_METHODS = ["POST", "PUT", "PATCH", "DELETE"]

View = TypeVar("View")


def rate_limited(setting_name: str) -> Callable[[View], View]:
    """Mark a view function (or an API MethodView class) as limited by the setting
    `setting_name`; the limit itself is applied by `init_rate_limits`."""
    if setting_name not in RATE_LIMIT_SETTINGS:
        raise ValueError(f"{setting_name} is not a rate limit setting (one of {', '.join(RATE_LIMIT_SETTINGS)})")

    def mark(view: View) -> View:
        view.rate_limit_setting = setting_name  # type: ignore[attr-defined]
        return view

    return mark


def limit_setting(view: Any) -> str | None:
    """The setting a registered view is limited by, if any (a MethodView carries it on its class)."""
    return getattr(view, "rate_limit_setting", None) or getattr(getattr(view, "view_class", None),
                                                                "rate_limit_setting", None)


def retry_after_seconds(reset_at: float, at: float) -> int:
    """Whole seconds until a limit's window lets the next attempt through; at least 1."""
    return max(1, math.ceil(reset_at - at))


def wait_in_words(seconds: int) -> str:
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def init_rate_limits(app: Flask) -> Limiter:
    """A limiter of this app's own (its storage and switch are the app's settings, so two apps
    in one process, as in the tests, never share counts), applied to every marked view."""
    limiter = Limiter(
        client_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        # The moving window counts the attempts of the last minute exactly, so the eleventh
        # attempt within any sixty seconds is refused, wherever the minute boundary falls.
        strategy="moving-window",
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        enabled=bool(app.config["RATELIMIT_ENABLED"]),
    )
    limiter.init_app(app)
    app.extensions["rate_limits"] = limiter
    for endpoint, view in list(app.view_functions.items()):
        setting = limit_setting(view)
        if setting is None:
            continue
        # The limit string is read from the settings on each request, so it is the app's own.
        limit = limiter.limit(lambda setting=setting: current_app.config[setting], methods=LIMITED_METHODS)
        app.view_functions[endpoint] = limit(view)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(error: RateLimitExceeded) -> Any:
        current = limiter.current_limit
        # When the oldest attempt counted leaves the window (flask-limiter's reset_at rounds up a second).
        wait = retry_after_seconds(current.window.reset_time, time.time()) if current is not None else 60
        message = f"Too many attempts from your address. Try again in {wait_in_words(wait)}."
        if is_api_request():
            response = json_error(429, message)
        else:
            response = app.make_response((render_template("errors/generic.html", status=429,
                                                          description=message), 429))
        response.headers["Retry-After"] = str(wait)
        return response

    return limiter
