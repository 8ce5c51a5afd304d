"""requirement upload job

Revision ID: 0018_requirement_upload_job
Revises: 0017_job_runner_session_seen
Create Date: 2026-12-02 14:30:00

A requirements file is checked in a job, never in the request: the upload row keeps the stored
file's key and format, whether its rows are to be submitted, its job, and when it was checked;
"checking" is its state until the job gives the outcome. Existing uploads keep their status
(they were checked in their request and have no stored file).
"""
from alembic import op
import sqlalchemy as sa
import procurement.core.db


revision = '0018_requirement_upload_job'
down_revision = '0017_job_runner_session_seen'
branch_labels = None
depends_on = None

OLD_STATES = ('done', 'rejected')
NEW_STATES = ('checking', 'done', 'rejected')


def _states(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table('requirement_upload', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_key', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('file_format', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('submit', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('checked_at', procurement.core.db.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_requirement_upload_job_id'), ['job_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_requirement_upload_job_id_job'), 'job', ['job_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.drop_constraint(batch_op.f('ck_requirement_upload_requirement_upload_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_requirement_upload_requirement_upload_status'),
                                         _states(NEW_STATES))
    with op.batch_alter_table('requirement_upload', schema=None) as batch_op:
        batch_op.alter_column('submit', server_default=None, existing_type=sa.Boolean(), existing_nullable=False)
    # Checked in their request: they were checked when they were made.
    op.execute("UPDATE requirement_upload SET checked_at = created_at")


def downgrade() -> None:
    # The old code checks in the request and knows no "checking": an upload not yet checked is
    # rejected with a message saying so (its file is still in the store); its job row goes,
    # as the old code knows no such kind and the sweeper would only fail it.
    op.execute("UPDATE requirement_upload SET status = 'rejected', "
               "message = 'Not checked before the service was downgraded: nothing was added. Upload the file again.' "
               "WHERE status = 'checking'")
    op.execute("UPDATE requirement_upload SET job_id = NULL")
    op.execute("DELETE FROM job WHERE kind = 'requirement_upload'")
    with op.batch_alter_table('requirement_upload', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_requirement_upload_requirement_upload_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_requirement_upload_requirement_upload_status'),
                                         _states(OLD_STATES))
        batch_op.drop_constraint(batch_op.f('fk_requirement_upload_job_id_job'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_requirement_upload_job_id'))
        batch_op.drop_column('checked_at')
        batch_op.drop_column('job_id')
        batch_op.drop_column('submit')
        batch_op.drop_column('file_format')
        batch_op.drop_column('stored_key')
