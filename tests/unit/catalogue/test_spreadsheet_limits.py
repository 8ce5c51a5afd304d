"""A spreadsheet is bounded before it is unpacked (issue 18, finding 7: a 1.1 MB zip bomb named
.xlsx, about 0.2 GB of sheet XML, held a web worker past its timeout)."""
from __future__ import annotations

import zipfile

import pytest
from openpyxl import Workbook

from catalogue.spreadsheets import FileProblem, iter_rows, xlsx_row_count


def _bomb(path, unpacked_mb=200):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"<row>" + b" " * (1024 * 1024 - 11) + b"</row>"
            for _ in range(unpacked_mb):
                member.write(chunk)
    return path


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_unpacked(tmp_path):
    bomb = _bomb(tmp_path / "offers.xlsx")
    assert bomb.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(FileProblem, match="unpacks to 200 MB"):
        next(iter_rows(bomb, "xlsx"))
    with pytest.raises(FileProblem, match="unpacks to"):
        xlsx_row_count(bomb)


def test_a_real_workbook_is_read(tmp_path):
    book = Workbook()
    for n in range(500):
        book.active.append(["SKU-%d" % n, "Laptop", 812.5])
    book.save(tmp_path / "offers.xlsx")
    assert len(list(iter_rows(tmp_path / "offers.xlsx", "xlsx"))) == 500
