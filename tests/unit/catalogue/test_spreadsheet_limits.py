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


def test_a_bomb_padded_with_incompressible_bytes_is_refused_by_its_sheet(tmp_path):
    """The retest's padded bomb: the same sheet beside a member of random bytes, which raises
    the whole file's ceiling (100 times its size) above what the sheet unpacks to."""
    import os

    bomb = _bomb(tmp_path / "offers.xlsx", unpacked_mb=300)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/image1.bin", os.urandom(4 * 1024 * 1024))
    assert bomb.stat().st_size * 100 > 300 * 1024 * 1024  # the whole file's ceiling would let it through
    with pytest.raises(FileProblem, match="part xl/worksheets/sheet1.xml unpacks to 300 MB"):
        next(iter_rows(bomb, "xlsx"))
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive:  # deflated padding is no better
        archive.writestr("xl/media/image2.bin", os.urandom(1024 * 1024))
    with pytest.raises(FileProblem, match="part xl/worksheets/sheet1.xml"):
        next(iter_rows(bomb, "xlsx"))


@pytest.mark.parametrize("sizes, refused", [
    ([("xl/worksheets/sheet1.xml", 40 * 1024 * 1024, 2 * 1024 * 1024)], False),  # 20 times: a real sheet
    ([("xl/worksheets/sheet1.xml", 4 * 1024 * 1024, 1024)], False),  # under the 5 MB floor, however compressed
    ([("xl/worksheets/sheet1.xml", 300 * 1024 * 1024, 1024 * 1024)], True),  # 300 times
    ([("xl/sharedStrings.xml", 210 * 1024 * 1024, 1024 * 1024), ("xl/media/pad.bin", 3 << 20, 3 << 20)], True),
    # the review's tuned bomb: 200 times exactly, beside padding; the shared strings are read whole
    ([("xl/sharedStrings.xml", 300 << 20, 3 << 19), ("xl/media/pad.bin", 2 << 20, 2 << 20)], True),
    ([("xl/worksheets/sheet1.xml", 300 << 20, 3 << 19), ("xl/media/pad.bin", 2 << 20, 2 << 20)], False),  # sheets stream
])
def test_the_rule_for_each_member(sizes, refused):
    from catalogue.spreadsheets import unpacking_problem

    file_bytes = sum(compressed for *_, compressed in sizes)
    assert (unpacking_problem(sizes, file_bytes) is not None) is refused


def test_a_zip_of_many_tiny_parts_is_refused_from_its_end_record_before_zipfile_reads_it(tmp_path, monkeypatch):
    """zipfile builds an object per directory entry before anything is checked: a file of
    tiny entries is refused from the zip's end record, without zipfile opening it."""
    many = tmp_path / "offers.xlsx"
    with zipfile.ZipFile(many, "w", zipfile.ZIP_STORED) as archive:
        for n in range(10_001):
            archive.writestr(f"x{n}", b"")
    opened = []
    real = zipfile.ZipFile
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: opened.append(a) or real(*a, **k))
    with pytest.raises(FileProblem, match="10,001 parts"):
        next(iter_rows(many, "xlsx"))
    assert opened == []
    (tmp_path / "cut.xlsx").write_bytes(many.read_bytes()[:1000])
    with pytest.raises(FileProblem, match="not a complete zip"):
        next(iter_rows(tmp_path / "cut.xlsx", "xlsx"))
