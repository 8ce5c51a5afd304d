"""GOV.UK Frontend's table, built in Python: the same markup as govuk_frontend_jinja's
`govukTable` macro, which every list page uses. The macro calls another macro for each cell's
attributes, and on pages of 25 to 50 rows that was a third to a half of the request's time
under load (bench/bench_load.py); procurement/templates/govuk_frontend_jinja/components/
table/macro.html puts this function in its place, so templates keep importing `govukTable`.
tests/unit/procurement/test_tables.py compares the two on every kind of parameter."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

_MISSING = object()


def _get(obj: Any, name: str) -> Any:
    """`obj.name` as Jinja reads it in the macro: a key, else an attribute, else missing."""
    if isinstance(obj, Mapping):
        return obj.get(name, _MISSING)
    return getattr(obj, name, _MISSING)


def _truthy(value: Any) -> bool:
    return value is not _MISSING and bool(value)


def _text(value: Any) -> str:
    """What `{{ value }}` prints: nothing when missing, else the value escaped."""
    return "" if value is _MISSING else str(escape(value))


def _content(item: Any) -> str:
    html = _get(item, "html")
    return str(html) if _truthy(html) else _text(_get(item, "text"))


def _classes(base: str, *extra: tuple[str, Any]) -> str:
    out = base
    for prefix, value in extra:
        if _truthy(value):
            out += f" {prefix}{_text(value)}"
    return out


def attributes(given: Any) -> str:
    """govukAttributes: a string as it is; a mapping as ` name="value"` pairs (a value of
    {"value": ..., "optional": True} left out when empty, or bare when True)."""
    if given is _MISSING or given is None:
        return ""
    if isinstance(given, str):
        return str(given)
    if not isinstance(given, Mapping):
        return ""
    out = ""
    for name, value in given.items():
        if isinstance(value, Mapping) and value.get("val") is not None and len(value):
            value = value["val"]
        options = value if isinstance(value, Mapping) else {
            "value": str(value).lower() if isinstance(value, bool) else value, "optional": False}
        optional, shown = options.get("optional", _MISSING), options.get("value", _MISSING)
        if optional is True and shown is True:
            out += f" {escape(name)}"
        elif (optional is True and shown not in (_MISSING, None) and shown is not False) or optional is not True:
            out += f' {escape(name)}="{_text(shown) if shown is not _MISSING else ""}"'
    return out


def _spans(cell: Any) -> str:
    out = ""
    for name in ("colspan", "rowspan"):
        value = _get(cell, name)
        if _truthy(value):
            out += f' {name}="{_text(value)}"'
    return out


def _label(item: Any) -> str:
    """A column heading as plain text, for a cell's `data-label`."""
    return " ".join(re.sub(r"<[^>]*>", " ", _content(item)).split())


def govuk_table(params: Any) -> Markup:
    """The macro's markup, plus what lets a table stack on a phone (app.css `.app-stack`): a
    table with a head gets that class and each body cell its column's heading as `data-label`."""
    head = _get(params, "head")
    labels = [_label(item) for item in head] if _truthy(head) else []
    stack = ("", "app-stack") if labels else ("", None)
    parts = [f'<table class="{_classes("govuk-table", ("", _get(params, "classes")), stack)}"'
             f'{attributes(_get(params, "attributes"))}>\n']
    caption = _get(params, "caption")
    if _truthy(caption):
        parts.append(f'<caption class="{_classes("govuk-table__caption", ("", _get(params, "captionClasses")))}">'
                     f"{_text(caption)}</caption>\n")
    if labels:
        parts.append('<thead class="govuk-table__head">\n<tr class="govuk-table__row">\n')
        for item in head:
            classes = _classes("govuk-table__header", ("govuk-table__header--", _get(item, "format")),
                               ("", _get(item, "classes")))
            parts.append(f'<th scope="col" class="{classes}"{_spans(item)}{attributes(_get(item, "attributes"))}>'
                         f"{_content(item)}</th>\n")
        parts.append("</tr>\n</thead>\n")
    parts.append('<tbody class="govuk-table__body">\n')
    first_is_header = _truthy(_get(params, "firstCellIsHeader"))
    rows = _get(params, "rows")
    for row in (() if rows is _MISSING or rows is None else rows):
        if not row:
            continue
        parts.append('<tr class="govuk-table__row">\n')
        for n, cell in enumerate(row):
            common = _spans(cell) + attributes(_get(cell, "attributes"))
            if n < len(labels) and labels[n] and not _label(cell).startswith(labels[n]):  # not "Lot: Lot 1"
                common += f' data-label="{escape(labels[n])}"'
            if n == 0 and first_is_header:
                parts.append(f'<th scope="row" class="{_classes("govuk-table__header", ("", _get(cell, "classes")))}"'
                             f"{common}>{_content(cell)}</th>\n")
            else:
                classes = _classes("govuk-table__cell", ("govuk-table__cell--", _get(cell, "format")),
                                   ("", _get(cell, "classes")))
                parts.append(f'<td class="{classes}"{common}>{_content(cell)}</td>\n')
        parts.append("</tr>\n")
    parts.append("</tbody>\n</table>\n")
    return Markup("".join(parts))
