"""Every page of every role, in Chromium: follow each link from the home page (as each demo
role and signed out) and read each page and each PDF as its reader would. None of them may
show None, a raw enum value, an internal id, a doubled word, a quantity with trailing zeros,
an ISO timestamp or a finished job still 'asking'."""
from __future__ import annotations

import io
import re
from collections import deque
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from pypdf import PdfReader

from tests.browser.conftest import sign_in_by_keyboard

ROLES = [None, "admin@demo.londonconnects.example", "agency.lead@demo.londonconnects.example",
         "buyer.camden@demo.londonconnects.example", "supplier.thames@demo.londonconnects.example",
         "supplier.crm@demo.londonconnects.example"]
PAGES_PER_PATTERN = 4   # four of /organisations/<id> stand for them all; each of the demo's four tenders is read
MAX_PAGES = 200
SKIP = re.compile(r"^/(sign-out|static/|assets/|api/v1/docs)|\.(csv|json|xlsx)$")
# Column names that the upload pages document as they are typed in a file.
FILE_COLUMNS = {"catalogue_item_id", "cpv_code", "current_unit_price", "delivery_location", "needed_by", "list_price",
                "price_breaks", "manufacturer_part_number", "lead_time_days", "valid_from", "valid_to", "vat_rate",
                "offer_sku", "unit_price", "lot_item", "quality_answer", "discount_percent", "bundle_lots",
                "supplier_name", "companies_house_number", "start_date", "end_date", "date_listed"}  # the debarment list's

PROBLEMS = [
    ("None", re.compile(r"\bNone\b(?! offered)(?!: I will)")),
    ("a raw enum value", re.compile(r"\b[a-z]+_[a-z_]+\b")),
    ("an internal id", re.compile(r"\b(organisation|opened_bid|user_account|lot_line|tender|supplier) \d{2,}\b")),
    ("a doubled word", re.compile(r"\b([A-Za-z]{2,})\)? \(?\1\b", re.IGNORECASE)),
    ("a quantity with trailing zeros", re.compile(r"\b\d+\.000\b")),
    ("an ISO timestamp", re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")),
    ("a finished job still asking", re.compile(r"[Dd]one\W+asking")),
    ("a label made from an enum", re.compile(r"\b(Nhs body|Gla|Award proposed tender|Lowest price ratio)\b")),
]


def problems_in(text: str) -> list[str]:
    found = []
    for name, pattern in PROBLEMS:
        for match in pattern.finditer(text):
            if name == "a raw enum value" and match.group(0) in FILE_COLUMNS:
                continue
            if name == "a doubled word" and match.group(1).lower() in {"that", "had", "is"}:
                continue
            start = max(0, match.start() - 40)
            found.append(f"{name}: …{text[start:match.end() + 40]!r}…")
    return found


def pattern_of(path: str) -> str:
    return re.sub(r"/\d+", "/N", path)


@pytest.mark.parametrize("email", ROLES, ids=lambda e: (e or "anonymous").split("@")[0])
def test_every_page_and_document_reads_right(live, page, email):
    if email:
        sign_in_by_keyboard(page, live, email)
        assert "/sign-in" not in page.url
    crawl(live, page, email)


def test_and_again_once_the_contracts_are_entered(live, chromium):
    """The awarded tender's contracts entered by the agency in the browser: orders, the contract
    award notice and savings reports with figures, read by the agency, a buyer and the winner."""
    context = chromium.new_context()
    agency = context.new_page()
    sign_in_by_keyboard(agency, live, "agency.lead@demo.londonconnects.example")
    agency.goto(f"{live}/tenders/1/evaluation")
    with agency.expect_navigation():
        agency.get_by_role("button", name="Enter the contracts and make the orders").click()
    assert "Orders and savings" in agency.inner_text("main")
    context.close()
    for email, start in (("agency.lead@demo.londonconnects.example", "/tenders/1/evaluation"),
                         ("buyer.croydon@demo.londonconnects.example", "/awards"),
                         ("supplier.crm@demo.londonconnects.example", "/opportunities/1/results")):
        context = chromium.new_context()
        page = context.new_page()
        sign_in_by_keyboard(page, live, email)
        crawl(live, page, email, start, max_pages=20)
        context.close()


def crawl(live: str, page: Any, email: str | None, start: str = "/", max_pages: int = MAX_PAGES) -> None:
    queue, seen, per_pattern, found = deque([start]), {start}, {}, {}
    visited = documents = 0
    while queue and visited < max_pages:
        path = queue.popleft()
        response = page.request.get(live + path)
        assert response.status < 500, (path, response.status)
        kind = response.headers.get("content-type", "")
        if kind.startswith("application/pdf"):
            text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
            problems = problems_in(re.sub(r"\s+", " ", text))
            documents += 1
        elif kind.startswith("text/html"):
            page.goto(live + path)
            visited += 1
            problems = problems_in(page.inner_text("main"))
            for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
                target = urlsplit(urljoin(live + path, href))
                if target.netloc != urlsplit(live).netloc or SKIP.search(target.path):
                    continue
                link = target.path + (f"?{target.query}" if target.query else "")
                if link not in seen and per_pattern.get(pattern_of(target.path), 0) < PAGES_PER_PATTERN:
                    seen.add(link)
                    per_pattern[pattern_of(target.path)] = per_pattern.get(pattern_of(target.path), 0) + 1
                    queue.append(link)
        else:
            continue
        if problems:
            found[path] = problems
    print(f"{email or 'anonymous'}: {visited} pages, {documents} documents")
    assert visited > 1
    assert not found, "\n".join(f"{path}: {problem}" for path, problems in found.items() for problem in problems)
