"""Catalogue schemas: one per direction; suppliers' own fields only on their own offers."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from catalogue.models import ImportMode, OfferStatus
from catalogue.search import SORTS
from procurement.core.openapi import id_field


class PriceBreakField(fields.Field):
    def _serialize(self, value, attr, obj, **kwargs):  # type: ignore[no-untyped-def]
        return [{"min_quantity": int(q), "unit_price": str(p)} for q, p in (value or [])]


class OfferSchema(Schema):
    id = fields.Int()
    supplier_id = fields.Int()
    sku = fields.Str()
    title = fields.Str()
    description = fields.Str()
    manufacturer = fields.Str()
    manufacturer_part_number = fields.Str()
    gtin = fields.Str(allow_none=True)
    cpv_code = fields.Str()
    unit = fields.Str()
    list_price = fields.Decimal(as_string=True)
    vat_rate = fields.Decimal(as_string=True)
    price_breaks = PriceBreakField()
    lead_time_days = fields.Int(allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    status = fields.Enum(OfferStatus, by_value=True)
    catalogue_item_id = fields.Int(allow_none=True)
    updated_at = fields.AwareDateTime()


class OfferWriteSchema(Schema):
    sku = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    title = fields.Str(required=True, validate=validate.Length(min=1, max=300))
    cpv_code = fields.Str(required=True, validate=validate.Length(min=8, max=10))
    unit = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    list_price = fields.Str(required=True, validate=validate.Length(max=20),
                            metadata={"description": "Pounds excluding VAT, as a string: '812.50'"})
    description = fields.Str(load_default="", validate=validate.Length(max=5000))
    manufacturer = fields.Str(load_default="", validate=validate.Length(max=120))
    manufacturer_part_number = fields.Str(load_default="", validate=validate.Length(max=80))
    gtin = fields.Str(load_default="", validate=validate.Length(max=14))
    vat_rate = fields.Str(load_default="20", validate=validate.Length(max=6))
    price_breaks = fields.Str(load_default="", validate=validate.Length(max=500),
                              metadata={"description": "quantity:price pairs separated by ';'"})
    lead_time_days = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=0, max=3650))
    valid_from = fields.Date(load_default=None, allow_none=True)
    valid_to = fields.Date(load_default=None, allow_none=True)
    status = fields.Str(load_default="draft", validate=validate.OneOf([s.value for s in OfferStatus]))


class SearchArgsSchema(Schema):
    q = fields.Str(load_default="", validate=validate.Length(max=200))
    cpv = fields.Str(load_default=None, validate=validate.Regexp(r"^\d{8}(-\d)?$", error="Enter an 8-digit CPV code"))
    supplier_id = id_field(load_default=None)
    min_price = fields.Decimal(load_default=None, validate=validate.Range(min=0), places=2)
    max_price = fields.Decimal(load_default=None, validate=validate.Range(min=0), places=2)
    status = fields.Str(load_default=None, validate=validate.OneOf([s.value for s in OfferStatus]))
    sort = fields.Str(load_default="relevance", validate=validate.OneOf(SORTS))
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Int(load_default=25, validate=validate.Range(min=1, max=100))

    @validates_schema
    def _range(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if data.get("min_price") is not None and data.get("max_price") is not None \
                and data["min_price"] > data["max_price"]:
            raise ValidationError("The lowest price must not be above the highest", "min_price")


class SearchPageSchema(Schema):
    offers = fields.List(fields.Nested(OfferSchema))
    total = fields.Int()
    page = fields.Int()
    per_page = fields.Int()
    pages = fields.Int()
    total_is_capped = fields.Bool(metadata={"description": "true when browsing without words and the count stopped at 10,000"})


class CatalogueItemSchema(Schema):
    id = fields.Int()
    name = fields.Str()
    cpv_code = fields.Str()
    unit = fields.Str()
    key_attributes = fields.Str()


class CatalogueItemCreateSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    cpv_code = fields.Str(required=True, validate=validate.Length(min=8, max=10))
    unit = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    key_attributes = fields.Str(load_default="", validate=validate.Length(max=500))


class LinkSchema(Schema):
    offer_id = id_field(required=True)


class CompareArgsSchema(Schema):
    quantity = fields.Int(load_default=1, validate=validate.Range(min=1, max=10_000_000))


class ComparisonSchema(Schema):
    offer_id = fields.Function(lambda c: c.offer.id)
    sku = fields.Function(lambda c: c.offer.sku)
    title = fields.Function(lambda c: c.offer.title)
    supplier = fields.Str(attribute="supplier_name")
    unit_price = fields.Function(lambda c: str(c.quote.unit_price) if c.quote else None)
    total = fields.Function(lambda c: str(c.quote.total) if c.quote else None)
    unavailable = fields.Str(allow_none=True)


class ImportSchema(Schema):
    id = fields.Int()
    supplier_id = fields.Int()
    filename = fields.Str()
    mode = fields.Enum(ImportMode, by_value=True)
    status = fields.Str(attribute="state", metadata={
        "description": "queued, running or failed (the job's, until there is an outcome), then done, rejected or failed"})
    outcome = fields.Function(lambda r: r.outcome.value if r.outcome else None, allow_none=True)
    job_id = fields.Int(allow_none=True)
    progress = fields.Function(lambda r: 100 if r.outcome else r.job.progress if r.job else 0,
                               metadata={"description": "Percent, from the import's job"})
    progress_note = fields.Function(lambda r: "" if r.outcome or r.job is None else r.job.progress_note)
    rows_total = fields.Int(allow_none=True)
    rows_done = fields.Int()
    rows_invalid = fields.Int()
    offers_created = fields.Int()
    offers_updated = fields.Int()
    offers_unchanged = fields.Int()
    message = fields.Str()
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)


class ImportUploadSchema(Schema):
    mode = fields.Str(load_default="all_or_nothing", validate=validate.OneOf([m.value for m in ImportMode]))


class MatchLineSchema(Schema):
    description = fields.Str(load_default="", validate=validate.Length(max=500))
    gtin = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=14))
    part_number = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=80))
    sku = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=64))
    cpv = fields.Str(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{8}$"))
    quantity = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=1, max=10_000_000))


class MatchRequestSchema(Schema):
    lines = fields.List(fields.Nested(MatchLineSchema), required=True, validate=validate.Length(min=1, max=1000))
    supplier_id = id_field(load_default=None, allow_none=True)


class MatchSchema(Schema):
    offer_id = fields.Int(allow_none=True)
    catalogue_item_id = fields.Int(allow_none=True)
    confidence = fields.Float()
    reason = fields.Str()


class MatchResultSchema(Schema):
    status = fields.Str()
    best = fields.Nested(MatchSchema, allow_none=True)
    alternatives = fields.List(fields.Nested(MatchSchema))
