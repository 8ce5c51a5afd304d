"""Show a service's field errors on a web form."""
from __future__ import annotations

from typing import Any

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
