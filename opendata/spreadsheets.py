"""The open data as spreadsheets, for people who work in Excel rather than JSON.

Releases, flattened by flattentool (the Open Contracting Partnership's own converter, as the
OCDS Data Review Tool uses it) into a sheet per array (releases, parties, tender items, awards,
contracts...), rows joined by the ocid and the release id; the column names are the OCDS paths.
flattentool reads the schema to order and type the columns: it is given the compiled UK profile
schema (opendata/profile.py) as a local file, never a URL, so nothing is fetched.

The Local Government Transparency Code 2015 (Part 2, procurement information) asks each
authority to publish quarterly every invitation to tender and every contract over £5,000 with:
a reference number, the title, the department responsible, a description of the goods or
services, the supplier's name and details, the sum to be paid over the contract (or the
estimated annual spend), VAT that cannot be recovered, the start, end and review dates, whether
it came of an invitation to quote or a published invitation to tender, and whether the supplier
is an SME or a voluntary or community sector organisation, with its registration numbers. Here a
contract is an authority's call-off order (what that authority pays its supplier); the columns
the service cannot know (VAT an authority cannot recover, end and review dates) are left empty
for the authority to complete."""
from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata import ocds, profile
from procurement.core.clock import LONDON
from procurement.parties.models import Organisation
from suppliers.models import Supplier

THRESHOLD = Decimal("5000")


def _schema_file(directory: Path) -> Path:
    path = directory / "release-schema.json"
    path.write_text(json.dumps(profile.release_schema()))
    return path


def flatten(package: dict[str, Any], output_format: str) -> bytes:
    """The release package as an XLSX workbook ("xlsx") or a ZIP of CSV files, a file a sheet ("csv")."""
    import warnings

    import flattentool
    from flattentool.exceptions import FlattenToolWarning

    assert output_format in ("xlsx", "csv")
    with tempfile.TemporaryDirectory(prefix="ljp-flatten-") as name:
        directory = Path(name)
        source = directory / "releases.json"
        source.write_text(json.dumps(package))
        output = directory / ("releases.xlsx" if output_format == "xlsx" else "sheets")
        with warnings.catch_warnings():
            # It notes the schema's fields it cannot make columns of (a deprecated amendment's
            # untyped former_value), as the Data Review Tool ignores them too.
            warnings.simplefilter("ignore", FlattenToolWarning)
            flattentool.flatten(str(source), schema=str(_schema_file(directory)), output_name=str(output),
                                output_format=output_format, main_sheet_name="releases", root_list_path="releases",
                                root_id="ocid", disable_local_refs=True, remove_empty_schema_columns=True,
                                line_terminator="LF")
        if output_format == "xlsx":
            return output.read_bytes()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for sheet in sorted(output.glob("*.csv")):
                archive.write(sheet, sheet.name)
        return buffer.getvalue()


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _day(moment: Any) -> str:
    return moment.astimezone(LONDON).date().isoformat() if moment is not None else ""


def _money(amount: Decimal | None) -> str:
    return f"{amount.quantize(Decimal('0.01'))}" if amount is not None else ""


TENDER_COLUMNS = ["Reference number", "Title", "Description of the goods or services sought", "Department responsible",
                  "Participating authorities", "Estimated value (GBP, ex VAT)", "Published", "Closing date",
                  "Expected award date", "Procurement route", "Status", "OCDS ocid"]
CONTRACT_COLUMNS = ["Authority", "Authority identifier", "Reference number", "Title of agreement", "Department responsible",
                    "Description of the goods or services", "Supplier name", "Supplier registration number",
                    "Supplier address", "Sum to be paid over the contract (GBP, ex VAT)", "VAT that cannot be recovered",
                    "Start date", "End date", "Review date", "Procurement route", "Supplier is an SME",
                    "Supplier is a voluntary or community sector organisation", "Tender reference", "OCDS ocid"]


def transparency_tenders(session: Session, prefix: str) -> str:
    """Every published invitation to tender whose estimated value exceeds £5,000, as CSV."""
    who = ocds.publisher()
    rows = []
    for tender in ocds.published_tenders(session):
        facts = ocds.facts(session, tender, prefix)
        value = sum((lot.estimated_value or Decimal(0) for lot in facts.lots), Decimal(0))
        if value <= THRESHOLD:
            continue
        rows.append([tender.reference, tender.title, " ".join(tender.description.split()), who.name,
                     "; ".join(o.name for o in facts.organisations), _money(value), _day(tender.published_at),
                     _day(tender.submission_deadline), tender.expected_award_on.isoformat() if tender.expected_award_on else "",
                     "Published invitation to tender (open procedure)", tender.stage, facts.ocid])
    return _csv(TENDER_COLUMNS, rows)


def transparency_contracts(session: Session, prefix: str) -> str:
    """Every authority's contract (call-off order) over £5,000, as CSV: one row an order."""
    who = ocds.publisher()
    rows = []
    for tender in ocds.published_tenders(session):
        facts = ocds.facts(session, tender, prefix)
        if not facts.contracts:
            continue
        lots = {lot.id: lot for lot in facts.lots}
        suppliers = {s.id: s for s in session.scalars(select(Supplier).where(
            Supplier.id.in_([c.supplier_id for c in facts.contracts])))}
        organisations = {o.id: o for o in session.scalars(select(Organisation).where(
            Organisation.id.in_([o.organisation_id for c in facts.contracts for o in c.orders])))}
        for contract in facts.contracts:
            lot, supplier = lots[contract.lot_id], suppliers[contract.supplier_id]
            for order in contract.orders:
                if order.total <= THRESHOLD:
                    continue
                organisation = organisations[order.organisation_id]
                rows.append([
                    organisation.name, organisation.org_identifier or "", order.reference,
                    f"{tender.title}: lot {lot.number}, {lot.title}", f"Joint procurement by {who.name}",
                    "; ".join(item.description for item in lot.items), supplier.legal_name,
                    f"Companies House {supplier.companies_house_number}" if supplier.companies_house_number else "",
                    " ".join((supplier.postal_address or "").split()), _money(order.total), "",
                    _day(contract.entered_at), "", "", "Published invitation to tender (open procedure)",
                    "Yes" if supplier.is_sme else "No", "", tender.reference, facts.ocid])
    return _csv(CONTRACT_COLUMNS, rows)
