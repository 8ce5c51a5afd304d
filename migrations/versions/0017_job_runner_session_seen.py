"""job runner and session last seen

Revision ID: 0017_job_runner_session_seen
Revises: 0016_stored_files
Create Date: 2026-12-02 13:30:00

Background work leaves the request: a job row says which process claimed it (`runner`, the
host and process id of a thread runner or "rq") and when a retry may start (`run_after`), so a
job whose process died is found and resumed on the next start. Sessions that end when idle:
`user_session.last_seen_at`, touched at most once a minute.
"""
from alembic import op
import sqlalchemy as sa
import procurement.core.db


revision = '0017_job_runner_session_seen'
down_revision = '0016_stored_files'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runner', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('run_after', procurement.core.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', procurement.core.db.UTCDateTime(), nullable=True))
    op.execute("UPDATE user_session SET last_seen_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('run_after')
        batch_op.drop_column('runner')
