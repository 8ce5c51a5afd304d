"""The audit log's and the jobs page's filter: a GET form, so a filtered page is a link that can be kept."""
from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovSelect
from wtforms import Form, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from procurement.core.webforms import GovDateField


class WhoWhatWhenForm(Form):
    """Who, what and when. Choices come from the records (who) and dashboards.plain_words (what);
    a value outside them is an error naming the field, never a crash."""

    who = SelectField("Who", choices=[SelectChoice("", "Anyone")], default="", widget=GovSelect())
    what = SelectField("What", choices=[SelectChoice("", "Any kind of act")], default="", widget=GovSelect())
    start = GovDateField("From", validators=[Optional()])
    end = GovDateField("To", validators=[Optional()])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=1_000_000)])

    def __init__(self, formdata: Any, who: list[tuple[str, str]], what: list[tuple[str, str]]):
        super().__init__(formdata)
        self.who.choices = [SelectChoice(value, label) for value, label in who]
        self.what.choices = [SelectChoice(value, label) for value, label in what]

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.start.data and self.end.data and self.end.data < self.start.data:
            self.end.errors = [*self.end.errors, "The ‘To’ date must be the same as or after the ‘From’ date"]
            ok = False
        for name in ("start", "end"):
            field, label = getattr(self, name), getattr(self, name).label.text
            field.errors = [(f"Enter the ‘{label}’ date as a day, a month and a year" if "a day, a month" in e
                             else f"Enter a real ‘{label}’ date, for example 27 3 2026" if "real date" in e else e)
                            for e in field.errors]
        for name, message in (("who", "Select who did it from the list"), ("what", "Select what kind of act from the list"),
                              ("page", "Enter a page number, like 2")):
            field = getattr(self, name)
            if field.errors:
                field.errors = [message]
        return ok
