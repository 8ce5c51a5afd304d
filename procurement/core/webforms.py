"""Web form helpers: a service's field errors on a form, and the GOV.UK date field."""
from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField

from .errors import InvalidInput


def apply_errors(form: Any, error: InvalidInput) -> None:
    """Put each field's messages on that field; the rest go above the form."""
    for name, messages in error.field_errors.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(messages)
        else:
            form.form_errors.extend(messages)
    if not error.field_errors:
        form.form_errors.append(error.message)



class GovDateField(DateField):
    """A date typed as day, month and year (the GOV.UK date input posts three values under
    one name). Missing or impossible parts are an error naming the field, never a crash."""

    def __init__(self, label: str | None = None, validators: Any = None, **kwargs: Any):
        kwargs.setdefault("widget", GovDateInput())
        super().__init__(label, validators, format="%d %m %Y", **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        parts = [(v or "").strip() for v in valuelist][:3]
        parts += [""] * (3 - len(parts))
        self.raw_data = parts
        self.data = None
        if not any(parts):
            return
        if not all(parts):
            raise ValueError("Enter a day, a month and a year")
        try:
            super().process_formdata([" ".join(parts)])
        except ValueError:
            raise ValueError("Enter a real date, for example 27 3 2027") from None

    def process(self, formdata: Any, data: Any = None, **kwargs: Any) -> None:
        super().process(formdata, data, **kwargs)
        if self.raw_data is not None and len(self.raw_data) != 3:
            self.raw_data = None  # nothing was posted for it: show the stored date, if any
