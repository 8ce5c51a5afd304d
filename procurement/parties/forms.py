"""Web forms (Flask-WTF: every form carries a CSRF token) rendered with GOV.UK widgets."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms.fields.choices import SelectChoice
from wtforms import IntegerField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from procurement.parties.models import OrganisationKind, Partnership, Role


class SignInForm(FlaskForm):
    email = StringField(
        "Email address", widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password", widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=256)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out", widget=GovSubmitInput())


class TokenCreateForm(FlaskForm):
    name = StringField(
        "Name of the token", widget=GovTextInput(),
        description="Say what will use it, for example 'Bid upload script'",
        validators=[InputRequired(message="Enter a name for the token"), Length(max=100)],
    )
    days = IntegerField(
        "Expires after (days)", widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the number of days until the token expires"),
            NumberRange(min=1, max=366, message="Enter a number of days from 1 to 366"),
        ],
    )
    submit = SubmitField("Create token", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """A button that posts: revoke, deactivate, and other one-click acts."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())


def options(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _blank_choice(label: str) -> list[tuple[str, str]]:
    return [("", label)]


class UserCreateForm(FlaskForm):
    full_name = StringField("Full name", widget=GovTextInput(),
                            validators=[InputRequired(message="Enter the person's full name"), Length(max=200)])
    email = StringField("Email address", widget=GovTextInput(),
                        validators=[InputRequired(message="Enter an email address"), Length(max=254)])
    password = PasswordField(
        "Initial password", widget=GovPasswordInput(),
        description="At least 12 characters, and not the email address",
        validators=[InputRequired(message="Enter an initial password"), Length(max=256)],
    )
    roles = SelectMultipleField(
        "Roles", widget=GovCheckboxesInput(),
        choices=options([(r.value, r.value.capitalize()) for r in Role]),
        validators=[InputRequired(message="Give the user at least one role")],
    )
    organisation_id = SelectField("Organisation (for buyers)", widget=GovSelect(), validators=[Optional()])
    supplier_id = SelectField("Supplier (for supplier staff)", widget=GovSelect(), validators=[Optional()])
    submit = SubmitField("Create account", widget=GovSubmitInput())


class UserRolesForm(FlaskForm):
    roles = SelectMultipleField(
        "Roles", widget=GovCheckboxesInput(),
        choices=options([(r.value, r.value.capitalize()) for r in Role]),
        validators=[InputRequired(message="Give the user at least one role")],
    )
    organisation_id = SelectField("Organisation (for buyers)", widget=GovSelect(), validators=[Optional()])
    supplier_id = SelectField("Supplier (for supplier staff)", widget=GovSelect(), validators=[Optional()])
    submit = SubmitField("Save roles", widget=GovSubmitInput())


class OrganisationForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the organisation's name"), Length(max=200)])
    kind = SelectField(
        "Kind of organisation", widget=GovSelect(),
        choices=options(_blank_choice("Choose a kind")
                        + [(k.value, k.label) for k in OrganisationKind]),
        validators=[InputRequired(message="Choose the kind of organisation")],
    )
    partnership = SelectField(
        "Sub-regional partnership", widget=GovSelect(),
        choices=options(_blank_choice("Not in a partnership") + [(p.value, p.value.capitalize()) for p in Partnership]),
        validators=[Optional()],
    )
    gss_code = StringField("GSS code", widget=GovTextInput(), description="For local authorities, like E09000007",
                           validators=[Optional(), Length(max=9)])
    org_identifier = StringField("Organisation identifier", widget=GovTextInput(),
                                 description="As used in open contracting data, like GB-LAE-CMD",
                                 validators=[Optional(), Length(max=40)])
    annual_savings_target = StringField("Annual savings target (£)", widget=GovTextInput(),
                                        validators=[Optional(), Length(max=20)])
    submit = SubmitField("Add organisation", widget=GovSubmitInput())


# Account recovery and safety ------------------------------------------------------------

class ForgottenPasswordForm(FlaskForm):
    email = StringField(
        "Email address", widget=GovTextInput(),
        description="The address you sign in with. We will email it a link to choose a new password.",
        validators=[InputRequired(message="Enter your email address"),
                    Length(max=254, message="Email address must be 254 characters or fewer")],
    )
    submit = SubmitField("Send the link", widget=GovSubmitInput())


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", widget=GovPasswordInput(),
        description="At least 12 characters. A few unrelated words are easy to remember and hard to guess.",
        validators=[InputRequired(message="Enter a new password"),
                    Length(max=256, message="Password must be at most 256 characters")],
    )
    submit = SubmitField("Change my password", widget=GovSubmitInput())


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password"),
                    Length(max=256, message="Current password must be at most 256 characters")],
    )
    new_password = PasswordField(
        "New password", widget=GovPasswordInput(),
        description="At least 12 characters, and not your email address",
        validators=[InputRequired(message="Enter a new password"),
                    Length(max=256, message="New password must be at most 256 characters")],
    )
    submit = SubmitField("Change your password", widget=GovSubmitInput())


class ChangeEmailForm(FlaskForm):
    email = StringField(
        "New email address", widget=GovTextInput(),
        description="We will send a link to it. Your address changes when the link is followed.",
        validators=[InputRequired(message="Enter your new email address"),
                    Length(max=254, message="New email address must be 254 characters or fewer")],
    )
    password = PasswordField(
        "Your password", widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"),
                    Length(max=256, message="Password must be at most 256 characters")],
    )
    submit = SubmitField("Send the link", widget=GovSubmitInput())


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        "Code", widget=GovTextInput(),
        validators=[InputRequired(message="Enter the code from your authenticator app"),
                    Length(max=40, message="Code must be 40 characters or fewer")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class PasswordConfirmForm(FlaskForm):
    password = PasswordField(
        "Your password", widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"),
                    Length(max=256, message="Password must be at most 256 characters")],
    )
    submit = SubmitField("Turn off two-factor sign-in", widget=GovSubmitInput())
