"""stored files

Revision ID: 0016_stored_files
Revises: 0015_user_session
Create Date: 2026-12-02 08:30:00

One store for every file (core.storage): a table for the `database` back end (files in
chunks), and the rows that own files keep a storage key instead of a machine's absolute path
(`/srv/x/instance/documents/award_notice/f.pdf` becomes `documents/award_notice/f.pdf`, the
same file under the instance folder, which the local store reads).
"""
from alembic import op
import sqlalchemy as sa
import procurement.core.db


revision = '0016_stored_files'
down_revision = '0015_user_session'
branch_labels = None
depends_on = None

OWNERS = (("document", "/documents/"), ("tender_document", "/documents/"),
          ("catalogue_import", "/uploads/catalogue/"))


def upgrade() -> None:
    op.create_table('stored_file',
    sa.Column('key', sa.String(length=500), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', procurement.core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_file'))
    )
    op.create_table('stored_file_chunk',
    sa.Column('key', sa.String(length=500), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['key'], ['stored_file.key'], name=op.f('fk_stored_file_chunk_key_stored_file'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', 'number', name=op.f('pk_stored_file_chunk'))
    )
    connection = op.get_bind()
    for table, marker in OWNERS:
        rows = connection.execute(sa.text(f"SELECT id, stored_path FROM {table} WHERE stored_path LIKE '/%'")).all()
        for row_id, path in rows:
            at = path.rfind(marker)
            if at >= 0:
                connection.execute(sa.text(f"UPDATE {table} SET stored_path = :key WHERE id = :id"),
                                   {"key": path[at + 1:], "id": row_id})


def downgrade() -> None:
    # Keys stay keys: the local store still finds them under the instance folder.
    op.drop_table('stored_file_chunk')
    op.drop_table('stored_file')
