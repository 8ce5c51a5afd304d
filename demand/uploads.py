"""Many requirements at once from a CSV or XLSX file: every row checked, an error report
(row, column, message), and all or nothing: one bad row and no requirement is written.

The request only receives the file (size, type, header) and keeps it in the store; its job
(demand/jobs.py) reads it back and checks the rows, so a long or hostile file never holds a
web worker."""
from __future__ import annotations

import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import CatalogueItem
from catalogue.spreadsheets import (
    FileProblem,
    check_in_request,
    count_csv_rows,
    csv_text,
    header_positions,
    iter_rows,
    store_upload,
    xlsx_row_count,
)
from procurement.core import access
from procurement.core.access import Actor, SystemActor, actor_id
from procurement.core.audit import record_event
from procurement.core.clock import now, today
from procurement.core.errors import InvalidInput, NotFound
from procurement.core.jobrecords import request_job
from procurement.core.storage import file_store
from demand.models import (
    Requirement,
    RequirementStatus,
    RequirementUpload,
    RequirementUploadError,
    UploadStatus,
)
from demand.messages import tell_upload_checked
from demand.services import RequirementInput, organisation_for, validate
from procurement.parties.models import CpvCode

MAX_ROWS = 5000
MAX_BLANK_ROWS = 1000  # blank rows are skipped, up to this many
PROGRESS_EVERY_SECONDS = 0.5


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


def read_header(path: Path, file_format: str) -> dict[str, int]:
    """The header row's column positions; FileProblem for a wrong file. Cheap: only the first
    row is read (an XLSX's unpacked size is checked before it is opened)."""
    rows = iter_rows(path, file_format)
    try:
        return header_positions(next(rows, None) or [], COLUMN_NAMES, REQUIRED)
    finally:
        rows.close()


def upload_requirements(session: Session, actor: Actor, *, organisation_id: int | None, filename: str,
                        stream: IO[bytes], max_bytes: int, submit: bool = True,
                        enqueue: bool = True) -> RequirementUpload:
    """Receive a file of requirements: only what is cheap and bounded happens here (its size
    while it is copied, its type, a CSV's header row and an XLSX's unpacked size), then the
    file is kept in the store and its job asked for (enqueued after commit), which checks an
    XLSX's header and every row (check_upload). A file that is not CSV or XLSX, is empty, too
    big or has a bad CSV header is refused: nothing written.
    Without `enqueue` the caller checks it itself."""
    organisation = organisation_for(actor, organisation_id)
    # Checked in a folder of this request's own, then kept in the store, where the worker
    # (on this machine or another) reads it.
    with tempfile.TemporaryDirectory(prefix="ljp-requirements-") as folder:
        try:
            path, file_format = store_upload(stream, filename, Path(folder), max_bytes)
            check_in_request(path, file_format, read_header)
        except FileProblem as exc:
            raise InvalidInput(str(exc), field_errors={"file": [str(exc)]}) from None
        size = path.stat().st_size
        with path.open("rb") as received:
            stored = file_store(session).put(f"uploads/requirements/{secrets.token_hex(16)}.{file_format}", received)
    upload = RequirementUpload(
        organisation_id=organisation, uploaded_by_id=actor_id(actor), uploaded_by_label=actor.audit_label,
        filename=(filename or "upload")[:255], status=UploadStatus.checking, stored_key=stored.key,
        file_format=file_format, submit=submit,
    )
    session.add(upload)
    session.flush()
    record_event(session, actor, "requirements.upload_requested", subject=upload,
                 details={"filename": upload.filename, "bytes": size, "submit": submit})
    if enqueue:
        upload.job = request_job(session, actor, "requirement_upload", "requirement_upload", upload.id)
    return upload


def check_upload(session: Session, upload_id: int,
                 report_progress: Callable[[int, int | None], None] | None = None) -> RequirementUpload:
    """Check every row of the upload's stored file, in the caller's transaction (the job's),
    and write them all (as submitted requirements, or drafts) or none. Idempotent: an upload
    that has its outcome is returned as it is. A file that turns out too long or unreadable
    past its header is the upload's outcome (rejected, with the reason), not an error: trying
    again would not help. `report_progress(rows checked, rows estimated)` is called every
    PROGRESS_EVERY_SECONDS. The stored file is kept (see the README's "Requirement files")."""
    upload = session.get(RequirementUpload, upload_id)
    if upload is None:
        raise LookupError(f"no requirement upload {upload_id}")
    if upload.has_outcome:
        return upload
    if upload.stored_key is None or upload.file_format is None:
        raise LookupError(f"requirement upload {upload_id} has no stored file")
    try:
        with file_store(session).local_copy(upload.stored_key) as path:
            values, errors, total = _check_file(session, path, upload.file_format, upload.organisation_id,
                                                report_progress)
    except FileProblem as problem:
        upload.status, upload.message = UploadStatus.rejected, f"{problem}. Nothing was added."
        upload.rows_total = upload.rows_invalid = 0
    else:
        _record_outcome(session, upload, values, errors, total)
    upload.checked_at = now()
    record_event(session, SystemActor("job:requirement_upload"), "requirements.uploaded", subject=upload, details={
        "filename": upload.filename, "rows": upload.rows_total, "invalid_rows": upload.rows_invalid,
        "created": upload.requirements_created, "submitted": upload.submit and upload.written,
        "uploaded_by": upload.uploaded_by_label,
    })
    session.flush()
    tell_upload_checked(session, upload)
    return upload


def _record_outcome(session: Session, upload: RequirementUpload, values: list[dict],
                    errors: list[tuple[int, str, str]], total: int) -> None:
    upload.rows_total, upload.rows_invalid = total, len({row for row, _, _ in errors})
    if errors:
        upload.status = UploadStatus.rejected
        upload.errors = [RequirementUploadError(row_number=r, column=c, message=m[:300]) for r, c, m in errors]
        upload.message = (f"{upload.rows_invalid:,} of {total:,} rows have errors, so nothing was added. "
                          "Correct them and upload the file again.")
        return
    status = RequirementStatus.submitted if upload.submit else RequirementStatus.draft
    stamp = now()
    created = [Requirement(organisation_id=upload.organisation_id, raised_by_id=upload.uploaded_by_id,
                           raised_by_label=upload.uploaded_by_label, upload_id=upload.id, status=status,
                           submitted_at=stamp if upload.submit else None, **row) for row in values]
    session.add_all(created)
    session.flush()
    upload.status, upload.requirements_created = UploadStatus.done, len(created)
    upload.message = f"{len(created):,} requirements added" + (" and submitted" if upload.submit else " as drafts")


def _check_file(session: Session, path: Path, file_format: str, organisation_id: int,
                report_progress: Callable[[int, int | None], None] | None,
                ) -> tuple[list[dict], list[tuple[int, str, str]], int]:
    estimated = count_csv_rows(path) if file_format == "csv" else xlsx_row_count(path)
    rows = iter_rows(path, file_format)
    try:
        positions = header_positions(next(rows, None) or [], COLUMN_NAMES, REQUIRED)
        return _check_rows(session, rows, positions, organisation_id,
                           _every(PROGRESS_EVERY_SECONDS, report_progress, estimated))
    finally:
        rows.close()


def _every(seconds: float, report: Callable[[int, int | None], None] | None,
           estimated: int | None) -> Callable[[int], None]:
    last = time.monotonic()

    def tick(done: int) -> None:
        nonlocal last
        if report is not None and time.monotonic() - last > seconds:
            report(done, min(estimated, MAX_ROWS) if estimated is not None else None)
            last = time.monotonic()

    return tick


def _check_rows(session: Session, rows: Any, positions: dict[str, int], organisation_id: int,
                checked: Callable[[int], None]) -> tuple[list[dict], list[tuple[int, str, str]], int]:
    """Every data row through the same rules as the form; the row limit counted as the rows
    stream (blank rows too, up to MAX_BLANK_ROWS), so reading stops there."""
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
        checked(total)
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


STATE_LABELS = {"queued": "Waiting to be checked", "running": "Checking", "failed": "The check stopped",
                "done": "Added", "rejected": "Nothing was added"}
JOB_FAILED = ("The check stopped on an error and nothing was added. It is tried again automatically; "
              "if it keeps failing, the e-agency can run it again from its jobs page.")


def upload_progress(upload: RequirementUpload) -> dict[str, Any]:
    """The report page's live status: while there is no outcome, its job's state and progress
    ("1,200 of 5,000 rows checked"); then the outcome. `finished` stops the page polling: an
    outcome, or a failed job (which a retry queues again)."""
    job, state = upload.job, upload.state
    label = STATE_LABELS.get(state, state.capitalize())
    if upload.has_outcome:
        return {"status": state, "label": label, "progress": 100, "note": f"{upload.rows_total:,} rows checked",
                "message": upload.message, "finished": True}
    return {"status": state, "label": label, "progress": job.progress if job else 0,
            "note": job.progress_note if job else "", "message": JOB_FAILED if state == "failed" else "",
            "finished": state == "failed"}
