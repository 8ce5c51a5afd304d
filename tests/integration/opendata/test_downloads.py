"""The open data as spreadsheets (flattentool, offline, against the UK profile's schema) and the
Local Government Transparency Code export, linked from the public register."""
from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from opendata import ocds, spreadsheets
from tests.integration.opendata.test_ocds import PREFIX, demo  # noqa: F401 (the fixture)


def test_the_releases_as_xlsx_and_csv(client, session, demo, monkeypatch):  # noqa: F811
    import requests

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("flattentool fetched a URL: it must read the schema file given")

    monkeypatch.setattr(requests.Session, "request", refuse)
    session.flush()
    releases = ocds.all_releases(session, PREFIX)
    workbook = client.get("/api/ocds/releases/all.xlsx")
    assert workbook.status_code == 200 and "attachment" in workbook.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(workbook.data), read_only=True)
    assert {"releases", "parties", "awards", "contracts"} <= set(book.sheetnames)
    assert max(len(name) for name in book.sheetnames) <= 31  # Excel opens no longer sheet name
    sheet = book["releases"]
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "ocid" in header and "id" in header and "buyer/id" in header
    assert len(list(sheet.iter_rows(min_row=2))) == len(releases)  # a row a release

    zipped = client.get("/api/ocds/releases/all-csv.zip")
    assert zipped.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(zipped.data))
    rows = list(csv.DictReader(io.StringIO(archive.read("releases.csv").decode())))
    assert {r["id"] for r in rows} == {r["id"] for r in releases}
    parties = list(csv.DictReader(io.StringIO(archive.read("parties.csv").decode())))
    assert any(p["parties/0/identifier/scheme"] == "GB-LAE" for p in parties)
    contracts = list(csv.DictReader(io.StringIO(archive.read("contracts.csv").decode())))
    assert contracts and all(c["contracts/0/value/currency"] == "GBP" for c in contracts)


def test_the_transparency_code_export(client, session, demo):  # noqa: F811
    session.flush()
    contracts = client.get("/open-data/transparency-code/contracts.csv")
    assert contracts.status_code == 200 and contracts.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(contracts.get_data(as_text=True))))
    assert list(rows[0]) == spreadsheets.CONTRACT_COLUMNS
    assert rows and all(Decimal(r["Sum to be paid over the contract (GBP, ex VAT)"]) > 5000 for r in rows)
    awarded = demo["Joint contact-centre seats and GIS licences"]
    orders = [o for c in ocds.facts(session, awarded, PREFIX).contracts for o in c.orders]
    big = {o.reference for o in orders if o.total > 5000}
    assert big and {r["Reference number"] for r in rows} == big  # an order of £5,000 or less is not listed
    croydon = next(r for r in rows if r["Authority identifier"] == "GB-LAE-CRY")
    assert croydon["Supplier registration number"].startswith("Companies House")
    assert croydon["Procurement route"].startswith("Published invitation to tender") and croydon["Start date"]
    tenders = list(csv.DictReader(io.StringIO(client.get("/open-data/transparency-code/tenders.csv").get_data(as_text=True))))
    assert list(tenders[0]) == spreadsheets.TENDER_COLUMNS
    assert all(Decimal(t["Estimated value (GBP, ex VAT)"]) > 5000 for t in tenders)
    assert awarded.reference in {t["Reference number"] for t in tenders}
    drafts = {t.reference for t in demo.values() if t.published_at is None}
    assert drafts and not drafts & {t["Reference number"] for t in tenders}


def test_the_register_links_the_downloads(client, session, demo):  # noqa: F811
    page = client.get("/register").get_data(as_text=True)
    for href, label in (("/api/ocds/releases/all.xlsx", "Excel spreadsheet"), ("/api/ocds/releases/all-csv.zip", "CSV files"),
                        ("/open-data/transparency-code/contracts.csv", "contracts over £5,000"),
                        ("/open-data/transparency-code/tenders.csv", "invitations to tender over £5,000")):
        assert href in page and label in page


def test_a_download_is_made_again_only_after_a_recorded_act(client, session, demo, monkeypatch):  # noqa: F811
    from opendata import spreadsheets, views
    from procurement.core.audit import record_event

    made = []
    real = spreadsheets.flatten
    monkeypatch.setattr(spreadsheets, "flatten", lambda package, output: made.append(output) or real(package, output))
    views._FLATTENED.clear()
    first = client.get("/api/ocds/releases/all-csv.zip")
    again = client.get("/api/ocds/releases/all-csv.zip")
    assert first.status_code == again.status_code == 200 and first.data == again.data and made == ["csv"]
    record_event(session, None, "tender.notice_published", subject_type="tender", subject_id=1, details={})
    session.commit()
    assert client.get("/api/ocds/releases/all-csv.zip").status_code == 200 and made == ["csv", "csv"]
