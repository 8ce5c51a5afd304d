from decimal import Decimal

import pytest

from catalogue.rows import RowValidator, header_positions
from catalogue.rules import cpv_prefix, gtin_is_valid, parse_breaks, parse_money, part_number_key
from catalogue.spreadsheets import FileProblem, safe_cell, sniff_format


@pytest.mark.parametrize("gtin", ["5012345678900", "96385074", "036000291452", "10012345678902"])
def test_valid_gtins(gtin):
    assert gtin_is_valid(gtin)


@pytest.mark.parametrize("gtin", ["5012345678901", "9638507", "03600029145X", "", "123456789012345"])
def test_invalid_gtins(gtin):
    assert not gtin_is_valid(gtin)


def test_part_numbers_are_normalised():
    assert part_number_key(" lat-5450/u5 ") == "LAT5450U5"


def test_money():
    assert parse_money("£1,234.50") == Decimal("1234.50")
    for bad in ("0", "-3", "abc", "1.234", "NaN", "Infinity"):
        with pytest.raises(ValueError):
            parse_money(bad)


def test_breaks():
    assert parse_breaks("10:90; 50:80.50", Decimal("100")) == [(10, Decimal("90.00")), (50, Decimal("80.50"))]
    with pytest.raises(ValueError, match="overlap"):
        parse_breaks("10:90; 10:80", Decimal("100"))
    with pytest.raises(ValueError, match="lower"):
        parse_breaks("10:90; 50:95", Decimal("100"))
    with pytest.raises(ValueError, match="lower"):
        parse_breaks("10:100", Decimal("100"))
    with pytest.raises(ValueError, match="quantity:price"):
        parse_breaks("ten", Decimal("100"))


def test_cpv_prefix_covers_the_branch():
    assert cpv_prefix("30210000") == "3021"
    assert "30213100".startswith(cpv_prefix("30210000"))
    assert cpv_prefix("30000000") == "30"


def test_sniffing_file_types():
    assert sniff_format("offers.csv", b"sku,title\n") == "csv"
    assert sniff_format("offers.XLSX", b"PK\x03\x04rest") == "xlsx"
    for name, head in [("offers.pdf", b"%PDF-1.4"), ("offers.xlsx", b"sku,title"), ("a.zip", b"PK\x03\x04"),
                       ("offers.csv", b"\xff\xfe\x00s\x00k")]:
        with pytest.raises(FileProblem):
            sniff_format(name, head)


def test_formula_cells_are_defused():
    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert [safe_cell(v) for v in ("+1", "-1", "@a", "plain", 12)] == ["'+1", "'-1", "'@a", "plain", "12"]


def test_header_problems():
    with pytest.raises(FileProblem, match="Missing required"):
        header_positions(["sku", "title"])
    with pytest.raises(FileProblem, match="Unknown"):
        header_positions(["sku", "title", "cpv_code", "unit", "list_price", "colour"])
    with pytest.raises(FileProblem, match="twice"):
        header_positions(["sku", "sku", "title", "cpv_code", "unit", "list_price"])


HEADER = ["sku", "title", "cpv_code", "unit", "list_price", "price_breaks", "gtin", "valid_from", "valid_to"]


def validator():
    return RowValidator(header_positions(HEADER), frozenset({"30213100"}), {"30213100": "6"})


def test_a_good_row_is_staged():
    row, errors = validator().validate(["A1", "Laptop", "30213100-6", "each", "800", "10:780", "", "2026-04-01", ""])
    assert errors == [] and row[0] == "A1" and row[9] == Decimal("800.00") and row[11] == '[[10, "780.00"]]'


@pytest.mark.parametrize("cells, column", [
    (["", "Laptop", "30213100", "each", "800", "", "", "", ""], "sku"),
    (["A1", "Laptop", "99999999", "each", "800", "", "", "", ""], "cpv_code"),
    (["A1", "Laptop", "30213100-5", "each", "800", "", "", "", ""], "cpv_code"),
    (["A1", "Laptop", "30213100", "each", "-5", "", "", "", ""], "list_price"),
    (["A1", "Laptop", "30213100", "each", "800", "10:900", "", "", ""], "price_breaks"),
    (["A1", "Laptop", "30213100", "each", "800", "10:700;10:600", "", "", ""], "price_breaks"),
    (["A1", "Laptop", "30213100", "each", "800", "", "5012345678901", "", ""], "gtin"),
    (["A1", "Laptop", "30213100", "each", "800", "", "", "01/04/2026", ""], "valid_from"),
    (["A1", "Laptop", "30213100", "each", "800", "", "", "2026-04-01", "2026-03-01"], "valid_to"),
])
def test_each_kind_of_bad_row_names_its_column(cells, column):
    row, errors = validator().validate(cells)
    assert row is None and column in [c for c, _ in errors]
