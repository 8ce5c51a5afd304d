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
