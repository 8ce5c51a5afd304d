"""Supplier schemas: the directory view and the registration input."""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class SupplierSchema(Schema):
    id = fields.Int()
    legal_name = fields.Str()
    companies_house_number = fields.Str(allow_none=True)
    org_identifier = fields.Str(allow_none=True)
    is_sme = fields.Bool()
    is_voluntary_sector = fields.Bool()
    vat_number = fields.Str(allow_none=True)
    contact_name = fields.Str()
    contact_email = fields.Str()
    contact_phone = fields.Str(allow_none=True)
    postal_address = fields.Str()


class SupplierCreateSchema(Schema):
    legal_name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    companies_house_number = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=10))
    is_sme = fields.Bool(load_default=False)
    is_voluntary_sector = fields.Bool(load_default=False)
    vat_number = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=20))
    contact_name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    contact_email = fields.Str(required=True, validate=validate.Length(max=254))
    contact_phone = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    postal_address = fields.Str(load_default="", validate=validate.Length(max=500))
