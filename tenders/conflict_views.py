"""Conflicts of interest pages: the agency's page per tender (declarations by person and stage,
who has not declared, the assessment and its history) and each shaper's declaration form."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from procurement.core import access
from procurement.core.db import db
from procurement.core.errors import InvalidInput
from procurement.core.http import undone_if_refused
from procurement.parties.auth import page_actor, require
from tenders import conflicts
from tenders.models import ConflictAnswer, ConflictStage

MAX_TEXT, MAX_INTEREST = conflicts.MAX_TEXT, conflicts.MAX_INTEREST

bp = Blueprint("conflicts", __name__, url_prefix="/tenders", template_folder="templates")


class DeclarationForm(FlaskForm):
    answer = RadioField("Do you have a conflict of interest in this procurement?", widget=GovRadioInput(),
                        choices=[SelectChoice(ConflictAnswer.none.value, "No, I have no conflict of interest"),
                                 SelectChoice(ConflictAnswer.conflict.value, "Yes, a conflict of interest"),
                                 SelectChoice(ConflictAnswer.potential.value, "A potential conflict of interest")],
                        validators=[InputRequired(message="Say whether you have a conflict of interest")])
    interest = StringField("The supplier or interest concerned", widget=GovTextInput(),
                           description="If you have a conflict or potential conflict: for example a supplier you or a "
                                       "close family member works for or holds shares in",
                           validators=[Optional(), Length(max=MAX_INTEREST)])
    nature = TextAreaField("What the interest is and how it arises", widget=GovTextArea(),
                           validators=[Optional(), Length(max=MAX_TEXT)])
    submit = SubmitField("Make the declaration", widget=GovSubmitInput())


class AssessmentForm(FlaskForm):
    conflicts = TextAreaField("Conflicts and potential conflicts identified", widget=GovTextArea(),
                              description="Each one declared or otherwise known, and whose it is; leave blank if none",
                              validators=[Optional(), Length(max=MAX_TEXT)])
    mitigation = TextAreaField("Steps taken to mitigate them", widget=GovTextArea(),
                               description="For example: kept out of the evaluation, information withheld, oversight",
                               validators=[Optional(), Length(max=MAX_TEXT)])
    summary = TextAreaField("Summary of the assessment", widget=GovTextArea(),
                            validators=[InputRequired(message="Summarise the assessment"), Length(max=MAX_TEXT)])
    kept_out = SelectMultipleField("Keep out of the evaluation (cannot mark or moderate)", widget=GovCheckboxesInput(),
                                   coerce=int, choices=[], validate_choice=False)
    submit = SubmitField("Record the assessment", widget=GovSubmitInput())


def _page(tender_id: int, form: AssessmentForm | None = None) -> Any:
    found = conflicts.overview(db.session, page_actor(), tender_id)
    form = form or AssessmentForm()
    form.kept_out.choices = [SelectChoice(p.user_id, p.name) for p in found.conflicted]
    return render_template("tenders/conflicts.html", o=found, tender=found.tender, form=form,
                           stages=list(ConflictStage))


@bp.route("/<int:tender_id>/conflicts")
@login_required
def page(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    return _page(tender_id)


@bp.route("/<int:tender_id>/conflicts/assessment", methods=["POST"])
@login_required
def assess(tender_id: int) -> Any:
    require(access.can_manage_tenders(current_user))
    form = AssessmentForm()
    if not form.validate_on_submit():
        return _page(tender_id, form), 400
    try:
        with undone_if_refused():
            conflicts.assess(db.session, page_actor(), tender_id, conflicts=form.conflicts.data or "",
                             mitigation=form.mitigation.data or "", summary=form.summary.data or "",
                             kept_out=form.kept_out.data or [])
    except InvalidInput as error:
        for name, messages in error.field_errors.items():
            if name in form:
                form[name].errors = list(messages)
        return _page(tender_id, form), 400
    flash("Conflicts assessment recorded", "success")
    return redirect(url_for("conflicts.page", tender_id=tender_id))


def _declaration_page(tender_id: int, form: DeclarationForm | None = None) -> Any:
    mine = conflicts.my_declaration(db.session, page_actor(), tender_id)
    return render_template("tenders/declare_conflicts.html", d=mine, tender=mine.tender, form=form or DeclarationForm(),
                           agency=access.can_manage_tenders(current_user))


@bp.route("/<int:tender_id>/conflicts/declare")
@login_required
def declaration(tender_id: int) -> Any:
    return _declaration_page(tender_id)


@bp.route("/<int:tender_id>/conflicts/declare", methods=["POST"])
@login_required
def declare(tender_id: int) -> Any:
    form = DeclarationForm()
    if not form.validate_on_submit():
        conflicts.my_declaration(db.session, page_actor(), tender_id)  # refused for who may not declare
        return _declaration_page(tender_id, form), 400
    try:
        with undone_if_refused():
            conflicts.declare(db.session, page_actor(), tender_id, answer=form.answer.data or "",
                              interest=form.interest.data or "", nature=form.nature.data or "")
    except InvalidInput as error:
        for name, messages in error.field_errors.items():
            if name in form:
                form[name].errors = list(messages)
        return _declaration_page(tender_id, form), 400
    flash("Declaration recorded", "success")
    if access.can_manage_tenders(current_user):
        return redirect(url_for("conflicts.page", tender_id=tender_id))
    return redirect(url_for("tenders.tender", tender_id=tender_id))
