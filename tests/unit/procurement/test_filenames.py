"""Download names a person would keep, safe on every file system, with a plain-ASCII twin."""
from __future__ import annotations

from procurement.core.filenames import MAX_LENGTH, ascii_name, keepable_name


def test_a_name_is_its_parts_joined_in_words():
    assert keepable_name(["Award decision notice", "Laptops for schools", "lot 1", "LJP-2026-0001"]) == (
        "Award decision notice - Laptops for schools - lot 1 - LJP-2026-0001.pdf")


def test_characters_file_systems_refuse_are_left_out_and_empty_parts_dropped():
    name = keepable_name(['Order summary', 'A/B: "fast" <kit>?', "", "  ", "Ref*1|2"])
    assert name == "Order summary - A B fast kit - Ref 1 2.pdf"
    assert keepable_name([]) == "document.pdf"


def test_a_long_name_is_shortened_but_keeps_its_extension_and_reference():
    name = keepable_name(["Assessment summary", "x" * 300, "Thames Digital Hardware Ltd", "LC-2026-0001"])
    assert len(name) <= MAX_LENGTH and name.endswith(" - LC-2026-0001.pdf") and "Thames Digital Hardware Ltd" in name


def test_the_ascii_twin_keeps_the_words():
    assert ascii_name("Award decision notice - ‘Café’ – lot 1.pdf") == "Award decision notice - 'Cafe' - lot 1.pdf"
    assert ascii_name("Savings £5m….pdf") == "Savings GBP 5m....pdf"
    assert ascii_name("日本.pdf") == "document.pdf"
    assert ascii_name('a"b\\c.pdf') == "a b c.pdf"
