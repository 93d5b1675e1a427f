"""The database: typed SQLAlchemy 2.0 mappings and sessions scoped to a request or a job.

The serialized workflow lives on the case row (instance state only: the spec is stored once per
deployed version on the process definition). Everything people query — tasks, timers, the event
log — is a projection row written in the same transaction as the state it was derived from.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    case,
    cast,
    create_engine,
    event,
    literal,
    select,
    text,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import true as sa_true
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    column_property,
    mapped_column,
    object_session,
    relationship,
    sessionmaker,
)
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

from engine import clock
from engine.errors import Conflict


class UTCDateTime(TypeDecorator):
    """Stores UTC, always hands back an aware datetime (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        value = clock.as_utc(value)
        if value is not None and dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return clock.as_utc(value)


class CompressedText(TypeDecorator):
    """Text kept zlib-compressed (the serialized workflow: ~60 KB of JSON a case, a tenth of it
    compressed); readers see a str. A value still stored as text (before migration 0009) reads as is."""

    impl = LargeBinary
    cache_ok = True
    LEVEL = 6

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else zlib.compress(value.encode("utf-8"), self.LEVEL)

    def process_result_value(self, value: bytes | str | None, dialect: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return zlib.decompress(value).decode("utf-8")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON, list[Any]: JSON}


# -- identity -------------------------------------------------------------------------------

class UserGroup(Base):
    __tablename__ = "user_groups"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(10), default="zh_CN")
    timezone: Mapped[str | None] = mapped_column(String(64))  # None: the configured zone
    email: Mapped[str | None] = mapped_column(String(254))  # where reminders and escalations are mailed
    phone: Mapped[str | None] = mapped_column(String(32))  # where text messages go (SMS)
    # the channels a person keeps on besides the app (settings page); the service's switches come first
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    groups: Mapped[list[Group]] = relationship(secondary="user_groups", lazy="selectin", order_by="Group.name")

    @property
    def group_names(self) -> set[str]:
        return {g.name for g in self.groups}


class Group(Base):
    __tablename__ = "groups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex; the token itself is never stored
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]


class WebSession(Base):
    """A signed-in browser session: the cookie names it, signing out deletes it, so a cookie copied
    before the sign-out opens nothing afterwards (the cookie alone is only a signed claim)."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the id in the cookie
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


# -- process library -----------------------------------------------------------------------

class ProcessDefinition(Base):
    """One immutable version of one executable process, as deployed."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300), default="")
    file_name: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the package's files
    # large and rarely needed (the spec cache reads spec_json once per process): loaded on first use
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)  # the file that holds the process, for drawing
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)  # serialized spec + subprocess specs
    starter_groups: Mapped[list[str]] = mapped_column(default=list)
    starter_users: Mapped[list[str]] = mapped_column(default=list)
    deployed_at: Mapped[datetime] = mapped_column(default=clock.now)
    deployed_by: Mapped[str | None] = mapped_column(String(64))


# -- cases and their projections ------------------------------------------------------------

class Case(Base):
    __tablename__ = "cases"
    # the watchlist's lists: running cases in due order, read from the index alone
    __table_args__ = (Index("ix_cases_status_due", "status", "due_at"),
                      # the escalated and flagged lists: small partial indexes of just those cases
                      # in the lists' order (no due date last), so a page of thousands is read, not sorted
                      Index("ix_cases_escalated", "status", text("(due_at IS NULL)"), "due_at", "id",
                            sqlite_where=text("overdue = 1"), postgresql_where=text("overdue")),
                      Index("ix_cases_flagged", "status", text("(due_at IS NULL)"), "due_at", "id",
                            sqlite_where=text("flagged = 1"), postgresql_where=text("flagged")),
                      Index("ix_cases_created", "created_at", "id"))  # the case list's default order, newest first
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    number: Mapped[str | None] = mapped_column(String(64), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    stage: Mapped[str] = mapped_column(String(100), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the workflow's data, for reading
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    started_by: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    completed_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    error_message: Mapped[str | None] = mapped_column(Text)
    # the serialized workflow instance (without its spec), compressed; loaded only when a case runs.
    # The last column: on SQLite the columns after a large value are read through its overflow pages
    state: Mapped[str] = mapped_column(CompressedText, deferred=True)

    definition: Mapped[ProcessDefinition] = relationship(lazy="select")  # the spec cache rarely needs it
    # optimistic locking: every UPDATE says WHERE lock_version = <read value>
    __mapper_args__ = {"version_id_col": lock_version}


class TaskRow(Base):
    """A human task (user or manual task) as inboxes see it."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_case_state", "case_id", "state"),
                      Index("ix_tasks_assignee_state", "assignee", "state"),
                      Index("ix_tasks_completed_by", "completed_by", "case_id"),
                      # the open tasks only, with what an inbox tests and sorts them by: a unit's offers are
                      # looked up and ordered in this index alone, never in the rows of every task ever done
                      # (queries say the state as OPEN_TASK: a partial index needs the literal)
                      Index("ix_tasks_open", "id", "assignee", "due_at", "created_at", "priority",
                            sqlite_where=text("state = 'open'"), postgresql_where=text("state = 'open'")))
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300), default="")
    lane: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(64))
    candidate_groups: Mapped[list[str]] = mapped_column(default=list)
    candidate_users: Mapped[list[str]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open, completed, cancelled
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    completed_at: Mapped[datetime | None]
    # who may see the case (did a task): ix_tasks_completed_by holds the case too, so a person's cases are read
    # from the index alone (a clerk of years has completed tens of thousands of tasks)
    completed_by: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    follow_up_at: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(Integer, default=50)
    form_id: Mapped[str | None] = mapped_column(String(32))  # its fields, once per distinct form (TaskForm)
    # how the assignee came to hold it: "model" (camunda:assignee), "claimed", or "assigned" by someone
    assignment: Mapped[str | None] = mapped_column(String(10))
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # form values saved but not submitted
    draft_saved_at: Mapped[datetime | None]
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)  # its due time passed while it was open

    @property
    def form(self) -> list[Any]:
        """The task's form fields (camunda:formData), read from the task_forms table."""
        return form_fields(object_session(self), self.form_id)


class TaskForm(Base):
    """A user task's form fields, stored once per distinct form (named by a hash of its content) instead
    of a copy in every task row (≈10 KB a case). Written at deploy and, for a form not seen before, when a
    task is created; never changed: a changed form is another row."""

    __tablename__ = "task_forms"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    fields: Mapped[list[Any]] = mapped_column(JSON)


_FORM_FIELDS: dict[str, list[Any]] = {}  # form id -> fields: a hash names one content, so a process keeps them
_FORMS_STORED: set[str] = set()  # form ids seen in the table (committed by some transaction)


def form_key(fields: list[Any]) -> str | None:
    """The id of a form: a hash of its fields (None for a task without a form)."""
    if not fields:
        return None
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]  # 64 bits: a few hundred forms never collide


def keep_form(session: Session, fields: list[Any]) -> str | None:
    """The form's id, its row written first if the table lacks it."""
    key = form_key(fields)
    if key is None or key in _FORMS_STORED:
        return key
    _FORM_FIELDS.setdefault(key, fields)
    if session.execute(select(TaskForm.id).where(TaskForm.id == key)).first():
        _FORMS_STORED.add(key)
        return key
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    # two transactions may bring the same new form at once: the second one's row is the same
    session.execute(insert(TaskForm).values(id=key, fields=fields).on_conflict_do_nothing())
    return key


def form_fields(session: Session | None, key: str | None) -> list[Any]:
    if key is None:
        return []
    found = _FORM_FIELDS.get(key)
    if found is None:
        if session is None:
            raise RuntimeError(f"form {key} is not loaded and the task row has no session to read it")
        found = session.scalar(select(TaskForm.fields).where(TaskForm.id == key))
        if found is None:
            raise LookupError(f"task form {key} is missing from task_forms")
        _FORM_FIELDS[key] = found
        _FORMS_STORED.add(key)
    return found


class _Unindexed(ColumnElement[Any]):
    """A column as a filter tests it, written `+column` on SQLite: the same value, but not one SQLite looks
    up by, so its planner drives the query from the index the caller means (a list's order, a partial index
    of open rows) instead of the column's own index, whatever its statistics guess. PostgreSQL gets the
    plain column: its planner weighs both well (and, given an expression, could only filter by it)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any):
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _unindexed(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(_Unindexed, "sqlite")
def _unindexed_sqlite(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)


def unindexed(column: Any) -> ColumnElement[Any]:
    return _Unindexed(column)


OPEN_TASK = TaskRow.state == literal("open", literal_execute=True)  # as ix_tasks_open says it


class TaskCandidate(Base):
    """One candidate group or user of an open task: lets 'my groups' tasks' be an indexed query.

    Deleted when the task closes (who it was offered to stays on the task row and in the history), so
    a unit's offers are its open tasks, not every task it was ever offered."""

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidates_kind_name", "kind", "name"),)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(5), primary_key=True)  # group or user
    name: Mapped[str] = mapped_column(String(100), primary_key=True)


class TimerRow(Base):
    """A waiting timer: the scheduler's only source of truth.

    Kinds boundary, intermediate, start and cycle are BPMN timers (id = the SpiffWorkflow task id);
    reminder and escalation are deadlines of a human task (`task_id`) or of the case (no task), fired
    without loading the workflow (id = a uuid5 of the task id and the offset)."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_state_due", "state", "due_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the SpiffWorkflow task id of the event
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # boundary, intermediate, start, cycle, reminder, escalation
    task_id: Mapped[str | None] = mapped_column(String(36))  # the human task a reminder/escalation is for
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="waiting")  # waiting, fired, cancelled
    fired_at: Mapped[datetime | None]


# a task id (SpiffWorkflow's uuid) where nothing joins it to a varchar column: PostgreSQL's uuid, 16 bytes
# instead of 37 of text; read and written as the same lowercase text on both databases
TASK_UUID = String(36).with_variant(PG_UUID(as_uuid=False), "postgresql")

# the engine's own event kinds, stored as short codes (a code is a number, which no kind is); a kind not
# listed (the domain's) is stored as it is. Append only: a stored code never changes its meaning
EVENT_KIND_CODES = {kind: str(index) for index, kind in enumerate((
    "task_created", "task_completed", "task_cancelled", "task_claimed", "task_unclaimed", "task_assigned",
    "task_entered_on_behalf", "case_started", "case_completed", "case_error", "case_retried", "case_escalated",
    "case_flagged", "case_unflagged", "deadline_reminder", "timer_fired", "message_received", "note_added",
    "contact_answered", "attachment_added"), start=1)}
_EVENT_KIND_NAMES = {code: kind for kind, code in EVENT_KIND_CODES.items()}
# the kinds whose message is the task's name and element_id the task's element, by construction: stored
# without them (message NULL) and read back from the task row
TASK_OWN_KINDS = frozenset(("task_created", "task_completed", "task_claimed", "task_unclaimed", "task_assigned",
                            "task_entered_on_behalf"))


# the deadline events of a task: stored without their element when it is the task's (read back from it)
DEADLINE_KINDS = ("deadline_reminder", "case_escalated")
# the engine's own notification kinds, likewise (append only)
NOTIFICATION_KIND_CODES = {kind: str(index) for index, kind in enumerate(
    ("reminder", "escalation", "contact_disputed"), start=1)}


class KindCode(TypeDecorator):
    """A kind kept as its short code when it is one of `codes` (≈10 bytes less a row), else as it is."""

    impl = String(40)
    cache_ok = True

    def __init__(self, codes: dict[str, str]):
        super().__init__()
        self.codes, self.names = codes, {code: kind for kind, code in codes.items()}

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return self.codes.get(value, value) if value is not None else None

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return self.names.get(value, value) if value is not None else None

    @property
    def _static_cache_key(self) -> Any:  # the codes are fixed per type: their names say which
        return (type(self), tuple(self.codes.items()))


class EventRow(Base):
    """Append-only history of a case: who did what, when, with the data that changed.

    An event about a task that says the task's own name and element (TASK_OWN_KINDS) is stored without
    them (message NULL) and gets them back from the task row when it is loaded, so readers see them."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(KindCode(EVENT_KIND_CODES))
    element_id: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(TASK_UUID)
    message: Mapped[str | None] = mapped_column(Text, default="")  # None: the task's name (see above)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


def _of_task(column: Any, stored_without: Any) -> Any:
    """The event's task's `column`, looked up only for an event stored without it."""
    found = select(column).where(TaskRow.id == cast(EventRow.task_id, String)).scalar_subquery()
    return column_property(case((stored_without, found), else_=None))


_WITHOUT_ELEMENT = EventRow.message.is_(None) | (EventRow.element_id.is_(None) & EventRow.task_id.is_not(None)
                                                 & EventRow.kind.in_(DEADLINE_KINDS))
EventRow.task_name = _of_task(TaskRow.name, EventRow.message.is_(None))
EventRow.task_element = _of_task(TaskRow.element_id, _WITHOUT_ELEMENT)


@event.listens_for(EventRow, "load")
def _event_loaded(row: EventRow, _context: Any) -> None:
    # not a change: the row in the database stays as it is
    if row.message is None:
        set_committed_value(row, "message", row.task_name or "")
        set_committed_value(row, "element_id", row.task_element)
    elif row.element_id is None and row.task_id and row.kind in DEADLINE_KINDS:
        set_committed_value(row, "element_id", row.task_element)


def compact_events(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events as they are written: a task's own name and element left to its task row (TASK_OWN_KINDS)."""
    for row in rows:
        if row.get("task_id") and row.get("kind") in TASK_OWN_KINDS:
            row["message"], row["element_id"] = None, None
    return rows


class CaseNote(Base):
    """Something written on a case besides its tasks: a comment, or a communication with the proposer
    (kind contact_before, contact_during, contact_at_reply, contact_after) with its details in `data`."""

    __tablename__ = "case_notes"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40), default="comment")
    author: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # shown to the proposer; else internal


class Attachment(Base):
    """A file on a case; the bytes live on disk under the attachments folder, named by their hash."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # shown to the proposer; else internal


class CaseParticipant(Base):
    """Who holds a role in a case (engine.cases.roles), rewritten from the case data on every save, so
    that visibility and permissions read indexed rows, never the serialized workflow."""

    __tablename__ = "case_participants"
    __table_args__ = (Index("ix_case_participants_kind_name", "kind", "name"),)
    case_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                         ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(5), primary_key=True)  # user or group
    name: Mapped[str] = mapped_column(String(100), primary_key=True)


class Lease(Base):
    """Who may run a singleton job (the timer scheduler) until when; renewed while the holder lives."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))  # host:pid:random of the process holding it
    acquired_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]


class OutboxMessage(Base):
    """A notification to deliver, written in the same transaction as the event that causes it.

    channel `in_app` becomes a Notification row, `email` an SMTP message; failures are retried with
    back-off (`next_attempt_at`) and never dropped."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    channel: Mapped[str] = mapped_column(String(10))  # in_app, email, sms
    recipient: Mapped[str] = mapped_column(String(64))  # user name
    address: Mapped[str | None] = mapped_column(String(254))  # e-mail address or phone number
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))  # reminder, escalation, ...
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending, sent, failed (gave up)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class StartKey(Base):
    """The idempotency key a case was started with (engine.cases.starts): one case per key and person."""

    __tablename__ = "start_keys"
    __table_args__ = (UniqueConstraint("username", "key", name="uq_start_keys_user_key"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Notification(Base):
    """An in-app notification a user sees in their list until they mark it read.

    The title and body of a case's notification are stored with the case's number and title written as
    a two-character mark (case_texts.encode): they are the case row's, put back when the row is loaded."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "username", "read_at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(KindCode(NOTIFICATION_KIND_CODES))
    title: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]
    outbox_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)  # delivered once per outbox row


Notification.case_number = column_property(
    select(Case.number).where(Case.id == Notification.case_id).correlate_except(Case).scalar_subquery())
Notification.case_title = column_property(
    select(Case.title).where(Case.id == Notification.case_id).correlate_except(Case).scalar_subquery())


class CaseTexts:
    """A text of a case with the case's number and title replaced by a mark (ESC N, ESC T; ESC itself
    doubled): decode(encode(text)) is the text, whatever it holds."""

    ESC = "\x01"
    _MARK = re.compile("\x01(.)", re.DOTALL)

    @classmethod
    def encode(cls, text: str, number: str | None, title: str | None) -> str:
        # one pass (a mark is never scanned again), the longer of the two first where both would match
        marks = {cls.ESC: cls.ESC * 2, **({number: cls.ESC + "N"} if number else {}),
                 **({title: cls.ESC + "T"} if title else {})}
        pattern = "|".join(re.escape(k) for k in sorted(marks, key=len, reverse=True))
        return re.sub(pattern, lambda m: marks[m.group(0)], text)

    @classmethod
    def decode(cls, text: str, number: str | None, title: str | None) -> str:
        if not text or cls.ESC not in text:
            return text
        said = {"T": title or "", "N": number or "", cls.ESC: cls.ESC}
        return cls._MARK.sub(lambda m: said.get(m.group(1), m.group(0)), text)


@event.listens_for(Notification, "load")
def _notification_loaded(row: Notification, _context: Any) -> None:
    if row.case_id is not None:
        set_committed_value(row, "title", CaseTexts.decode(row.title, row.case_number, row.case_title))
        set_committed_value(row, "body", CaseTexts.decode(row.body, row.case_number, row.case_title))


@event.listens_for(Session, "before_flush")
def _case_texts_kept(session: Session, _context: Any, _instances: Any) -> None:
    """A case whose number or title changes: its notifications are rewritten with the old ones, so each
    still says what it said when it was sent."""
    for obj in session.dirty:
        if not isinstance(obj, Case):
            continue
        state = sa_inspect(obj)
        number, title = state.attrs.number.history, state.attrs.title.history
        if not (number.deleted or title.deleted):
            continue
        old_number = number.deleted[0] if number.deleted else obj.number
        old_title = title.deleted[0] if title.deleted else obj.title
        table = Notification.__table__
        for nid, n_title, n_body in session.execute(select(table.c.id, table.c.title, table.c.body)
                                                    .where(table.c.case_id == obj.id)).all():
            texts = {k: CaseTexts.encode(CaseTexts.decode(v, old_number, old_title), obj.number, obj.title)
                     for k, v in (("title", n_title), ("body", n_body))}
            session.execute(table.update().where(table.c.id == nid).values(**texts))


class LoginFailure(Base):
    """A failed sign-in, kept for a while to slow down password guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_username_at", "username", "at"),
                      Index("ix_login_failures_address_at", "address", "at"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(default=clock.now)


# -- connection ----------------------------------------------------------------------------

def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the one writer
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")  # a second writer waits instead of failing
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _json_default(value: Any) -> Any:
    """Task data may hold dates, times and ids; the read copy on the case row stores them as text."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _dumps(value: Any) -> str:
    # no blanks after the separators: data is stored as text (SQLite, PostgreSQL's json), a byte a comma
    return json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, json_serializer=_dumps,
                               connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, json_serializer=_dumps, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """An engine and its session factory; `with db.session() as s:` is one unit of work."""

    def __init__(self, url: str, echo: bool = False):
        self.url = url
        self.engine = make_engine(url, echo)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self.sessions()
        try:
            yield session
            session.commit()
        except StaleDataError:
            session.rollback()
            raise Conflict("the data changed while you worked on it; reload and try again") from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def after_bulk_load(self) -> None:
        """Fresh statistics for SQLite's planner (never ANALYZEd, it scans a unit's every offer instead of
        using the indexes); on PostgreSQL what autovacuum does in time, at once: the dead rows of the load's
        updates gone and the visibility map set (an index-only count otherwise visits every row)."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
                conn.exec_driver_sql("ANALYZE")
        else:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM (ANALYZE)")

    def create_all(self) -> None:
        """For tests: the schema straight from the models (production goes through Alembic)."""
        Base.metadata.create_all(self.engine)

    def drop_all(self) -> None:
        Base.metadata.drop_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
