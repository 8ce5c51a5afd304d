"""The table built in Python gives the markup of GOV.UK Frontend's own `govukTable` macro
(whitespace between tags aside) for every parameter the macro reads."""
from __future__ import annotations

import re

import pytest
from jinja2 import Environment, PackageLoader, PrefixLoader
from markupsafe import Markup

from procurement.core.tables import govuk_table

MACRO = Environment(loader=PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
                    autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(
    '{% from "govuk_frontend_jinja/components/table/macro.html" import govukTable %}{{ govukTable(params) }}')

CASES = {
    "rows only": {"rows": [[{"text": "Laptop"}, {"text": 812.5}]]},
    "nothing": {},
    "everything": {
        "caption": "Offers <b>now</b>", "captionClasses": "govuk-table__caption--m", "classes": "app-wide",
        "attributes": {"id": "offers", "data-module": "sortable"}, "firstCellIsHeader": True,
        "head": [{"text": "SKU", "classes": "app-sku"}, {"html": Markup("<abbr>VAT</abbr>"), "format": "numeric"},
                 {"text": "Both", "colspan": 2, "attributes": {"aria-sort": "ascending"}}],
        "rows": [
            [{"text": "TDH-1", "classes": "app-first"}, {"text": "£1 & 2", "format": "numeric", "rowspan": 2},
             {"html": Markup('<a href="/x">x</a>')}, {"text": None}],
            [],
            None,
            [{"text": Markup("<em>safe</em>")}, {"text": "<script>alert(1)</script>", "colspan": 3,
                                                 "attributes": {"hidden": {"value": True, "optional": True},
                                                                "data-gone": {"value": None, "optional": True},
                                                                "data-false": {"value": False, "optional": True},
                                                                "data-kept": {"value": "v<", "optional": True},
                                                                "data-flag": False, "data-val": {"val": "x"}}}],
            [{"attributes": ' data-raw="1"'}, {}],
        ],
    },
}


def _squeezed(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(html))).strip()


def _as_the_macro(html: str) -> str:
    """Our table less what it adds for phones: the stacking class and the cells' labels."""
    return re.sub(r' data-label="[^"]*"', "", html.replace(" app-stack", ""))


@pytest.mark.parametrize("params", list(CASES.values()), ids=list(CASES))
def test_the_table_is_the_macros_markup(params):
    assert _squeezed(_as_the_macro(str(govuk_table(params)))) == _squeezed(MACRO.render(params=params))


def test_a_table_with_a_head_stacks_on_a_phone_with_each_cell_labelled():
    table = str(govuk_table({"head": [{"text": "Supplier"}, {"html": "<abbr>Price</abbr> (£)"}],
                             "rows": [[{"text": "Thames"}, {"text": "£1.00"}]]}))
    assert 'class="govuk-table app-stack"' in table
    assert '<td class="govuk-table__cell" data-label="Supplier">Thames</td>' in table
    assert 'data-label="Price (£)"' in table
    assert "app-stack" not in str(govuk_table({"rows": [[{"text": "no head"}]]}))
    repeated = str(govuk_table({"head": [{"text": "Lot"}], "rows": [[{"text": "Lot 1: Laptops"}]]}))
    assert "data-label" not in repeated  # a cell that names its column already reads as "Lot 1: Laptops"


def test_pages_importing_the_macro_get_this_table(tmp_path):
    from procurement.factory import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}", "SKIP_DATABASE_CHECK": True,
                      "SECRET_KEY": "t", "BID_SEALING_KEY": "k"})
    page = app.jinja_env.from_string(
        '{% from "govuk_frontend_jinja/components/table/macro.html" import govukTable %}{{ govukTable(params) }}')
    with app.app_context():
        assert page.render(params=CASES["everything"]) == str(govuk_table(CASES["everything"]))
