"""Read-side queries over the projection rows, with the visibility rule applied in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, bindparam, case, cast, func, or_, select
from sqlalchemy.orm import Session

from engine import bounds
from engine.cases import permissions
from engine.errors import BadRequest, NotFound
from engine.store import DEADLINE_KINDS, OPEN_TASK, Case, EventRow, TaskCandidate, TaskRow, TimerRow, User

CASE_STATUSES = ("running", "completed", "cancelled", "error")


page = bounds.page  # limit and offset of a list request, bounded (engine.bounds)


def get_case(session: Session, user: User, case_id: Any) -> Case:
    case = session.get(Case, bounds.parse_id(case_id, "case"))
    if case is None or not permissions.may_see_case(session, user, case):
        # the code and the number let a page say it in its reader's language
        raise NotFound(f"no case {case_id}", [{"code": "no_case", "case": str(case_id)[:20]}])
    return case


def list_cases(session: Session, user: User, *, status: str | None = None, stage: str | None = None,
               q: str | None = None, process_key: str | None = None, limit: int = 100,
               offset: int = 0) -> list[Case]:
    stmt = select(Case)
    clause = permissions.listed_cases(user)
    if clause is not None:
        stmt = stmt.where(clause)
    if status:
        if status not in CASE_STATUSES:
            raise BadRequest(f"status must be one of {', '.join(CASE_STATUSES)}")
        stmt = stmt.where(Case.status == status)
    if stage:
        stmt = stmt.where(Case.stage == stage)
    if process_key:
        stmt = stmt.where(Case.process_key == process_key)
    if q:
        pattern = f"%{q.strip()}%"
        stmt = stmt.where(or_(Case.title.ilike(pattern), Case.number.ilike(pattern)))
    stmt = stmt.order_by(Case.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def case_history(session: Session, case_id: int) -> list[EventRow]:
    return list(session.scalars(select(EventRow).where(EventRow.case_id == case_id).order_by(EventRow.id)))


_EVENTS, _TASKS = EventRow.__table__, TaskRow.__table__
# a task's own name and element are stored on its row, not on its events (engine.store.TASK_OWN_KINDS and
# DEADLINE_KINDS): read back here as the ORM's load hook does for EventRow objects
_OWN = _EVENTS.c.message.is_(None)
_HISTORY_ROWS = (
    select(_EVENTS.c.id, _EVENTS.c.case_id, _EVENTS.c.at, _EVENTS.c.actor, _EVENTS.c.kind,
           case((_OWN | (_EVENTS.c.element_id.is_(None) & _EVENTS.c.kind.in_(DEADLINE_KINDS)), _TASKS.c.element_id),
                else_=_EVENTS.c.element_id).label("element_id"),
           _EVENTS.c.task_id,
           case((_OWN, func.coalesce(_TASKS.c.name, "")), else_=_EVENTS.c.message).label("message"),
           _EVENTS.c.data)
    .select_from(_EVENTS.outerjoin(_TASKS, _TASKS.c.id == cast(_EVENTS.c.task_id, String)))
    .where(_EVENTS.c.case_id == bindparam("cid")).order_by(_EVENTS.c.id))


def history_rows(session: Session, case_id: int) -> list[Any]:
    """case_history as plain rows with the same attributes (read-only; the API's answers): a Core statement
    built once costs a fraction of loading the ORM objects, and every answer about a case reads them."""
    return list(session.execute(_HISTORY_ROWS, {"cid": case_id}))


def list_tasks(session: Session, user: User, scope: str = "mine", limit: int = 100, offset: int = 0) -> list[TaskRow]:
    """`mine`: tasks I hold; `groups`: unclaimed tasks offered to me or my groups."""
    stmt = select(TaskRow).where(OPEN_TASK)
    if scope == "mine":
        stmt = stmt.where(TaskRow.assignee == user.username)
    elif scope == "groups":
        offered = select(TaskCandidate.task_id).where(or_(
            (TaskCandidate.kind == "user") & (TaskCandidate.name == user.username),
            (TaskCandidate.kind == "group") & TaskCandidate.name.in_(list(user.group_names))))
        stmt = stmt.where(TaskRow.assignee.is_(None), TaskRow.id.in_(offered))
    else:
        raise BadRequest("scope must be mine or groups")
    stmt = stmt.order_by(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at).limit(limit).offset(offset)
    return list(session.scalars(stmt))


def count_cases(session: Session) -> dict[str, int]:
    rows = session.execute(select(Case.status, func.count()).group_by(Case.status))
    return {status: n for status, n in rows}


def waiting_by_element(session: Session, definition_id: int) -> dict[str, int]:
    """Running cases of one definition version per element they wait at (open tasks, waiting BPMN timers):
    what a designer sees of the cases without seeing any of them."""
    counts: dict[str, int] = {}
    bpmn_timer = (TimerRow.state == "waiting") & TimerRow.kind.not_in(("reminder", "escalation"))
    for model, waiting in ((TaskRow, TaskRow.state == "open"), (TimerRow, bpmn_timer)):
        rows = session.execute(select(model.element_id, func.count(func.distinct(model.case_id)))
                               .join(Case, Case.id == model.case_id)
                               .where(Case.definition_id == definition_id, Case.status == "running", waiting)
                               .group_by(model.element_id))
        for element_id, n in rows:
            counts[element_id] = counts.get(element_id, 0) + n
    return counts


def visible_running_cases(session: Session, user: User, definition_id: int, limit: int = 200) -> list[Case]:
    """The running cases of one definition version that the user may see anyway (oldest first)."""
    stmt = select(Case).where(Case.definition_id == definition_id, Case.status == "running")
    clause = permissions.listed_cases(user)
    if clause is not None:
        stmt = stmt.where(clause)
    return list(session.scalars(stmt.order_by(Case.created_at, Case.id).limit(limit)))
