"""offer: a stored tsvector column for full-text search (PostgreSQL)

Ranking read each candidate's text and parsed it again; a stored column is parsed once, on
write, and the GIN index is built on it. SQLite keeps its FTS5 table.

Revision ID: 0003_offer_search_vector
Revises: 0002_catalogue
"""
from alembic import op

revision = '0003_offer_search_vector'
down_revision = '0002_catalogue'
branch_labels = None
depends_on = None

PG_DOCUMENT = ("to_tsvector('english', title || ' ' || description || ' ' || manufacturer || ' ' "
               "|| manufacturer_part_number)")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_offer_search")
    op.execute(f"ALTER TABLE offer ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED")
    op.execute("CREATE INDEX ix_offer_search ON offer USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_offer_search")
    op.execute("ALTER TABLE offer DROP COLUMN search_vector")
    op.execute(f"CREATE INDEX ix_offer_search ON offer USING gin ({PG_DOCUMENT})")
