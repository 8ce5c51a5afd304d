"""Forms for forming joint tenders from pools."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovFileInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from procurement.core.webforms import GovDateField


class FormTenderForm(FlaskForm):
    title = StringField("Tender title", widget=GovTextInput(),
                        validators=[InputRequired(message="Enter a title for the tender"), Length(max=200)])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Optional(), Length(max=5000)])
    confirm_by = GovDateField("Buyers confirm their lines by",
                              validators=[InputRequired(message="Enter the date by which buyers confirm")])
    merge = BooleanField("Merge the chosen pools into one lot (same unit only)", widget=GovCheckboxInput())
    submit = SubmitField("Form a draft tender from the chosen pools", widget=GovSubmitInput())


TIME_HINT = "24-hour London time, for example 12:00"


class DetailsForm(FlaskForm):
    title = StringField("Title", widget=GovTextInput(), validators=[InputRequired(message="Enter a title"), Length(max=200)])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Optional(), Length(max=5000)])
    price_weight = IntegerField("Price weight (%)", widget=GovTextInput(), default=60,
                                validators=[InputRequired(message="Enter the price weight"), NumberRange(0, 100)],
                                description="The quality criteria's weights make up the rest of 100")
    clarification_date = GovDateField("Clarification questions close on", validators=[Optional()])
    clarification_time = StringField("at", widget=GovTextInput(), default="12:00", description=TIME_HINT,
                                     validators=[Optional(), Length(max=5)])
    deadline_date = GovDateField("Bids are due by", validators=[Optional()])
    deadline_time = StringField("at", widget=GovTextInput(), default="12:00", description=TIME_HINT,
                                validators=[Optional(), Length(max=5)])
    expected_award = GovDateField("Expected award", validators=[Optional()])
    submit = SubmitField("Save the details", widget=GovSubmitInput())


class DocumentForm(FlaskForm):
    title = StringField("Document title", widget=GovTextInput(), default="Specification",
                        validators=[InputRequired(message="Enter a title"), Length(max=200)])
    file = FileField("File", widget=GovFileInput(), validators=[InputRequired(message="Choose a file")])
    submit = SubmitField("Add the document", widget=GovSubmitInput())


class PublishForm(FlaskForm):
    short_period_reason = StringField(
        "Reason for a shorter tendering period (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=500)],
        description="Only with a recorded reason, such as urgency, may the deadline be 10 to 25 days away")
    submit = SubmitField("Publish the tender", widget=GovSubmitInput())


class AmendForm(FlaskForm):
    summary = TextAreaField("What the amendment changes", widget=GovTextArea(),
                            validators=[InputRequired(message="Describe the change"), Length(max=5000)])
    deadline_date = GovDateField("New deadline (optional)", validators=[Optional()])
    deadline_time = StringField("at", widget=GovTextInput(), default="12:00", description=TIME_HINT,
                                validators=[Optional(), Length(max=5)])
    document_title = StringField("Document title (optional)", widget=GovTextInput(), validators=[Optional(), Length(max=200)])
    file = FileField("Amended document (optional)", widget=GovFileInput(), validators=[Optional()])
    submit = SubmitField("Publish the amendment", widget=GovSubmitInput())


class QuestionForm(FlaskForm):
    question = TextAreaField("Your question", widget=GovTextArea(),
                             validators=[InputRequired(message="Enter your question"), Length(max=5000)],
                             description="Answers are published to every supplier, without your name")
    submit = SubmitField("Ask", widget=GovSubmitInput())


class AnswerForm(FlaskForm):
    answer = TextAreaField("Answer", widget=GovTextArea(), validators=[InputRequired(message="Enter the answer"), Length(max=5000)])
    submit = SubmitField("Publish the answer", widget=GovSubmitInput())


class UploadScheduleForm(FlaskForm):
    file = FileField("Price schedule (CSV)", widget=GovFileInput(), validators=[InputRequired(message="Choose the CSV file")])
    submit = SubmitField("Upload into my draft", widget=GovSubmitInput())
