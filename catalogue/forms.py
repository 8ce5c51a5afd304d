"""Catalogue forms."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import IntegerField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from procurement.core.webforms import GovDateField

STATUS_CHOICES = [SelectChoice("draft", "Draft: only you can see it"), SelectChoice("published", "Published"),
                  SelectChoice("withdrawn", "Withdrawn")]


class OfferForm(FlaskForm):
    sku = StringField("SKU", widget=GovTextInput(), description="Your own code for it, unique in your catalogue",
                      validators=[InputRequired(message="Enter the SKU"), Length(max=64)])
    title = StringField("Title", widget=GovTextInput(), validators=[InputRequired(message="Enter a title"), Length(max=300)])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Optional(), Length(max=5000)])
    manufacturer = StringField("Manufacturer", widget=GovTextInput(), validators=[Optional(), Length(max=120)])
    manufacturer_part_number = StringField("Manufacturer part number", widget=GovTextInput(),
                                           validators=[Optional(), Length(max=80)])
    gtin = StringField("GTIN (barcode number)", widget=GovTextInput(), validators=[Optional(), Length(max=14)])
    cpv_code = StringField("CPV code", widget=GovTextInput(), description="For example 30213100 (portable computers)",
                           validators=[InputRequired(message="Enter a CPV code"), Length(max=10)])
    unit = StringField("Unit", widget=GovTextInput(), description="each, licence, seat...",
                       validators=[InputRequired(message="Enter the unit"), Length(max=40)])
    list_price = StringField("List unit price excluding VAT (£)", widget=GovTextInput(),
                             validators=[InputRequired(message="Enter the list price"), Length(max=20)])
    vat_rate = StringField("VAT rate (%)", widget=GovTextInput(), default="20", validators=[Optional(), Length(max=6)])
    price_breaks = StringField("Volume price breaks", widget=GovTextInput(),
                               description="All-units prices as quantity:price, separated by semicolons, like 25:789.00; 100:755.00",
                               validators=[Optional(), Length(max=500)])
    lead_time_days = IntegerField("Lead time (working days)", widget=GovTextInput(),
                                  validators=[Optional(), NumberRange(min=0, max=3650, message="Enter 0 to 3650 days")])
    valid_from = GovDateField("Price valid from", validators=[Optional()])
    valid_to = GovDateField("Price valid to", validators=[Optional()])
    status = RadioField("Status", widget=GovRadioInput(), choices=STATUS_CHOICES, default="draft")
    submit = SubmitField("Save offer", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    file = FileField("CSV or Excel file", widget=GovFileInput(),
                     validators=[InputRequired(message="Choose a CSV or XLSX file to upload")])
    mode = RadioField(
        "If some rows have errors", widget=GovRadioInput(), default="all_or_nothing",
        choices=[SelectChoice("all_or_nothing", "Import nothing, so I can correct the file (recommended)"),
                 SelectChoice("valid_rows", "Import the valid rows and report the others")],
    )
    submit = SubmitField("Upload and import", widget=GovSubmitInput())


class ItemForm(FlaskForm):
    name = StringField("Name", widget=GovTextInput(), validators=[InputRequired(message="Enter a name"), Length(max=200)])
    cpv_code = StringField("CPV code", widget=GovTextInput(), validators=[InputRequired(message="Enter a CPV code"), Length(max=10)])
    unit = StringField("Unit", widget=GovTextInput(), validators=[InputRequired(message="Enter the unit"), Length(max=40)])
    key_attributes = StringField("Key attributes", widget=GovTextInput(),
                                 description="For example: 14-inch laptop, 16 GB RAM, 512 GB SSD",
                                 validators=[Optional(), Length(max=500)])
    submit = SubmitField("Add item", widget=GovSubmitInput())


class LinkOfferForm(FlaskForm):
    offer_id = IntegerField("Offer number", widget=GovTextInput(),
                            validators=[InputRequired(message="Enter the offer number")])
    submit = SubmitField("Link offer", widget=GovSubmitInput())
