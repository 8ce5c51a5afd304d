"""Requirements uploaded from CSV and XLSX: every row checked, a report, all or nothing. The
request receives the file (size, type, header); its job checks the rows: here the test checks
it itself, in the test's transaction (tests/integration/demand/test_upload_job.py runs the job)."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from procurement.core.clock import today
from procurement.core.errors import InvalidInput, NotFound, PermissionDenied
from demand import uploads
from demand.models import Requirement, RequirementStatus, UploadStatus
from tests import factories

HEADER = "title,catalogue_item_id,cpv_code,specification,quantity,unit,delivery_location,needed_by,current_unit_price,notes"


def _csv(*rows: str) -> io.BytesIO:
    return io.BytesIO(("\n".join([HEADER, *rows]) + "\n").encode())


def _upload(session, buyer, stream, filename="requirements.csv", **options):
    """Upload, then check the rows as the job does."""
    record = uploads.upload_requirements(session, buyer, organisation_id=None, filename=filename, stream=stream,
                                         max_bytes=options.pop("max_bytes", 1 << 20), **options)
    assert record.status is UploadStatus.checking and record.rows_total == 0
    return uploads.check_upload(session, record.id)


def _count(session, organisation_id):
    return session.scalar(select(func.count()).select_from(Requirement).where(Requirement.organisation_id == organisation_id))


@pytest.fixture()
def buyer(session):
    return factories.user(session, "buyer")


def test_a_good_file_adds_every_row(session, buyer):
    soon = (today() + timedelta(days=40)).isoformat()
    item = factories.catalogue_item(session, unit="licence")
    record = _upload(session, buyer, _csv(
        f"Laptops,,30213100,14-inch laptops,120,each,Town Hall,{soon},845.00,",
        f",{item.id},,,300,,Civic Centre,{soon},£240,annual",
        f"Consultancy,,72000000,GIS data work,37.5,days,Town Hall,{soon},650,",
    ))
    assert record.status is UploadStatus.done and record.requirements_created == 3 and not record.errors
    made = session.scalars(select(Requirement).where(Requirement.upload_id == record.id).order_by(Requirement.id)).all()
    assert [r.status for r in made] == [RequirementStatus.submitted] * 3
    assert made[1].title == item.name and made[1].unit == "licence" and str(made[1].baseline_unit_price) == "240.00"


def test_drafts_when_asked(session, buyer):
    soon = (today() + timedelta(days=40)).isoformat()
    record = _upload(session, buyer, _csv(f"Laptops,,30213100,laptops,5,each,Depot,{soon},800,"), submit=False)
    assert session.scalars(select(Requirement.status).where(Requirement.upload_id == record.id)).one() is RequirementStatus.draft


def test_any_bad_row_and_nothing_is_added_with_a_report(session, buyer):
    soon, past = (today() + timedelta(days=40)).isoformat(), (today() - timedelta(days=1)).isoformat()
    record = _upload(session, buyer, _csv(
        f"Good,,30213100,laptops,5,each,Depot,{soon},800,",
        f"Half,,30213100,laptops,2.5,each,Depot,{soon},800,",
        f"Past,,12345678,,5,each,,{past},-4,",
        "Item,abc,,,5,each,Depot,13/01/2027,800,",
    ))
    assert record.status is UploadStatus.rejected and record.rows_total == 4 and record.rows_invalid == 3
    assert _count(session, buyer.memberships[0].organisation_id) == 0
    found = {(e.row_number, e.column) for e in record.errors}
    assert {(3, "quantity"), (4, "cpv_code"), (4, "specification"), (4, "delivery_location"), (4, "needed_by"),
            (4, "current_unit_price"), (5, "catalogue_item_id"), (5, "needed_by")} <= found
    report = uploads.errors_csv(record).splitlines()
    assert report[0] == "row,column,message" and any(line.startswith("3,quantity,") for line in report)


def test_an_xlsx_file_is_read_too(session, buyer):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(["Switches", None, "32422000", "48-port switches", 12, "each", "Data centre",
                  today() + timedelta(days=60), 3290, None])
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    record = _upload(session, buyer, stream, filename="requirements.xlsx")
    assert record.status is UploadStatus.done and record.requirements_created == 1


@pytest.mark.parametrize("filename, content, message", [
    ("requirements.pdf", b"%PDF-1.4", "CSV"),
    ("requirements.csv", b"", "empty"),
    ("requirements.csv", b"colour,size\nred,big\n", "Unknown column"),
    ("requirements.csv", (HEADER.replace(",quantity", "") + "\n").encode(), "Missing required"),
    ("requirements.csv", b"x" * 3000, "larger than"),
    ("requirements.csv", (HEADER + "\n").encode(), None),
])
def test_files_that_are_refused(session, buyer, filename, content, message):
    if message is None:  # only a header: a report saying there are no rows
        record = _upload(session, buyer, io.BytesIO(content), filename=filename)
        assert record.status is UploadStatus.rejected and record.errors[0].column == "file"
        return
    with pytest.raises(InvalidInput, match=message):
        _upload(session, buyer, io.BytesIO(content), filename=filename, max_bytes=2048)


def test_uploads_belong_to_their_organisation(session, buyer):
    soon = (today() + timedelta(days=40)).isoformat()
    record = _upload(session, buyer, _csv(f"Laptops,,30213100,laptops,5,each,Depot,{soon},800,"))
    with pytest.raises(NotFound):
        uploads.get_upload(session, factories.user(session, "buyer"), record.id)
    assert uploads.get_upload(session, factories.user(session, "agency"), record.id).id == record.id
    for role in ("supplier", "agency", "admin"):
        with pytest.raises(PermissionDenied):
            _upload(session, factories.user(session, role), _csv())


def test_blank_rows_count_towards_the_row_limit_as_they_stream(session, buyer):
    """Issue 18, finding 7: blank rows were skipped without counting, so a sheet of them
    streamed without end."""
    row = "Laptop,,30213100,,1,each,Camden,%s,900.00," % (today() + timedelta(days=60)).isoformat()
    stream = io.BytesIO(("\n".join([HEADER, row] + [","] * (uploads.MAX_ROWS + uploads.MAX_BLANK_ROWS + 5)) + "\n").encode())
    record = _upload(session, buyer, stream)
    assert record.status is UploadStatus.rejected and "more than 5,000 rows" in record.message
    assert _count(session, next(iter(buyer.organisation_ids))) == 0


def test_the_check_reports_how_many_rows_it_has_checked(session, buyer, monkeypatch):
    """What the job's progress shows ("2 of 3 rows checked"): rows checked of the rows estimated."""
    from catalogue.jobs import rows_checked

    monkeypatch.setattr(uploads, "PROGRESS_EVERY_SECONDS", -1)  # every row, not every half second
    soon = (today() + timedelta(days=40)).isoformat()
    record = uploads.upload_requirements(session, buyer, organisation_id=None, filename="r.csv", max_bytes=1 << 20,
                                         stream=_csv(*[f"Laptops,,30213100,laptops,5,each,Depot,{soon},800,"] * 3))
    notes = []
    uploads.check_upload(session, record.id, rows_checked(lambda percent, note: notes.append((percent, note))))
    assert notes == [(33, "1 of 3 rows checked"), (66, "2 of 3 rows checked"), (99, "3 of 3 rows checked")]
    assert record.status is UploadStatus.done
