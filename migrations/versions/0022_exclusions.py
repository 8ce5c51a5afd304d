"""supplier exclusions and the debarment list

Revision ID: 0022_exclusions
Revises: 0020_sign_up_notifications
Create Date: 2026-12-04 01:15:13

Suppliers declare the exclusion grounds (Procurement Act 2023 Schedules 6 and 7), versioned; the
agency imports the published debarment list (s.62), each import kept; and records, per tender,
its decision on an excludable supplier. Suppliers from before this have no declaration: they are
asked for one before they next bid.
"""
from alembic import op
import sqlalchemy as sa
import procurement.core.db


revision = '0022_exclusions'
down_revision = '0021_notices'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('debarment_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', procurement.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by_id'], ['user_account.id'], name=op.f('fk_debarment_import_imported_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debarment_import'))
    )
    op.create_table('exclusion_declaration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('grounds', sa.JSON(), nullable=False),
    sa.Column('connected_persons', sa.JSON(), nullable=False),
    sa.Column('associated_persons', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.Text(), server_default='', nullable=False),
    sa.Column('declared_by_id', sa.Integer(), nullable=True),
    sa.Column('declared_at', procurement.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', procurement.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['declared_by_id'], ['user_account.id'], name=op.f('fk_exclusion_declaration_declared_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_exclusion_declaration_supplier_id_supplier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exclusion_declaration')),
    sa.UniqueConstraint('supplier_id', 'version', name=op.f('uq_exclusion_declaration_supplier_id_version'))
    )
    with op.batch_alter_table('exclusion_declaration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exclusion_declaration_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('debarment_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('supplier_name', sa.String(length=200), nullable=False),
    sa.Column('normalised_name', sa.String(length=200), nullable=False),
    sa.Column('companies_house_number', sa.String(length=8), nullable=True),
    sa.Column('grounds', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.Enum('mandatory', 'discretionary', name='debarment_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('listed_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['debarment_import.id'], name=op.f('fk_debarment_entry_import_id_debarment_import'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debarment_entry'))
    )
    with op.batch_alter_table('debarment_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_debarment_entry_companies_house_number'), ['companies_house_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_debarment_entry_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_debarment_entry_normalised_name'), ['normalised_name'], unique=False)

    op.create_table('exclusion_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.Enum('exclude', 'do_not_exclude', name='exclusion_choice', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('basis', sa.Text(), server_default='', nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', procurement.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_exclusion_decision_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['declaration_id'], ['exclusion_declaration.id'], name=op.f('fk_exclusion_decision_declaration_id_exclusion_declaration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_exclusion_decision_supplier_id_supplier'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_exclusion_decision_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exclusion_decision')),
    sa.UniqueConstraint('tender_id', 'supplier_id', name=op.f('uq_exclusion_decision_tender_id_supplier_id'))
    )
    with op.batch_alter_table('exclusion_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exclusion_decision_tender_id'), ['tender_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('exclusion_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exclusion_decision_tender_id'))

    op.drop_table('exclusion_decision')
    with op.batch_alter_table('debarment_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_debarment_entry_normalised_name'))
        batch_op.drop_index(batch_op.f('ix_debarment_entry_import_id'))
        batch_op.drop_index(batch_op.f('ix_debarment_entry_companies_house_number'))

    op.drop_table('debarment_entry')
    with op.batch_alter_table('exclusion_declaration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exclusion_declaration_supplier_id'))

    op.drop_table('exclusion_declaration')
    op.drop_table('debarment_import')
