"""Files that one party uploads for another to download (tender documents, quality
attachments): judged by their content against the type their name claims, held to the types
a borough expects, and scanned by clamd (when CLAMD_URL is set) before anything keeps them.

A file whose content is not what its name says is refused, as is any type not listed: HTML,
SVG and scripts carry code a browser would run, and executables have no place in a tender.
"""
from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Callable

from flask import current_app
from sqlalchemy.orm import Session

from .access import Actor
from .audit import keep_event
from .clamd import Clamd, ClamdError
from .errors import InvalidInput, Unavailable

log = logging.getLogger("procurement")

SCANNING_UNAVAILABLE = "Virus scanning is unavailable, try again in a few minutes"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office (.doc, .xls): an OLE2 compound file
MARKUP_STARTS = ("<!doctype", "<html", "<head", "<body", "<svg", "<script", "<?xml", "<iframe")


def _zip(data: bytes) -> zipfile.ZipFile | None:
    """The file as a zip archive (only its directory is read), or None."""
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def _ooxml(folder: str) -> Callable[[bytes], bool]:
    """Office Open XML (.docx, .xlsx): a zip with [Content_Types].xml and its part's folder."""
    def matches(data: bytes) -> bool:
        archive = _zip(data)
        if archive is None:
            return False
        names = archive.namelist()
        return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)
    return matches


def _odf(mimetype: str) -> Callable[[bytes], bool]:
    """OpenDocument (.odt, .ods): a zip whose `mimetype` member names the kind of document."""
    def matches(data: bytes) -> bool:
        archive = _zip(data)
        if archive is None or "mimetype" not in archive.namelist():
            return False
        member = archive.getinfo("mimetype")
        if member.file_size > 100:  # a few dozen bytes, never inflated further than that
            return False
        try:
            return archive.read(member).strip() == mimetype.encode()
        except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):
            return False
    return matches


def _text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return True


def _macros(data: bytes) -> str | None:
    archive = _zip(data)
    if archive is not None and any(name.lower().endswith("vbaproject.bin") for name in archive.namelist()):
        return "The file holds macros: save it without them (as .docx or .xlsx, not macro-enabled)"
    return None


def _markup(data: bytes) -> str | None:
    start = data[:200].decode("utf-8-sig", "replace").lstrip().lower()
    if start.startswith(MARKUP_STARTS):
        return "The file holds web page markup (HTML, SVG or XML), which is not accepted: upload it as a PDF"
    return None


@dataclass(frozen=True)
class FileType:
    family: str  # as a list of choices names it: "Word"
    described: str  # as a sentence names it: "a Word document"
    matches: Callable[[bytes], bool]
    hazard: Callable[[bytes], str | None] = lambda data: None  # right type, but refused for what it holds


TYPES: dict[str, FileType] = {
    ".pdf": FileType("PDF", "a PDF", lambda data: data.startswith(b"%PDF-")),
    ".docx": FileType("Word", "a Word document", _ooxml("word/"), _macros),
    ".doc": FileType("Word", "a Word document", lambda data: data.startswith(OLE_MAGIC)),
    ".xlsx": FileType("Excel", "an Excel workbook", _ooxml("xl/"), _macros),
    ".xls": FileType("Excel", "an Excel workbook", lambda data: data.startswith(OLE_MAGIC)),
    ".pptx": FileType("PowerPoint", "a PowerPoint presentation", _ooxml("ppt/"), _macros),
    ".odt": FileType("OpenDocument", "an OpenDocument text", _odf("application/vnd.oasis.opendocument.text")),
    ".ods": FileType("OpenDocument", "an OpenDocument spreadsheet",
                     _odf("application/vnd.oasis.opendocument.spreadsheet")),
    ".odp": FileType("OpenDocument", "an OpenDocument presentation",
                     _odf("application/vnd.oasis.opendocument.presentation")),
    ".csv": FileType("CSV", "a CSV file (UTF-8 text)", _text, _markup),
    ".txt": FileType("text", "plain text (UTF-8)", _text, _markup),
    ".png": FileType("PNG", "a PNG image", lambda data: data.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": FileType("JPEG", "a JPEG image", lambda data: data.startswith(b"\xff\xd8\xff")),
    ".jpeg": FileType("JPEG", "a JPEG image", lambda data: data.startswith(b"\xff\xd8\xff")),
    ".gif": FileType("GIF", "a GIF image", lambda data: data.startswith((b"GIF87a", b"GIF89a"))),
}

# What a tender's documents are (specification, pricing schedule, forms, drawings and photos),
# and what a supplier attaches to a quality answer (method statements, CVs, certificates,
# organisation charts): the same kinds of file.
TENDER_DOCUMENTS = (".pdf", ".docx", ".doc", ".xlsx", ".xls", ".odt", ".ods", ".csv", ".txt", ".png", ".jpg", ".jpeg")
QUALITY_ATTACHMENTS = TENDER_DOCUMENTS


def choices(allowed: tuple[str, ...]) -> str:
    """'a PDF, Word, Excel, OpenDocument, CSV, text, PNG or JPEG file'."""
    families = list(dict.fromkeys(TYPES[extension].family for extension in allowed))
    listed = ", ".join(families[:-1]) + " or " + families[-1] if len(families) > 1 else families[0]
    return f"a {listed} file"


def type_problem(filename: str, data: bytes, allowed: tuple[str, ...]) -> str | None:
    """Why the file is refused, judged by its first bytes (and, for Office and OpenDocument
    files, the zip's directory) against the type its name claims; None when it is what it says
    and of a type allowed."""
    extension = PurePath(filename.strip()).suffix.lower()
    if not extension:
        return f"The file's name has no extension (like .pdf): upload {choices(allowed)}"
    if extension not in allowed:
        return f"Files of type {extension} are not accepted: upload {choices(allowed)}"
    kind = TYPES[extension]
    if not kind.matches(data):
        return f"The file is named {extension} but is not {kind.described}"
    return kind.hazard(data)


def virus_problem(session: Session, actor: Actor, filename: str, data: bytes, *, subject: Any = None,
                  details: dict[str, Any] | None = None) -> str | None:
    """When CLAMD_URL is set, clamd's verdict on the file: None when clean, else why it is
    refused, with an audit event kept although the request is undone. Unavailable (503), and
    nothing kept, when clamd does not answer: an unscanned file is never let through."""
    url = current_app.config.get("CLAMD_URL")
    if not url:
        return None
    try:
        signature = Clamd(url, timeout=float(current_app.config.get("CLAMD_TIMEOUT", 20))).scan(data)
    except ClamdError as exc:
        log.warning("virus scanning failed: %s", exc)
        raise Unavailable(SCANNING_UNAVAILABLE) from None
    if signature is None:
        return None
    keep_event(session, actor, "upload.virus_found", subject, details={
        "filename": filename[:200], "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
        "signature": signature[:200], **(details or {})})
    return f"The file holds a virus ({signature[:100]}) and was not accepted"


def accept_upload(session: Session, actor: Actor, *, field: str, filename: str, data: bytes,
                  allowed: tuple[str, ...], subject: Any = None) -> None:
    """Refuse the file (InvalidInput naming `field`) unless its content is the type its name
    says, that type is allowed here, and clamd (when configured) finds no virus in it."""
    problem = type_problem(filename, data, allowed) or virus_problem(
        session, actor, filename, data, subject=subject, details={"field": field})
    if problem:
        raise InvalidInput(problem, field_errors={field: [problem]})
