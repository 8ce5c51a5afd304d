"""user session

Revision ID: 0015_user_session
Revises: 0014_catalogue_import_job
Create Date: 2026-12-02 06:45:00

Sessions the server can end: a row per signed-in browser (the digest of its cookie's token).
Browsers signed in before this upgrade sign in again.
"""
from alembic import op
import sqlalchemy as sa
import procurement.core.db


revision = '0015_user_session'
down_revision = '0014_catalogue_import_job'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', procurement.core.db.UTCDateTime(), nullable=False),
    sa.Column('ended_at', procurement.core.db.UTCDateTime(), nullable=True),
    sa.Column('ended_because', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_user_session_token_sha256'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
    op.drop_table('user_session')
