"""Schemas for joint tenders being formed from pools."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from demand.rules import quantity_text
from demand.schemas import BoardArgsSchema
from tenders.models import ShortPeriodGround


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
    status = fields.Function(lambda v: v.tender.effective_status.value)
    confirm_by = fields.Function(lambda v: v.tender.confirm_by.isoformat())
    confirmation_closed_at = fields.Function(
        lambda v: v.tender.confirmation_closed_at.isoformat() if v.tender.confirmation_closed_at else None)
    lots = fields.Function(lambda v: LotSchema(many=True).dump(v.lots))


class DetailsSchema(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    description = fields.Str(load_default="", validate=validate.Length(max=5000))
    price_weight = fields.Int(required=True, validate=validate.Range(min=0, max=100))
    clarification_deadline = fields.AwareDateTime(required=True)
    submission_deadline = fields.AwareDateTime(required=True)
    expected_award_on = fields.Date(load_default=None, allow_none=True)
    lot_values = fields.Dict(keys=fields.Str(), values=fields.Decimal(places=2), load_default=dict,
                             metadata={"description": "lot number -> estimated value ex VAT"})
    lot_titles = fields.Dict(keys=fields.Str(), values=fields.Str(validate=validate.Length(min=1, max=200)), load_default=dict,
                             metadata={"description": "lot number -> the lot's title, as suppliers see it"})


WEIGHT, PASS_MARK = "the weight is a whole number from 1 to 100", "the pass mark is a whole number from 0 to 5"


class CriterionSchema(Schema):
    """A quality criterion, from the API or the criteria form (crit-N-name, crit-N-weight,
    crit-N-descriptors a line each, crit-N-pass)."""

    name = fields.Str(required=True, validate=validate.Length(min=1, max=200, error="enter a name of at most 200 characters"))
    weight = fields.Int(required=True, validate=validate.Range(min=1, max=100, error=WEIGHT),
                        error_messages={"invalid": WEIGHT, "required": WEIGHT, "null": WEIGHT})
    descriptors = fields.List(fields.Str(validate=validate.Length(max=500, error="each mark's descriptor is at most 500 characters")),
                              required=True, validate=validate.Length(max=20), metadata={"description": "six: what marks 0 to 5 mean"})
    pass_mark = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=0, max=5, error=PASS_MARK),
                           error_messages={"invalid": PASS_MARK})


class CriteriaSchema(Schema):
    criteria = fields.List(fields.Nested(CriterionSchema), required=True, validate=validate.Length(max=20))


MARK = "Marks are whole numbers from 0 to 5"


class ScoreSchema(Schema):
    """A mark, or a moderated score, entered in the evaluation form (score-B-C with why-B-C;
    cons-B-C with rationale-B-C): bid B's response to criterion C."""

    opened_bid = fields.Int(required=True, validate=validate.Range(min=1))
    criterion = fields.Int(required=True, validate=validate.Range(min=1))
    score = fields.Int(required=True, validate=validate.Range(min=0, max=5, error=MARK), error_messages={"invalid": MARK})
    text = fields.Str(load_default="", validate=validate.Length(max=20000, error="A justification is at most 20,000 characters"))


class ScoresSchema(Schema):
    scores = fields.List(fields.Nested(ScoreSchema), load_default=list, validate=validate.Length(max=5000))


CHOOSE_EVALUATORS, CHOOSE_LEAD = "Choose the evaluators from the list", "Choose the lead evaluator"


class PanelSchema(Schema):
    """The evaluation panel, as the form names it (an `evaluator` checkbox a user, and `lead`)."""

    evaluators = fields.List(fields.Int(validate=validate.Range(min=1, max=2**31 - 1, error=CHOOSE_EVALUATORS),
                                        error_messages={"invalid": CHOOSE_EVALUATORS}),
                             load_default=list, validate=validate.Length(max=100, error="Name at most 100 evaluators"))
    lead = fields.Int(required=True, validate=validate.Range(min=1, max=2**31 - 1, error=CHOOSE_LEAD),
                      error_messages={"required": CHOOSE_LEAD, "null": CHOOSE_LEAD, "invalid": CHOOSE_LEAD})


class PublishSchema(Schema):
    """Publication, with the ground for a tendering period under 25 days if there is one; only
    the chosen ground's own fields are kept."""

    short_period_ground = fields.Enum(
        ShortPeriodGround, by_value=True, load_default=None, allow_none=True,
        metadata={"description": "urgency (with short_period_reason) or planned_procurement_notice (with "
                                 "planned_notice_published_on, 40 days to a year before publication); none: 25 days"})
    short_period_reason = fields.Str(load_default="", validate=validate.Length(max=500),
                                     metadata={"description": "the stated urgency"})
    planned_notice_published_on = fields.Date(load_default=None, allow_none=True)
    planned_notice_reference = fields.Str(load_default="", validate=validate.Length(max=100))


class AmendmentSchema(Schema):
    summary = fields.Str(required=True, validate=validate.Length(min=1, max=5000))
    new_deadline = fields.AwareDateTime(load_default=None, allow_none=True)


class AmendmentOutSchema(Schema):
    number = fields.Int()
    summary = fields.Str()
    published_at = fields.AwareDateTime()
    previous_deadline = fields.AwareDateTime()
    new_deadline = fields.AwareDateTime()


class CancelSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class QuestionSchema(Schema):
    question = fields.Str(required=True, validate=validate.Length(min=1, max=5000))


class AnswerSchema(Schema):
    answer = fields.Str(required=True, validate=validate.Length(min=1, max=5000))


class ClarificationSchema(Schema):
    """Never who asked."""

    id = fields.Int()
    question = fields.Str()
    answer = fields.Str()
    asked_at = fields.AwareDateTime()
    answered_at = fields.AwareDateTime(allow_none=True)


class CriterionOutSchema(Schema):
    number = fields.Int()
    name = fields.Str()
    weight = fields.Int()
    descriptors = fields.List(fields.Str())
    pass_mark = fields.Int(allow_none=True)


class LotItemSchema(Schema):
    number = fields.Int()
    description = fields.Str()
    catalogue_item_id = fields.Int(allow_none=True)
    cpv_code = fields.Str()
    unit = fields.Str()
    quantity = fields.Function(lambda i: quantity_text(i.quantity))


class PublishedLotSchema(Schema):
    number = fields.Int()
    title = fields.Str()
    cpv_code = fields.Str()
    estimated_value = fields.Decimal(as_string=True, allow_none=True)
    items = fields.List(fields.Nested(LotItemSchema))


class DocumentSchema(Schema):
    id = fields.Int()
    title = fields.Str()
    filename = fields.Str()
    size = fields.Int()
    sha256 = fields.Str()
    amendment_number = fields.Int(allow_none=True)


class OpportunitySchema(Schema):
    """A tender as suppliers see it: no organisation's lines."""

    id = fields.Int()
    reference = fields.Str()
    title = fields.Str()
    description = fields.Str()
    status = fields.Function(lambda t: t.effective_status.value)
    procedure = fields.Function(lambda t: t.procedure.value)
    price_weight = fields.Int()
    price_formula = fields.Function(lambda t: "price score = price weight x lowest price / this bid's price")
    clarification_deadline = fields.AwareDateTime(allow_none=True)
    submission_deadline = fields.AwareDateTime(allow_none=True)
    expected_award_on = fields.Date(allow_none=True)
    short_period_ground = fields.Enum(ShortPeriodGround, by_value=True, allow_none=True)
    short_period_reason = fields.Str(metadata={"description": "the stated urgency, with that ground"})
    planned_notice_published_on = fields.Date(allow_none=True)
    planned_notice_reference = fields.Str()
    lots = fields.List(fields.Nested(PublishedLotSchema))
    criteria = fields.List(fields.Nested(CriterionOutSchema))
    documents = fields.List(fields.Nested(DocumentSchema))
    amendments = fields.List(fields.Nested(AmendmentOutSchema))


class OpportunityArgsSchema(Schema):
    cpv = fields.Str(load_default=None, validate=validate.Regexp(r"^\d{8}(-\d)?$", error="Enter an 8-digit CPV code"))


class ReceiptSchema(Schema):
    reference = fields.Str()
    version = fields.Int()
    state = fields.Str()
    submitted_at = fields.AwareDateTime()
    size = fields.Int()
    digest = fields.Str(metadata={"description": "SHA-256 of the canonical bid"})


class MyBidSchema(Schema):
    status = fields.Function(lambda m: m.bid.status.value if m.bid else "none")
    needs_reconfirmation = fields.Function(lambda m: bool(m.bid and m.bid.needs_reconfirmation))
    has_draft = fields.Bool()
    receipts = fields.List(fields.Nested(ReceiptSchema))


class BoxFactSchema(Schema):
    supplier = fields.Str()
    version = fields.Int()
    state = fields.Str()
    submitted_at = fields.AwareDateTime()
    size = fields.Int()
    digest = fields.Str()


class OpeningResultSchema(Schema):
    opened = fields.Int()
    corrupt = fields.Int()
    lines = fields.Int()


class OpenedBidSchema(Schema):
    id = fields.Int()
    supplier_id = fields.Int()
    version = fields.Int()
    digest = fields.Str()
    intact = fields.Bool()
    reconfirmed = fields.Bool()
    note = fields.Str()


class SavingSchema(Schema):
    organisation_id = fields.Int()
    organisation = fields.Str()
    lot = fields.Int()
    order = fields.Str()
    baseline = fields.Decimal(as_string=True)
    cost = fields.Decimal(as_string=True)
    saving = fields.Decimal(as_string=True)
    percent = fields.Decimal(as_string=True, allow_none=True)


class OrderSchema(Schema):
    """A call-off order (a row of `evaluation.organisation_orders`)."""

    reference = fields.Function(lambda r: r[0].reference)
    organisation_id = fields.Function(lambda r: r[0].organisation_id)
    tender = fields.Function(lambda r: r[3].reference)
    lot = fields.Function(lambda r: r[2].number)
    supplier = fields.Function(lambda r: r[4])
    lines = fields.Function(lambda r: r[0].lines)
    total = fields.Function(lambda r: str(r[0].total))
    baseline = fields.Function(lambda r: str(r[0].baseline))
    saving = fields.Function(lambda r: str(r[0].saving))


class EntrySchema(Schema):
    bid = fields.Int()
    total = fields.Decimal(as_string=True)
    price_score = fields.Decimal(as_string=True)
    quality_score = fields.Decimal(as_string=True)
    score = fields.Decimal(as_string=True)
    eligible = fields.Bool()
    excluded = fields.Str()
    failed_criteria = fields.Function(lambda e: e.failed)


class RankingSchema(Schema):
    lot = fields.Function(lambda r: r.lot.number)
    complete = fields.Bool()
    entries = fields.Function(lambda r: [dict(EntrySchema().dump(e), supplier=r.suppliers.get(e.bid)) for e in r.entries])


def _marks(marks: list) -> list[dict]:
    return [{"criterion": m.criterion.name, "weight": m.criterion.weight, "pass_mark": m.criterion.pass_mark,
             "score": m.score, "reason": m.reason} for m in marks]


class AwardedTenderSchema(Schema):
    """An awarded tender as a bidder's assessment summary names it (regulation 31): who, and
    its scores, as the bidder's page and letter show it, never its price."""

    supplier = fields.Function(lambda a: a.supplier.legal_name)
    identifier = fields.Function(lambda a: a.supplier.org_identifier)
    postal_address = fields.Function(lambda a: a.supplier.postal_address)
    email = fields.Function(lambda a: a.supplier.contact_email)
    share_percent = fields.Function(lambda a: str(a.share.share_percent))
    price_score = fields.Function(lambda a: str(a.share.price_score))
    quality_score = fields.Function(lambda a: str(a.share.quality_score))
    score = fields.Function(lambda a: str(a.share.score))
    criteria = fields.Function(lambda a: _marks(a.marks))


class ResultSchema(Schema):
    """A bidder's assessment summary for one lot it bid for."""

    lot = fields.Function(lambda r: r.lot.number)
    won = fields.Bool()
    own = fields.Function(lambda r: EntrySchema().dump(r.own))
    criteria = fields.Function(lambda r: _marks(r.marks))
    awarded = fields.Function(lambda r: AwardedTenderSchema(many=True).dump(r.awarded))
    basis = fields.Str(attribute="explanation", metadata={"description": "why the award goes where it goes"})
    reason = fields.Str(metadata={"description": "why this bidder is not awarded the lot, when it is not"})
    advantages = fields.Str()


class AwardRulesSchema(Schema):
    optimised = fields.Bool(required=True, metadata={"description": "the award may be optimised across lots"})
    max_suppliers_per_lot = fields.Int(load_default=1, validate=validate.Range(min=1, max=10))
    min_share_percent = fields.Decimal(places=2, load_default=Decimal(0), validate=validate.Range(min=0, max=99.99),
                                       metadata={"description": "each supplier's least share of a split lot"})
    max_lots_per_supplier = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=1, max=1000))
    min_suppliers = fields.Int(load_default=1, validate=validate.Range(min=1, max=1000))
    every_lot = fields.Bool(load_default=True)


class OptimisedAwardSchema(Schema):
    id = fields.Int()
    tender_id = fields.Int()
    job_id = fields.Int(allow_none=True)
    status = fields.Str()
    total = fields.Decimal(as_string=True, allow_none=True)
    lot_by_lot_total = fields.Decimal(as_string=True, allow_none=True)
    result = fields.Dict(metadata={"description": "cost and score scenarios (allocation, discounts, gap, binding "
                                                  "rules, comparisons), each organisation's costs and shares"})
    created_at = fields.AwareDateTime()
    adopted_at = fields.AwareDateTime(allow_none=True)
