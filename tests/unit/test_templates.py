"""Templates read one element to a line (issue 17, point 8): no template line runs past 160 characters.

Markup is built through the GOV.UK Frontend macros where one exists; what stays plain HTML is
indented one element per line, so a change shows in a diff as the element it changed."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ["procurement", "suppliers", "catalogue", "demand", "tenders", "opendata", "reports", "dashboards"]
LONGEST = 160

def _templates() -> list[str]:
    return sorted(str(path.relative_to(REPO)) for package in PACKAGES for path in (REPO / package).rglob("*.html"))


def _long_lines(relative: str) -> list[str]:
    lines = (REPO / relative).read_text(encoding="utf-8").splitlines()
    return [f"{relative}:{number} has {len(line)} characters"
            for number, line in enumerate(lines, start=1) if len(line) > LONGEST]


def test_templates_are_found():
    assert "procurement/templates/base.html" in _templates()


@pytest.mark.parametrize("relative", _templates())
def test_no_template_line_is_longer_than_160_characters(relative):
    assert _long_lines(relative) == []

