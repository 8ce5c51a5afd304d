"""advantages without the lot-by-lot total

Revision ID: 0019_advantages_no_lot_by_lot
Revises: 0018_requirement_upload_job
Create Date: 2026-12-02 14:50:00

An adopted optimised award wrote into each lot's decision, the "relative advantages" every
bidder reads, what the lots would cost at their lowest prices ("... against £164,425.00 lot by
lot"): with its own price known, a bidder worked out a competitor's. That phrase is taken out
of decisions already written (then `flask tenders remake-award-notices` remakes the letters).
Downgrading leaves the text as it is: the figure is not put back.
"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0019_advantages_no_lot_by_lot'
down_revision = '0018_requirement_upload_job'
branch_labels = None
depends_on = None

PHRASE = re.compile(r" against £[0-9,]+\.[0-9]{2} lot by lot")


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, advantages FROM award_decision WHERE advantages LIKE '% lot by lot%'"))
    for decision_id, advantages in rows.all():
        connection.execute(sa.text("UPDATE award_decision SET advantages = :text WHERE id = :id"),
                           {"text": PHRASE.sub("", advantages), "id": decision_id})


def downgrade() -> None:
    pass
