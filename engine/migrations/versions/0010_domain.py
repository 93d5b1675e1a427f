"""case facts: whether the face reply was given by the unit's principal head (主要负责人), not a deputy head

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-07 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for rows written before: the face-reply quota then counts their face reply as the head's
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('face_reply_by_head', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('case_facts', schema=None) as batch_op:
        batch_op.drop_column('face_reply_by_head')
