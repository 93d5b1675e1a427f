"""Reminders and escalations of human tasks and cases, fired from their timer rows.

engine.cases.projections writes the rows (a task's camunda:dueDate, the case's `case_deadline`); the
scheduler hands the due ones here through runtime.fire_timers. Firing never loads the workflow: a
reminder records an event and queues notifications, an escalation also marks the task and the case
overdue and flags the case for the supervisors. Everything happens in the caller's transaction, so
the notifications exist exactly when the event does.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.cases import projections
from engine.identity import SUPERVISORS
from engine.notify import channels
from engine.store import Case, Group, TaskRow, TimerRow, User, UserGroup

log = logging.getLogger(__name__)

KINDS = ("reminder", "escalation")
CASE_DEADLINE_LABEL = "案件办理期限"  # what a case-level deadline is called in messages


def fire(ctx: Any, session: Session, case: Case, rows: list[TimerRow], now: datetime) -> int:
    """Fire due reminder/escalation rows of one case; returns how many fired.

    A row is claimed with UPDATE ... WHERE state = 'waiting': a row another process fired first (or a
    second pass) is skipped, so nothing is notified twice. When the service was down past several
    deadlines of one task, only the latest (the escalation, else the nearest reminder) is sent."""
    claimed = [row for row in sorted(rows, key=lambda r: r.due_at) if _claim(session, row, now)]
    targets: dict[str | None, list[TimerRow]] = {}
    for row in claimed:
        targets.setdefault(row.task_id, []).append(row)
    fired = 0
    for task_id, group in targets.items():
        latest = max(group, key=lambda r: (r.kind == "escalation", r.due_at))
        superseded = [r.id for r in group if r is not latest]
        if superseded:
            session.execute(update(TimerRow).where(TimerRow.id.in_(superseded)).values(state="cancelled"))
        task = session.get(TaskRow, task_id) if task_id else None
        if task_id and (task is None or task.state != "open"):
            latest.state = "cancelled"  # the task closed without its rows being cancelled: nothing to say
            continue
        _fire_one(ctx, session, case, task, latest, now)
        fired += 1
    return fired


def _claim(session: Session, row: TimerRow, now: datetime) -> bool:
    result = session.execute(update(TimerRow).where(TimerRow.id == row.id, TimerRow.state == "waiting")
                             .values(state="fired", fired_at=now))
    return result.rowcount == 1


def _fire_one(ctx: Any, session: Session, case: Case, task: TaskRow | None, row: TimerRow, now: datetime) -> None:
    due_at = row.due_at if row.kind == "escalation" else _owner_due(session, case, task, row)
    due = local_text(due_at, ctx.zone)
    what = task.name if task is not None else CASE_DEADLINE_LABEL
    data = {"task": task.name if task is not None else None, "due_at": due_at.isoformat()}
    people = _holders(session, case, task)
    # the task's own element is read back from the task row (engine.store.DEADLINE_KINDS)
    element_id = None if task is not None and row.element_id == task.element_id else row.element_id
    if row.kind == "reminder":
        subject = f"提醒：「{what}」将于 {due} 到期"
        projections.record_event(session, case, "deadline_reminder", None, f"{what}：{due} 到期", data=data,
                                 element_id=element_id, task_id=row.task_id)
    else:
        subject = f"督办：「{what}」已超期"
        if task is not None:
            task.overdue = True
        # always an UPDATE of the case row (updated_at), so the lock_version moves and a concurrent
        # change of the case made before this one is seen is a Conflict, not a silent overwrite
        case.overdue, case.flagged, case.updated_at = True, True, now
        projections.record_event(session, case, "case_escalated", None, f"{what}：{due} 已超期", data=data,
                                 element_id=element_id, task_id=row.task_id)
        people = _unique(people + _group_members(session, [SUPERVISORS]))
    body = _body(case, what, due, row.kind)
    channels.queue(ctx, session, people, case, row.kind, f"{subject}（{case.number}）", body)


def local_text(at: datetime, zone: Any) -> str:
    """A due time as people read it in the configured zone; a bare-date deadline (the end of that
    day) as the date alone."""
    local = at.astimezone(zone)
    return f"{local:%Y-%m-%d}" if local.time() == time(23, 59, 59) else f"{local:%Y-%m-%d %H:%M}"


def _owner_due(session: Session, case: Case, task: TaskRow | None, row: TimerRow) -> datetime:
    """The due time a reminder is about: the task's, or the case deadline's escalation row's."""
    if task is not None and task.due_at is not None:
        return task.due_at
    escalation = session.scalar(select(TimerRow.due_at).where(
        TimerRow.case_id == case.id, TimerRow.task_id.is_(None), TimerRow.kind == "escalation",
        TimerRow.state == "waiting").order_by(TimerRow.due_at).limit(1))
    return escalation or case.due_at or row.due_at


def _body(case: Case, what: str, due: str, kind: str) -> str:
    line = f"「{what}」将于 {due} 到期，请及时办理。" if kind == "reminder" else \
        f"「{what}」已于 {due} 到期仍未办结，已列入督办。"
    return f"案件编号：{case.number}\n案由：{case.title}\n{line}\n"


# -- who is told -----------------------------------------------------------------------------

def _holders(session: Session, case: Case, task: TaskRow | None) -> list[User]:
    """The task's assignee, or if none its candidate users and the members of its candidate groups;
    for a case deadline, the same for every open task of the case. Active users only."""
    tasks = [task] if task is not None else list(session.scalars(
        select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "open")))
    people: list[User] = []
    for t in tasks:
        assignee = _active_users(session, [t.assignee]) if t.assignee else []
        people += assignee or _active_users(session, t.candidate_users or []) + \
            _group_members(session, t.candidate_groups or [])
    return _unique(people)


def _active_users(session: Session, names: list[str]) -> list[User]:
    if not names:
        return []
    return list(session.scalars(select(User).where(User.username.in_(names), User.active.is_(True))
                                .order_by(User.username)))


def _group_members(session: Session, groups: list[str]) -> list[User]:
    if not groups:
        return []
    members = select(UserGroup.user_id).join(Group, Group.id == UserGroup.group_id).where(Group.name.in_(groups))
    return list(session.scalars(select(User).where(User.id.in_(members), User.active.is_(True))
                                .order_by(User.username)))


def _unique(people: list[User]) -> list[User]:
    return list({user.username: user for user in people}.values())
