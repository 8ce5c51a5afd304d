"""the Procurement Act notices

Revision ID: 0021_notices
Revises: 0020_sign_up_notifications
Create Date: 2026-12-04 01:15:10

The notices sent to the central platform (uk_notice); whether a tender's notice and a
standstill's contract award notice wait on it; an organisation's annual spend (for the pipeline
notice). Tenders and standstills before this had their notices published already, as it were.
"""
from alembic import op
import sqlalchemy as sa
import procurement.core.db


revision = '0021_notices'
down_revision = '0020_sign_up_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('uk_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('UK1', 'UK2', 'UK4', 'UK6', 'UK7', 'UK12', name='uk_notice_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('state', sa.Enum('draft', 'submitted', 'published', 'rejected', 'withdrawn', name='uk_notice_state', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', procurement.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_label', sa.String(length=254), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('contract_copy_path', sa.String(length=300), nullable=False),
    sa.Column('contract_copy_name', sa.String(length=200), nullable=False),
    sa.Column('contract_copy_size', sa.Integer(), nullable=False),
    sa.Column('submitted_at', procurement.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submission_id', sa.String(length=40), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('published_at', procurement.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('platform_notice_id', sa.String(length=60), nullable=False),
    sa.Column('platform_link', sa.String(length=300), nullable=False),
    sa.Column('service_only', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('withdrawn_at', procurement.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_uk_notice_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_uk_notice_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uk_notice')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_uk_notice_idempotency_key'))
    )
    with op.batch_alter_table('uk_notice', schema=None) as batch_op:
        batch_op.create_index('ix_uk_notice_state', ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_uk_notice_tender_id'), ['tender_id'], unique=False)

    op.add_column('organisation', sa.Column('annual_spend', procurement.core.db.Money(precision=14, scale=2), nullable=True))
    op.add_column('standstill', sa.Column('notice_pending', sa.Boolean(), server_default='0', nullable=False))
    op.add_column('tender', sa.Column('tender_notice_pending', sa.Boolean(), server_default='0', nullable=False))
    op.add_column('tender', sa.Column('tender_notice_published_at', procurement.core.db.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (as 0020): a batch would copy the tables, and on SQLite
    # dropping the old copy of a table others refer to cascades or is refused.
    for table, column in [("tender", "tender_notice_published_at"), ("tender", "tender_notice_pending"),
                          ("standstill", "notice_pending"), ("organisation", "annual_spend")]:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    with op.batch_alter_table('uk_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uk_notice_tender_id'))
        batch_op.drop_index('ix_uk_notice_state')
    op.drop_table('uk_notice')
