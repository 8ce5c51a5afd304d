"""Forms of joining and of the supplier's people (Flask-WTF: each carries a CSRF token). The
rules are the services'; these say which field is which and how long it may be."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import HiddenField, PasswordField, RadioField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from procurement.parties.models import Partnership

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
REGIONS = [SelectChoice(p.value, f"{p.value.capitalize()} London") for p in Partnership]
PASSWORD_HINT = "At least 12 characters. A few unrelated words make a strong one."


def _limit(longest: int, what: str) -> Length:
    return Length(max=longest, message=f"{what} must be {longest} characters or fewer")


def yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def _full_name() -> StringField:
    return StringField("Full name", widget=GovTextInput(), validators=[_limit(200, "Full name")])


def _email(label: str = "Email address", hint: str = "") -> StringField:
    return StringField(label, widget=GovTextInput(), description=hint, validators=[_limit(254, "Email address")])


def _password() -> PasswordField:
    return PasswordField("Create a password", widget=GovPasswordInput(), description=PASSWORD_HINT,
                         validators=[_limit(256, "Password")])


class SupplierSignUpForm(FlaskForm):
    legal_name = StringField("Company name", widget=GovTextInput(), validators=[_limit(200, "Company name")],
                             description="As registered at Companies House")
    companies_house_number = StringField("Companies House number", widget=GovTextInput(), validators=[_limit(12, "Companies House number")],
                                         description="8 characters, like 01234567 or SC123456")
    postal_address = TextAreaField("Registered address", widget=GovTextArea(), validators=[_limit(500, "Address")])
    is_sme = RadioField("Is your company a small or medium-sized enterprise (SME)?", widget=GovRadioInput(),
                        choices=YES_NO, validate_choice=False,
                        description="Fewer than 250 staff, and a turnover up to £44 million or assets up to £38 million")
    is_voluntary_sector = RadioField("Is it a voluntary, community or social enterprise (VCSE)?", widget=GovRadioInput(),
                                     choices=YES_NO, validate_choice=False)
    cpv_codes = StringField("What you supply, as CPV codes (optional)", widget=GovTextInput(), validators=[_limit(2000, "CPV codes")],
                            description="8-digit codes separated by commas, like 30213100, 48000000. "
                                        "We tell you of new opportunities under these codes.")
    regions = SelectMultipleField("Parts of London you want to hear of (optional)", widget=GovCheckboxesInput(),
                                  choices=REGIONS, validate_choice=False,
                                  description="Choose none to hear of opportunities anywhere in London")
    full_name = _full_name()
    email = _email("Your work email address")
    password = _password()
    submit = SubmitField("Register your company", widget=GovSubmitInput())


class AskToJoinForm(FlaskForm):
    full_name = _full_name()
    email = _email("Your work email address")
    password = _password()
    submit = SubmitField("Ask to join", widget=GovSubmitInput())


class BuyerSignUpForm(FlaskForm):
    full_name = _full_name()
    email = _email("Work email address", "The address your organisation gave you, like name@camden.gov.uk")
    job_title = StringField("Job title", widget=GovTextInput(), validators=[_limit(200, "Job title")])
    password = _password()
    submit = SubmitField("Register as a buyer", widget=GovSubmitInput())


class ResendForm(FlaskForm):
    email = _email()
    submit = SubmitField("Send the link again", widget=GovSubmitInput())


class ConfirmEmailForm(FlaskForm):
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class AcceptInvitationForm(FlaskForm):
    full_name = _full_name()
    password = _password()
    submit = SubmitField("Accept the invitation", widget=GovSubmitInput())


class InviteForm(FlaskForm):
    email = _email("Your colleague's email address")
    submit = SubmitField("Send the invitation", widget=GovSubmitInput())


class RemoveForm(FlaskForm):
    confirm = RadioField("Remove this person?", widget=GovRadioInput(), choices=YES_NO, validate_choice=False)
    submit = SubmitField("Continue", widget=GovSubmitInput())


class AdministratorForm(FlaskForm):
    administers = HiddenField()  # "yes" or "no": the button says which
    submit = SubmitField("Save", widget=GovSubmitInput())


class DecisionForm(FlaskForm):
    decision = HiddenField()  # "accept" or "refuse": one button each
    submit = SubmitField("Save", widget=GovSubmitInput())


class AlertsForm(FlaskForm):
    cpv_codes = TextAreaField("CPV codes", widget=GovTextArea(), validators=[_limit(2000, "CPV codes")],
                              description="8-digit codes separated by commas, like 30213100, 48000000. "
                                          "A code also covers every code below it.")
    regions = SelectMultipleField("Parts of London", widget=GovCheckboxesInput(), choices=REGIONS,
                                  validate_choice=False,
                                  description="Choose none to hear of opportunities anywhere in London")
    submit = SubmitField("Save your alerts", widget=GovSubmitInput())
