"""scale: partial indexes of the open work — open tasks with what an inbox tests and sorts by, open
milestones in due order, open tracking marks, split parts — so the pages that list open work read them
alone, not every row the archive ever held

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08 00:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

# (name, table, columns, the rows it holds)
INDEXES = (
    ("ix_tasks_open", "tasks", ["id", "assignee", "due_at", "created_at", "priority"], "state = 'open'"),
    ("ix_case_milestones_open", "case_milestones", ["due", "case_id", "seq"], None),  # done = false
    ("ix_tracked_cases_open", "tracked_cases", ["marked_at", "case_id"], "ended_at IS NULL"),
    ("ix_case_units_split", "case_units", ["unit", "case_id"], "role = 'split'"),
)


# the watchlist's escalated and flagged lists, in their order (no due date last): (name, SQLite's and
# PostgreSQL's WHERE)
WATCHED = (("ix_cases_escalated", "overdue = 1", "overdue"), ("ix_cases_flagged", "flagged = 1", "flagged"))


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, columns, where in INDEXES:
        if where is None:
            where = "done = false" if postgres else "done = 0"
        op.create_index(name, table, columns, unique=False, sqlite_where=sa.text(where),
                        postgresql_where=sa.text(where))
    # a person's cases by the tasks they completed, read from the index alone
    op.drop_index('ix_tasks_completed_by', table_name='tasks')
    op.create_index('ix_tasks_completed_by', 'tasks', ['completed_by', 'case_id'], unique=False)
    for name, sqlite_where, postgresql_where in WATCHED:
        op.drop_index(name, table_name='cases')
        op.create_index(name, 'cases', ['status', sa.text('(due_at IS NULL)'), 'due_at', 'id'], unique=False,
                        sqlite_where=sa.text(sqlite_where), postgresql_where=sa.text(postgresql_where))


def downgrade() -> None:
    for name, sqlite_where, postgresql_where in WATCHED:
        op.drop_index(name, table_name='cases')
        op.create_index(name, 'cases', ['status', 'due_at'], unique=False,
                        sqlite_where=sa.text(sqlite_where), postgresql_where=sa.text(postgresql_where))
    op.drop_index('ix_tasks_completed_by', table_name='tasks')
    op.create_index('ix_tasks_completed_by', 'tasks', ['completed_by'], unique=False)
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
