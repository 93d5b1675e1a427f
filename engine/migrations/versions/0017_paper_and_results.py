"""tracked handling of proposals (跟踪办理) and the results adopted on a case (成果转化)

Revision ID: 0017
Revises: 0011
Create Date: 2026-12-07 20:40:00
"""
from alembic import op
import sqlalchemy as sa
import engine.store


revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tracked_cases',
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('marked_by', sa.String(length=64), nullable=False),
    sa.Column('marked_at', engine.store.UTCDateTime(), nullable=False),
    sa.Column('ended_by', sa.String(length=64), nullable=True),
    sa.Column('ended_at', engine.store.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id')
    )
    op.create_index('ix_tracked_cases_ended_at', 'tracked_cases', ['ended_at'], unique=False)
    op.create_table('case_results',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('adopted_on', sa.Date(), nullable=False),
    sa.Column('document', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', engine.store.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_case_results_case_id', 'case_results', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_results_case_id', table_name='case_results')
    op.drop_table('case_results')
    op.drop_index('ix_tracked_cases_ended_at', table_name='tracked_cases')
    op.drop_table('tracked_cases')
