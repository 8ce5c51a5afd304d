"""award record

Revision ID: 0012_award_record
Revises: 0011_reduced_period_ground
Create Date: 2026-12-01 22:05:00

The award decision's one record (award_share), and the postal address an assessment summary
names the awarded supplier by (regulation 31).
"""
from alembic import op
import sqlalchemy as sa
import procurement.core.db


revision = '0012_award_record'
down_revision = '0011_reduced_period_ground'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('award_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('opened_bid_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('basis', sa.Enum('ranking', 'optimised', name='award_basis', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('optimised_award_id', sa.Integer(), nullable=True),
    sa.Column('quantity', procurement.core.db.ExactDecimal(precision=14, scale=3), nullable=False),
    sa.Column('share_percent', procurement.core.db.ExactDecimal(precision=6, scale=2), nullable=False),
    sa.Column('unit_prices', sa.JSON(), nullable=False),
    sa.Column('bid_total', procurement.core.db.Money(precision=14, scale=2), nullable=False),
    sa.Column('list_value', procurement.core.db.Money(precision=14, scale=2), nullable=False),
    sa.Column('discount_percent', procurement.core.db.ExactDecimal(precision=5, scale=2), nullable=False),
    sa.Column('discount_lots', sa.JSON(), nullable=False),
    sa.Column('value', procurement.core.db.Money(precision=14, scale=2), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('price_score', procurement.core.db.ExactDecimal(precision=7, scale=2), nullable=False),
    sa.Column('quality_score', procurement.core.db.ExactDecimal(precision=7, scale=2), nullable=False),
    sa.Column('score', procurement.core.db.ExactDecimal(precision=7, scale=2), nullable=False),
    sa.CheckConstraint('CAST(discount_percent AS REAL) >= 0 AND CAST(discount_percent AS REAL) < 100', name=op.f('ck_award_share_discount_is_a_percentage')),
    sa.CheckConstraint('CAST(share_percent AS REAL) > 0 AND CAST(share_percent AS REAL) <= 100', name=op.f('ck_award_share_share_is_part_of_the_lot')),
    sa.ForeignKeyConstraint(['decision_id'], ['award_decision.id'], name=op.f('fk_award_share_decision_id_award_decision'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lot_id'], ['lot.id'], name=op.f('fk_award_share_lot_id_lot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opened_bid_id'], ['opened_bid.id'], name=op.f('fk_award_share_opened_bid_id_opened_bid')),
    sa.ForeignKeyConstraint(['optimised_award_id'], ['optimised_award.id'], name=op.f('fk_award_share_optimised_award_id_optimised_award'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_award_share_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_share')),
    sa.UniqueConstraint('lot_id', 'opened_bid_id', name=op.f('uq_award_share_lot_id_opened_bid_id'))
    )
    with op.batch_alter_table('award_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_share_decision_id'), ['decision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_share_lot_id'), ['lot_id'], unique=False)

    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postal_address', sa.Text(), nullable=False, server_default=''))

    


def downgrade() -> None:
    
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.drop_column('postal_address')

    with op.batch_alter_table('award_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_share_lot_id'))
        batch_op.drop_index(batch_op.f('ix_award_share_decision_id'))

    op.drop_table('award_share')
    
