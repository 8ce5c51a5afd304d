"""The catalogue import end to end, as the job runs it, on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from catalogue.models import CatalogueImport, ImportRowError, ImportOutcome, Offer, OfferPriceChange, OfferStatus
from catalogue.services import import_errors_csv, start_import
from procurement.core.db import db
from procurement.core.errors import InvalidInput, PermissionDenied
from tests import factories

HEADER = ["sku", "title", "description", "manufacturer", "manufacturer_part_number", "gtin", "cpv_code",
          "unit", "list_price", "vat_rate", "price_breaks", "lead_time_days", "valid_from", "valid_to", "status"]
GOOD = [
    ["LAP-1", "14in laptop 16GB", "Business laptop", "Dell", "LAT-5450", "5012345678900", "30213100-6", "each",
     "812.50", "20", "25:789.00; 100:755.00", "10", "2026-04-01", "2027-03-31", "published"],
    ["MON-1", "24in monitor", "", "Iiyama", "XUB2492", "", "30231300", "each", "119.00", "", "", "", "", "", ""],
    ["CRM-1", "CRM user licence", "Per named user per year", "", "", "", "48445000", "licence", "240.00", "20",
     "50:220.00", "", "", "", "published"],
]


def csv_bytes(rows, header=HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


@pytest.fixture()
def supplier_user(committed_app):
    with committed_app.app_context():
        user = factories.user(db.session, "supplier")
        db.session.commit()
        return user.id, next(iter(user.supplier_ids))


def upload(app, user_id, content: bytes, filename="offers.csv", mode="all_or_nothing"):
    """Upload as the supplier; without Redis the job runs in-process after the commit."""
    with app.app_context():
        session = db.session
        actor = session.get(__import__("procurement.parties.models", fromlist=["User"]).User, user_id)
        record = start_import(session, actor, supplier_id=next(iter(actor.supplier_ids)), filename=filename,
                              stream=io.BytesIO(content), mode=mode, max_bytes=1 << 20)
        import_id = record.id
        session.commit()
    with app.app_context():
        return db.session.get(CatalogueImport, import_id)


def offers_of(app, supplier_id):
    with app.app_context():
        return {o.sku: o for o in db.session.scalars(select(Offer).where(Offer.supplier_id == supplier_id))}


def test_a_good_file_is_imported(committed_app, supplier_user):
    user_id, supplier_id = supplier_user
    record = upload(committed_app, user_id, csv_bytes(GOOD))
    assert record.outcome is ImportOutcome.done, record.message
    assert (record.rows_done, record.rows_invalid, record.offers_created) == (3, 0, 3)
    offers = offers_of(committed_app, supplier_id)
    laptop = offers["LAP-1"]
    assert laptop.list_price == Decimal("812.50") and laptop.price_breaks == [[25, "789.00"], [100, "755.00"]]
    assert laptop.part_number_key == "LAT5450" and laptop.gtin == "5012345678900"
    assert laptop.status is OfferStatus.published and offers["MON-1"].vat_rate == Decimal("20.00")
    assert str(laptop.valid_to) == "2027-03-31"


def test_importing_the_same_file_again_changes_nothing(committed_app, supplier_user):
    user_id, supplier_id = supplier_user
    upload(committed_app, user_id, csv_bytes(GOOD))
    before = {sku: (o.list_price, o.price_breaks, o.updated_at) for sku, o in offers_of(committed_app, supplier_id).items()}
    again = upload(committed_app, user_id, csv_bytes(GOOD))
    assert (again.offers_created, again.offers_updated, again.offers_unchanged) == (0, 0, 3)
    after = {sku: (o.list_price, o.price_breaks, o.updated_at) for sku, o in offers_of(committed_app, supplier_id).items()}
    assert after == before


def test_a_later_file_updates_prices_and_keeps_their_history(committed_app, supplier_user):
    user_id, supplier_id = supplier_user
    upload(committed_app, user_id, csv_bytes(GOOD))
    changed = [row[:] for row in GOOD]
    changed[0][8], changed[0][10] = "799.00", "25:779.00; 100:745.00"
    record = upload(committed_app, user_id, csv_bytes(changed))
    assert (record.offers_created, record.offers_updated, record.offers_unchanged) == (0, 1, 2)
    laptop = offers_of(committed_app, supplier_id)["LAP-1"]
    assert laptop.list_price == Decimal("799.00")
    with committed_app.app_context():
        [change] = db.session.scalars(select(OfferPriceChange).where(OfferPriceChange.offer_id == laptop.id)).all()
        assert (change.old_list_price, change.new_list_price) == (Decimal("812.50"), Decimal("799.00"))
        assert change.new_price_breaks == [[25, "779.00"], [100, "745.00"]] and change.import_id == record.id


BAD_ROWS = [
    (["", "No SKU", "", "", "", "", "30213100", "each", "10", "", "", "", "", "", ""], "sku"),
    (["B-2", "Bad CPV", "", "", "", "", "12345678", "each", "10", "", "", "", "", "", ""], "cpv_code"),
    (["B-3", "Bad price", "", "", "", "", "30213100", "each", "free", "", "", "", "", "", ""], "list_price"),
    (["LAP-1", "Duplicate", "", "", "", "", "30213100", "each", "10", "", "", "", "", "", ""], "sku"),
    (["B-5", "Bad GTIN", "", "", "", "5012345678901", "30213100", "each", "10", "", "", "", "", "", ""], "gtin"),
    (["B-6", "Rising", "", "", "", "", "30213100", "each", "10", "", "5:9;10:9.5", "", "", "", ""], "price_breaks"),
    (["B-7", "Dates", "", "", "", "", "30213100", "each", "10", "", "", "", "2026-05-01", "2026-04-01", ""], "valid_to"),
]


def test_all_or_nothing_writes_nothing_and_reports_every_bad_row(committed_app, supplier_user):
    user_id, supplier_id = supplier_user
    rows = GOOD + [row for row, _ in BAD_ROWS]
    record = upload(committed_app, user_id, csv_bytes(rows))
    assert record.outcome is ImportOutcome.rejected and record.rows_invalid == len(BAD_ROWS)
    assert offers_of(committed_app, supplier_id) == {}
    with committed_app.app_context():
        errors = db.session.execute(select(ImportRowError.row_number, ImportRowError.column)
                                    .where(ImportRowError.import_id == record.id)).all()
    assert {(r, c) for r, c in errors} >= {(5 + i, column) for i, (_, column) in enumerate(BAD_ROWS)}


def test_valid_rows_mode_imports_the_good_ones(committed_app, supplier_user):
    user_id, supplier_id = supplier_user
    record = upload(committed_app, user_id, csv_bytes(GOOD + [row for row, _ in BAD_ROWS]), mode="valid_rows")
    assert record.outcome is ImportOutcome.done and record.offers_created == 3
    assert set(offers_of(committed_app, supplier_id)) == {"LAP-1", "MON-1", "CRM-1"}


def test_the_error_report_is_csv_safe_for_spreadsheets(committed_app, supplier_user):
    user_id, _ = supplier_user
    nasty = ["=cmd|' /C calc'!A0", "Formula", "", "", "", "", "nope", "each", "10", "", "", "", "", "", ""]
    record = upload(committed_app, user_id, csv_bytes([nasty]))
    with committed_app.app_context():
        from procurement.parties.models import User

        report = import_errors_csv(db.session, db.session.get(User, user_id), record.id)
    lines = list(csv.reader(io.StringIO(report)))
    assert lines[0] == ["row", "column", "message"] and ["2", "cpv_code", "'nope' is not a CPV 2008 code"] in lines
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)


def test_an_xlsx_file_is_imported(committed_app, supplier_user, tmp_path):
    from openpyxl import Workbook

    user_id, supplier_id = supplier_user
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in GOOD:
        sheet.append([float(v) if k in (8,) else v for k, v in enumerate(row)])
    path = tmp_path / "offers.xlsx"
    workbook.save(path)
    record = upload(committed_app, user_id, path.read_bytes(), filename="offers.xlsx")
    assert record.outcome is ImportOutcome.done, record.message
    assert offers_of(committed_app, supplier_id)["LAP-1"].list_price == Decimal("812.50")


@pytest.mark.parametrize("content, filename, message", [
    (b"", "offers.csv", "empty"),
    (b"%PDF-1.7 not a spreadsheet", "offers.pdf", "CSV"),
    (b"sku,title\nA,B\n", "offers.csv", "Missing required"),
    (b"PK\x03\x04 broken zip", "offers.xlsx", "Excel file cannot be read"),
])
def test_bad_files_are_refused_and_nothing_is_written(committed_app, supplier_user, content, filename, message):
    user_id, _ = supplier_user
    with committed_app.app_context():
        count = db.session.scalar(select(func.count(CatalogueImport.id)))
    with pytest.raises(InvalidInput, match=message):
        upload(committed_app, user_id, content, filename=filename)
    with committed_app.app_context():
        assert db.session.scalar(select(func.count(CatalogueImport.id))) == count


def test_a_file_over_the_limit_is_refused(committed_app, supplier_user):
    user_id, _ = supplier_user
    big = csv_bytes(GOOD) + b"x" * (1 << 20)
    with pytest.raises(InvalidInput, match="larger than"):
        upload(committed_app, user_id, big)


def test_nobody_imports_into_another_suppliers_catalogue(committed_app, supplier_user):
    user_id, _ = supplier_user
    with committed_app.app_context():
        from procurement.parties.models import User

        other = factories.supplier(db.session)
        db.session.commit()
        actor = db.session.get(User, user_id)
        with pytest.raises(PermissionDenied):
            start_import(db.session, actor, supplier_id=other.id, filename="x.csv", stream=io.BytesIO(csv_bytes(GOOD)),
                         mode="all_or_nothing", max_bytes=1 << 20)


def test_upload_through_the_api_then_follow_the_job(committed_app, supplier_user):
    user_id, supplier_id = supplier_user
    client = committed_app.test_client()
    with committed_app.app_context():
        from procurement.parties.models import User

        token = factories.token_for(db.session, db.session.get(User, user_id))
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    bad = [row[:] for row in GOOD] + [["X-1", "Bad", "", "", "", "", "nope", "each", "1", "", "", "", "", "", ""]]
    response = client.post("/api/v1/catalogue/imports", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(csv_bytes(bad)), "offers.csv"), "mode": "valid_rows"})
    assert response.status_code == 202, response.get_json()
    import_id = response.get_json()["id"]
    status = client.get(f"/api/v1/catalogue/imports/{import_id}", headers=headers).get_json()
    assert status["status"] == "done" and status["rows_done"] == 4 and status["rows_invalid"] == 1
    assert status["outcome"] == "done" and status["progress"] == 100 and status["job_id"] is not None
    report = client.get(f"/api/v1/catalogue/imports/{import_id}/errors", headers=headers)
    assert report.mimetype == "text/csv" and "5,cpv_code," in report.get_data(as_text=True)
    refused = client.post("/api/v1/catalogue/imports", headers=headers, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(b"just text"), "notes.txt")})
    assert refused.status_code == 422 and "file" in refused.get_json()["errors"]


def test_upload_through_the_page_shows_the_result(committed_app, supplier_user):
    from tests.conftest import csrf_token, sign_in

    user_id, _ = supplier_user
    client = committed_app.test_client()
    with committed_app.app_context():
        from procurement.parties.models import User

        email = db.session.get(User, user_id).email
    sign_in(client, email, factories.PASSWORD)
    token = csrf_token(client, "/catalogue/imports")
    response = client.post("/catalogue/imports", content_type="multipart/form-data", data={
        "csrf_token": token, "mode": "all_or_nothing", "file": (io.BytesIO(csv_bytes(GOOD)), "offers.csv")})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 offers added" in page
    progress = client.get(response.headers["Location"] + "/progress.json").get_json()
    assert progress == {"status": "done", "progress": 100, "note": "3 rows checked", "message": progress["message"],
                        "finished": True}
    assert "3 offers added" in progress["message"]
    empty = client.post("/catalogue/imports", content_type="multipart/form-data", data={
        "csrf_token": token, "mode": "all_or_nothing", "file": (io.BytesIO(b""), "offers.csv")})
    assert empty.status_code == 200 and "The file is empty" in empty.get_data(as_text=True)


def test_the_cli_imports_with_a_progress_bar(committed_app, supplier_user, tmp_path):
    user_id, supplier_id = supplier_user
    path = tmp_path / "offers.csv"
    path.write_bytes(csv_bytes(GOOD))
    result = committed_app.test_cli_runner().invoke(
        args=["catalogue", "import", str(path), "--supplier", str(supplier_id)])
    assert result.exit_code == 0, result.output
    assert "Importing offers.csv" in result.output and "3 offers added" in result.output
    assert set(offers_of(committed_app, supplier_id)) == {"LAP-1", "MON-1", "CRM-1"}
    path.write_bytes(csv_bytes([["", "x", "", "", "", "", "30213100", "each", "1", "", "", "", "", "", ""]]))
    result = committed_app.test_cli_runner().invoke(
        args=["catalogue", "import", str(path), "--supplier", str(supplier_id)])
    assert result.exit_code == 1 and "rejected" in result.output


def test_many_bad_rows_and_repeated_skus_are_all_reported(committed_app, supplier_user):
    user_id, _ = supplier_user
    rows = [[f"R-{n % 4000}", "x", "", "", "", "", "30213100" if n % 2 else "bad", "each", "1", "", "", "", "", "", ""]
            for n in range(6000)]
    record = upload(committed_app, user_id, csv_bytes(rows), mode="valid_rows")
    assert record.outcome is ImportOutcome.done and record.rows_done == 6000
    with committed_app.app_context():
        messages = db.session.scalars(select(ImportRowError.message).where(
            ImportRowError.import_id == record.id, ImportRowError.row_number == 4002)).all()
    assert "'R-0' appears more than once in the file (first on row 2)" in messages
    # Rows 2..4001 hold SKUs R-0..R-3999 once each; half of them have a bad CPV code.
    assert record.rows_invalid == 2000 + 2000 and record.offers_created == 2000


def test_progress_written_while_the_import_holds_its_transaction(committed_app, supplier_user, monkeypatch, backend):
    """Progress after every row, so every report falls inside the import's open transaction
    (as on a busy machine, where staging outlasts the reporting interval). It goes to the
    import's job row through the job system's one progress writer: on SQLite a second
    connection writing it would make the import fail with "database is locked"; on PostgreSQL
    a page must see it while the import runs."""
    from sqlalchemy import create_engine

    from catalogue import importing, jobs
    from procurement.core.jobrecords import Job

    monkeypatch.setattr(importing, "PROGRESS_EVERY_SECONDS", -1.0)
    # A page's view of the job row: a plain engine of its own, outside the job's writer context.
    page = create_engine(committed_app.config["DATABASE_URL"])
    rows_checked, seen = jobs.rows_checked, []

    def watched_rows_checked(progress):
        def watched(done, estimated):
            report(done, estimated)
            with page.connect() as connection:
                seen.append((done, connection.scalar(select(Job.progress_note).where(
                    Job.kind == "catalogue_import").order_by(Job.id.desc()).limit(1))))

        report = rows_checked(progress)
        return watched

    monkeypatch.setattr(jobs, "rows_checked", watched_rows_checked)
    user_id, _ = supplier_user
    rows = GOOD + [["B-1", "Bad CPV", "", "", "", "", "12345678", "each", "10", "", "", "", "", "", ""]]
    try:
        record = upload(committed_app, user_id, csv_bytes(rows), mode="valid_rows")
    finally:
        page.dispose()
    assert record.outcome is ImportOutcome.done, record.message
    assert (record.rows_done, record.rows_invalid, record.offers_created) == (4, 1, 3)
    assert [done for done, _ in seen] == [1, 2, 3, 4]
    if backend == "postgresql":
        assert [note for _, note in seen] == [f"{n} of 4 rows checked" for n in (1, 2, 3, 4)]
