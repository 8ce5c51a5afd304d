"""What a supplier wants to hear of: CPV codes (a code matches itself and every code below it)
and London's sub-regional partnerships (none chosen: all of London)."""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from procurement.core import access
from procurement.core.access import Actor
from procurement.core.audit import record_event
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from procurement.parties.models import CpvCode, Partnership
from suppliers.models import Supplier

MAX_CPV_CODES = 50
MAX_CPV_TEXT = 2000


def parse_cpv_codes(session: Session, text: str) -> tuple[list[str], list[str]]:
    """The CPV codes in `text` (separated by commas, semicolons or spaces; a check digit such as
    "-6" allowed) and the problems, each naming the code it is about."""
    if len(text or "") > MAX_CPV_TEXT:
        return [], [f"Enter at most {MAX_CPV_CODES} CPV codes"]
    codes, problems = [], []
    for raw in [part for part in re.split(r"[\s,;]+", text or "") if part]:
        code = raw.split("-", 1)[0]
        if not (code.isdecimal() and len(code) == 8):
            problems.append(f"“{raw[:20]}” is not a CPV code: enter 8 digits, like 30213100")
        elif code not in codes:
            codes.append(code)
    if len(codes) > MAX_CPV_CODES:
        return codes, [f"Enter at most {MAX_CPV_CODES} CPV codes"]
    known = set(session.scalars(select(CpvCode.code).where(CpvCode.code.in_(codes)))) if codes else set()
    problems += [f"{code} is not in the CPV 2008 list: search the CPV codes to find yours" for code in codes
                 if code not in known]
    return codes, problems


def parse_regions(values: list[str] | None) -> tuple[list[str], list[str]]:
    allowed = [p.value for p in Partnership]
    chosen = [value for value in dict.fromkeys(values or []) if value in allowed]
    problems = ["Choose London's partnerships from north, east, south, west and central"] \
        if any(value not in allowed for value in values or []) else []
    return sorted(chosen, key=allowed.index), problems


def set_alert_interests(session: Session, actor: Actor, supplier_id: int, *, cpv_codes: str,
                        regions: list[str] | None) -> Supplier:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("No such supplier")
    if not access.can_set_supplier_alerts(actor, supplier_id):
        raise PermissionDenied("Only the supplier's people choose its alerts")
    codes, code_problems = parse_cpv_codes(session, cpv_codes)
    chosen, region_problems = parse_regions(regions)
    errors = {name: found for name, found in (("cpv_codes", code_problems), ("regions", region_problems)) if found}
    if errors:
        raise InvalidInput("The alert interests are not valid", field_errors=errors)
    before = {"cpv_codes": list(supplier.alert_cpv_codes or []), "regions": list(supplier.alert_regions or [])}
    if before == {"cpv_codes": codes, "regions": chosen}:
        return supplier  # saved as they were: nothing to record
    supplier.alert_cpv_codes, supplier.alert_regions = codes, chosen
    session.flush()
    record_event(session, actor, "supplier.alerts_changed", subject=supplier,
                 details={"before": before, "after": {"cpv_codes": codes, "regions": chosen}})
    return supplier


def describe_codes(session: Session, codes: list[str]) -> list[CpvCode]:
    """The codes with their descriptions, in the supplier's order."""
    found = {c.code: c for c in session.scalars(select(CpvCode).where(CpvCode.code.in_(codes)))} if codes else {}
    return [found[code] for code in codes if code in found]
