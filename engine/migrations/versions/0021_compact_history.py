"""storage: the history and the in-app notifications kept compact, nothing a reader sees changed —
the engine's event kinds as short codes, an event's task id as PostgreSQL's uuid, a task event's own
name and element left to its task row (message NULL), a notification's case number and title left to
the case row (a two-character mark, engine.store.CaseTexts)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08 01:00:00
"""
import re
import warnings

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# SQLite's batch mode reflects the tables events refers to; SQLAlchemy cannot reflect the cases table's
# expression indexes (0020) and says so, though they are left as they are (the cases table is not rebuilt)
warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")

# engine.store.EVENT_KIND_CODES as this revision wrote them (append only there, frozen here)
KINDS = ("task_created", "task_completed", "task_cancelled", "task_claimed", "task_unclaimed", "task_assigned",
         "task_entered_on_behalf", "case_started", "case_completed", "case_error", "case_retried", "case_escalated",
         "case_flagged", "case_unflagged", "deadline_reminder", "timer_fired", "message_received", "note_added",
         "contact_answered", "attachment_added")
CODES = {kind: str(index) for index, kind in enumerate(KINDS, start=1)}
TASK_KINDS = ("task_created", "task_completed", "task_cancelled", "task_claimed", "task_unclaimed", "task_assigned",
              "task_entered_on_behalf")
# engine.store.NOTIFICATION_KIND_CODES, likewise
NOTICE_CODES = {kind: str(index) for index, kind in enumerate(("reminder", "escalation", "contact_disputed"), start=1)}
DEADLINE_KINDS = ("deadline_reminder", "case_escalated")
ESC = "\x01"
UUID_TEXT = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        odd = bind.execute(sa.text("SELECT count(*) FROM events WHERE task_id IS NOT NULL AND task_id !~ :p"),
                           {"p": UUID_TEXT}).scalar()
        if odd:  # it would not read back as the same text
            raise RuntimeError(f"{odd} events have a task id that is not a lowercase uuid; not converted")
        op.alter_column('events', 'message', existing_type=sa.Text(), nullable=True)
        op.execute("ALTER TABLE events ALTER COLUMN task_id TYPE uuid USING task_id::uuid")
    else:
        with op.batch_alter_table('events', schema=None) as batch_op:
            batch_op.alter_column('message', existing_type=sa.Text(), nullable=True)
    task_id = "events.task_id::text" if postgres else "events.task_id"
    # a task event that says its task's name and element: both left to the task row (checked, row by row)
    bind.execute(sa.text(
        "UPDATE events SET message = NULL, element_id = NULL WHERE task_id IS NOT NULL AND kind IN :kinds "
        f"AND EXISTS (SELECT 1 FROM tasks WHERE tasks.id = {task_id} AND tasks.name = events.message "
        "AND tasks.element_id = events.element_id)").bindparams(sa.bindparam("kinds", expanding=True)),
        {"kinds": list(TASK_KINDS)})
    # a task's deadline event names the task's element: left to the task row
    bind.execute(sa.text(
        "UPDATE events SET element_id = NULL WHERE task_id IS NOT NULL AND kind IN :kinds "
        f"AND EXISTS (SELECT 1 FROM tasks WHERE tasks.id = {task_id} AND tasks.element_id = events.element_id)")
        .bindparams(sa.bindparam("kinds", expanding=True)), {"kinds": list(DEADLINE_KINDS)})
    for kind, code in CODES.items():
        bind.execute(sa.text("UPDATE events SET kind = :code WHERE kind = :kind"), {"code": code, "kind": kind})
    for kind, code in NOTICE_CODES.items():
        bind.execute(sa.text("UPDATE notifications SET kind = :code WHERE kind = :kind"), {"code": code, "kind": kind})
    # notifications: ESC doubled, then the case's title and number as ESC T and ESC N (CaseTexts.encode)
    # (a number starting with the letter of a mark could match inside one: such a case's number stays)
    number = ("COALESCE((SELECT number FROM cases WHERE cases.id = notifications.case_id AND number NOT LIKE 'T%' "
              "AND number NOT LIKE 'N%' AND number NOT LIKE :any), '')")
    title = "COALESCE((SELECT title FROM cases WHERE cases.id = notifications.case_id AND title NOT LIKE :any), '')"

    def encoded(column: str) -> str:
        return f"replace(replace(replace({column}, :e, :ee), {title}, :t), {number}, :n)"

    bind.execute(sa.text(f"UPDATE notifications SET title = {encoded('title')}, body = {encoded('body')} "
                         "WHERE case_id IS NOT NULL"),
                 {"e": ESC, "ee": ESC * 2, "t": ESC + "T", "n": ESC + "N", "any": f"%{ESC}%"})


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    mark = re.compile(ESC + "(.)", re.DOTALL)
    rows = bind.execute(sa.text(
        "SELECT n.id, n.title, n.body, c.number, c.title FROM notifications n JOIN cases c ON c.id = n.case_id "
        "WHERE n.title LIKE :any OR n.body LIKE :any"), {"any": f"%{ESC}%"}).all()
    for nid, title, body, case_number, case_title in rows:
        said = {"T": case_title or "", "N": case_number or "", ESC: ESC}
        bind.execute(sa.text("UPDATE notifications SET title = :t, body = :b WHERE id = :id"),
                     {"id": nid, "t": mark.sub(lambda m: said.get(m.group(1), m.group(0)), title),
                      "b": mark.sub(lambda m: said.get(m.group(1), m.group(0)), body)})
    for kind, code in NOTICE_CODES.items():
        bind.execute(sa.text("UPDATE notifications SET kind = :kind WHERE kind = :code"), {"code": code, "kind": kind})
    task_id = "events.task_id::text" if postgres else "events.task_id"
    bind.execute(sa.text(
        f"UPDATE events SET element_id = (SELECT element_id FROM tasks WHERE tasks.id = {task_id}) "
        "WHERE element_id IS NULL AND message IS NOT NULL AND task_id IS NOT NULL AND kind IN :codes")
        .bindparams(sa.bindparam("codes", expanding=True)), {"codes": [CODES[k] for k in DEADLINE_KINDS]})
    for kind, code in CODES.items():
        bind.execute(sa.text("UPDATE events SET kind = :kind WHERE kind = :code"), {"code": code, "kind": kind})
    bind.execute(sa.text(
        f"UPDATE events SET message = COALESCE((SELECT name FROM tasks WHERE tasks.id = {task_id}), ''), "
        f"element_id = (SELECT element_id FROM tasks WHERE tasks.id = {task_id}) WHERE message IS NULL"))
    if postgres:
        op.execute("ALTER TABLE events ALTER COLUMN task_id TYPE varchar(36) USING task_id::text")
        op.alter_column('events', 'message', existing_type=sa.Text(), nullable=False)
    else:
        with op.batch_alter_table('events', schema=None) as batch_op:
            batch_op.alter_column('message', existing_type=sa.Text(), nullable=False)
