"""Bulk import of a supplier's offers: stream the file, validate each row, stage the good rows
(PostgreSQL COPY, SQLite executemany), then merge them into the catalogue in one transaction.

All-or-nothing (the default) merges only when no row is bad; "valid rows" merges the good
ones. Either way the bad rows are reported (row, column, message). Re-importing the same file
changes nothing; a changed price is updated and kept in the price history. The job that runs
an import is catalogue/jobs.py's; the CLI and the benchmark call run_import in-process.
"""
from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Callable

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from catalogue.messages import tell_import_finished
from catalogue.models import CatalogueImport, ImportMode, ImportOutcome
from catalogue.rows import STAGE_FIELDS, RowValidator, header_positions
from catalogue.spreadsheets import FileProblem, count_csv_rows, iter_rows, xlsx_row_count
from procurement.core.access import SystemActor
from procurement.core.audit import record_event
from procurement.core.clock import now
from procurement.core.db import on_postgresql, UTCDateTime
from procurement.core.storage import file_store
from procurement.parties.models import CpvCode

BATCH = 5000
ANALYZE_AFTER_ROWS = 10_000
PROGRESS_EVERY_SECONDS = 0.5

_STAGE_COLUMNS = """
    row_number integer, ok boolean, err_col varchar(40), err_msg varchar(300),
    sku varchar(64), title varchar(300), description text, manufacturer varchar(120),
    manufacturer_part_number varchar(80), part_number_key varchar(80), gtin varchar(14),
    cpv_code varchar(8), unit varchar(40), list_price {money}, vat_rate {rate}, price_breaks text,
    lead_time_days integer, valid_from date, valid_to date, status varchar(10)
"""
_STAGED = ["row_number", "ok", "err_col", "err_msg", *STAGE_FIELDS]
_NO_FIELDS = (None,) * (len(STAGE_FIELDS) - 1)
# Columns copied into offer, and those compared to decide whether an offer changed.
_OFFER_COLUMNS = STAGE_FIELDS
_COMPARED = [c for c in STAGE_FIELDS if c != "sku"]
_DUPLICATES = """
    INSERT INTO offer_stage (row_number, ok, err_col, err_msg, sku)
    SELECT row_number, false, 'sku',
           substr('''' || sku || ''' appears more than once in the file (first on row ' || first_row || ')', 1, 300),
           sku
    FROM (SELECT row_number, sku, min(row_number) OVER (PARTITION BY sku) AS first_row
          FROM (SELECT DISTINCT row_number, sku FROM offer_stage WHERE sku IS NOT NULL AND sku <> '') AS skus) AS seen
    WHERE row_number > first_row
"""


def read_header(path: Path, file_format: str) -> dict[str, int]:
    rows = iter_rows(path, file_format)
    try:
        header = next(rows)
    except StopIteration:
        raise FileProblem("The file is empty") from None
    finally:
        rows.close()
    return header_positions(header)


def estimate_rows(path: Path, file_format: str) -> int | None:
    return count_csv_rows(path) if file_format == "csv" else xlsx_row_count(path)


class _Stager:
    """Streams every row into one temporary table of the import's connection: a good row as
    its fields, a bad row as one line per error. Nothing is kept in memory but a batch, so
    memory stays flat whatever the file's size; repeated SKUs are then found by SQL."""

    def __init__(self, session: Session):
        self.session = session
        self.dialect = session.get_bind().dialect.name
        money, rate = ("numeric(14,2)", "numeric(5,2)") if self.dialect == "postgresql" else ("text", "text")
        self.session.execute(text("DROP TABLE IF EXISTS offer_stage"))
        self.session.execute(text(
            f"CREATE TEMPORARY TABLE offer_stage ({_STAGE_COLUMNS.format(money=money, rate=rate)})"))
        self.rows: list[tuple] = []
        self._copy = None
        if self.dialect == "postgresql":
            raw = self.session.connection().connection.driver_connection
            self._cursor = raw.cursor()
            self._copy_cm = self._cursor.copy(f"COPY offer_stage ({', '.join(_STAGED)}) FROM STDIN")
            self._copy = self._copy_cm.__enter__()

    def _add(self, line: tuple) -> None:
        if self._copy is not None:
            self._copy.write_row(line)
            return
        self.rows.append(line)
        if len(self.rows) >= BATCH:
            self._flush()

    def add_row(self, row_number: int, row: tuple) -> None:
        self._add((row_number, True, None, None, *row))

    def add_errors(self, row_number: int, sku: str | None, errors: list[tuple[str, str]]) -> None:
        for column, message in errors:
            self._add((row_number, False, column, message[:300], (sku or "")[:64] or None, *_NO_FIELDS))

    def _flush(self) -> None:
        if not self.rows:
            return
        names = ", ".join(_STAGED)
        values = ", ".join(":" + n for n in _STAGED)
        self.session.execute(text(f"INSERT INTO offer_stage ({names}) VALUES ({values})"),
                             [dict(zip(_STAGED, _sqlite_values(r))) for r in self.rows])
        self.rows.clear()

    def abort(self, exc: BaseException) -> None:
        """Cancel an open COPY (the server then fails the transaction, which the caller rolls
        back); without this the connection would still be copying and refuse the rollback."""
        if self._copy is not None:
            self._copy_cm.__exit__(type(exc), exc, exc.__traceback__)
            self._copy = None
            self._cursor.close()
        self.rows.clear()

    def finish(self) -> None:
        if self._copy is not None:
            self._copy_cm.__exit__(None, None, None)
            self._copy = None
            self._cursor.close()
        self._flush()

    def mark_duplicates(self) -> None:
        """A SKU seen again later in the file is an error on each later row; and a row with
        any error is not imported, even where some of its fields parsed."""
        self.session.execute(text(_DUPLICATES))
        self.session.execute(text(
            "DELETE FROM offer_stage WHERE ok AND row_number IN (SELECT row_number FROM offer_stage WHERE NOT ok)"))

    def invalid_rows(self) -> int:
        return self.session.scalar(text("SELECT count(DISTINCT row_number) FROM offer_stage WHERE NOT ok")) or 0


def _sqlite_values(row: tuple) -> tuple:
    # SQLite keeps money and dates as text, exactly as the ORM types store them.
    return tuple(str(v) if hasattr(v, "quantize") else v.isoformat() if isinstance(v, date) else v for v in row)


def _merge(session: Session, record: CatalogueImport, actor_id: int | None, actor_label: str) -> tuple[int, int]:
    """Upsert the staged rows into offer by (supplier, SKU); record price changes first.
    Returns (created, updated)."""
    postgres = on_postgresql(session)
    differs = " OR ".join(
        (f"offer.{c}::jsonb IS DISTINCT FROM excluded.{c}::jsonb" if c == "price_breaks" else
         f"offer.{c} IS DISTINCT FROM excluded.{c}") if postgres else f"offer.{c} IS NOT excluded.{c}"
        for c in _COMPARED
    )
    breaks_changed = "o.price_breaks::jsonb <> s.price_breaks::jsonb" if postgres else "o.price_breaks <> s.price_breaks"
    as_json = "::json" if postgres else ""
    params = {"sid": record.supplier_id, "import_id": record.id, "uid": actor_id, "label": actor_label}
    stamp = bindparam("now", value=now(), type_=UTCDateTime())
    session.execute(text(f"""
        INSERT INTO offer_price_change (offer_id, changed_at, changed_by_id, changed_by_label, import_id,
                                        old_list_price, new_list_price, old_price_breaks, new_price_breaks)
        SELECT o.id, :now, :uid, :label, :import_id, o.list_price, s.list_price, o.price_breaks, s.price_breaks{as_json}
        FROM offer_stage s JOIN offer o ON o.supplier_id = :sid AND o.sku = s.sku
        WHERE s.ok AND (o.list_price <> s.list_price OR {breaks_changed})
    """).bindparams(stamp), params)
    count_before = session.scalar(text("SELECT count(*) FROM offer WHERE supplier_id = :sid"), params)
    columns = ", ".join(_OFFER_COLUMNS)
    selected = ", ".join(f"s.{c}{as_json}" if c == "price_breaks" else f"s.{c}" for c in _OFFER_COLUMNS)
    assignments = ", ".join(f"{c} = excluded.{c}" for c in _COMPARED)
    result = session.execute(text(f"""
        INSERT INTO offer (supplier_id, {columns}, created_at, updated_at)
        SELECT :sid, {selected}, :now, :now FROM offer_stage s WHERE s.ok
        ON CONFLICT (supplier_id, sku) DO UPDATE SET {assignments}, updated_at = excluded.updated_at
        WHERE {differs}
    """).bindparams(stamp), params)
    changed = result.rowcount
    created = session.scalar(text("SELECT count(*) FROM offer WHERE supplier_id = :sid"), params) - count_before
    return created, changed - created


def run_import(
    session: Session, import_id: int, report_progress: Callable[[int, int | None], None] | None = None
) -> CatalogueImport:
    """Validate, stage and merge the import's file in the caller's transaction (the caller
    commits), and record its outcome. `report_progress(rows_checked, rows_estimated)` is called
    every PROGRESS_EVERY_SECONDS while rows are checked. Idempotent: an import that already has
    an outcome is returned as it is. A file that turns out unreadable past its header is the
    import's outcome (failed, with the reason), not an error: trying again would not help."""
    record = session.get(CatalogueImport, import_id)
    if record is None:
        raise LookupError(f"no catalogue import {import_id}")
    if record.outcome is not None:
        return record
    started = now()
    try:
        with session.begin_nested():
            _stage_and_merge(session, record, report_progress)
    except FileProblem as problem:
        record.outcome, record.message = ImportOutcome.failed, str(problem)
        record.rows_done = record.rows_invalid = record.rows_total = 0
    record.started_at, record.finished_at = started, now()
    record_event(session, SystemActor("job:catalogue_import"), f"catalogue_import.{record.outcome.value}",
                 subject=record, details={"rows": record.rows_done, "invalid": record.rows_invalid,
                                          "created": record.offers_created, "updated": record.offers_updated})
    session.flush()
    tell_import_finished(session, record)
    return record


def _stage_and_merge(
    session: Session, record: CatalogueImport, report_progress: Callable[[int, int | None], None] | None
) -> None:
    with file_store(session).local_copy(record.stored_path) as path:
        _stage_and_merge_file(session, record, path, report_progress)


def _stage_and_merge_file(session: Session, record: CatalogueImport, path: Path,
                          report_progress: Callable[[int, int | None], None] | None) -> None:
    estimated = estimate_rows(path, record.file_format)
    codes = session.execute(select(CpvCode.code, CpvCode.check_digit)).all()
    check_digits = {code: digit for code, digit in codes}
    rows = iter_rows(path, record.file_format)
    positions = header_positions(next(rows))
    validator = RowValidator(positions, frozenset(check_digits), check_digits)
    stager = _Stager(session)
    done = 0
    last_report = time.monotonic()
    try:
        for row_number, cells in enumerate(rows, start=2):
            if not any(c.strip() for c in cells if c):
                continue  # blank lines are not rows
            staged, errors = validator.validate(cells)
            if errors:
                stager.add_errors(row_number, validator.sku_of(cells), errors)
            else:
                stager.add_row(row_number, staged)
            done += 1
            if report_progress and time.monotonic() - last_report > PROGRESS_EVERY_SECONDS:
                report_progress(done, estimated)
                last_report = time.monotonic()
    except BaseException as exc:
        stager.abort(exc)
        raise
    if done == 0:
        stager.add_errors(1, None, [("file", "has no data rows under the header")])
    stager.finish()
    stager.mark_duplicates()
    invalid = stager.invalid_rows()
    session.execute(text("""
        INSERT INTO import_row_error (import_id, row_number, "column", message)
        SELECT :import_id, row_number, err_col, err_msg FROM offer_stage WHERE NOT ok
    """), {"import_id": record.id})
    record.rows_done, record.rows_invalid, record.rows_total = done, invalid, done
    if invalid and record.mode is ImportMode.all_or_nothing:
        record.outcome = ImportOutcome.rejected
        record.message = (f"{invalid} of {done} rows have errors, so nothing was imported. "
                          "Correct them and upload the file again, or import only the valid rows.")
    else:
        created, updated = _merge(session, record, record.uploaded_by_id, record.uploaded_by_label)
        valid = done - invalid
        record.offers_created, record.offers_updated = created, updated
        record.offers_unchanged = valid - created - updated
        record.outcome = ImportOutcome.done
        record.message = (f"{created:,} offers added, {updated:,} updated, {record.offers_unchanged:,} unchanged"
                          + (f"; {invalid:,} rows with errors were left out" if invalid else ""))
    if on_postgresql(session) and done >= ANALYZE_AFTER_ROWS:
        # Fresh statistics, or the planner misjudges searches over the new rows; and the new
        # rows moved out of the full-text index's pending list, which every search scans.
        session.execute(text("ANALYZE offer"))
        session.execute(text("SELECT gin_clean_pending_list('ix_offer_search')"))
    session.execute(text("DROP TABLE IF EXISTS offer_stage"))
    session.flush()
