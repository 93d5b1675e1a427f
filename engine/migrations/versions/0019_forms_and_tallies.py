"""scale: task forms kept once per distinct form (task_forms, tasks.form_id) instead of in every task row;
the statistics' running tallies and counts (case_tallies, case_counts: workflows/tallies.py,
counted on first use); the case list's order indexed

Revision ID: 0019
Revises: 0011
Create Date: 2026-12-07 20:20:00
"""
import json

import sqlalchemy as sa
from alembic import op

import engine.store

revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None

BATCH = 1000


def _json(bind, name: str) -> str:
    """A bound parameter holding JSON text, as each database takes it into a JSON column."""
    return f"CAST(:{name} AS JSON)" if bind.dialect.name == "postgresql" else f":{name}"


def _forms_to_table(bind) -> None:
    """Each task's form into task_forms (once per content), the task naming it (keyset on id)."""
    seen: set[str] = set()
    last = ""
    while True:
        rows = bind.execute(sa.text("SELECT id, form FROM tasks WHERE id > :last ORDER BY id LIMIT :n"),
                            {"last": last, "n": BATCH}).all()
        if not rows:
            return
        updates = []
        for task_id, form in rows:
            fields = json.loads(form) if isinstance(form, str) else form
            key = engine.store.form_key(fields or [])
            if key is None:
                continue
            if key not in seen:
                bind.execute(sa.text(f"INSERT INTO task_forms (id, fields) VALUES (:id, {_json(bind, 'fields')})"),
                             {"id": key, "fields": json.dumps(fields, ensure_ascii=False)})
                seen.add(key)
            updates.append({"id": task_id, "form_id": key})
        if updates:
            bind.execute(sa.text("UPDATE tasks SET form_id = :form_id WHERE id = :id"), updates)
        last = rows[-1][0]


def upgrade() -> None:
    op.create_table('task_forms',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.add_column('tasks', sa.Column('form_id', sa.String(length=32), nullable=True))
    _forms_to_table(op.get_bind())
    op.execute("ALTER TABLE tasks DROP COLUMN form")
    op.create_table('case_tallies',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('case_type', sa.String(length=20), nullable=False),
    sa.Column('lead_unit', sa.String(length=100), nullable=False),
    sa.Column('session_label', sa.String(length=100), nullable=True),
    sa.Column('reply_due', sa.Date(), nullable=True),
    sa.Column('replied', sa.Boolean(), nullable=False),
    sa.Column('on_time', sa.Boolean(), nullable=False),
    sa.Column('face_reply', sa.Boolean(), nullable=False),
    sa.Column('face_reply_by_head', sa.Boolean(), nullable=True),
    sa.Column('satisfaction_work', sa.String(length=30), nullable=True),
    sa.Column('satisfaction_result', sa.String(length=30), nullable=True),
    sa.Column('result_class', sa.String(length=1), nullable=True),
    sa.Column('rehandled', sa.Boolean(), nullable=False),
    sa.Column('implemented', sa.Boolean(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index('ix_case_tallies_year', 'case_tallies', ['year', 'case_type'], unique=False)
    op.create_table('case_counts',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=10), nullable=False),
    sa.Column('case_type', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_index('ix_case_counts_name', 'case_counts', ['name', 'label'], unique=False)
    op.create_index('ix_cases_created', 'cases', ['created_at', 'id'], unique=False)
    op.create_index('ix_case_tallies_unit', 'case_tallies', ['lead_unit', 'session_label'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_counts_name', table_name='case_counts')
    op.drop_table('case_counts')
    op.drop_index('ix_case_tallies_unit', table_name='case_tallies')
    op.drop_index('ix_case_tallies_year', table_name='case_tallies')
    op.drop_table('case_tallies')
    op.drop_index('ix_cases_created', table_name='cases')
    op.add_column('tasks', sa.Column('form', sa.JSON(), nullable=True))
    bind = op.get_bind()
    for key, fields in bind.execute(sa.text("SELECT id, fields FROM task_forms")).all():
        text = fields if isinstance(fields, str) else json.dumps(fields, ensure_ascii=False)
        bind.execute(sa.text(f"UPDATE tasks SET form = {_json(bind, 'form')} WHERE form_id = :key"), {"form": text, "key": key})
    op.execute("UPDATE tasks SET form = '[]' WHERE form IS NULL")
    op.execute("ALTER TABLE tasks DROP COLUMN form_id")
    op.drop_table('task_forms')
