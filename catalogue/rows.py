"""The import's column set and the validation of one row. Hand-written rather than a
marshmallow schema per row: at a million rows, per-row schema loading would be the bottleneck."""
from __future__ import annotations

import json
from dataclasses import dataclass

from catalogue.models import OfferStatus
from catalogue.prices import breaks_to_json
from catalogue.rules import (
    gtin_is_valid,
    parse_breaks,
    parse_cpv,
    parse_date,
    parse_money,
    parse_vat_rate,
    part_number_key,
)
from catalogue import spreadsheets


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    max_length: int
    help: str
    example: str


COLUMNS = [
    Column("sku", True, 64, "Your stock-keeping unit: unique in your catalogue; the key for updates", "TDH-LAP-14-16"),
    Column("title", True, 300, "What the offer is", "14-inch business laptop, 16 GB RAM, 512 GB SSD"),
    Column("description", False, 5000, "More detail", "Intel Core Ultra 5, Windows 11 Pro, 3-year warranty"),
    Column("manufacturer", False, 120, "Maker's name", "Dell"),
    Column("manufacturer_part_number", False, 80, "Maker's part number", "LAT-5450-U5"),
    Column("gtin", False, 14, "GTIN-8, -12, -13 or -14 (barcode number) with a valid check digit", "5012345678900"),
    Column("cpv_code", True, 10, "CPV 2008 code, with or without its check digit", "30213100-6"),
    Column("unit", True, 40, "The unit priced: each, licence, seat, user per year...", "each"),
    Column("list_price", True, 20, "Unit price in pounds, excluding VAT", "812.50"),
    Column("vat_rate", False, 6, "VAT rate in percent (default 20)", "20"),
    Column("price_breaks", False, 500,
           "All-units volume prices: quantity:unit price pairs separated by ';', quantities rising and prices falling",
           "25:789.00; 100:755.00; 500:729.00"),
    Column("lead_time_days", False, 5, "Working days from order to delivery", "10"),
    Column("valid_from", False, 10, "First day the price holds (YYYY-MM-DD)", "2026-04-01"),
    Column("valid_to", False, 10, "Last day the price holds (YYYY-MM-DD)", "2027-03-31"),
    Column("status", False, 10, "draft, published (default) or withdrawn", "published"),
]
COLUMN_NAMES = [c.name for c in COLUMNS]
REQUIRED = [c.name for c in COLUMNS if c.required]
STATUSES = {s.value for s in OfferStatus}

# The staged row, in this order: what is written to the staging table.
STAGE_FIELDS = ["sku", "title", "description", "manufacturer", "manufacturer_part_number", "part_number_key",
                "gtin", "cpv_code", "unit", "list_price", "vat_rate", "price_breaks", "lead_time_days",
                "valid_from", "valid_to", "status"]


def header_positions(header: list[str]) -> dict[str, int]:
    """Column name -> position. Unknown, duplicated or missing required columns: FileProblem."""
    return spreadsheets.header_positions(header, COLUMN_NAMES, REQUIRED)


class RowValidator:
    """Checks rows one by one. (A SKU repeated in the file is caught afterwards, in the
    database, so memory does not grow with the file.)"""

    def __init__(self, positions: dict[str, int], cpv_codes: frozenset[str], check_digits: dict[str, str]):
        self.positions = [(c, positions[c.name]) for c in COLUMNS if c.name in positions]
        self.cpv_codes = cpv_codes
        self.check_digits = check_digits
        self.sku_position = positions["sku"]

    def sku_of(self, cells: list[str]) -> str | None:
        return cells[self.sku_position].strip() if self.sku_position < len(cells) else None

    def validate(self, cells: list[str]) -> tuple[tuple | None, list[tuple[str, str]]]:
        """(the staged row, []) or (None, [(column, message), ...])."""
        value: dict[str, str] = {}
        errors: list[tuple[str, str]] = []
        width = len(cells)
        for column, position in self.positions:
            text = cells[position].strip() if position < width else ""
            if len(text) > column.max_length:
                errors.append((column.name, f"is longer than {column.max_length} characters"))
            value[column.name] = text
        for name in REQUIRED:
            if not value.get(name):
                errors.append((name, "is required"))

        cpv = None
        if value["cpv_code"]:
            try:
                cpv = parse_cpv(value["cpv_code"], self.cpv_codes, self.check_digits)
            except ValueError as exc:
                errors.append(("cpv_code", str(exc)))
        price = None
        if value["list_price"]:
            try:
                price = parse_money(value["list_price"])
            except ValueError as exc:
                errors.append(("list_price", str(exc)))
        vat = None
        try:
            vat = parse_vat_rate(value.get("vat_rate", ""))
        except ValueError as exc:
            errors.append(("vat_rate", str(exc)))
        breaks: list = []
        if value.get("price_breaks"):
            try:
                breaks = parse_breaks(value["price_breaks"], price)
            except ValueError as exc:
                errors.append(("price_breaks", str(exc)))
        gtin = value.get("gtin") or None
        if gtin and not gtin_is_valid(gtin):
            errors.append(("gtin", f"'{gtin}' is not a GTIN with a valid check digit"))
        lead = None
        if value.get("lead_time_days"):
            text = value["lead_time_days"]
            if text.isdecimal() and int(text) <= 3650:
                lead = int(text)
            else:
                errors.append(("lead_time_days", "must be a whole number of days from 0 to 3650"))
        dates = {}
        for name in ("valid_from", "valid_to"):
            if value.get(name):
                try:
                    dates[name] = parse_date(value[name])
                except ValueError as exc:
                    errors.append((name, str(exc)))
        if "valid_from" in dates and "valid_to" in dates and dates["valid_to"] < dates["valid_from"]:
            errors.append(("valid_to", "must not be before valid_from"))
        status = (value.get("status") or "published").lower()
        if status not in STATUSES:
            errors.append(("status", "must be draft, published or withdrawn"))
        if errors:
            return None, errors
        part_number = value.get("manufacturer_part_number", "")
        return (
            value["sku"], value["title"], value.get("description", ""), value.get("manufacturer", ""), part_number,
            part_number_key(part_number), gtin, cpv, value["unit"], price, vat,
            json.dumps(breaks_to_json(breaks)), lead, dates.get("valid_from"), dates.get("valid_to"), status,
        ), []
