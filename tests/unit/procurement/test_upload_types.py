"""Uploads judged by their first bytes against the type their name claims (issue 18, build 5):
a file that is not what its name says, or of a type a tender has no use for, is refused with a
sentence saying so."""
from __future__ import annotations

import io
import zipfile

import pytest

from procurement.core.clamd import parse_url
from procurement.core.uploads import QUALITY_ATTACHMENTS, TENDER_DOCUMENTS, choices, type_problem


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document/>"})
ODS = _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"})
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.mark.parametrize("filename, content", [
    ("specification.pdf", PDF), ("Specification.PDF", PDF), ("method statement.docx", DOCX),
    ("pricing.xlsx", XLSX), ("form.odt", ODT), ("pricing.ods", ODS), ("old form.doc", OLE), ("old pricing.xls", OLE),
    ("plan.png", PNG), ("site.jpg", JPEG), ("site.jpeg", JPEG), ("notes.txt", "Delivery to Camden: £12".encode()),
    ("schedule.csv", b"\xef\xbb\xbflot,item,unit_price\n1,1,740.00\n"),
])
def test_what_a_borough_expects_is_accepted_when_it_is_what_its_name_says(filename, content):
    assert type_problem(filename, content, TENDER_DOCUMENTS) is None
    assert type_problem(filename, content, QUALITY_ATTACHMENTS) is None


@pytest.mark.parametrize("filename, content, message", [
    ("specification.pdf", b"MZ\x90\x00 an executable", "The file is named .pdf but is not a PDF"),
    ("specification.pdf", b"<html><script>alert(1)</script>", "The file is named .pdf but is not a PDF"),
    ("method.docx", PDF, "The file is named .docx but is not a Word document"),
    ("method.docx", XLSX, "The file is named .docx but is not a Word document"),
    ("method.docx", _zip({"word/document.xml": b"<w/>"}), "The file is named .docx but is not a Word document"),
    ("pricing.xlsx", b"PK\x03\x04 not really a zip", "The file is named .xlsx but is not an Excel workbook"),
    ("form.odt", ODS, "The file is named .odt but is not an OpenDocument text"),
    ("form.doc", DOCX, "The file is named .doc but is not a Word document"),
    ("plan.png", JPEG, "The file is named .png but is not a PNG image"),
    ("site.jpg", PNG, "The file is named .jpg but is not a JPEG image"),
    ("notes.txt", PDF + b"\x00\x01", "The file is named .txt but is not plain text (UTF-8)"),
    ("notes.txt", "Lieferung".encode("utf-16"), "The file is named .txt but is not plain text (UTF-8)"),
    ("schedule.csv", b"lot,price\n1,\xa3740\n", "The file is named .csv but is not a CSV file (UTF-8 text)"),
])
def test_a_file_that_is_not_what_its_name_says_is_refused_saying_so(filename, content, message):
    assert type_problem(filename, content, TENDER_DOCUMENTS) == message


@pytest.mark.parametrize("filename", ["setup.exe", "page.html", "page.htm", "logo.svg", "app.js", "macro.docm",
                                      "deck.pptx", "archive.zip", "photo.gif"])
def test_types_a_tender_has_no_use_for_are_refused_whatever_they_hold(filename):
    assert type_problem(filename, PDF, TENDER_DOCUMENTS) == (
        f"Files of type .{filename.rsplit('.', 1)[1]} are not accepted: "
        "upload a PDF, Word, Excel, OpenDocument, CSV, text, PNG or JPEG file")


def test_a_file_without_an_extension_is_refused():
    assert type_problem("passwd", b"root:x:0:0", TENDER_DOCUMENTS) == (
        "The file's name has no extension (like .pdf): upload a PDF, Word, Excel, OpenDocument, CSV, text, PNG "
        "or JPEG file")
    assert choices((".pdf",)) == "a PDF file"


@pytest.mark.parametrize("content", [b"<!DOCTYPE html><html><script>steal()</script>", b"  <svg onload='x()'/>",
                                     b"\xef\xbb\xbf<?xml version='1.0'?><svg/>", b"<script>x()</script>"])
def test_markup_named_as_text_is_refused_for_the_script_it_carries(content):
    assert "web page markup" in type_problem("notes.txt", content, TENDER_DOCUMENTS)


def test_an_office_file_with_macros_is_refused():
    with_macros = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"})
    assert type_problem("method.docx", with_macros, TENDER_DOCUMENTS).startswith("The file holds macros")


def test_an_opendocument_mimetype_member_is_never_inflated_past_a_few_bytes():
    bomb = _zip({"mimetype": b"application/vnd.oasis.opendocument.text" + b" " * 10_000})
    assert type_problem("form.odt", bomb, TENDER_DOCUMENTS) == "The file is named .odt but is not an OpenDocument text"


@pytest.mark.parametrize("url, expected", [
    ("unix:///run/clamav/clamd.ctl", "/run/clamav/clamd.ctl"), ("tcp://127.0.0.1:3310", ("127.0.0.1", 3310)),
    ("tcp://clamav", ("clamav", 3310)), ("tcp://[::1]:3311", ("::1", 3311)),
])
def test_clamd_is_named_by_a_unix_socket_or_a_tcp_address(url, expected):
    assert parse_url(url)[1] == expected


@pytest.mark.parametrize("url", ["/run/clamav/clamd.ctl", "http://127.0.0.1:3310", "tcp://host:99999", "unix://",
                                 "tcp://host:3310/path"])
def test_anything_else_is_not_a_clamd_address(url):
    with pytest.raises(ValueError, match="is not a clamd address"):
        parse_url(url)
