"""catalogue import job

Revision ID: 0014_catalogue_import_job
Revises: 0013_tender_participant
Create Date: 2026-12-02 05:30:00

The catalogue import runs as a job on the job table: the import row names its job and keeps
only its outcome (done, rejected, failed); queued and running are the job row's to say. An
import not finished when this runs gets a queued job row, which the sweeper hands to RQ
(the message the old code queued names a function that no longer exists).
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_catalogue_import_job'
down_revision = '0013_tender_participant'
branch_labels = None
depends_on = None

OUTCOMES = ('done', 'rejected', 'failed')
OLD_STATES = ('queued', 'running', 'done', 'rejected', 'failed')


def upgrade() -> None:
    with op.batch_alter_table('catalogue_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.Enum(*OUTCOMES, name='import_outcome', native_enum=False, create_constraint=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_catalogue_import_job_id'), ['job_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_catalogue_import_job_id_job'), 'job', ['job_id'], ['id'], ondelete='SET NULL')

    op.execute("UPDATE catalogue_import SET outcome = status WHERE status IN ('done', 'rejected', 'failed')")
    op.execute("""
        INSERT INTO job (kind, subject_type, subject_id, status, attempts, progress, progress_note, error, result,
                         requested_by_id, requested_by_label, created_at)
        SELECT 'catalogue_import', 'catalogue_import', id, 'queued', 0, 0, '', '', '{}',
               uploaded_by_id, uploaded_by_label, created_at
        FROM catalogue_import WHERE status IN ('queued', 'running')
    """)
    op.execute("""
        UPDATE catalogue_import SET job_id = (
            SELECT max(job.id) FROM job WHERE job.kind = 'catalogue_import' AND job.subject_id = catalogue_import.id)
        WHERE status IN ('queued', 'running')
    """)

    with op.batch_alter_table('catalogue_import', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_catalogue_import_import_status'), type_='check')
        batch_op.drop_column('status')


def downgrade() -> None:
    with op.batch_alter_table('catalogue_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum(*OLD_STATES, name='import_status', native_enum=False, create_constraint=True), nullable=False, server_default='queued'))

    op.execute("""
        UPDATE catalogue_import SET status = coalesce(
            outcome, (SELECT job.status FROM job WHERE job.id = catalogue_import.job_id), 'queued')
    """)
    # The old code knows no such kind; a row of it would only fail when the sweeper ran it.
    op.execute("DELETE FROM job WHERE kind = 'catalogue_import'")

    with op.batch_alter_table('catalogue_import', schema=None) as batch_op:
        batch_op.alter_column('status', server_default=None, existing_type=sa.String(length=8), existing_nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_catalogue_import_job_id_job'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_catalogue_import_job_id'))
        batch_op.drop_constraint(batch_op.f('ck_catalogue_import_import_outcome'), type_='check')
        batch_op.drop_column('outcome')
        batch_op.drop_column('job_id')
