"""Forms for forming joint tenders from pools."""
from __future__ import annotations

from typing import Any

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


TIME_HINT = "24-hour London time, for example 12:00"


class DetailsForm(FlaskForm):
    title = StringField("Title", widget=GovTextInput(), validators=[InputRequired(message="Enter a title"), Length(max=200)])
    description = TextAreaField("Description", widget=GovTextArea(), validators=[Optional(), Length(max=5000)])
    price_weight = IntegerField("Price weight (%)", widget=GovTextInput(), default=60,
                                validators=[InputRequired(message="Enter the price weight"), NumberRange(0, 100)],
                                description="The quality criteria's weights make up the rest of 100")
    clarification_date = GovDateField("Clarification questions close on", validators=[Optional()])
    clarification_time = StringField("Clarification questions close at (time)", widget=GovTextInput(), default="12:00", description=TIME_HINT,
                                     validators=[Optional(), Length(max=5)])
    deadline_date = GovDateField("Bids are due by", validators=[Optional()])
    deadline_time = StringField("Bids are due by (time)", widget=GovTextInput(), default="12:00", description=TIME_HINT,
                                validators=[Optional(), Length(max=5)])
    expected_award = GovDateField("Expected award", validators=[Optional()])
    submit = SubmitField("Save the details", widget=GovSubmitInput())


class DocumentForm(FlaskForm):
    title = StringField("Document title", widget=GovTextInput(), default="Specification",
                        validators=[InputRequired(message="Enter a title"), Length(max=200)])
    file = FileField("File", widget=GovFileInput(), validators=[InputRequired(message="Choose a file")])
    submit = SubmitField("Add the document", widget=GovSubmitInput())


SHORT_PERIOD_CHOICES = [
    SelectChoice("", "None: the deadline is at least 25 days after publication"),
    SelectChoice("urgency", "Urgency makes 25 days impractical"),
    SelectChoice("planned_procurement_notice", "A planned procurement notice (UK3) was published 40 days to a year before"),
]


GROUND_FIELDS = {  # the fields revealed under each ground, and the ground they belong to
    "short_period_reason": "urgency",
    "planned_notice_published_on": "planned_procurement_notice",
    "planned_notice_reference": "planned_procurement_notice",
}


class PublishForm(FlaskForm):
    short_period_ground = RadioField(
        "Ground for a tendering period under 25 days", widget=GovRadioInput(), choices=SHORT_PERIOD_CHOICES, default="",
        description="With one of these grounds the deadline may be 10 days after publication")
    short_period_reason = TextAreaField("The urgency, as the tender notice will state it", widget=GovTextArea(),
                                        validators=[Optional(), Length(max=500)])
    planned_notice_published_on = GovDateField("The planned procurement notice was published on",
                                               validators=[Optional()])
    planned_notice_reference = StringField("Its notice id (optional)", widget=GovTextInput(),
                                           validators=[Optional(), Length(max=100)])
    submit = SubmitField("Publish the tender", widget=GovSubmitInput())

    def validate(self, extra_validators: Any = None) -> bool:
        """Each ground's fields are revealed under it: what another ground's fields hold is ignored."""
        valid = super().validate(extra_validators)
        ground = self.short_period_ground.data
        for name, used_by in GROUND_FIELDS.items():
            if used_by != ground:
                self[name].errors = []
        return valid or not self.errors


class AmendForm(FlaskForm):
    summary = TextAreaField("What the amendment changes", widget=GovTextArea(),
                            validators=[InputRequired(message="Describe the change"), Length(max=5000)])
    deadline_date = GovDateField("New deadline (optional)", validators=[Optional()])
    deadline_time = StringField("New deadline (time)", widget=GovTextInput(), default="12:00", description=TIME_HINT,
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
