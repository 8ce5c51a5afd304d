"""Procurement thresholds as dated data with their source (demand/data/procurement_thresholds.csv).
Amounts include VAT, as the Procurement Act 2023 states them."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "procurement_thresholds.csv"


@dataclass(frozen=True, slots=True)
class Threshold:
    authority_class: str   # central or sub_central
    contract_kind: str     # goods_services
    amount_inc_vat: Decimal
    valid_from: date
    valid_to: date | None
    source: str


@lru_cache(maxsize=1)
def thresholds() -> tuple[Threshold, ...]:
    with DATA.open(newline="", encoding="utf-8") as handle:
        return tuple(
            Threshold(row["authority_class"], row["contract_kind"], Decimal(row["amount_inc_vat"]),
                      date.fromisoformat(row["valid_from"]),
                      date.fromisoformat(row["valid_to"]) if row["valid_to"] else None, row["source"])
            for row in csv.DictReader(handle)
        )


def threshold_for(authority_class: str, on: date, contract_kind: str = "goods_services",
                  table: tuple[Threshold, ...] | None = None) -> Threshold | None:
    """The threshold in force on `on`; None before the earliest one on record."""
    for threshold in table if table is not None else thresholds():
        if (threshold.authority_class == authority_class and threshold.contract_kind == contract_kind
                and threshold.valid_from <= on and (threshold.valid_to is None or on <= threshold.valid_to)):
            return threshold
    return None
