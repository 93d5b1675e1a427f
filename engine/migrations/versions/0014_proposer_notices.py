"""the milestones each proposer was told of (workflows.milestones)

Revision ID: 0014
Revises: 0006
Create Date: 2026-12-07 18:40:00
"""
from alembic import op
import sqlalchemy as sa
import engine.store


revision = '0014'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('proposer_notices',
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('at', engine.store.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'key')
    )


def downgrade() -> None:
    op.drop_table('proposer_notices')
