"""The migrations build the models' schema, both ways, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from procurement import migrate
from procurement.core.db import Base, make_engine
from tests.conftest import fresh_database_url

TABLES = {"organisation", "user_account", "membership", "supplier", "api_token", "cpv_code",
          "audit_event", "sign_in_attempt", "catalogue_item", "offer", "offer_price_change",
          "catalogue_import", "import_row_error"}


def tables(url):
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_empty_to_head_to_base_to_head(backend, tmp_path):
    url = fresh_database_url(backend, "ljp_test_migrations", tmp_path)
    assert tables(url) == set()
    migrate.upgrade(url)
    assert TABLES <= tables(url)
    migrate.downgrade(url, "base")
    assert tables(url) == set()
    migrate.upgrade(url)
    assert TABLES <= tables(url)


def test_models_and_migrations_agree(backend, tmp_path):
    url = fresh_database_url(backend, "ljp_test_migrations", tmp_path)
    migrate.upgrade(url)
    migrate.import_all_models()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": migrate.include_object})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


class _Row:
    def __init__(self, row_id: int):
        self.id = row_id


def _old_row(session, table: str, **values):  # type: ignore[no-untyped-def]
    """A row written by hand at an old revision: today's models have columns it has not."""
    from sqlalchemy import text

    values["created_at"] = "2026-12-01 10:00:00"
    names = ", ".join(values)
    session.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values)
    return _Row(session.execute(text(f"SELECT max(id) FROM {table}")).scalar_one())


def test_order_summaries_keyed_the_old_way_move_onto_participants(backend, tmp_path):
    """0013: a job and a document keyed tender id x 1,000,000 + organisation id come to name
    the tender's participant row, and downgrading gives the old keys back."""
    from datetime import date

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from procurement.core.documents import Document

    url = fresh_database_url(backend, "ljp_test_migrations", tmp_path)
    migrate.upgrade(url, "0012_award_record")
    migrate.import_all_models()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            borough = _old_row(session, "organisation", name="Test Borough", kind="london_borough")
            tender = _old_row(session, "tender", reference="LC-2026-0099", title="Laptops", description="", status="draft",
                              confirm_by=date(2026, 12, 20))
            old = tender.id * 1_000_000 + borough.id
            # by hand: the model has columns this revision has not (0017's runner)
            session.execute(text("INSERT INTO job (kind, subject_type, subject_id, status, attempts, progress, "
                                 "progress_note, error, result, requested_by_label, created_at) VALUES "
                                 "('order_summary', 'organisation', :old, 'queued', 0, 0, '', '', '{}', '', "
                                 "CURRENT_TIMESTAMP)"), {"old": old})
            session.add(Document(kind="order_summary", subject_type="organisation", subject_id=old, title="t",
                                 file_name="f.pdf", stored_path="x", size=1, sha256="0" * 64))
            session.commit()
            ids = (tender.id, borough.id)
        migrate.upgrade(url)
        with engine.connect() as connection:
            participant = connection.execute(text("SELECT id, tender_id, organisation_id FROM tender_participant")).all()
            assert [tuple(p[1:]) for p in participant] == [ids]
            for table in ("job", "document"):
                keyed = connection.execute(text(f"SELECT subject_type, subject_id FROM {table}")).all()
                assert [tuple(k) for k in keyed] == [("tender_participant", participant[0][0])], table
        migrate.downgrade(url, "0012_award_record")
        with engine.connect() as connection:
            for table in ("job", "document"):
                keyed = connection.execute(text(f"SELECT subject_type, subject_id FROM {table}")).all()
                assert [tuple(k) for k in keyed] == [("organisation", old)], table
    finally:
        engine.dispose()


def test_unfinished_catalogue_imports_get_a_job_row_and_finished_ones_keep_their_outcome(backend, tmp_path):
    """0014: an import still queued or running gets a queued job row (for the sweeper to hand
    to RQ); one finished keeps its outcome; and back down, each gets its status again."""
    from sqlalchemy import text

    url = fresh_database_url(backend, "ljp_test_migrations", tmp_path)
    migrate.upgrade(url, "0013_tender_participant")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO supplier (id, legal_name, is_sme, is_voluntary_sector, contact_name, contact_email, created_at)"
                " VALUES (1, 'Acme', true, false, 'A', 'a@example.org', '2026-12-01 10:00:00')"))
            for import_id, status in [(1, "queued"), (2, "running"), (3, "done"), (4, "rejected")]:
                connection.execute(text(
                    "INSERT INTO catalogue_import (id, supplier_id, uploaded_by_label, filename, stored_path, file_format,"
                    " mode, status, rows_done, rows_invalid, offers_created, offers_updated, offers_unchanged, message,"
                    " created_at) VALUES (:id, 1, 'someone', 'f.csv', '/x/f.csv', 'csv', 'all_or_nothing', :status,"
                    " 0, 0, 0, 0, 0, '', '2026-12-01 10:00:00')"), {"id": import_id, "status": status})
        migrate.upgrade(url)
        with engine.connect() as connection:
            imports = connection.execute(text(
                "SELECT catalogue_import.id, outcome, job.kind, job.subject_id, job.status FROM catalogue_import"
                " LEFT JOIN job ON job.id = catalogue_import.job_id ORDER BY catalogue_import.id")).all()
        assert [tuple(row) for row in imports] == [
            (1, None, "catalogue_import", 1, "queued"), (2, None, "catalogue_import", 2, "queued"),
            (3, "done", None, None, None), (4, "rejected", None, None, None)]
        migrate.downgrade(url, "0013_tender_participant")
        with engine.connect() as connection:
            statuses = connection.execute(text("SELECT id, status FROM catalogue_import ORDER BY id")).all()
            jobs = connection.execute(text("SELECT count(*) FROM job")).scalar()
        assert [tuple(row) for row in statuses] == [(1, "queued"), (2, "queued"), (3, "done"), (4, "rejected")]
        assert jobs == 0
    finally:
        engine.dispose()


def test_absolute_paths_become_storage_keys_the_local_store_still_finds(backend, tmp_path):
    """0016: a document, a tender document and a catalogue upload kept as a machine's absolute
    path (`/srv/old/instance/documents/...`) are kept as a storage key (`documents/...`), which
    the local store reads from the instance folder; a path it cannot place is left alone."""
    from datetime import date

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from procurement.core.documents import Document
    from procurement.core.storage import LocalStorage
    from tenders.models import TenderDocument

    url = fresh_database_url(backend, "ljp_test_migrations", tmp_path)
    migrate.upgrade(url, "0015_user_session")
    migrate.import_all_models()
    engine = make_engine(url)
    old = "/srv/old-machine/instance"
    try:
        with Session(engine) as session:
            tender = _old_row(session, "tender", reference="LC-2026-0098", title="Switches", description="", status="draft",
                              confirm_by=date(2026, 12, 20))
            session.add_all([
                Document(kind="award_notice", subject_type="tender", subject_id=tender.id, title="t", file_name="n.pdf",
                         stored_path=f"{old}/documents/award_notice/n.pdf", size=1, sha256="0" * 64),
                Document(kind="order_summary", subject_type="tender", subject_id=tender.id, title="t", file_name="o.pdf",
                         stored_path="/somewhere/else/o.pdf", size=1, sha256="0" * 64),
                TenderDocument(tender_id=tender.id, title="Specification", filename="spec.pdf",
                               stored_path=f"{old}/documents/tenders/{tender.id}/spec.pdf", size=1, sha256="0" * 64,
                               uploaded_by_label="someone")])
            session.execute(text(
                "INSERT INTO supplier (id, legal_name, is_sme, is_voluntary_sector, contact_name, contact_email, created_at)"
                " VALUES (1, 'Acme', true, false, 'A', 'a@example.org', '2026-12-01 10:00:00')"))
            session.execute(text(
                "INSERT INTO catalogue_import (id, supplier_id, uploaded_by_label, filename, stored_path, file_format,"
                " mode, outcome, rows_done, rows_invalid, offers_created, offers_updated, offers_unchanged, message,"
                " created_at) VALUES (1, 1, 'someone', 'f.csv', :path, 'csv', 'all_or_nothing', 'done',"
                " 0, 0, 0, 0, 0, '', '2026-12-01 10:00:00')"), {"path": f"{old}/uploads/catalogue/abc.csv"})
            session.commit()
            tender_id = tender.id
        migrate.upgrade(url)
        with engine.connect() as connection:
            documents = sorted(connection.execute(text("SELECT file_name, stored_path FROM document")).all())
            tender_documents = connection.execute(text("SELECT stored_path FROM tender_document")).scalars().all()
            uploads = connection.execute(text("SELECT stored_path FROM catalogue_import")).scalars().all()
        assert [tuple(row) for row in documents] == [("n.pdf", "documents/award_notice/n.pdf"),
                                                     ("o.pdf", "/somewhere/else/o.pdf")]
        assert tender_documents == [f"documents/tenders/{tender_id}/spec.pdf"]
        assert uploads == ["uploads/catalogue/abc.csv"]
        instance = tmp_path / "instance"  # the same files, moved with the instance folder to this machine
        (instance / "documents" / "award_notice").mkdir(parents=True)
        (instance / "documents" / "award_notice" / "n.pdf").write_bytes(b"%PDF-1.7 notice")
        with LocalStorage(instance).open("documents/award_notice/n.pdf") as handle:
            assert handle.read() == b"%PDF-1.7 notice"
    finally:
        engine.dispose()
