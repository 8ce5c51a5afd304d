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
from datetime import date
from typing import Any

from wtforms import BooleanField, Form, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from procurement.core.webforms import GovDateField


def _at_most(characters: int, label: str) -> Length:
    """A length limit whose error names the field by its label's words."""
    return Length(max=characters, message=f"{label} must be {characters:,} characters or fewer")


class RequirementForm(FlaskForm):
    organisation_id = SelectField("Organisation", widget=GovSelect(), coerce=int, validators=[Optional()])
    catalogue_item_id = SelectField("Catalogue item", widget=GovSelect(), coerce=int, validators=[Optional()],
                                    description="Choose one where it fits, so your demand pools with others' on the same thing")
    title = StringField("Short title", widget=GovTextInput(), validators=[Optional(), _at_most(200, "Short title")],
                        description="The item's name if you leave it empty")
    cpv_code = StringField("CPV code", widget=GovTextInput(), validators=[Optional(), _at_most(10, "CPV code")],
                           description="Needed without a catalogue item, for example 48445000-9 "
                                       "(customer relation management software)")
    cpv_search = StringField("Search the CPV vocabulary", widget=GovTextInput(), validators=[Optional(), _at_most(100, "The search")],
                             description="Words of the CPV vocabulary (for example: portable computers, software, "
                                         "furniture) or the first digits of a code")
    find_cpv = SubmitField("Find CPV codes", widget=GovSubmitInput())
    specification = TextAreaField("Specification", widget=GovTextArea(), validators=[Optional(), _at_most(5000, "Specification")],
                                  description="What is needed; required without a catalogue item")
    quantity = StringField("Quantity", widget=GovTextInput(),
                           validators=[InputRequired(message="Enter a quantity"), _at_most(20, "Quantity")])
    unit = StringField("Unit", widget=GovTextInput(), validators=[Optional(), _at_most(40, "Unit")],
                       description="each, licence, seat per year...; the item's unit if you leave it empty")
    delivery_location = StringField("Delivery location", widget=GovTextInput(),
                                    validators=[InputRequired(message="Enter where it is to be delivered"), _at_most(200, "Delivery location")])
    needed_by = GovDateField("Needed by", validators=[InputRequired(message="Enter the date it is needed by")])
    baseline_unit_price = StringField("What you pay today per unit, excluding VAT (£)", widget=GovTextInput(),
                                      validators=[InputRequired(message="Enter what you pay today per unit"),
                                                  _at_most(20, "What you pay today per unit")],
                                      description="Your baseline: savings are estimated against it")
    notes = TextAreaField("Notes", widget=GovTextArea(), validators=[Optional(), _at_most(5000, "Notes")])
    submit_now = BooleanField("Submit it now for the e-agency to pool with other organisations' demand",
                              widget=GovCheckboxInput(), default=True,
                              description="Untick it to keep it as a draft you can change")
    submit = SubmitField("Save requirement", widget=GovSubmitInput())


class UploadForm(FlaskForm):
    organisation_id = SelectField("Organisation", widget=GovSelect(), coerce=int, validators=[Optional()])
    file = FileField("CSV or Excel file", widget=GovFileInput(),
                     validators=[InputRequired(message="Choose a CSV or XLSX file to upload")])
    submit_now = BooleanField("Submit them at once for the e-agency to pool with other organisations' demand",
                              widget=GovCheckboxInput(), default=True)
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


class FilterDateField(GovDateField):
    """A filter's date as day, month and year; also one ISO date, as a link or a redirect back
    to the board carries it (?needed_from=2027-03-01)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if len(valuelist) == 1 and (valuelist[0] or "").strip():
            try:
                found = date.fromisoformat(valuelist[0].strip())
            except ValueError:
                raise ValueError("Enter a real date, for example 27 3 2027") from None
            self.data, self.raw_data = found, [str(found.day), str(found.month), str(found.year)]
            return
        super().process_formdata(valuelist)


class BoardFilterForm(Form):
    """The demand board's filter, read from the query string (a GET form: no CSRF token)."""

    depth = SelectField("Group CPV codes by", widget=GovSelect(), default="class")
    needed_from = FilterDateField("Needed from", description="For example, 1 3 2027")
    needed_to = FilterDateField("Needed to", description="For example, 30 6 2027")
    partnership = SelectField("Partnership", widget=GovSelect(), default="")
    min_organisations = StringField("At least this many organisations", widget=GovTextInput(),
                                    description="2 or more for a joint purchase; 1 shows every pool")
    sort = SelectField("Sort by", widget=GovSelect())
    above_threshold_only = BooleanField("Only pools at or above the procurement threshold", widget=GovCheckboxInput())
    submit = SubmitField("Apply", widget=GovSubmitInput())

    def __init__(self, formdata: Any, *, depths: list[str], partnerships: list[tuple[str, str]],
                 sorts: list[tuple[str, str]]) -> None:
        super().__init__(formdata)
        self.depth.choices = [(d, d.capitalize()) for d in depths]
        self.partnership.choices = [("", "All London"), *partnerships]
        self.sort.choices = sorts
        if not formdata or "sort" not in formdata:
            self.sort.data = sorts[0][0]

    def validate_min_organisations(self, field: Any) -> None:
        text = (field.data or "").strip()
        if text and not (text.isdecimal() and 1 <= int(text) <= 1000):
            raise ValidationError("The number of organisations must be a whole number from 1 to 1,000")
