"""Many requirements at once from a CSV or XLSX file: every row checked, an error report
(row, column, message), and all or nothing: one bad row and no requirement is written."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueItem
from catalogue.spreadsheets import FileProblem, csv_text, header_positions, iter_rows, store_upload
from procurement.core import access
from procurement.core.audit import record_event
from procurement.core.clock import now, today
from procurement.core.errors import InvalidInput, NotFound
from procurement.core.access import Actor, actor_id
from demand.models import (
    Requirement,
    RequirementStatus,
    RequirementUpload,
    RequirementUploadError,
    UploadStatus,
)
from demand.services import RequirementInput, organisation_for, validate
from procurement.parties.models import CpvCode

MAX_ROWS = 5000
MAX_BLANK_ROWS = 1000  # blank rows are skipped, up to this many


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str
    example: str


COLUMNS = [
    Column("title", False, "A short name; the item's name if left empty", "Laptops for the social care team"),
    Column("catalogue_item_id", False, "The number of a catalogue item, or leave empty and give a CPV code", ""),
    Column("cpv_code", False, "CPV 2008 code, e.g. 30213100 (required without a catalogue item)", "30213100"),
    Column("specification", False, "What is needed (required without a catalogue item)", "14-inch laptop, 16 GB RAM, 512 GB SSD"),
    Column("quantity", True, "How many; whole numbers for countable units", "120"),
    Column("unit", False, "each, licence, seat per year...; the item's unit if left empty", "each"),
    Column("delivery_location", True, "Where it is to be delivered", "Civic Centre, Harrow"),
    Column("needed_by", True, "YYYY-MM-DD, today or later", "2027-06-30"),
    Column("current_unit_price", True, "What you pay today per unit, ex VAT, in pounds", "845.00"),
    Column("notes", False, "Anything else", ""),
]
COLUMN_NAMES = [c.name for c in COLUMNS]
REQUIRED = [c.name for c in COLUMNS if c.required]
# The file's column -> the field the rules name in their errors.
FIELD_COLUMN = {"baseline_unit_price": "current_unit_price"}


def template_csv() -> str:
    return csv_text([COLUMN_NAMES, [c.example for c in COLUMNS]])


def _row_input(cells: list[str], positions: dict[str, int], organisation_id: int) -> tuple[RequirementInput, dict[str, list[str]]]:
    def cell(name: str) -> str:
        position = positions.get(name)
        return cells[position].strip() if position is not None and position < len(cells) else ""

    item = cell("catalogue_item_id")
    problems = {"catalogue_item_id": ["Must be a catalogue item number"]} if item and not item.isdecimal() else {}
    return RequirementInput(
        organisation_id=organisation_id, title=cell("title"),
        catalogue_item_id=int(item) if item.isdecimal() else None,
        cpv_code=cell("cpv_code"), specification=cell("specification"), quantity=cell("quantity"),
        unit=cell("unit"), delivery_location=cell("delivery_location"), needed_by=cell("needed_by"),
        baseline_unit_price=cell("current_unit_price"), notes=cell("notes"),
    ), problems


def upload_requirements(session: Session, actor: Actor, *, organisation_id: int | None, filename: str,
                        stream: IO[bytes], max_bytes: int, submit: bool = True) -> RequirementUpload:
    """Check every row; write them all (as submitted requirements, or drafts) or none.
    The upload and its error report are kept either way. A file that is not CSV or XLSX,
    is empty, too big, or has a bad header is refused with nothing written."""
    organisation = organisation_for(actor, organisation_id)
    with tempfile.TemporaryDirectory(prefix="ljp-requirements-") as folder:
        try:
            path, file_format = store_upload(stream, filename, Path(folder), max_bytes)
            rows = iter_rows(path, file_format)
            positions = header_positions(next(rows, None) or [], COLUMN_NAMES, REQUIRED)
            checked = _check_rows(session, rows, positions, organisation)
        except FileProblem as exc:
            raise InvalidInput(str(exc), field_errors={"file": [str(exc)]}) from None
    values, errors, total = checked
    upload = RequirementUpload(
        organisation_id=organisation, uploaded_by_id=actor_id(actor),
        uploaded_by_label=actor.audit_label, filename=(filename or "upload")[:255], rows_total=total,
        rows_invalid=len({row for row, _, _ in errors}),
        status=UploadStatus.rejected if errors else UploadStatus.done,
    )
    upload.errors = [RequirementUploadError(row_number=r, column=c, message=m[:300]) for r, c, m in errors]
    session.add(upload)
    session.flush()
    if errors:
        upload.message = (f"{upload.rows_invalid} of {total} rows have errors, so nothing was added. "
                          "Correct them and upload the file again.")
    else:
        status = RequirementStatus.submitted if submit else RequirementStatus.draft
        stamp = now()
        created = [Requirement(organisation_id=organisation, raised_by_id=actor_id(actor),
                               raised_by_label=actor.audit_label, upload_id=upload.id, status=status,
                               submitted_at=stamp if submit else None, **row) for row in values]
        session.add_all(created)
        session.flush()
        upload.requirements_created = len(created)
        upload.message = f"{len(created)} requirements added" + (" and submitted" if submit else " as drafts")
    record_event(session, actor, "requirements.uploaded", subject=upload, details={
        "filename": upload.filename, "rows": total, "invalid_rows": upload.rows_invalid,
        "created": upload.requirements_created, "submitted": submit and not errors,
    })
    return upload


def _check_rows(session: Session, rows: Any, positions: dict[str, int], organisation_id: int) -> tuple[list[dict], list[tuple[int, str, str]], int]:
    items = {i.id: i for i in session.scalars(select(CatalogueItem))}
    cpv_codes = dict(session.execute(select(CpvCode.code, CpvCode.check_digit)).all())
    on = today()
    values: list[dict] = []
    errors: list[tuple[int, str, str]] = []
    total = 0
    for row_number, cells in enumerate(rows, start=2):
        if row_number > MAX_ROWS + MAX_BLANK_ROWS + 1:  # blank rows count too, as they stream
            raise FileProblem(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files")
        if not any((c or "").strip() for c in cells):
            continue
        total += 1
        if total > MAX_ROWS:
            raise FileProblem(f"The file has more than {MAX_ROWS:,} rows; split it into smaller files")
        data, problems = _row_input(cells, positions, organisation_id)
        clean, found = validate(session, data, items=items, cpv_codes=cpv_codes, on=on)
        problems.update(found)
        for field, messages in problems.items():
            for message in messages:
                errors.append((row_number, FIELD_COLUMN.get(field, field), message))
        if not problems:
            values.append(clean)
    if total == 0:
        errors.append((1, "file", "has no data rows under the header"))
    return values, errors, total


def get_upload(session: Session, actor: Actor, upload_id: int) -> RequirementUpload:
    upload = session.get(RequirementUpload, upload_id)
    if upload is None or not (access.can_act_for_organisation(actor, upload.organisation_id)
                              or access.has_role(actor, access.AGENCY)):
        raise NotFound("No such upload")
    return upload


def errors_csv(upload: RequirementUpload) -> str:
    return csv_text([["row", "column", "message"], *[[e.row_number, e.column, e.message] for e in upload.errors]])
