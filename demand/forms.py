"""Requirement forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from procurement.core.webforms import GovDateField


class RequirementForm(FlaskForm):
    organisation_id = SelectField("Organisation", widget=GovSelect(), coerce=int, validators=[Optional()])
    catalogue_item_id = SelectField("Catalogue item", widget=GovSelect(), coerce=int, validators=[Optional()],
                                    description="Choose one where it fits, so your demand pools with others' on the same thing")
    title = StringField("Short title", widget=GovTextInput(), validators=[Optional(), Length(max=200)],
                        description="The item's name if you leave it empty")
    cpv_code = StringField("CPV code", widget=GovTextInput(), validators=[Optional(), Length(max=10)],
                           description="Needed without a catalogue item, for example 48445000 (CRM software)")
    specification = TextAreaField("Specification", widget=GovTextArea(), validators=[Optional(), Length(max=5000)],
                                  description="What is needed; required without a catalogue item")
    quantity = StringField("Quantity", widget=GovTextInput(), validators=[InputRequired(message="Enter a quantity"), Length(max=20)])
    unit = StringField("Unit", widget=GovTextInput(), validators=[Optional(), Length(max=40)],
                       description="each, licence, seat per year...; the item's unit if you leave it empty")
    delivery_location = StringField("Delivery location", widget=GovTextInput(),
                                    validators=[InputRequired(message="Enter where it is to be delivered"), Length(max=200)])
    needed_by = GovDateField("Needed by", validators=[InputRequired(message="Enter the date it is needed by")])
    baseline_unit_price = StringField("What you pay today per unit, excluding VAT (£)", widget=GovTextInput(),
                                      validators=[InputRequired(message="Enter what you pay today per unit"), Length(max=20)],
                                      description="Your baseline: savings are estimated against it")
    notes = TextAreaField("Notes", widget=GovTextArea(), validators=[Optional(), Length(max=5000)])
    submit_now = BooleanField("Submit it to the demand board now", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save requirement", widget=GovSubmitInput())


class UploadForm(FlaskForm):
    organisation_id = SelectField("Organisation", widget=GovSelect(), coerce=int, validators=[Optional()])
    file = FileField("CSV or Excel file", widget=GovFileInput(),
                     validators=[InputRequired(message="Choose a CSV or XLSX file to upload")])
    submit_now = BooleanField("Submit them to the demand board at once", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Upload", widget=GovSubmitInput())


class ReasonForm(FlaskForm):
    reason = StringField("Reason", widget=GovTextInput(), validators=[InputRequired(message="Give a reason"), Length(max=500)])
    submit = SubmitField("Confirm", widget=GovSubmitInput())


class FormTenderForm(FlaskForm):
    """The demand board's chosen pools made into a draft joint tender (the tenders domain forms it)."""
    title = StringField("Tender title", widget=GovTextInput(),
                        validators=[InputRequired(message="Enter a title for the tender"), Length(max=200)])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Optional(), Length(max=5000)])
    confirm_by = GovDateField("Buyers confirm their lines by",
                              validators=[InputRequired(message="Enter the date by which buyers confirm")])
    merge = BooleanField("Merge the chosen pools into one lot (same unit only)", widget=GovCheckboxInput())
    submit = SubmitField("Form a draft tender from the chosen pools", widget=GovSubmitInput())
