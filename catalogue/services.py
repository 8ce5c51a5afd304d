"""Catalogue services: offers, catalogue items, comparisons and starting imports."""
from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalogue.importing import read_header
from catalogue.models import (
    CatalogueImport,
    CatalogueItem,
    ImportMode,
    ImportRowError,
    Offer,
    OfferPriceChange,
    OfferStatus,
)
from catalogue.prices import PriceUnavailable, Quote, breaks_from_json, breaks_to_json, quote, unit_price_for
from catalogue.rules import gtin_is_valid, parse_breaks, parse_cpv, parse_money, parse_vat_rate, part_number_key
from catalogue.spreadsheets import FileProblem, check_in_request, csv_text, store_upload
from procurement.core import access
from procurement.core.access import ALLOWED, Actor, Verdict, forbidden, refused
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from procurement.core.jobrecords import request_job
from procurement.core.storage import file_store
from procurement.core.access import actor_id, actor_label
from procurement.parties.models import CpvCode

# Offers -----------------------------------------------------------------------------------

def own_supplier_id(actor: Actor) -> int:
    """The supplier whose catalogue the acting user keeps (supplier staff work for one)."""
    ids = sorted(getattr(actor, "supplier_ids", ()) or ())
    if not ids or not access.can_manage_offers_of(actor, ids[0]):
        raise PermissionDenied("Only supplier staff keep offers")
    return ids[0]


OFFER_TEXT_FIELDS = {"title": 300, "description": 5000, "manufacturer": 120, "manufacturer_part_number": 80,
                     "unit": 40, "sku": 64}


def _cpv_or_error(session: Session, code: str | None, errors: dict[str, list[str]]) -> str | None:
    if not (code or "").strip():
        errors["cpv_code"] = ["Enter a CPV code"]
        return None
    digits = code.strip().split("-", 1)[0]
    found = session.get(CpvCode, digits) if len(digits) == 8 and digits.isdecimal() else None
    known = frozenset({found.code}) if found else frozenset()
    try:
        return parse_cpv(code, known, {found.code: found.check_digit} if found else None)
    except ValueError as exc:
        errors["cpv_code"] = [str(exc)[0].upper() + str(exc)[1:]]
        return None


@dataclass
class OfferInput:
    sku: str
    title: str
    cpv_code: str
    unit: str
    list_price: str
    description: str = ""
    manufacturer: str = ""
    manufacturer_part_number: str = ""
    gtin: str = ""
    vat_rate: str = "20"
    price_breaks: str = ""
    lead_time_days: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    status: str = "draft"


def _validated(session: Session, data: OfferInput) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, limit in OFFER_TEXT_FIELDS.items():
        text = (getattr(data, name) or "").strip()
        if len(text) > limit:
            errors[name] = [f"Must be at most {limit} characters"]
        values[name] = text
    for name in ("sku", "title", "unit"):
        if not values[name]:
            errors[name] = ["Enter the " + name.replace("_", " ")]
    values["part_number_key"] = part_number_key(values["manufacturer_part_number"])
    values["cpv_code"] = _cpv_or_error(session, data.cpv_code, errors)
    try:
        values["list_price"] = parse_money(str(data.list_price or ""))
    except ValueError as exc:
        errors["list_price"] = [f"The list price {exc}"]
        values["list_price"] = None
    try:
        values["vat_rate"] = parse_vat_rate(str(data.vat_rate or "20"))
    except ValueError as exc:
        errors["vat_rate"] = [f"The VAT rate {exc}"]
    try:
        values["price_breaks"] = breaks_to_json(parse_breaks(data.price_breaks or "", values["list_price"]))
    except ValueError as exc:
        errors["price_breaks"] = [str(exc).capitalize()]
    gtin = (data.gtin or "").strip() or None
    if gtin and not gtin_is_valid(gtin):
        errors["gtin"] = ["Enter a GTIN (8, 12, 13 or 14 digits) with a valid check digit"]
    values["gtin"] = gtin
    if data.lead_time_days is not None and not 0 <= data.lead_time_days <= 3650:
        errors["lead_time_days"] = ["Enter a lead time from 0 to 3650 days"]
    values["lead_time_days"] = data.lead_time_days
    if data.valid_from and data.valid_to and data.valid_to < data.valid_from:
        errors["valid_to"] = ["The end of validity must not be before its start"]
    values["valid_from"], values["valid_to"] = data.valid_from, data.valid_to
    try:
        values["status"] = OfferStatus(data.status or "draft")
    except ValueError:
        errors["status"] = ["Choose draft, published or withdrawn"]
    if errors:
        raise InvalidInput("The offer is not valid", field_errors=errors)
    return values


def create_offer(session: Session, actor: Actor, supplier_id: int, data: OfferInput) -> Offer:
    if not access.can_manage_offers_of(actor, supplier_id):
        raise PermissionDenied("Only the supplier's own staff can add its offers")
    values = _validated(session, data)
    if session.scalar(select(Offer.id).where(Offer.supplier_id == supplier_id, Offer.sku == values["sku"])):
        raise InvalidInput("The offer is not valid", field_errors={"sku": ["You already have an offer with this SKU"]})
    offer = Offer(supplier_id=supplier_id, **values)
    session.add(offer)
    session.flush()
    record_event(session, actor, "offer.created", subject=offer, details={"sku": offer.sku})
    return offer


def _record_price_change(session: Session, actor: Actor, offer: Offer, new_price: Decimal, new_breaks: list) -> None:
    if offer.list_price != new_price or breaks_from_json(offer.price_breaks) != breaks_from_json(new_breaks):
        session.add(OfferPriceChange(
            offer_id=offer.id, changed_by_id=actor_id(actor),
            changed_by_label=actor_label(actor), old_list_price=offer.list_price,
            new_list_price=new_price, old_price_breaks=offer.price_breaks, new_price_breaks=new_breaks,
        ))


def get_offer(session: Session, actor: Actor, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    # Someone else's unpublished offer is reported as missing: its existence is not theirs to know.
    if offer is None or not access.can_view_offer(actor, offer):
        raise NotFound("No such offer")
    return offer


def _own_offer(session: Session, actor: Actor, offer_id: int) -> Offer:
    offer = get_offer(session, actor, offer_id)
    if not access.can_manage_offers_of(actor, offer.supplier_id):
        raise PermissionDenied("Only the supplier's own staff can change its offers")
    return offer


def update_offer(session: Session, actor: Actor, offer_id: int, data: OfferInput) -> Offer:
    offer = _own_offer(session, actor, offer_id)
    values = _validated(session, data)
    if values["sku"] != offer.sku and session.scalar(
        select(Offer.id).where(Offer.supplier_id == offer.supplier_id, Offer.sku == values["sku"])
    ):
        raise InvalidInput("The offer is not valid", field_errors={"sku": ["You already have an offer with this SKU"]})
    _record_price_change(session, actor, offer, values["list_price"], values["price_breaks"])
    for name, value in values.items():
        setattr(offer, name, value)
    offer.updated_at = now()
    session.flush()
    record_event(session, actor, "offer.updated", subject=offer, details={"sku": offer.sku})
    return offer


def can_withdraw_offer(actor: Actor, offer: Offer) -> Verdict:
    """The supplier's own staff withdraw a published or draft offer (withdrawing it again
    changes nothing)."""
    if not access.can_manage_offers_of(actor, offer.supplier_id):
        return forbidden("Only the supplier's own staff can change its offers")
    return refused("The offer is withdrawn") if offer.status is OfferStatus.withdrawn else ALLOWED


def withdraw_offer(session: Session, actor: Actor, offer_id: int) -> Offer:
    offer = _own_offer(session, actor, offer_id)
    if can_withdraw_offer(actor, offer):
        offer.status, offer.updated_at = OfferStatus.withdrawn, now()
        record_event(session, actor, "offer.withdrawn", subject=offer)
    return offer


def list_own_offers(session: Session, actor: Actor, supplier_id: int, page: int = 1, per_page: int = 50) -> tuple[list[Offer], int]:
    if not access.can_manage_offers_of(actor, supplier_id):
        raise PermissionDenied("You can only list your own company's offers")
    base = select(Offer).where(Offer.supplier_id == supplier_id)
    total = session.scalar(select(func.count()).select_from(base.subquery()))
    offers = session.scalars(base.order_by(Offer.sku).limit(per_page).offset((page - 1) * per_page)).all()
    return list(offers), total or 0


def price_history(session: Session, actor: Actor, offer_id: int) -> list[OfferPriceChange]:
    offer = get_offer(session, actor, offer_id)
    return list(session.scalars(select(OfferPriceChange).where(OfferPriceChange.offer_id == offer.id)
                                .order_by(OfferPriceChange.changed_at.desc(), OfferPriceChange.id.desc())))


# Catalogue items ----------------------------------------------------------------------------

def create_item(session: Session, actor: Actor, *, name: str, cpv_code: str, unit: str, key_attributes: str = "") -> CatalogueItem:
    if not access.can_curate_catalogue_items(actor):
        raise PermissionDenied("Only e-agency staff curate catalogue items")
    errors: dict[str, list[str]] = {}
    name, unit = (name or "").strip(), (unit or "").strip()
    if not name or len(name) > 200:
        errors["name"] = ["Enter a name of up to 200 characters"]
    elif session.scalar(select(CatalogueItem.id).where(CatalogueItem.name == name)):
        errors["name"] = ["An item with this name exists"]
    if not unit or len(unit) > 40:
        errors["unit"] = ["Enter the unit, like each or licence"]
    if len(key_attributes or "") > 500:
        errors["key_attributes"] = ["Must be at most 500 characters"]
    code = _cpv_or_error(session, cpv_code, errors)
    if errors:
        raise InvalidInput("The catalogue item is not valid", field_errors=errors)
    item = CatalogueItem(name=name, cpv_code=code, unit=unit, key_attributes=(key_attributes or "").strip())
    session.add(item)
    session.flush()
    record_event(session, actor, "catalogue_item.created", subject=item, details={"name": name})
    return item


def get_item(session: Session, actor: Actor, item_id: int) -> CatalogueItem:
    if not access.can_browse_catalogue(actor):
        raise PermissionDenied("Sign in to see the catalogue")
    item = session.get(CatalogueItem, item_id)
    if item is None:
        raise NotFound("No such catalogue item")
    return item


def list_items(session: Session, actor: Actor) -> list[CatalogueItem]:
    if not access.can_browse_catalogue(actor):
        raise PermissionDenied("Sign in to see the catalogue")
    return list(session.scalars(select(CatalogueItem).order_by(CatalogueItem.name)))


def link_offer(session: Session, actor: Actor, item_id: int, offer_id: int | None) -> Offer:
    """Link an offer to a catalogue item."""
    if not access.can_curate_catalogue_items(actor):
        raise PermissionDenied("Only e-agency staff link offers to catalogue items")
    offer = session.get(Offer, offer_id) if offer_id else None
    if offer is None:
        raise InvalidInput("No such offer", field_errors={"offer_id": ["Enter the number of an existing offer"]})
    item = get_item(session, actor, item_id)
    offer.catalogue_item_id = item.id
    record_event(session, actor, "offer.linked", subject=offer, details={"catalogue_item_id": item.id})
    return offer


@dataclass(frozen=True)
class Comparison:
    offer: Offer
    supplier_name: str
    quote: Quote | None
    unavailable: str | None


def compare_offers(session: Session, actor: Actor, item_id: int, quantity: int, on: date) -> list[Comparison]:
    """The published offers linked to an item, priced at `quantity` on date `on`, cheapest first."""
    from suppliers.models import Supplier

    item = get_item(session, actor, item_id)
    rows = session.execute(
        select(Offer, Supplier.legal_name).join(Supplier, Supplier.id == Offer.supplier_id)
        .where(Offer.catalogue_item_id == item.id, Offer.status == OfferStatus.published)
    ).all()
    result = []
    for offer, supplier_name in rows:
        try:
            priced = quote(offer.list_price, breaks_from_json(offer.price_breaks), quantity, on,
                           offer.valid_from, offer.valid_to)
            result.append(Comparison(offer, supplier_name, priced, None))
        except PriceUnavailable as exc:
            result.append(Comparison(offer, supplier_name, None, str(exc)))
    return sorted(result, key=lambda c: (c.quote is None, c.quote.unit_price if c.quote else 0, c.supplier_name))


@dataclass(frozen=True)
class OwnPrice:
    """The acting supplier's own published price for a quantity: the volume break that applies
    (`break_from`, None for the list price), or why there is none on the day."""

    sku: str
    title: str
    unit_price: Decimal | None
    break_from: int | None
    unavailable: str = ""


def own_prices(session: Session, actor: Actor, wanted: list[tuple[int | None, str, Decimal]], on: date) -> list[OwnPrice | None]:
    """For each (catalogue item, SKU, quantity): the acting supplier's published offer named by
    the SKU, else its cheapest published offer linked to the item, priced at the quantity on
    `on`; None where it has none. Reads only the supplier's own offers."""
    supplier_id = own_supplier_id(actor)
    skus = {sku for _, sku, _ in wanted if sku}
    item_ids = {item_id for item_id, _, _ in wanted if item_id is not None}
    if not skus and not item_ids:
        return [None for _ in wanted]
    offers = list(session.scalars(select(Offer).where(
        Offer.supplier_id == supplier_id, Offer.status == OfferStatus.published,
        (Offer.sku.in_(sorted(skus)) | Offer.catalogue_item_id.in_(sorted(item_ids))))))

    def priced(offer: Offer, quantity: Decimal) -> OwnPrice:
        if (offer.valid_from and on < offer.valid_from) or (offer.valid_to and on > offer.valid_to):
            return OwnPrice(offer.sku, offer.title, None, None, "no price valid today")
        price, reached = unit_price_for(offer.list_price, breaks_from_json(offer.price_breaks), quantity)  # type: ignore[arg-type]
        return OwnPrice(offer.sku, offer.title, price, reached)

    found: list[OwnPrice | None] = []
    for item_id, sku, quantity in wanted:
        named = [o for o in offers if sku and o.sku == sku]
        linked = [priced(o, quantity) for o in offers if item_id is not None and o.catalogue_item_id == item_id]
        if named:
            found.append(priced(named[0], quantity))
        elif linked:
            found.append(min(linked, key=lambda p: (p.unit_price is None, p.unit_price or 0)))
        else:
            found.append(None)
    return found


# Imports ------------------------------------------------------------------------------------

def start_import(
    session: Session, actor: Actor, *, supplier_id: int, filename: str, stream: IO[bytes], mode: str,
    max_bytes: int, enqueue: bool = True,
) -> CatalogueImport:
    """Check and store an uploaded file, record the import and ask for its job (a job row,
    enqueued after commit). Without `enqueue` the caller runs the import itself (the CLI).
    A file that is not CSV/XLSX, empty, too big or with a bad header is refused: nothing written."""
    if not access.can_manage_offers_of(actor, supplier_id):
        raise PermissionDenied("Only the supplier's own staff can import its catalogue")
    try:
        import_mode = ImportMode(mode or "all_or_nothing")
    except ValueError:
        raise InvalidInput("Choose an import mode", field_errors={"mode": ["Choose all or nothing, or valid rows only"]}) from None
    # Checked in a folder of this request's own, then kept in the store, where the worker
    # (on this machine or another) reads it.
    with tempfile.TemporaryDirectory(prefix="ljp-catalogue-") as folder:
        try:
            path, file_format = store_upload(stream, filename, Path(folder), max_bytes)
            check_in_request(path, file_format, read_header)
        except FileProblem as exc:
            raise InvalidInput(str(exc), field_errors={"file": [str(exc)]}) from None
        size = path.stat().st_size
        with path.open("rb") as received:
            stored = file_store(session).put(f"uploads/catalogue/{secrets.token_hex(16)}.{file_format}", received)
    record = CatalogueImport(
        supplier_id=supplier_id, uploaded_by_id=actor_id(actor),
        uploaded_by_label=actor_label(actor), filename=(filename or "upload")[:255],
        stored_path=stored.key, file_format=file_format, mode=import_mode,
    )
    session.add(record)
    session.flush()
    record_event(session, actor, "catalogue_import.requested", subject=record,
                 details={"filename": record.filename, "mode": import_mode.value, "bytes": size})
    if enqueue:
        record.job = request_job(session, actor, "catalogue_import", "catalogue_import", record.id)
    return record


def get_import(session: Session, actor: Actor, import_id: int) -> CatalogueImport:
    record = session.get(CatalogueImport, import_id)
    if record is None or not access.can_view_import(actor, record):
        raise NotFound("No such import")
    return record


def list_imports(session: Session, actor: Actor, supplier_id: int) -> list[CatalogueImport]:
    if not (access.can_manage_offers_of(actor, supplier_id) or access.has_role(actor, "agency")):
        raise PermissionDenied("You can only see your own company's imports")
    return list(session.scalars(select(CatalogueImport).where(CatalogueImport.supplier_id == supplier_id)
                                .options(selectinload(CatalogueImport.job))
                                .order_by(CatalogueImport.created_at.desc()).limit(50)))


JOB_FAILED = ("The import stopped on an error and nothing was changed. It is tried again automatically; "
              "if it keeps failing, the e-agency can run it again from its jobs page.")


def import_progress(record: CatalogueImport) -> dict[str, Any]:
    """The import page's live status: while there is no outcome, its job's state and progress
    ("12,000 of 50,000 rows checked"); then the import's result. `finished` stops the page
    polling: an outcome, or a failed job (which a retry queues again)."""
    job, state = record.job, record.state
    if record.outcome is not None:
        return {"status": state, "progress": 100, "note": f"{record.rows_done:,} rows checked", "message": record.message,
                "finished": True}
    return {"status": state, "progress": job.progress if job else 0, "note": job.progress_note if job else "",
            "message": JOB_FAILED if state == "failed" else "", "finished": state == "failed"}


def import_errors_csv(session: Session, actor: Actor, import_id: int) -> str:
    record = get_import(session, actor, import_id)
    rows: list[list[object]] = [["row", "column", "message"]]
    rows += [[e.row_number, e.column, e.message] for e in session.scalars(
        select(ImportRowError).where(ImportRowError.import_id == record.id)
        .order_by(ImportRowError.row_number, ImportRowError.id))]
    return csv_text(rows)


def template_csv() -> str:
    from catalogue.rows import COLUMNS

    return csv_text([[c.name for c in COLUMNS], [c.example for c in COLUMNS]])
