"""Pages: your notifications, what you want by email, the development outbox, and the delivery
receipts GOV.UK Notify posts back. Each view loads, authorises, calls a service, renders."""
from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from procurement.core.db import db
from procurement.core.errors import InvalidInput
from procurement.core.http import local_path, undone_if_refused
from procurement.notifications import services
from procurement.notifications.delivery import notify_receipt
from procurement.notifications.kinds import KINDS
from procurement.notifications.models import Frequency, OutgoingEmail
from procurement.parties.auth import page_actor

bp = Blueprint("notifications", __name__, template_folder="templates")
callbacks_bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")

FREQUENCY_LABELS = {Frequency.immediately: "Email me straight away", Frequency.daily: "Email me once a day, in a digest",
                    Frequency.never: "Do not email me (show it here only)"}
OUTBOX_PAGE = 100
MAX_CALLBACK_BYTES = 16 * 1024


class ButtonForm(FlaskForm):
    """A button that posts (CSRF only)."""


@bp.route("/notifications")
@login_required
def index() -> Any:
    notifications = services.list_notifications(db.session, page_actor())
    unread = [item for item in notifications if item.read_at is None]
    return render_template("notifications/index.html", notifications=notifications, unread=len(unread),
                           form=ButtonForm())


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id: int) -> Any:
    """Mark it read and go to its page (a POST: reading a list never writes)."""
    found = services.get_notification(db.session, page_actor(), notification_id)
    if ButtonForm().validate_on_submit():
        services.mark_read(db.session, page_actor(), found.id)
        return redirect(local_path(found.link) or url_for("notifications.index"))
    return redirect(url_for("notifications.index"))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_all_read() -> Any:
    if ButtonForm().validate_on_submit():
        count = services.mark_read(db.session, page_actor())
        flash(f"{count} notification{'s' if count != 1 else ''} marked as read" if count else "Nothing was unread",
              "success")
    return redirect(url_for("notifications.index"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences() -> Any:
    actor = page_actor()
    form = ButtonForm()
    errors: dict[str, list[str]] = {}
    chosen = services.preferences(db.session, actor)
    if form.validate_on_submit():
        # A kind the form does not send keeps its choice.
        choices = {name: request.form[f"kind-{name}"][:20] for name in chosen if f"kind-{name}" in request.form}
        try:
            with undone_if_refused():
                services.set_preferences(db.session, actor, choices)
        except InvalidInput as error:
            errors = error.field_errors
            chosen = {**chosen, **{name: value for name, value in choices.items() if name not in errors}}
        else:
            flash("Your choices have been saved", "success")
            return redirect(url_for("notifications.preferences"))
    kinds = [KINDS[name] for name in chosen]
    return render_template("notifications/preferences.html", form=form, kinds=kinds, chosen=chosen, errors=errors,
                           labels=FREQUENCY_LABELS, frequencies=list(Frequency))


# The development outbox ---------------------------------------------------------------------

def outbox_open() -> bool:
    """Only in development, and only while no mail service is set up: every message the
    service would have sent, for whoever tries the demo (a sign-up's link included)."""
    config = current_app.config
    return config["APP_ENV"] == "development" and not config.get("SMTP_URL") and not config.get("NOTIFY_API_KEY")


@bp.route("/dev/outbox")
def outbox() -> Any:
    if not outbox_open():
        abort(404)
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdecimal() and 0 < int(page) < 10_000 else 1
    to = request.args.get("to", "")[:254].strip().lower()
    query = select(OutgoingEmail).order_by(OutgoingEmail.id.desc())
    if to:
        query = query.where(OutgoingEmail.to_address == to)
    emails = list(db.session.scalars(query.offset((page_number - 1) * OUTBOX_PAGE).limit(OUTBOX_PAGE + 1)))
    return render_template("notifications/outbox.html", emails=emails[:OUTBOX_PAGE], more=len(emails) > OUTBOX_PAGE,
                           page=page_number, to=to, service_url=current_app.config["SERVICE_URL"])


# Delivery receipts --------------------------------------------------------------------------

@callbacks_bp.route("/notify", methods=["POST"])
def notify_callback() -> Any:
    """GOV.UK Notify's delivery receipt: JSON with id, reference, to, status..., sent with the
    bearer token set in Notify's settings (NOTIFY_CALLBACK_TOKEN)."""
    expected = current_app.config.get("NOTIFY_CALLBACK_TOKEN")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), expected):
        return {"message": "Give the callback's bearer token"}, 401
    if (request.content_length or 0) > MAX_CALLBACK_BYTES:
        return {"message": "The receipt is too large"}, 413
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("status"), str):
        return {"message": "Send a JSON object with a status"}, 400
    outcome = notify_receipt(db.session, payload)
    return {"result": outcome}, 200
