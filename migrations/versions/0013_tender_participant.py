"""tender participant

Revision ID: 0013_tender_participant
Revises: 0012_award_record
Create Date: 2026-12-02 05:50:00

An organisation taking part in a tender, as a row: the real subject of its order summary
(which was keyed tender id x 1,000,000 + organisation id). Jobs and documents keyed the old
way are moved onto the participant rows, and tenders already decided get theirs.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_tender_participant'
down_revision = '0012_award_record'
branch_labels = None
depends_on = None

OLD = "subject_type = 'organisation'"
SPLIT = "p.tender_id = {t}.subject_id / 1000000 AND p.organisation_id = {t}.subject_id % 1000000"


def upgrade() -> None:
    op.create_table('tender_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tender_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_tender_participant_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['tender_id'], ['tender.id'], name=op.f('fk_tender_participant_tender_id_tender'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_participant')),
    sa.UniqueConstraint('tender_id', 'organisation_id', name=op.f('uq_tender_participant_tender_id_organisation_id'))
    )
    # Every decided tender's organisations with confirmed lines, and any the old keys name.
    op.execute("""
        INSERT INTO tender_participant (tender_id, organisation_id)
        SELECT DISTINCT lot.tender_id, lot_line.organisation_id
        FROM lot_line JOIN lot ON lot.id = lot_line.lot_id JOIN standstill ON standstill.tender_id = lot.tender_id
        WHERE lot_line.status = 'confirmed'
        UNION
        SELECT subject_id / 1000000, subject_id % 1000000 FROM job WHERE subject_type = 'organisation'
        UNION
        SELECT subject_id / 1000000, subject_id % 1000000 FROM document WHERE subject_type = 'organisation'
    """)
    for table in ("job", "document"):
        op.execute(f"""
            UPDATE {table} SET subject_type = 'tender_participant',
                subject_id = (SELECT p.id FROM tender_participant p WHERE {SPLIT.format(t=table)})
            WHERE {OLD}
        """)


def downgrade() -> None:
    for table in ("job", "document"):
        op.execute(f"""
            UPDATE {table} SET subject_type = 'organisation',
                subject_id = (SELECT p.tender_id * 1000000 + p.organisation_id FROM tender_participant p
                              WHERE p.id = {table}.subject_id)
            WHERE subject_type = 'tender_participant'
        """)
    op.drop_table('tender_participant')
