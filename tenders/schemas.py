"""Schemas for joint tenders being formed from pools."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from demand.rules import quantity_text
from demand.schemas import BoardArgsSchema
from tenders import rules
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


# A bid's content -----------------------------------------------------------------------------
# Loaded once, at the edge (the API, the bid form, the price schedule file), into the values the
# bidding service takes; the service checks only what needs the tender and the catalogue.

MAX_LOTS, MAX_ITEMS_PER_LOT, MAX_TIERS, MAX_BUNDLES, MAX_ANSWERS = 500, 5000, 50, 100, 50
MAX_ANSWER_CHARS, MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES = 20000, 5, 2 * 1024 * 1024
MAX_CAPACITY = Decimal("100000000000")  # a bid line's capacity column holds 11 digits before the point


class Tier(NamedTuple):
    min_quantity: int
    max_quantity: int | None
    unit_price: Decimal


@dataclass(frozen=True)
class ItemPrice:
    item: int
    unit_price: Decimal
    offer_sku: str = ""
    capacity: Decimal | None = None
    tiers: tuple[Tier, ...] = ()


@dataclass(frozen=True)
class LotPrices:
    lot: int
    items: tuple[ItemPrice, ...] = ()


@dataclass(frozen=True)
class Bundle:
    lots: tuple[int, ...]  # two or more, rising
    discount_percent: Decimal


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Answer:
    criterion: int
    text: str = ""
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class BidInput:
    lots: tuple[LotPrices, ...] = ()
    bundles: tuple[Bundle, ...] = ()
    quality: tuple[Answer, ...] = ()


def _number(what: str, **kwargs: Any) -> fields.Int:
    message = f"give the {what} number"
    return fields.Int(strict=True, validate=validate.Range(min=1, max=1_000_000, error=f"the {what} number is 1 to 1,000,000"),
                      error_messages={"required": message, "invalid": message, "null": message}, **kwargs)


class _BidPart(Schema):
    error_messages = {"unknown": "there is no such field", "type": "give an object with its fields"}


def _entries(schema: type[Schema]) -> fields.Nested:
    return fields.Nested(schema, error_messages={"null": "give an object with its fields"})


class Stripped(fields.Str):
    """Text without its surrounding blanks; longer than `max_length` (after stripping) is refused."""

    def __init__(self, max_length: int, error: str, **kwargs: Any):
        super().__init__(error_messages={"invalid": error}, **kwargs)
        self.max_length, self.error = max_length, error
        self.metadata = {"maxLength": max_length, **self.metadata}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if len(text) > self.max_length:
            raise ValidationError(self.error)
        return text


class Pounds(fields.Str):
    """An amount of pounds above 0 with at most 4 decimal places, as people type it (£1,250.50)
    or as a JSON number; the rule is `rules.parse_price`'s."""

    def __init__(self, what: str, **kwargs: Any):
        super().__init__(error_messages={"required": f"the {what} is missing", "null": f"the {what} is missing"},
                         metadata={"example": "740.00"}, **kwargs)
        self.what = what

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise ValidationError(f"give the {self.what} as an amount, like 740.00")
        try:
            return rules.parse_price(value, self.what)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


class Capacity(fields.Str):
    """The most units the supplier can deliver: blank for no limit."""

    MESSAGE = "the capacity must be a positive number of units"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise ValidationError(self.MESSAGE)
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except ArithmeticError:
            raise ValidationError(self.MESSAGE) from None
        if not amount.is_finite() or amount <= 0:
            raise ValidationError(self.MESSAGE)
        if amount >= MAX_CAPACITY or amount != amount.quantize(Decimal("0.001")):
            raise ValidationError(f"the capacity must be under {MAX_CAPACITY:,} units, to at most 3 decimal places")
        return amount

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str:
        return "" if value in (None, "") else str(value)


class TierSchema(_BidPart):
    min_quantity = fields.Int(required=True, validate=validate.Range(min=1, max=1_000_000_000))
    max_quantity = fields.Int(load_default=None, allow_none=True, validate=validate.Range(min=1, max=1_000_000_000))
    unit_price = Pounds("tier price", required=True)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Tier:
        return Tier(**data)


TIERS_EXAMPLE = "1-199:760.00; 200-:742.00"


class Tiers(fields.Field):
    """Volume tiers: quantity bands with unit prices, rising, not overlapping, only the last
    open-ended. Given as a list of bands, or as the bid form's text `1-199:760.00; 200-:742.00`
    (read here and nowhere else, by `rules.parse_tiers`)."""

    def __init__(self, **kwargs: Any):
        band = {"type": "object", "required": ["min_quantity", "unit_price"], "properties": {
            "min_quantity": {"type": "integer", "minimum": 1}, "max_quantity": {"type": ["integer", "null"], "minimum": 1},
            "unit_price": {"type": "string", "example": "742.00"}}}
        super().__init__(load_default=(), metadata={"oneOf": [
            {"type": "string", "maxLength": 2000, "example": TIERS_EXAMPLE},
            {"type": "array", "maxItems": MAX_TIERS, "items": band}]}, **kwargs)
        self.bands = fields.List(_entries(TierSchema), validate=validate.Length(
            max=MAX_TIERS, error=f"at most {MAX_TIERS} bands"))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[Tier, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            if len(value) > 2000:
                raise ValidationError("the tiers are longer than 2,000 characters")
            try:
                return tuple(Tier(*band) for band in rules.parse_tiers(value))
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
        if not isinstance(value, list):
            raise ValidationError(f"give the tiers as a list of bands, or as text like {TIERS_EXAMPLE}")
        bands = self.bands.deserialize(value)
        try:
            return tuple(Tier(*band) for band in rules.check_tiers(list(bands)))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return [{"min_quantity": low, "max_quantity": high, "unit_price": str(price)} for low, high, price in value or ()]


class ItemPriceSchema(_BidPart):
    item = _number("item", required=True)
    unit_price = Pounds("unit price", required=True)
    offer_sku = Stripped(64, "the offer SKU is at most 64 characters", load_default="",
                         metadata={"description": "your published catalogue offer for the item"})
    capacity = Capacity(load_default=None, metadata={"description": "the most units you can supply; blank for no limit"})
    tiers = Tiers()

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> ItemPrice:
        return ItemPrice(**data)


class LotPricesSchema(_BidPart):
    lot = _number("lot", required=True)
    items = fields.List(_entries(ItemPriceSchema), load_default=list, validate=validate.Length(
        max=MAX_ITEMS_PER_LOT, error=f"at most {MAX_ITEMS_PER_LOT:,} items"), error_messages={"invalid": "give the items as a list"})

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> LotPrices:
        return LotPrices(data["lot"], tuple(data["items"]))


class Percent(fields.Str):
    MESSAGE = "the discount must be a percentage above 0 and below 100, to 2 places"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise ValidationError(self.MESSAGE)
        try:
            percent = Decimal(str(value).strip().removesuffix("%"))
        except ArithmeticError:
            raise ValidationError(self.MESSAGE) from None
        if not percent.is_finite() or not Decimal(0) < percent < Decimal(100) or percent != percent.quantize(Decimal("0.01")):
            raise ValidationError(self.MESSAGE)
        return percent

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


class BundleSchema(_BidPart):
    lots = fields.List(_number("lot"), required=True, validate=validate.Length(
        min=2, max=MAX_LOTS, error="name two or more lots that this bid covers"),
        error_messages={"required": "name two or more lots that this bid covers",
                        "invalid": "name two or more lots that this bid covers"})
    discount_percent = Percent(required=True, error_messages={"required": Percent.MESSAGE})

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Bundle:
        lots = tuple(sorted(set(data["lots"])))
        if len(lots) < 2:
            raise ValidationError("name two or more lots that this bid covers", "lots")
        return Bundle(lots, data["discount_percent"])


BUNDLES_EXAMPLE = "1+2:3.5; 1+2+3:5"


class Bundles(fields.Field):
    """Discounts for being awarded a set of lots. Given as a list, or as the bid form's text
    `1+2:3.5; 1+2+3:5` (lots joined by +, a colon, the percentage), read here and nowhere else."""

    def __init__(self, **kwargs: Any):
        bundle = {"type": "object", "required": ["lots", "discount_percent"], "properties": {
            "lots": {"type": "array", "minItems": 2, "items": {"type": "integer", "minimum": 1}},
            "discount_percent": {"type": "string", "example": "3.5"}}}
        super().__init__(load_default=(), metadata={"oneOf": [
            {"type": "string", "maxLength": 2000, "example": BUNDLES_EXAMPLE},
            {"type": "array", "maxItems": MAX_BUNDLES, "items": bundle}]}, **kwargs)
        self.list = fields.List(_entries(BundleSchema), validate=validate.Length(
            max=MAX_BUNDLES, error=f"at most {MAX_BUNDLES} bundles"))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple[Bundle, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            if len(value) > 2000:
                raise ValidationError("the bundles are longer than 2,000 characters")
            value = [self.parse(part.strip()) for part in value.split(";") if part.strip()]
        if not isinstance(value, list):
            raise ValidationError(f"give the bundles as a list, or as text like {BUNDLES_EXAMPLE}")
        return tuple(self.list.deserialize(value))

    @staticmethod
    def parse(part: str) -> dict[str, Any]:
        """'1+2:3.5' -> {lots: [1, 2], discount_percent: '3.5'}; what is not a lot number is
        left as it is, for the bundle's schema to name."""
        names, _, discount = part.partition(":")
        lots = [int(n) if n.isdecimal() and len(n) < 8 else n for n in names.replace(" ", "").split("+")]
        return {"lots": lots, "discount_percent": discount.strip()}

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return [{"lots": list(b["lots"]), "discount_percent": str(b["discount_percent"])} for b in value or ()]


class Base64(fields.Str):
    MESSAGE = f"attachments are 1 byte to {MAX_ATTACHMENT_BYTES // (1 << 20)} MB, as base64 text"

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > (MAX_ATTACHMENT_BYTES + 2) // 3 * 4 + 4:
            raise ValidationError(self.MESSAGE)
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("the content is not base64 text") from None
        if not content or len(content) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(self.MESSAGE)
        return content


class AttachmentSchema(_BidPart):
    class Meta:
        unknown = EXCLUDE  # a saved draft's attachment also carries its size and digest

    filename = fields.Str(required=True, validate=validate.Length(min=1, max=1000),
                          error_messages={"required": "give the file's name"})
    content_base64 = Base64(required=True, error_messages={"required": "give the file's content, as base64 text"})

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Attachment:
        return Attachment(data["filename"].replace("/", "_").replace("\\", "_")[:200], data["content_base64"])


class QualityAnswerSchema(_BidPart):
    criterion = _number("criterion", required=True)
    text = Stripped(MAX_ANSWER_CHARS, f"the answer is longer than {MAX_ANSWER_CHARS:,} characters", load_default="")
    attachments = fields.List(_entries(AttachmentSchema), load_default=list, validate=validate.Length(
        max=MAX_ATTACHMENTS, error=f"at most {MAX_ATTACHMENTS} attachments"),
        error_messages={"invalid": "give the attachments as a list"})

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Answer:
        return Answer(data["criterion"], data["text"], tuple(data["attachments"]))


class BidContentSchema(_BidPart):
    """A bid: prices by lot and item, bundle discounts, answers to the quality criteria. Each
    problem is named by where it is (`lots.0.items.2.unit_price`); what needs the tender (its
    lots, items and criteria) and your catalogue (the offers named) is checked on saving (422,
    `errors.bid`)."""

    lots = fields.List(_entries(LotPricesSchema), load_default=list, validate=validate.Length(
        max=MAX_LOTS, error=f"at most {MAX_LOTS} lots"), error_messages={"invalid": "give the lots as a list"})
    bundles = Bundles()
    quality = fields.List(_entries(QualityAnswerSchema), load_default=list, validate=validate.Length(
        max=MAX_ANSWERS, error=f"at most {MAX_ANSWERS} answers"), error_messages={"invalid": "give the answers as a list"})

    @validates_schema
    def each_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        """An item is priced once, a criterion answered once, and a bundle names lots the bid prices."""
        errors: dict[str, Any] = {}
        seen: set[tuple[int, int]] = set()
        for n, lot in enumerate(data["lots"]):
            for m, item in enumerate(lot.items):
                if (lot.lot, item.item) in seen:
                    errors.setdefault("lots", {}).setdefault(n, {"items": {}})["items"][m] = {"item": ["priced twice"]}
                seen.add((lot.lot, item.item))
        covered = {lot.lot for lot in data["lots"]}
        for n, bundle in enumerate(data["bundles"]):
            if not set(bundle.lots) <= covered:
                errors.setdefault("bundles", {})[n] = {"lots": ["name two or more lots that this bid covers"]}
        answered: set[int] = set()
        for n, answer in enumerate(data["quality"]):
            if answer.criterion in answered:
                errors.setdefault("quality", {})[n] = {"criterion": ["answered twice"]}
            answered.add(answer.criterion)
        if errors:
            raise ValidationError(errors)

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> BidInput:
        return BidInput(tuple(data["lots"]), tuple(data["bundles"]), tuple(data["quality"]))


class SubmitSchema(BidContentSchema):
    """The bid to submit; an empty body submits your saved draft."""


class BidContentOutSchema(Schema):
    """Your saved draft, in the shape the bid is given in (see `bidding.as_raw`)."""

    lots = fields.List(fields.Dict(), metadata={"description": "[{lot, items: [{item, unit_price, offer_sku, capacity, tiers}]}]"})
    bundles = fields.List(fields.Dict(), metadata={"description": "[{lots: [1, 2], discount_percent}]"})
    quality = fields.List(fields.Dict(), metadata={"description": "[{criterion, text, attachments: [{filename, size, sha256, "
                                                                  "content_base64}]}]"})


# Where a problem is, as the bid form names it: a list's entries by the number they give (lot 2,
# item 1, criterion 3) or else by position; fields whose messages do not name them get a label.
_ENTRIES = {"lots": ("lot", "lots[{}]"), "items": ("item", "line {}"), "tiers": (None, "tier {}"),
            "bundles": (None, "bundle {}"), "quality": ("criterion", "quality[{}]"), "attachments": (None, "attachment {}")}
_LABELS = {"tiers": "tiers: ", "min_quantity": "from quantity: ", "max_quantity": "to quantity: "}
_NAMED = {"_schema", "lot", "lots", "items", "item", "unit_price", "offer_sku", "capacity", "bundles", "discount_percent",
          "quality", "criterion", "text", "attachments", "filename", "content_base64"}


def bid_problems(messages: dict[Any, Any], raw: Any) -> list[tuple[str, str]]:
    """marshmallow's errors on bid content as (sentence, field path) pairs: ('lot 2, item 1:
    the unit price must be more than 0', 'lots.1.items.0.unit_price'). `raw` is the content as
    given, to name lots, items and criteria by their numbers."""
    found: list[tuple[str, str]] = []

    def walk(errors: dict[Any, Any], given: Any, where: list[str], path: str) -> None:
        for name, inner in errors.items():
            here = f"{path}.{name}" if path else str(name)
            if name in _ENTRIES and isinstance(inner, dict) and not path.startswith("bundles"):
                key, fallback = _ENTRIES[name]
                listed = given.get(name) if isinstance(given, dict) else None
                for n, entry_errors in inner.items():
                    entry = listed[n] if isinstance(listed, list) and isinstance(n, int) and 0 <= n < len(listed) else None
                    number = entry.get(key) if key and isinstance(entry, dict) else None
                    label = (f"{key} {number}" if isinstance(number, int) and not isinstance(number, bool)
                             else fallback.format(n + 1 if isinstance(n, int) else n))
                    walk(entry_errors if isinstance(entry_errors, dict) else {"_schema": entry_errors}, entry,
                         [*where, label], f"{here}.{n}")
                continue
            label = _LABELS.get(name, "" if name in _NAMED else f"'{name}': ")
            if isinstance(inner, dict):  # a list of values (a bundle's lots): its messages, once each
                inner = list(dict.fromkeys(m for messages in inner.values() for m in messages))
            for message in inner if isinstance(inner, list) else [inner]:
                found.append((f"{', '.join(where) or 'The bid'}: {label}{message}", path if name == "_schema" else here))

    walk(messages, raw, [], "")
    return found


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
    """An awarded tender as a bidder's assessment summary names it (regulation 31)."""

    supplier = fields.Function(lambda a: a.supplier.legal_name)
    identifier = fields.Function(lambda a: a.supplier.org_identifier)
    postal_address = fields.Function(lambda a: a.supplier.postal_address)
    email = fields.Function(lambda a: a.supplier.contact_email)
    share_percent = fields.Function(lambda a: str(a.share.share_percent))
    value = fields.Function(lambda a: str(a.share.value))
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
