"""Schemas for joint tenders being formed from pools."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from procurement.demand.rules import quantity_text
from procurement.demand.schemas import BoardArgsSchema


class FormTenderSchema(BoardArgsSchema):
    pool_keys = fields.List(fields.Str(validate=validate.Length(max=100)), required=True,
                            validate=validate.Length(min=1, max=500))
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    description = fields.Str(load_default="", validate=validate.Length(max=5000))
    confirm_by = fields.Date(required=True)
    merge = fields.Bool(load_default=False)


class LotLineSchema(Schema):
    id = fields.Int()
    requirement_id = fields.Int()
    organisation_id = fields.Int()
    quantity = fields.Function(lambda line: quantity_text(line.quantity))
    baseline_unit_price = fields.Decimal(as_string=True)
    status = fields.Function(lambda line: line.status.value)
    responded_at = fields.AwareDateTime(allow_none=True)


class LotSchema(Schema):
    """A lot summary from `pooling.lot_summary`: a buyer's has their own lines only."""

    id = fields.Function(lambda s: s["lot"].id)
    number = fields.Function(lambda s: s["lot"].number)
    title = fields.Function(lambda s: s["lot"].title)
    catalogue_item_id = fields.Function(lambda s: s["lot"].catalogue_item_id)
    cpv_code = fields.Function(lambda s: s["lot"].cpv_code)
    unit = fields.Function(lambda s: s["lot"].unit)
    estimated_unit_price = fields.Function(
        lambda s: None if s["lot"].estimated_unit_price is None else str(s["lot"].estimated_unit_price))
    confirmed_quantity = fields.Function(lambda s: quantity_text(s["confirmed_quantity"]))
    organisations = fields.Int()
    lines_by_status = fields.Dict(keys=fields.Str(), values=fields.Int())
    lines = fields.Function(lambda s: LotLineSchema(many=True).dump(s["visible_lines"]))


class TenderSchema(Schema):
    """A `pooling.TenderView`."""

    id = fields.Function(lambda v: v.tender.id)
    reference = fields.Function(lambda v: v.tender.reference)
    title = fields.Function(lambda v: v.tender.title)
    description = fields.Function(lambda v: v.tender.description)
    status = fields.Function(lambda v: v.tender.status.value)
    confirm_by = fields.Function(lambda v: v.tender.confirm_by.isoformat())
    confirmation_closed_at = fields.Function(
        lambda v: v.tender.confirmation_closed_at.isoformat() if v.tender.confirmation_closed_at else None)
    lots = fields.Function(lambda v: LotSchema(many=True).dump(v.lots))
