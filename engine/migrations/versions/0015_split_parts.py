"""分办: a split unit's part carries its own reply deadline, class and evaluation, so the statistics count it
for its unit

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-07 21:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('result_class', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_work', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('satisfaction_result', sa.String(length=30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_units', schema=None) as batch_op:
        batch_op.drop_column('satisfaction_result')
        batch_op.drop_column('satisfaction_work')
        batch_op.drop_column('result_class')
        batch_op.drop_column('reply_due')
