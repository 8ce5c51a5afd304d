"""Alembic wired to the application's database and models."""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from procurement.core.config import REPO_ROOT


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def import_all_models() -> None:
    """Import every package's models so that Base.metadata is complete."""
    import procurement.core.audit  # noqa: F401
    import procurement.parties.models  # noqa: F401
    import procurement.notifications.models  # noqa: F401
    import catalogue.models  # noqa: F401
    import suppliers.models  # noqa: F401
    import demand.models  # noqa: F401
    import tenders.models  # noqa: F401
    import procurement.core.jobrecords  # noqa: F401
    import procurement.core.documents  # noqa: F401
    import reports.savings  # noqa: F401
    import opendata.uk_notices.models  # noqa: F401


# Search structures made by hand in the migrations (FTS5 tables, an expression index), which
# the models cannot describe: autogenerate leaves them alone.
HAND_MADE = ("offer_fts", "ix_offer_search", "search_vector")


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    return not (name or "").startswith(HAND_MADE)
