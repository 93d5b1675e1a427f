"""scale: the serialized workflow compressed (last column), indexes for the watchlist and for who did a
task, no offers of closed tasks

Revision ID: 0009
Revises: 0005
"""
import zlib

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0005'
branch_labels = None
depends_on = None

BATCH = 500


def _convert(bind, encode) -> None:
    """Copy `state` into `state_z` through `encode`, a batch of cases at a time (keyset on id)."""
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, state FROM cases WHERE id > :last ORDER BY id LIMIT :n"),
                            {"last": last, "n": BATCH}).all()
        if not rows:
            return
        bind.execute(sa.text("UPDATE cases SET state_z = :z WHERE id = :id"),
                     [{"id": case_id, "z": encode(state)} for case_id, state in rows])
        last = rows[-1][0]


def upgrade() -> None:
    bind = op.get_bind()
    op.create_index('ix_cases_status_due', 'cases', ['status', 'due_at'], unique=False)
    op.create_index('ix_tasks_completed_by', 'tasks', ['completed_by'], unique=False)
    op.create_index('ix_cases_escalated', 'cases', ['status', 'due_at'], unique=False,
                    sqlite_where=sa.text('overdue = 1'), postgresql_where=sa.text('overdue'))
    op.create_index('ix_cases_flagged', 'cases', ['status', 'due_at'], unique=False,
                    sqlite_where=sa.text('flagged = 1'), postgresql_where=sa.text('flagged'))
    # who a closed task was offered to stays on its row (candidate_groups/users) and in the history
    op.execute("DELETE FROM task_candidates WHERE task_id IN (SELECT id FROM tasks WHERE state <> 'open')")
    op.add_column('cases', sa.Column('state_z', sa.LargeBinary(), nullable=True))

    def encode(state):
        if isinstance(state, (bytes, bytearray, memoryview)):
            return bytes(state)
        return zlib.compress((state or "").encode("utf-8"), 6)

    _convert(bind, encode)
    op.execute("ALTER TABLE cases DROP COLUMN state")
    op.execute("ALTER TABLE cases RENAME COLUMN state_z TO state")
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE cases ALTER COLUMN state SET NOT NULL")


def downgrade() -> None:
    bind = op.get_bind()
    op.add_column('cases', sa.Column('state_z', sa.Text(), nullable=True))
    _convert(bind, lambda z: zlib.decompress(bytes(z)).decode("utf-8") if isinstance(z, (bytes, memoryview)) else z)
    op.execute("ALTER TABLE cases DROP COLUMN state")
    op.execute("ALTER TABLE cases RENAME COLUMN state_z TO state")
    op.drop_index('ix_cases_flagged', table_name='cases')
    op.drop_index('ix_cases_escalated', table_name='cases')
    op.drop_index('ix_tasks_completed_by', table_name='tasks')
    op.drop_index('ix_cases_status_due', table_name='cases')
