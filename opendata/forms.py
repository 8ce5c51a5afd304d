"""The notice search's filters: a GET form (no CSRF: it changes nothing), each field checked
with an error that names it."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSelect, GovTextInput
from wtforms import Form, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from opendata.notices import AWARDED, CANCELLED, CLOSED, OPEN, STATUS_LABELS, NoticeQuery
from procurement.core.webforms import GovDateField

MAX_POUNDS = Decimal("999999999999")
_MONEY = re.compile(r"^£?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
_CPV_CODE = re.compile(r"^\d{2,8}(-\d)?$")


def pounds(text: str, label: str) -> Decimal | None:
    """An amount in pounds as people type it (£50,000 or 50000.50), or an error naming the field."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > 20 or not _MONEY.match(text):
        raise ValidationError(f"{label} must be an amount in pounds, like 50000 or £1,250,000")
    try:
        amount = Decimal(text.lstrip("£").strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError(f"{label} must be an amount in pounds, like 50000 or £1,250,000") from None
    if amount > MAX_POUNDS:
        raise ValidationError(f"{label} must be less than £1 trillion")
    return amount


def _a_likely_year(field: Any) -> None:
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError(f"{field.label.text} must be a year from 2000 to 2100")


class NamedDateField(GovDateField):
    """The GOV.UK date input, its errors naming the field (a search form has two of them)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            if "real date" in str(error):
                raise ValueError(f"{self.label.text} must be a real date, for example 27 3 2027") from None
            raise ValueError(f"{self.label.text} must include a day, a month and a year") from None


class NoticeSearchForm(Form):
    keywords = StringField("Keywords", widget=GovTextInput(),
                           validators=[Optional(), Length(max=200, message="Keywords must be 200 characters or fewer")],
                           description="Words in the title, description, lots or items, or a tender reference")
    buyer = StringField("Buyer organisation", widget=GovTextInput(),
                        validators=[Optional(), Length(max=100, message="Buyer organisation must be 100 characters or fewer")],
                        description="All or part of its name, for example Camden")
    location = SelectField("Location", widget=GovSelect(), validate_choice=False,
                           description="The sub-region or borough of the organisations buying")
    value_min = StringField("Minimum value (£)", widget=GovTextInput())
    value_max = StringField("Maximum value (£)", widget=GovTextInput())
    cpv = StringField("CPV code or words", widget=GovTextInput(),
                      validators=[Optional(), Length(max=100, message="CPV code or words must be 100 characters or fewer")],
                      description="A code or its start, for example 30213100 or 302, or words such as computers")
    closing_from = NamedDateField("Closing date from", validators=[Optional()], description="For example, 1 2 2027")
    closing_to = NamedDateField("Closing date to", validators=[Optional()], description="For example, 28 2 2027")
    status = SelectMultipleField("Status", widget=GovCheckboxesInput(), validate_choice=False,
                                 choices=[SelectChoice(s, STATUS_LABELS[s]) for s in (OPEN, CLOSED, AWARDED, CANCELLED)])

    def __init__(self, formdata: Any, locations: list[tuple[str, str]]):
        super().__init__(formdata)
        self.location.choices = [SelectChoice(value, label) for value, label in [("", "Anywhere in London"), *locations]]
        self._amounts: dict[str, Decimal | None] = {}

    def validate_location(self, field: Any) -> None:
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError("Choose a location from the list")

    def validate_value_min(self, field: Any) -> None:
        self._amounts["min"] = pounds(field.data, "Minimum value")

    def validate_value_max(self, field: Any) -> None:
        self._amounts["max"] = pounds(field.data, "Maximum value")
        low = self._amounts.get("min")
        if low is not None and self._amounts["max"] is not None and self._amounts["max"] < low:
            raise ValidationError("Maximum value must be the same as or more than the minimum value")

    def validate_cpv(self, field: Any) -> None:
        text = (field.data or "").strip()
        if text[:1].isdigit() and not _CPV_CODE.match(text):
            raise ValidationError("CPV code must be 2 to 8 digits, for example 30213100 or 302")

    def validate_closing_from(self, field: Any) -> None:
        _a_likely_year(field)

    def validate_closing_to(self, field: Any) -> None:
        _a_likely_year(field)
        if field.data and self.closing_from.data and field.data < self.closing_from.data:
            raise ValidationError("Closing date to must be the same as or after the closing date from")

    def validate_status(self, field: Any) -> None:
        if len(field.data or []) > 4 or any(s not in STATUS_LABELS for s in field.data or []):
            raise ValidationError("Choose statuses from the list")

    def query(self, page: int) -> NoticeQuery:
        """The validated filters, for opendata.notices.search_notices."""
        return NoticeQuery(keywords=(self.keywords.data or "").strip(), buyer=(self.buyer.data or "").strip(),
                           location=self.location.data or "", value_min=self._amounts.get("min"),
                           value_max=self._amounts.get("max"), cpv=(self.cpv.data or "").strip(),
                           closing_from=self.closing_from.data, closing_to=self.closing_to.data,
                           statuses=list(dict.fromkeys(self.status.data or [])), page=page)
