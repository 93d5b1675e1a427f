"""a person's phone number and the notification channels they keep on; idempotency keys of case starts

Revision ID: 0011
Revises: 0014
Create Date: 2026-12-07 17:40:00
"""
from alembic import op
import sqlalchemy as sa
import engine.store


revision = '0011'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('start_keys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_at', engine.store.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username', 'key', name='uq_start_keys_user_key')
    )
    with op.batch_alter_table('start_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_start_keys_case_id'), ['case_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('notify_email', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('notify_sms', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_table('start_keys')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notify_sms')
        batch_op.drop_column('notify_email')
        batch_op.drop_column('phone')
