"""reduced period ground

Revision ID: 0011_reduced_period_ground
Revises: 0010_optimised_award
Create Date: 2026-12-02 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_reduced_period_ground'
down_revision = '0010_optimised_award'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tender', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_period_ground', sa.Enum('urgency', 'planned_procurement_notice', name='tender_short_period_ground', native_enum=False, create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column('planned_notice_published_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('planned_notice_reference', sa.String(length=100), nullable=False, server_default=''))

    # Until now a short period took any recorded reason, which the form asked for as urgency.
    op.execute("UPDATE tender SET short_period_ground = 'urgency' WHERE short_period_reason <> ''")

    with op.batch_alter_table('tender', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_tender_short_period_urgency_stated'),
            "short_period_ground <> 'urgency' OR short_period_reason <> ''")
        batch_op.create_check_constraint(
            op.f('ck_tender_short_period_notice_dated'),
            "short_period_ground <> 'planned_procurement_notice' OR planned_notice_published_on IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('tender', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_tender_short_period_notice_dated'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_tender_short_period_urgency_stated'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_tender_tender_short_period_ground'), type_='check')
        batch_op.drop_column('planned_notice_reference')
        batch_op.drop_column('planned_notice_published_on')
        batch_op.drop_column('short_period_ground')
