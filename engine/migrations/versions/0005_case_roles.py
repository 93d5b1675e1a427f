"""case roles: participants per case, public notes and attachments

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_participants',
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'role', 'kind', 'name')
    )
    op.create_index('ix_case_participants_kind_name', 'case_participants', ['kind', 'name'], unique=False)
    # existing entries stay internal: nothing written before was meant for the proposer's eyes
    with op.batch_alter_table('case_notes') as batch:
        batch.add_column(sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('attachments') as batch:
        batch.add_column(sa.Column('public', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('attachments') as batch:
        batch.drop_column('public')
    with op.batch_alter_table('case_notes') as batch:
        batch.drop_column('public')
    op.drop_index('ix_case_participants_kind_name', table_name='case_participants')
    op.drop_table('case_participants')
