"""Queryable rows derived from a workflow after each change: human tasks, waiting timers, events.

Written in the caller's transaction, so a case and its projections are always in step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from . import clock, expressions
from .store import Case, EventRow, TaskCandidate, TaskRow, TimerRow

log = logging.getLogger(__name__)


def record_event(session: Session, case: Case, kind: str, actor: str | None, message: str = "",
                 data: dict[str, Any] | None = None, element_id: str | None = None,
                 task_id: str | None = None) -> EventRow:
    row = EventRow(case_id=case.id, at=clock.now(), actor=actor, kind=kind, message=message,
                   data=data or {}, element_id=element_id, task_id=task_id)
    session.add(row)
    return row


def human_tasks(workflow: Any) -> list[Any]:
    """READY user/manual tasks, including those inside sub-processes and call activities."""
    return [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)]


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


def _evaluate(text: str | None, data: dict[str, Any], functions: dict[str, Any], many: bool = False) -> Any:
    if not text:
        return [] if many else None
    if many:
        return expressions.render_list(text, data, functions)
    return expressions.render_value(text, data, functions)


def new_task_row(case: Case, task: Any, functions: dict[str, Any], zone: ZoneInfo) -> TaskRow:
    """Evaluate the task's assignee, candidates and dates against the data it starts with."""
    spec, data = task.task_spec, task.data
    assignee = _evaluate(_spec_attr(spec, "assignee"), data, functions)
    priority = _evaluate(_spec_attr(spec, "priority"), data, functions)
    form_fields = spec.form_fields() if hasattr(spec, "form_fields") else []
    return TaskRow(
        id=str(task.id), case_id=case.id, element_id=spec.bpmn_id or spec.name,
        name=spec.bpmn_name or spec.bpmn_id or spec.name, lane=spec.lane,
        assignee=str(assignee) if assignee else None,
        candidate_groups=_evaluate(_spec_attr(spec, "candidate_groups"), data, functions, many=True),
        candidate_users=_evaluate(_spec_attr(spec, "candidate_users"), data, functions, many=True),
        state="open", created_at=clock.now(),
        due_at=to_due_time(_evaluate(_spec_attr(spec, "due_date"), data, functions), zone),
        follow_up_at=to_due_time(_evaluate(_spec_attr(spec, "follow_up_date"), data, functions), zone),
        priority=int(priority) if str(priority or "").strip().lstrip("-").isdigit() else 50,
        form=form_fields,
    )


def _candidate_rows(row: TaskRow) -> Iterable[TaskCandidate]:
    for name in dict.fromkeys(row.candidate_groups):
        yield TaskCandidate(task_id=row.id, kind="group", name=name)
    for name in dict.fromkeys(row.candidate_users):
        yield TaskCandidate(task_id=row.id, kind="user", name=name)


def sync(session: Session, case: Case, workflow: Any, functions: dict[str, Any], zone: ZoneInfo,
         actor: str | None) -> list[TaskRow]:
    """Bring the case's task and timer rows in line with the workflow; returns the new task rows."""
    open_rows = {r.id: r for r in session.scalars(
        select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "open"))}
    ready = {str(t.id): t for t in human_tasks(workflow)}
    now = clock.now()
    gone = [r for tid, r in open_rows.items() if tid not in ready]
    for row in gone:  # cancelled by a boundary event, a terminate end, or the case ending
        row.state, row.completed_at = "cancelled", now
        record_event(session, case, "task_cancelled", actor, row.name, element_id=row.element_id, task_id=row.id)
    if gone:
        session.execute(delete(TaskCandidate).where(TaskCandidate.task_id.in_([r.id for r in gone])))
    created = []
    for tid, task in ready.items():
        if tid in open_rows:
            continue
        row = new_task_row(case, task, functions, zone)
        session.add(row)
        created.append(row)
    if created:
        for row in created:
            row.candidates = list(_candidate_rows(row))
        for row in created:
            record_event(session, case, "task_created", actor, row.name, element_id=row.element_id, task_id=row.id,
                         data={"assignee": row.assignee, "candidate_groups": row.candidate_groups,
                               "candidate_users": row.candidate_users,
                               "due_at": row.due_at.isoformat() if row.due_at else None})
    still_open = [r for tid, r in open_rows.items() if tid in ready] + created
    dues = [r.due_at for r in still_open if r.due_at is not None]
    # the case is due when its earliest open task is (the domain may add case-level deadlines)
    case.due_at = min(dues) if dues else None
    _sync_timers(session, case, workflow)
    return created


def _sync_timers(session: Session, case: Case, workflow: Any) -> None:
    rows = {r.id: r for r in session.scalars(
        select(TimerRow).where(TimerRow.case_id == case.id, TimerRow.state == "waiting"))}
    seen = set()
    for task in waiting_timers(workflow):
        due = timer_due(task)
        if due is None:
            continue
        tid = str(task.id)
        seen.add(tid)
        row = rows.get(tid) or session.get(TimerRow, tid)
        if row is None:
            session.add(TimerRow(id=tid, case_id=case.id, element_id=task.task_spec.bpmn_id or task.task_spec.name,
                                 kind=timer_kind(task), due_at=due, state="waiting"))
        else:
            row.due_at, row.state, row.fired_at = due, "waiting", None
    for tid, row in rows.items():
        if tid not in seen:
            row.state = "cancelled"


def case_data(workflow: Any) -> dict[str, Any]:
    """The data a reader of the case sees: the workflow's, or that of the tasks now waiting."""
    if workflow.is_completed():
        return dict(workflow.data)
    merged: dict[str, Any] = {}
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.ERROR):
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


