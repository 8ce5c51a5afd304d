"""Reading uploaded CSV and XLSX files as a stream of rows, and writing CSV safely."""
from __future__ import annotations

import codecs
import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import IO, Callable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class FileProblem(ValueError):
    """The file as a whole cannot be imported (wrong type, empty, too big, bad header)."""


def sniff_format(filename: str, head: bytes) -> str:
    """'csv' or 'xlsx', judged by the content (and consistent with the name), or FileProblem."""
    name = filename.lower()
    if head.startswith(b"PK\x03\x04"):
        if not name.endswith(".xlsx"):
            raise FileProblem("The file is a zip archive; upload a .csv or .xlsx file")
        return "xlsx"
    if name.endswith(".xlsx"):
        raise FileProblem("The file is named .xlsx but is not an Excel workbook")
    if not name.endswith(".csv"):
        raise FileProblem("Upload a CSV (.csv) or Excel (.xlsx) file")
    if b"\x00" in head:
        raise FileProblem("The file is not a text CSV file")
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head[:-4] if len(head) > 4 else head)
    except UnicodeDecodeError:
        raise FileProblem("The CSV file must be UTF-8 text") from None
    return "csv"


def store_upload(stream: IO[bytes], filename: str, directory: Path, max_bytes: int) -> tuple[Path, str]:
    """Copy an uploaded file to `directory` under a random name: (path, 'csv' or 'xlsx').
    FileProblem (and nothing left behind) if it is empty, too big, or not CSV or XLSX."""
    import secrets

    head = stream.read(8192)
    if not head:
        raise FileProblem("The file is empty")
    file_format = sniff_format(filename or "", head)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{secrets.token_hex(16)}.{file_format}"
    size = 0
    try:
        with path.open("wb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > max_bytes:
                    raise FileProblem(f"The file is larger than {_size_text(max_bytes)}")
                out.write(chunk)
                chunk = stream.read(1 << 20)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, file_format


def header_positions(header: list[str], column_names: list[str], required: list[str]) -> dict[str, int]:
    """Column name -> position. Unknown, repeated or missing required columns: FileProblem."""
    names = [h.strip().lower().replace(" ", "_") for h in header]
    while names and not names[-1]:
        names.pop()
    unknown = [n for n in names if n and n not in column_names]
    if unknown:
        shown = ", ".join(n[:40] for n in unknown[:10])
        raise FileProblem(f"Unknown column(s): {shown}. The columns are: {', '.join(column_names)}")
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    if duplicated:
        raise FileProblem(f"Column(s) given twice: {', '.join(duplicated)}")
    missing = [n for n in required if n not in names]
    if missing:
        raise FileProblem(f"Missing required column(s): {', '.join(missing)}")
    return {name: i for i, name in enumerate(names) if name}


def _size_text(limit: int) -> str:
    return f"{limit // (1 << 20)} MB" if limit >= 1 << 20 else f"{max(1, limit // 1024)} KB"


def count_csv_rows(path: Path) -> int:
    """Data rows (lines after the header); quoted line breaks make this an estimate."""
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(0, lines - 1)


# An .xlsx is a zip: what it unpacks to is bounded, before anything unpacks it (a 1.1 MB zip
# bomb named .xlsx held a web worker on 0.2 GB of sheet XML). Real workbooks unpack to 5 to 30
# times their size; the zip's own record of each member's size is a ceiling zipfile enforces.
XLSX_MAX_EXPANSION = 100
XLSX_MAX_UNPACKED_BYTES = 4 * 1024 ** 3


# Each member on its own, too: padding the zip with an incompressible member raises the whole
# file's ceiling, so a sheet unpacking to 1 GB from 1 MB passed beside 24 MB of random bytes.
# Sheet XML compresses 10 to 30 times; 200 leaves room for the most repetitive.
XLSX_MEMBER_MAX_EXPANSION = 200
XLSX_MEMBER_FLOOR_BYTES = 5 * 1024 * 1024
# The shared strings are read whole into memory (the sheets stream): at most this much of them.
XLSX_SHARED_STRINGS_MAX_BYTES = 256 * 1024 * 1024


def unpacking_problem(sizes: list[tuple[str, int, int]], file_bytes: int) -> str | None:
    """Why a zip whose members are (name, unpacked, compressed) bytes is refused, if it is."""
    unpacked = sum(size for _, size, _ in sizes)
    ceiling = min(XLSX_MAX_UNPACKED_BYTES, max(50 * 1024 * 1024, XLSX_MAX_EXPANSION * file_bytes))
    if unpacked > ceiling:
        return (f"The Excel file unpacks to {_size_text(unpacked)}, more than a workbook of its size "
                f"can hold ({_size_text(ceiling)}): save it again from Excel, or upload it as CSV")
    for name, size, compressed in sizes:
        if name.lower().endswith("sharedstrings.xml") and size > XLSX_SHARED_STRINGS_MAX_BYTES:
            return (f"The Excel file's shared text unpacks to {_size_text(size)}, more than "
                    f"{_size_text(XLSX_SHARED_STRINGS_MAX_BYTES)}: save it again from Excel, or upload it as CSV")
        if size > max(XLSX_MEMBER_FLOOR_BYTES, XLSX_MEMBER_MAX_EXPANSION * compressed):
            return (f"The Excel file's part {name[:80]} unpacks to {_size_text(size)} from {_size_text(compressed)}, "
                    "more than a spreadsheet's contents do: save it again from Excel, or upload it as CSV")
    return None


# zipfile reads the whole central directory into objects before anything can be checked: a
# file of tiny directory entries costs memory by itself. A workbook has tens of parts.
XLSX_MAX_PARTS = 10_000
XLSX_MAX_DIRECTORY_BYTES = 4 * 1024 * 1024


def directory_problem(path: Path) -> str | None:
    """Why a zip's directory is refused before zipfile reads it, from its end record: too many
    parts, too large a directory, or a ZIP64 one (no workbook under the size ceilings needs it)."""
    import struct

    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - 65_557))  # the end record (22 bytes) and its longest comment
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return "The Excel file cannot be read: it is not a complete zip"
    parts, directory_bytes = struct.unpack("<HI", tail[at + 10:at + 16])
    if parts == 0xFFFF or directory_bytes == 0xFFFFFFFF or b"PK\x06\x07" in tail[max(0, at - 20):at]:
        return "The Excel file is a ZIP64 archive, larger than a workbook: save it again from Excel, or upload it as CSV"
    if parts > XLSX_MAX_PARTS or directory_bytes > XLSX_MAX_DIRECTORY_BYTES:
        return (f"The Excel file has {parts:,} parts, more than a workbook does: save it again from Excel, "
                "or upload it as CSV")
    return None


def check_unpacked_size(path: Path) -> None:
    problem = directory_problem(path)
    if problem:
        raise FileProblem(problem)
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = [(m.filename, m.file_size, m.compress_size) for m in archive.infolist()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileProblem(f"The Excel file cannot be read: {exc}") from None
    problem = unpacking_problem(sizes, path.stat().st_size)
    if problem:
        raise FileProblem(problem)


def check_in_request(path: Path, file_format: str, read_header: Callable[[Path, str], object]) -> None:
    """What a web request may check of an upload before keeping it: a CSV's header row (its
    first line), an XLSX's zip directory (the unpacked size). Opening an XLSX parses its
    shared strings in full, however large, so its header is checked by the job with the rows."""
    if file_format == "csv":
        read_header(path, file_format)
    else:
        check_unpacked_size(path)


def iter_rows(path: Path, file_format: str) -> Iterator[list[str]]:
    """Every row (header first) as a list of strings, streamed: memory stays flat."""
    if file_format == "csv":
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            try:
                yield from csv.reader(handle)
            except (UnicodeDecodeError, csv.Error) as exc:
                raise FileProblem(f"The CSV file cannot be read: {exc}") from None
        return
    from openpyxl import load_workbook

    check_unpacked_size(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileProblem(f"The Excel file cannot be read: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        for cells in sheet.iter_rows(values_only=True):
            yield ["" if v is None else _cell_text(v) for v in cells]
    finally:
        workbook.close()


def xlsx_row_count(path: Path) -> int | None:
    from openpyxl import load_workbook

    check_unpacked_size(path)
    workbook = load_workbook(path, read_only=True)
    try:
        rows = workbook.worksheets[0].max_row
        return None if rows is None else max(0, rows - 1)
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    from datetime import date, datetime

    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will show as text, never run as a formula. Numbers we computed
    (a negative saving, say) stay numbers."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()
