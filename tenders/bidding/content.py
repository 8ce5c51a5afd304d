"""A bid's content, loaded once at the edge (the API, the bid form, the price schedule file)
into the values the bidding service takes: nested schemas for lots, items, tiers, bundles and
quality answers, with limits, and `bid_problems` for the form's messages."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from procurement.core import uploads
from tenders import rules


# A bid's content -----------------------------------------------------------------------------
# Loaded once, at the edge (the API, the bid form, the price schedule file), into the values the
# bidding service takes; the service checks only what needs the tender and the catalogue.

MAX_LOTS, MAX_ITEMS_PER_LOT, MAX_TIERS, MAX_BUNDLES, MAX_ANSWERS = 500, 5000, 50, 100, 50
MAX_ANSWER_CHARS, MAX_ATTACHMENTS, MAX_ATTACHMENT_BYTES = 20000, 5, 2 * 1024 * 1024
MAX_CAPACITY = Decimal("100000000000")  # a bid line's capacity column holds 11 digits before the point
WHERE = "{where}"  # in a message: the line, bundle or answer it is about, put in by `bid_problems`


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
            if "is not a number" in str(exc):  # the rule quotes what was typed; the form shows it at the field
                raise ValidationError(f"Enter the {self.what} for {WHERE} as a number of pounds, like 720.00") from None
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


def _units(what: str, **kwargs: Any) -> fields.Int:
    message = f"the {what} must be a whole number of units"
    return fields.Int(validate=validate.Range(min=1, max=1_000_000_000, error=f"the {what} is 1 to 1,000,000,000 units"),
                      error_messages={"required": f"the {what} is missing", "invalid": message}, **kwargs)


class TierSchema(_BidPart):
    min_quantity = _units("from quantity", required=True)
    max_quantity = _units("to quantity", load_default=None, allow_none=True)
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
        min=2, max=MAX_LOTS, error="tick two or more lots that you bid for"),
        error_messages={"required": "tick two or more lots that you bid for",
                        "invalid": "tick two or more lots that you bid for"})
    discount_percent = Percent(required=True, error_messages={"required": Percent.MESSAGE})

    @post_load
    def make(self, data: dict[str, Any], **kwargs: Any) -> Bundle:
        lots = tuple(sorted(set(data["lots"])))
        if len(lots) < 2:
            raise ValidationError("tick two or more lots that you bid for", "lots")
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
        problem = uploads.type_problem(data["filename"], data["content_base64"], uploads.QUALITY_ATTACHMENTS)
        if problem:
            raise ValidationError(problem, "filename")
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

    bundles_priced = True  # a bundle names only lots the bid prices (a draft's may name lots still to price)
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
            if self.bundles_priced and not set(bundle.lots) <= covered:
                errors.setdefault("bundles", {})[n] = {"lots": ["tick two or more lots that you bid for"]}
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


class DraftContentSchema(BidContentSchema):
    """A draft from the bid form: a bundle may name a lot not priced yet (submitting asks)."""

    bundles_priced = False


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
            "bundles": (None, "Bundle {}"), "quality": ("criterion", "quality[{}]"), "attachments": (None, "attachment {}")}
_LABELS = {"tiers": "tiers: "}
_NAMED = {"_schema", "min_quantity", "max_quantity", "lot", "lots", "items", "item", "unit_price", "offer_sku", "capacity", "bundles", "discount_percent",
          "quality", "criterion", "text", "attachments", "filename", "content_base64"}


def bid_problems(messages: dict[Any, Any], raw: Any, items: dict[tuple[int, int], str] | None = None) -> list[tuple[str, str]]:
    """marshmallow's errors on bid content as (sentence, field path) pairs: ('lot 2, item 1:
    the unit price must be more than 0', 'lots.1.items.0.unit_price'). `raw` is the content as
    given, to name lots, items and criteria by their numbers; `items` (a tender's item
    descriptions by lot and item) names a line by what it is instead. A message that says where
    it is about inside the sentence holds WHERE."""
    found: list[tuple[str, str]] = []

    def walk(errors: dict[Any, Any], given: Any, where: list[str], path: str, lot: Any = None) -> None:
        for name, inner in errors.items():
            here = f"{path}.{name}" if path else str(name)
            if name in _ENTRIES and isinstance(inner, dict) and not path.startswith("bundles"):
                key, fallback = _ENTRIES[name]
                listed = given.get(name) if isinstance(given, dict) else None
                for n, entry_errors in inner.items():
                    entry = listed[n] if isinstance(listed, list) and isinstance(n, int) and 0 <= n < len(listed) else None
                    number = entry.get(key) if key and isinstance(entry, dict) else None
                    numbered = isinstance(number, int) and not isinstance(number, bool)
                    label = (f"{key} {number}" if numbered else fallback.format(n + 1 if isinstance(n, int) else n))
                    inside = [*where, label]
                    if name == "items" and numbered and items and (lot, number) in items:
                        inside = [items[(lot, number)]]
                    walk(entry_errors if isinstance(entry_errors, dict) else {"_schema": entry_errors}, entry,
                         inside, f"{here}.{n}", number if name == "lots" and numbered else lot)
                continue
            label = _LABELS.get(name, "" if name in _NAMED else f"'{name}': ")
            if isinstance(inner, dict):  # a list of values (a bundle's lots): its messages, once each
                inner = list(dict.fromkeys(m for messages in inner.values() for m in messages))
            for message in inner if isinstance(inner, list) else [inner]:
                place = ", ".join(where) or "The bid"
                text = message.replace(WHERE, place) if WHERE in message else f"{place}: {label}{message}"
                found.append((text, path if name == "_schema" else here))

    walk(messages, raw, [], "")
    return found
