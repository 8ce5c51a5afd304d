"""Supplier registration form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class SupplierForm(FlaskForm):
    legal_name = StringField("Legal name", widget=GovTextInput(),
                             validators=[InputRequired(message="Enter the supplier's legal name"), Length(max=200)])
    companies_house_number = StringField("Companies House number", widget=GovTextInput(),
                                         validators=[Optional(), Length(max=10)])
    vat_number = StringField("VAT number", widget=GovTextInput(), validators=[Optional(), Length(max=20)])
    is_sme = BooleanField("Small or medium-sized enterprise (SME)", widget=GovCheckboxInput())
    is_voluntary_sector = BooleanField("Voluntary, community or social enterprise", widget=GovCheckboxInput())
    contact_name = StringField("Contact name", widget=GovTextInput(),
                               validators=[InputRequired(message="Enter the contact's name"), Length(max=200)])
    contact_email = StringField("Contact email address", widget=GovTextInput(),
                                validators=[InputRequired(message="Enter the contact's email address"), Length(max=254)])
    contact_phone = StringField("Contact telephone", widget=GovTextInput(), validators=[Optional(), Length(max=40)])
    postal_address = TextAreaField("Registered postal address", widget=GovTextArea(),
                                   description="Bidders are told the winning supplier's address in their assessment summaries",
                                   validators=[Optional(), Length(max=500)])
    submit = SubmitField("Register supplier", widget=GovSubmitInput())
