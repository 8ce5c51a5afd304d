"""Demand schemas: requirements in and out, the board's filter and pools, a buyer's share."""
from __future__ import annotations

from flask import url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from demand.board import DEFAULT_SORT, SORTS
from demand.models import RequirementStatus
from demand.rules import DEPTHS, quantity_text
from procurement.parties.models import Partnership
from procurement.core.openapi import id_field


class QuantityField(fields.Field):
    def _serialize(self, value, attr, obj, **kwargs):  # type: ignore[no-untyped-def]
        return None if value is None else quantity_text(value)


class RequirementSchema(Schema):
    id = fields.Int()
    organisation_id = fields.Int()
    raised_by_label = fields.Str()
    catalogue_item_id = fields.Int(allow_none=True)
    cpv_code = fields.Str()
    title = fields.Str()
    specification = fields.Str()
    quantity = QuantityField()
    unit = fields.Str()
    delivery_location = fields.Str()
    needed_by = fields.Date()
    baseline_unit_price = fields.Decimal(as_string=True)
    notes = fields.Str()
    status = fields.Enum(RequirementStatus, by_value=True)
    status_reason = fields.Str()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    submitted_at = fields.AwareDateTime(allow_none=True)


class RequirementWriteSchema(Schema):
    organisation_id = id_field(load_default=None, allow_none=True,
                               metadata={"description": "Needed only if you buy for more than one organisation"})
    catalogue_item_id = id_field(load_default=None, allow_none=True)
    title = fields.Str(load_default="", validate=validate.Length(max=200))
    cpv_code = fields.Str(load_default="", validate=validate.Length(max=10))
    specification = fields.Str(load_default="", validate=validate.Length(max=5000))
    quantity = fields.Str(required=True, validate=validate.Length(max=20), metadata={"description": "A string: '120' or '37.5'"})
    unit = fields.Str(load_default="", validate=validate.Length(max=40))
    delivery_location = fields.Str(required=True, validate=validate.Length(max=200))
    needed_by = fields.Date(required=True)
    baseline_unit_price = fields.Str(required=True, validate=validate.Length(max=20),
                                     metadata={"description": "What you pay today per unit, pounds ex VAT: '845.00'"})
    notes = fields.Str(load_default="", validate=validate.Length(max=5000))


class RequirementCreateSchema(RequirementWriteSchema):
    submit = fields.Bool(load_default=False, metadata={"description": "Submit it to the demand board at once"})


class RequirementListArgsSchema(Schema):
    organisation_id = id_field(load_default=None)
    status = fields.Enum(RequirementStatus, by_value=True, load_default=None)


class ReasonSchema(Schema):
    reason = fields.Str(load_default="", validate=validate.Length(max=500))


class BoardArgsSchema(Schema):
    depth = fields.Str(load_default="class", validate=validate.OneOf(list(DEPTHS)))
    needed_from = fields.Date(load_default=None)
    needed_to = fields.Date(load_default=None)
    partnership = fields.Enum(Partnership, by_value=True, load_default=None)
    # The API lists every pool unless asked (its clients filter); the board's page shows pools
    # of two or more organisations by default.
    min_organisations = fields.Int(load_default=1, validate=validate.Range(min=1, max=1000))
    above_threshold_only = fields.Bool(load_default=False)
    sort = fields.Str(load_default=DEFAULT_SORT, validate=validate.OneOf(list(SORTS)))

    @validates_schema
    def _window(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if data.get("needed_from") and data.get("needed_to") and data["needed_to"] < data["needed_from"]:
            raise ValidationError("The end of the window must not be before its start", "needed_to")


class ThresholdSchema(Schema):
    amount_inc_vat = fields.Decimal(as_string=True)
    authority_class = fields.Str()
    valid_from = fields.Date()
    source = fields.Str()


class EstimateSchema(Schema):
    baseline_spend = fields.Decimal(as_string=True)
    joint_unit_price = fields.Decimal(as_string=True, allow_none=True)
    joint_spend = fields.Decimal(as_string=True, allow_none=True)
    saving = fields.Decimal(as_string=True, allow_none=True)
    saving_percent = fields.Decimal(as_string=True, allow_none=True)
    value_inc_vat = fields.Decimal(as_string=True)
    threshold = fields.Nested(ThresholdSchema, allow_none=True)
    above_threshold = fields.Bool(allow_none=True)
    best_offer_id = fields.Int(allow_none=True)


class PoolSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    catalogue_item_id = fields.Int(allow_none=True)
    cpv_code = fields.Str()
    unit = fields.Str()
    lines = fields.Function(lambda p: p.totals.lines)
    organisation_count = fields.Function(lambda p: len(p.totals.organisation_ids))
    organisations = fields.Function(lambda p: [{"id": i, "name": n} for i, n in p.organisations])
    total_quantity = fields.Function(lambda p: quantity_text(p.totals.quantity))
    earliest_needed_by = fields.Date()
    latest_needed_by = fields.Date()
    estimate = fields.Nested(EstimateSchema)


class OwnShareSchema(Schema):
    """A pool as a buyer sees it: totals and their own part; no other organisation's lines."""

    key = fields.Function(lambda s: s.pool.key)
    label = fields.Function(lambda s: s.pool.label)
    unit = fields.Function(lambda s: s.pool.unit)
    organisation_count = fields.Function(lambda s: len(s.pool.totals.organisation_ids))
    pooled_quantity = fields.Function(lambda s: quantity_text(s.pool.totals.quantity))
    joint_unit_price = fields.Function(lambda s: None if s.pool.estimate.joint_unit_price is None else str(s.pool.estimate.joint_unit_price))
    own_quantity = fields.Function(lambda s: quantity_text(s.own.quantity))
    own_baseline_spend = fields.Decimal(as_string=True)
    own_saving = fields.Decimal(as_string=True, allow_none=True)


class UploadErrorSchema(Schema):
    row_number = fields.Int()
    column = fields.Str()
    message = fields.Str()


class UploadSchema(Schema):
    id = fields.Int()
    url = fields.Function(lambda u: url_for("demand_api.UploadById", upload_id=u.id),
                          metadata={"description": "Where to read its status and outcome"})
    organisation_id = fields.Int()
    filename = fields.Str()
    status = fields.Function(lambda u: u.status.value, metadata={
        "description": "checking (its job reads every row), then done (all rows added) or rejected (none)"})
    job_status = fields.Function(lambda u: None if u.has_outcome else u.state, allow_none=True, metadata={
        "description": "While checking: queued, running, or failed (tried again automatically)"})
    progress = fields.Function(lambda u: 100 if u.has_outcome else u.job.progress if u.job else 0,
                               metadata={"description": "Percent, from the upload's job"})
    progress_note = fields.Function(lambda u: "" if u.has_outcome or u.job is None else u.job.progress_note)
    submit = fields.Bool(metadata={"description": "Rows become submitted requirements (otherwise drafts)"})
    rows_total = fields.Int()
    rows_invalid = fields.Int()
    requirements_created = fields.Int()
    message = fields.Str()
    errors = fields.List(fields.Nested(UploadErrorSchema))
    created_at = fields.AwareDateTime()
    checked_at = fields.AwareDateTime(allow_none=True)


class UploadFormSchema(Schema):
    organisation_id = id_field(load_default=None)
    submit = fields.Bool(load_default=True)
