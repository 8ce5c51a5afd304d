"""Forms for forming joint tenders from pools."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from procurement.core.webforms import GovDateField


class FormTenderForm(FlaskForm):
    title = StringField("Tender title", widget=GovTextInput(),
                        validators=[InputRequired(message="Enter a title for the tender"), Length(max=200)])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Optional(), Length(max=5000)])
    confirm_by = GovDateField("Buyers confirm their lines by",
                              validators=[InputRequired(message="Enter the date by which buyers confirm")])
    merge = BooleanField("Merge the chosen pools into one lot (same unit only)", widget=GovCheckboxInput())
    submit = SubmitField("Form a draft tender from the chosen pools", widget=GovSubmitInput())
