"""Queryable rows derived from a workflow after each change: human tasks, waiting timers, events.

Written in the caller's transaction, so a case and its projections are always in step.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, event, select, update
from sqlalchemy.orm import Session

from engine import clock
from engine.scripting import durations, expressions
from engine.store import Case, EventRow, TaskCandidate, TaskRow, TimerRow, compact_events, form_key, keep_form

log = logging.getLogger(__name__)


def record_event(session: Session, case: Case, kind: str, actor: str | None, message: str = "",
                 data: dict[str, Any] | None = None, element_id: str | None = None,
                 task_id: str | None = None) -> None:
    """Append to the case's history; the rows are written in one INSERT when the session commits."""
    session.info.setdefault(_PENDING_EVENTS, []).append(dict(
        case_id=case.id, at=clock.now(), actor=actor, kind=kind, message=message, data=data or {},
        element_id=element_id, task_id=task_id))


_PENDING_EVENTS = "casework_pending_events"

# Core INSERTs on the tables, built once: the ORM's bulk-insert path costs more per call than the
# statement itself, and these run on every save (the rows need no ORM state: nothing reads them back)
_INSERT_EVENTS = EventRow.__table__.insert()
_INSERT_TASKS = TaskRow.__table__.insert()
_INSERT_CANDIDATES = TaskCandidate.__table__.insert()
_INSERT_TIMERS = TimerRow.__table__.insert()
# the updates and deletes likewise on the tables (their columns, not the mapped attributes, or the
# statement is ORM-enabled again); nothing in the session holds these rows' changed columns
_IDS = bindparam("ids", expanding=True)
_TASKS, _OFFERS, _TIMERS = TaskRow.__table__, TaskCandidate.__table__, TimerRow.__table__
_CANCEL_TASKS = (update(_TASKS).where(_TASKS.c.id.in_(_IDS), _TASKS.c.state == "open")
                 .values(state="cancelled", completed_at=bindparam("at")))
_DROP_OFFERS = delete(_OFFERS).where(_OFFERS.c.task_id.in_(_IDS))
_MOVE_TIMER = update(_TIMERS).where(_TIMERS.c.id == bindparam("tid")).values(due_at=bindparam("due"))
_CANCEL_TIMERS = (update(_TIMERS).where(_TIMERS.c.id.in_(_IDS), _TIMERS.c.state == "waiting")
                  .values(state="cancelled"))
_CANCEL_TASK_DEADLINES = (update(_TIMERS).where(_TIMERS.c.case_id == bindparam("cid"), _TIMERS.c.task_id.in_(_IDS),
                                                _TIMERS.c.state == "waiting").values(state="cancelled"))


@event.listens_for(Session, "before_commit")
def _write_events(session: Session) -> None:
    rows = session.info.pop(_PENDING_EVENTS, None)
    if rows:
        session.execute(_INSERT_EVENTS, compact_events(rows))


@event.listens_for(Session, "after_rollback")
def _drop_events(session: Session) -> None:
    session.info.pop(_PENDING_EVENTS, None)


def all_tasks(workflow: Any) -> Iterable[Any]:
    """Every task of the workflow and its sub-processes: a walk over dicts, much cheaper than
    SpiffWorkflow's tree iterator, which matters on every save."""
    yield from workflow.tasks.values()
    for subprocess in workflow.subprocesses.values():
        yield from subprocess.tasks.values()


def human_tasks(workflow: Any) -> list[Any]:
    """READY user/manual tasks, including those inside sub-processes and call activities."""
    return [t for t in all_tasks(workflow) if t.state == TaskState.READY and t.task_spec.manual]


def waiting_timers(workflow: Any) -> list[Any]:
    return [t for t in workflow.event_manager.tasks.values()
            if isinstance(t.task_spec.event_definition, TimerEventDefinition)
            and t.state == TaskState.WAITING]


def timer_due(task: Any) -> datetime | None:
    """The due time SpiffWorkflow computed for a waiting timer (set by refresh_timers)."""
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):  # a cycle: the next firing
        value = value.get("next") if value.get("cycles") != 0 else None
    if not value:
        return None
    try:
        if isinstance(value, str) and value.upper().startswith("P"):
            return None
        return TimerEventDefinition.get_datetime(value)
    except (TypeError, ValueError):
        log.warning("timer %s has an unreadable due time %r", task.task_spec.bpmn_id, value)
        return None


def timer_kind(task: Any) -> str:
    spec = task.task_spec
    if isinstance(spec.event_definition, CycleTimerEventDefinition):
        return "cycle"
    name = type(spec).__name__
    if "Boundary" in name:
        return "boundary"
    if "Start" in name:
        return "start"
    return "intermediate"


def to_due_time(value: Any, zone: ZoneInfo, now: datetime | None = None) -> datetime | None:
    """A due date as BPMN gives it (date, date-time, ISO text or ISO duration) -> aware UTC."""
    if value is None or value == "":
        return None
    now = now or clock.now()
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(value, date):
        # A bare date means the end of that day where the case is handled.
        return datetime.combine(value, time(23, 59, 59), zone).astimezone(UTC)
    text = str(value).strip()
    if text.upper().startswith("P"):
        parsed = TimerEventDefinition.parse_iso_duration(text)
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    if len(text) == 10:
        return to_due_time(date.fromisoformat(text), zone, now)
    return to_due_time(datetime.fromisoformat(text.replace("Z", "+00:00")), zone, now)


def _spec_attr(spec: Any, name: str) -> Any:
    return getattr(spec, name, None)


class TaskFault(Exception):
    """A new task's attributes cannot be worked out from the model (a dueDate of ${1/0}, an assignee
    longer than a user name): the task is stopped in error, the case with it, and nothing is written."""

    def __init__(self, task: Any, message: str):
        super().__init__(message)
        self.task, self.message = task, message


# the columns' sizes (engine.store): a longer value is the model's fault, not the database's (a 500 on PostgreSQL)
_NAME_MAX = {"assignee": 64, "candidateGroups": 100, "candidateUsers": 64}
_ATTRIBUTES = {"assignee": "assignee", "priority": "priority", "candidate_groups": "candidateGroups",
               "candidate_users": "candidateUsers", "due_date": "dueDate", "follow_up_date": "followUpDate"}


def _evaluate(task: Any, attr: str, functions: dict[str, Any], zone: ZoneInfo | None = None) -> Any:
    """One attribute of the task's spec evaluated against its data; TaskFault naming it when it cannot be."""
    text, label = _spec_attr(task.task_spec, attr), _ATTRIBUTES[attr]
    if not text:
        return [] if attr.startswith("candidate") else None
    try:
        if attr.startswith("candidate"):
            value = expressions.render_list(text, task.data, functions)
        else:
            value = expressions.render_value(text, task.data, functions)
        if attr in ("due_date", "follow_up_date"):
            return _due_value(value, zone)
    except Exception as err:  # noqa: BLE001 - whatever the model does wrong, the case stops, not the request
        raise TaskFault(task, _fault(task, label, str(err))) from err
    names = value if isinstance(value, list) else [value] if value not in (None, "") else []
    limit = _NAME_MAX.get(label)
    if limit and any(len(str(name)) > limit for name in names):
        raise TaskFault(task, _fault(task, label, f"a name longer than {limit} characters"))
    return value


def _due_value(value: Any, zone: ZoneInfo | None) -> datetime | None:
    if isinstance(value, str) and value.strip()[:1] in ("P", "p", "-"):
        problem = durations.timer_text_problem(value)  # SpiffWorkflow's month loop: P99999999Y never ends
        if problem:
            raise ValueError(problem)
    try:
        due = to_due_time(value, zone)
    except ValueError as err:
        raise ValueError(f"{value!r} is not a date or date-time: {err}") from None
    if due is not None and not 1900 <= due.year <= 2999:
        raise ValueError(f"{value!r} lies outside the years 1900 to 2999")
    return due


def _fault(task: Any, label: str, reason: str) -> str:
    spec = task.task_spec
    return f"{spec.bpmn_name or spec.bpmn_id} ({spec.bpmn_id}): {label}: {reason[:500]}"


def new_task_values(case: Case, task: Any, functions: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """A task row's columns: assignee, candidates and dates evaluated against the data it starts with.
    Raises TaskFault when the model's attributes cannot be evaluated or do not fit."""
    spec = task.task_spec
    assignee = _evaluate(task, "assignee", functions)
    priority = _evaluate(task, "priority", functions)
    form_fields = spec.form_fields() if hasattr(spec, "form_fields") else []
    priority_text = str(priority or "").strip()
    return dict(
        id=str(task.id), case_id=case.id, element_id=spec.bpmn_id or spec.name,
        name=spec.bpmn_name or spec.bpmn_id or spec.name, lane=spec.lane,
        assignee=str(assignee) if assignee else None,
        candidate_groups=_evaluate(task, "candidate_groups", functions),
        candidate_users=_evaluate(task, "candidate_users", functions),
        state="open", created_at=clock.now(),
        due_at=_evaluate(task, "due_date", functions, zone),
        follow_up_at=_evaluate(task, "follow_up_date", functions, zone),
        priority=int(priority_text) if priority_text.lstrip("-").isdigit() and len(priority_text) < 10 else 50,
        form=form_fields, assignment="model" if assignee else None,
    )


def _given(values: dict[str, Any]) -> dict[str, Any]:
    """Only the values that say something (the timeline shows no empty one): events stay compact."""
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


def _candidate_values(row: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for name in dict.fromkeys(row["candidate_groups"]):
        yield {"task_id": row["id"], "kind": "group", "name": name}
    for name in dict.fromkeys(row["candidate_users"]):
        yield {"task_id": row["id"], "kind": "user", "name": name}


@dataclass
class Snapshot:
    """What the projections showed for a workflow before it ran: ready human tasks and waiting timers.

    Taken from the loaded workflow itself, so saving needs no query to learn what changed.
    """

    tasks: dict[str, Any] = field(default_factory=dict)  # task id -> SpiffWorkflow task
    timers: dict[str, datetime | None] = field(default_factory=dict)  # task id -> due


def snapshot(workflow: Any) -> Snapshot:
    return Snapshot({str(t.id): t for t in human_tasks(workflow)},
                    {str(t.id): timer_due(t) for t in waiting_timers(workflow)})


@dataclass
class Pending:
    """A save's projection rows, worked out before anything is written (`prepare`) and written by `apply`
    once the case row is claimed: the model's expressions are evaluated first (a TaskFault leaves nothing
    written), and the case's UPDATE under its lock comes before any row of it (runtime._save)."""

    due: datetime | None  # when the case is due: its earliest open task, or its own deadline if sooner
    steps: list[Callable[[Session], None]] = field(default_factory=list)

    def apply(self, session: Session) -> None:
        for step in self.steps:
            step(session)


def _run(statement: Any, params: Any) -> Callable[[Session], None]:
    return lambda session: session.execute(statement, params)


def sync(session: Session, case: Case, workflow: Any, before: Snapshot, functions: dict[str, Any],
         zone: ZoneInfo, actor: str | None, done_tasks: set[str] = frozenset(),
         done_timers: set[str] = frozenset(), calendar: Any = None,
         reminder_days: Iterable[int] = ()) -> datetime | None:
    """Bring the case's task and timer rows in line with the workflow now; returns when the case is due."""
    pending = prepare(session, case, workflow, before, functions, zone, actor, done_tasks, done_timers, calendar,
                      reminder_days)
    pending.apply(session)
    return pending.due


def prepare(session: Session, case: Case, workflow: Any, before: Snapshot, functions: dict[str, Any],
            zone: ZoneInfo, actor: str | None, done_tasks: set[str] = frozenset(),
            done_timers: set[str] = frozenset(), calendar: Any = None,
            reminder_days: Iterable[int] = ()) -> Pending:
    """What brings the case's task and timer rows in line with the workflow, and when the case is due.

    `done_tasks` / `done_timers` were already settled by the caller (completed, fired). Plain
    INSERT/UPDATE statements: the ORM's unit of work costs more than the rest of a save.
    With a business `calendar`, the reminder and escalation rows of tasks and of the case follow too.
    The events are recorded now (they are written at commit); nothing else is written until `apply`.
    """
    ready = {str(t.id): t for t in human_tasks(workflow)}
    now = clock.now()
    # first the new tasks' rows, which evaluate the model's expressions: a TaskFault leaves nothing done
    new_rows = [(task, new_task_values(case, task, functions, zone)) for tid, task in ready.items()
                if tid not in before.tasks]
    steps: list[Callable[[Session], None]] = []
    gone = [tid for tid in before.tasks if tid not in ready and tid not in done_tasks]
    if gone:  # cancelled by a boundary event, a terminate end, or the case ending
        steps.append(_run(_CANCEL_TASKS, {"ids": gone, "at": now}))
        for tid in gone:
            spec = before.tasks[tid].task_spec
            record_event(session, case, "task_cancelled", actor, spec.bpmn_name or spec.bpmn_id or "",
                         element_id=spec.bpmn_id, task_id=tid)
    created = []
    forms = []
    for task, row in new_rows:
        due = row["due_at"].isoformat() if row["due_at"] else None
        # kept with the task so the case's due time is known later without a query
        task.internal_data["casework_due"] = due
        created.append(row)
        record_event(session, case, "task_created", actor, row["name"], element_id=row["element_id"],
                     task_id=row["id"], data=_given({"assignee": row["assignee"], "due_at": due,
                                                     "candidate_groups": row["candidate_groups"],
                                                     "candidate_users": row["candidate_users"]}))
        # the fields are kept once per distinct form (task_forms), the row names them
        fields = row.pop("form")
        row["form_id"] = form_key(fields)
        if fields:
            forms.append(fields)
    if created:
        candidates = [c for row in created for c in _candidate_values(row)]

        def write_tasks(session: Session) -> None:
            for fields in forms:
                keep_form(session, fields)
            session.execute(_INSERT_TASKS, created)
            if candidates:
                session.execute(_INSERT_CANDIDATES, candidates)
        steps.append(write_tasks)
    steps += _timer_steps(case, workflow, before, done_timers)
    closed = [tid for tid in before.tasks if tid not in ready]
    if closed:  # offers are of open tasks only (who it was offered to stays on the task row)
        steps.append(_run(_DROP_OFFERS, {"ids": closed}))
    case_due = None
    if calendar is not None:
        case_due, more = _deadline_steps(case, workflow, before, created, closed, calendar, reminder_days, now)
        steps += more
    dues = [datetime.fromisoformat(d) for d in (t.internal_data.get("casework_due") for t in ready.values()) if d]
    # the case is due when its earliest open task is, or its own deadline (`case_deadline`) if sooner
    return Pending(min(dues + ([case_due] if case_due else []), default=None), steps)


def _timer_steps(case: Case, workflow: Any, before: Snapshot, done: set[str]) -> list[Callable[[Session], None]]:
    steps = []
    now_waiting = {}
    for task in waiting_timers(workflow):
        due = timer_due(task)
        if due is not None:
            now_waiting[str(task.id)] = (task, due)
    for tid, (task, due) in now_waiting.items():
        if tid in done:
            continue
        if tid not in before.timers:
            steps.append(_run(_INSERT_TIMERS, dict(
                id=tid, case_id=case.id, element_id=task.task_spec.bpmn_id or task.task_spec.name,
                kind=timer_kind(task), due_at=due, state="waiting")))
        elif before.timers[tid] != due:
            steps.append(_run(_MOVE_TIMER, {"tid": tid, "due": due}))
    gone = [tid for tid in before.timers if tid not in now_waiting and tid not in done]
    if gone:
        steps.append(_run(_CANCEL_TIMERS, {"ids": gone}))
    return steps


# -- reminders and escalations (fired by engine.cases.deadlines from these rows, without loading the workflow) --

CASE_DEADLINE = "case_deadline"  # the workflow variable holding the case-level deadline (ISO date or date-time)
_DEADLINE_KINDS = ("reminder", "escalation")


def deadline_row_id(owner: str, kind: str, offset: int) -> str:
    """Stable ids, so that writing the same deadline twice is the same row (owner: a task id or case-<id>@<due>)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"casework:deadline:{owner}:{kind}:{offset}"))


def deadline_times(due: datetime, since: datetime, calendar: Any,
                   reminder_days: Iterable[int]) -> list[tuple[str, int, datetime]]:
    """(kind, working days before, when) for each reminder still ahead of `since`, and the escalation.

    Reminders are counted back in working days at the same local time of day as the due time."""
    local = due.astimezone(calendar.zone)
    times = []
    for offset in sorted(set(reminder_days), reverse=True):
        at = calendar.add_working_days(local, -offset).astimezone(UTC)
        if since < at < due:
            times.append(("reminder", offset, at))
    times.append(("escalation", 0, due))
    return times


def _workflow_value(workflow: Any, name: str) -> Any:
    """What case_data(workflow)[name] would be, without copying all the data."""
    if workflow.is_completed():
        return workflow.data.get(name)
    value = None
    for task in all_tasks(workflow):
        if name in task.data and task.state in (TaskState.READY, TaskState.WAITING, TaskState.ERROR):
            value = task.data[name]
    return value


def case_deadline(value: Any, zone: ZoneInfo) -> datetime | None:
    """The case-level deadline as UTC; a value the engine cannot read is logged and ignored."""
    if isinstance(value, str) and value.strip().upper().startswith("P"):
        return None  # a duration would move on every save; only a fixed time makes a deadline
    try:
        return to_due_time(value, zone)
    except (TypeError, ValueError):
        log.warning("case_deadline %r is not an ISO date or date-time; no reminders are scheduled", value)
        return None


def sync_deadlines(session: Session, case: Case, workflow: Any, before: Snapshot, created: list[dict[str, Any]],
                   closed: list[str], calendar: Any, reminder_days: Iterable[int], now: datetime) -> datetime | None:
    """Write reminder and escalation rows for new tasks with a due time and for the case deadline,
    cancel those of closed tasks; returns the case deadline (UTC) if there is one."""
    due, steps = _deadline_steps(case, workflow, before, created, closed, calendar, reminder_days, now)
    for step in steps:
        step(session)
    return due


def _deadline_steps(case: Case, workflow: Any, before: Snapshot, created: list[dict[str, Any]], closed: list[str],
                    calendar: Any, reminder_days: Iterable[int],
                    now: datetime) -> tuple[datetime | None, list[Callable[[Session], None]]]:
    """sync_deadlines worked out: the case deadline and the statements that write its rows."""
    offsets = tuple(reminder_days)
    steps: list[Callable[[Session], None]] = []
    rows = []
    for task in created:
        if task["due_at"] is not None:
            rows += [dict(id=deadline_row_id(task["id"], kind, offset), case_id=case.id, element_id=task["element_id"],
                          kind=kind, task_id=task["id"], due_at=at, state="waiting")
                     for kind, offset, at in deadline_times(task["due_at"], now, calendar, offsets)]
    if rows:
        steps.append(_run(_INSERT_TIMERS, rows))
    with_due = [tid for tid in closed if before.tasks[tid].internal_data.get("casework_due")]
    if with_due:
        steps.append(_run(_CANCEL_TASK_DEADLINES, {"cid": case.id, "ids": with_due}))
    ended = workflow.is_completed()
    # the case row still holds the data of the previous save: compare with it, no query on most saves
    old = case_deadline((case.data or {}).get(CASE_DEADLINE), calendar.zone)
    new = None if ended else case_deadline(_workflow_value(workflow, CASE_DEADLINE), calendar.zone)
    if old != new:
        steps.append(lambda session: _reschedule_case_deadline(session, case, new, calendar, offsets, now))
    return new, steps


def _reschedule_case_deadline(session: Session, case: Case, due: datetime | None, calendar: Any,
                              offsets: tuple[int, ...], now: datetime) -> None:
    """The case deadline appeared, moved or went: cancel what no longer applies, add (or revive) the rest.

    A row that already fired stays fired: moving the deadline back to an earlier value does not repeat it."""
    owner = f"case-{case.id}@{due.isoformat()}" if due else ""
    wanted = {deadline_row_id(owner, kind, offset): (kind, at)
              for kind, offset, at in (deadline_times(due, now, calendar, offsets) if due else [])}
    existing = dict(session.execute(select(TimerRow.id, TimerRow.state).where(
        TimerRow.case_id == case.id, TimerRow.task_id.is_(None), TimerRow.kind.in_(_DEADLINE_KINDS))).all())
    stale = [rid for rid, state in existing.items() if state == "waiting" and rid not in wanted]
    if stale:
        session.execute(update(TimerRow).where(TimerRow.id.in_(stale)).values(state="cancelled")
                        .execution_options(synchronize_session=False))
    revive = [rid for rid in wanted if existing.get(rid) == "cancelled"]
    if revive:
        session.execute(update(TimerRow).where(TimerRow.id.in_(revive)).values(state="waiting")
                        .execution_options(synchronize_session=False))
    new_rows = [dict(id=rid, case_id=case.id, element_id=CASE_DEADLINE, kind=kind, task_id=None, due_at=at,
                     state="waiting") for rid, (kind, at) in wanted.items() if rid not in existing]
    if new_rows:
        session.execute(_INSERT_TIMERS, new_rows)


def case_data(workflow: Any) -> dict[str, Any]:
    """The data a reader of the case sees: the workflow's, or that of the tasks now waiting."""
    if workflow.is_completed():
        return dict(workflow.data)
    merged: dict[str, Any] = {}
    for task in all_tasks(workflow):
        if task.state in (TaskState.READY, TaskState.WAITING, TaskState.ERROR):
            merged.update(task.data)
    return merged


def data_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed, as {name: [old, new]}, for the event log."""
    changes = {}
    for key in set(before) | set(after):
        if before.get(key) != after.get(key):
            changes[key] = [before.get(key), after.get(key)]
    return changes


def earliest_due(session: Session) -> datetime | None:
    return session.scalar(select(TimerRow.due_at).where(TimerRow.state == "waiting")
                          .order_by(TimerRow.due_at).limit(1))


