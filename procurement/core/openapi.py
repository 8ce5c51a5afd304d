"""How the OpenAPI document describes our fields, where marshmallow's defaults would mislead
a client: Decimal amounts travel as strings ("740.00"), and their bounds are numbers; and ids
taken as input, bounded to what the database can hold, in URLs and in fields."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

from procurement.core.db import MAX_ID

DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"


def _decimal_as_string(self: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Money and quantities are exact decimals written as strings, in and out."""
    out: dict[str, Any] = {}
    if isinstance(field, fields.Decimal):
        out.update(type="string", format="decimal", pattern=DECIMAL_PATTERN)
    for key in ("minimum", "maximum"):
        if isinstance(ret.get(key), (Decimal, str)):
            out[key] = float(ret[key])
    return out


class Plugin(MarshmallowPlugin):
    def init_spec(self, spec: Any) -> None:
        super().init_spec(spec)
        assert self.converter is not None
        self.converter.add_attribute_function(_decimal_as_string)


class DatabaseId(IntegerConverter):
    """`<int:...>` in a URL: a whole number a database id can be (PostgreSQL's integer), so
    that an id too large for the database is a 404, not an overflow in the query."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_field(**kwargs: Any) -> fields.Int:
    """A field holding the id of a row: a whole number from 1 to what the database can hold,
    so that an id too large is refused as input, not an overflow in the query."""
    return fields.Int(validate=validate.Range(min=1, max=MAX_ID), **kwargs)
