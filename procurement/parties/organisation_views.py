"""A member organisation's joining pages (issue 20): the buyers' applications its
administrators (or the e-agency) decide, and the email domains administrators keep for it."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length

from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import Conflict, InvalidInput, NotFound
from procurement.core.http import undone_if_refused
from procurement.core.webforms import apply_errors
from procurement.parties import joining
from procurement.parties.auth import page_actor, require
from procurement.parties.models import Organisation

bp = Blueprint("organisation_members", __name__, url_prefix="/organisations")


class DecideForm(FlaskForm):
    application_id = HiddenField()
    decision = HiddenField()  # "approve" or "refuse", the button pressed
    reason = TextAreaField("Reason for refusing (sent to the applicant)", widget=GovTextArea(),
                           validators=[Length(max=500, message="Reason must be 500 characters or fewer")])
    submit = SubmitField("Save", widget=GovSubmitInput())


class DomainForm(FlaskForm):
    domain = StringField("Email domain", widget=GovTextInput(), description="Like camden.gov.uk",
                         validators=[Length(max=253, message="Domain must be 253 characters or fewer")])
    submit = SubmitField("Add domain", widget=GovSubmitInput())


class RemoveDomainForm(FlaskForm):
    domain_id = HiddenField()
    submit = SubmitField("Remove", widget=GovSubmitInput())


def _organisation(organisation_id: int) -> Organisation:
    found = db.session.get(Organisation, organisation_id)
    if found is None:
        raise NotFound("No such organisation")
    return found


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdecimal() and len(value) < 12 else None


@bp.route("/<int:organisation_id>/applications", methods=["GET", "POST"])
@login_required
def applications(organisation_id: int) -> Any:
    require(access.can_decide_buyer_applications(current_user, organisation_id))
    organisation = _organisation(organisation_id)
    form = DecideForm()
    if form.validate_on_submit():
        application_id = _number(form.application_id.data)
        approve = {"approve": True, "refuse": False}.get(form.decision.data or "")
        try:
            if application_id is None:
                raise NotFound("No such application")
            with undone_if_refused():
                decided = joining.decide_application(db.session, page_actor(), organisation.id, application_id,
                                                     approve=approve, reason=form.reason.data or "")
        except InvalidInput as error:
            apply_errors(form, error)
        except (Conflict, NotFound) as error:
            flash(error.message, "error")
            return redirect(url_for("organisation_members.applications", organisation_id=organisation.id))
        else:
            flash(f"{decided.user.full_name}: application {decided.status.value}", "success")
            return redirect(url_for("organisation_members.applications", organisation_id=organisation.id))
    return render_template("procurement/applications.html", organisation=organisation, form=form,
                           applications=joining.list_applications(db.session, page_actor(), organisation.id))


@bp.route("/<int:organisation_id>/domains", methods=["GET", "POST"])
@login_required
def domains(organisation_id: int) -> Any:
    require(access.can_manage_organisation_domains(current_user))
    organisation = _organisation(organisation_id)
    form = DomainForm()
    if form.validate_on_submit():
        try:
            with undone_if_refused():
                added = joining.add_domain(db.session, page_actor(), organisation.id, form.domain.data or "")
        except InvalidInput as error:
            apply_errors(form, error)
        else:
            flash(f"{added.domain} added to {organisation.name}", "success")
            return redirect(url_for("organisation_members.domains", organisation_id=organisation.id))
    return render_template("procurement/domains.html", organisation=organisation, form=form,
                           remove_form=RemoveDomainForm(),
                           domains=joining.list_domains(db.session, page_actor(), organisation.id))


@bp.route("/<int:organisation_id>/domains/remove", methods=["POST"])
@login_required
def remove_domain(organisation_id: int) -> Any:
    require(access.can_manage_organisation_domains(current_user))
    organisation = _organisation(organisation_id)
    form = RemoveDomainForm()
    if form.validate_on_submit():
        domain_id = _number(form.domain_id.data)
        try:
            if domain_id is None:
                raise NotFound("Choose a domain to remove")
            with undone_if_refused():
                removed = joining.remove_domain(db.session, page_actor(), organisation.id, domain_id)
        except NotFound as error:
            flash(error.message, "error")
        else:
            flash(f"{removed} removed from {organisation.name}", "success")
    return redirect(url_for("organisation_members.domains", organisation_id=organisation.id))
