"""What supervisors watch across all units: overdue, due-soon, escalated, flagged and stopped cases;
and the flag (挂牌督办) they put on a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine import bounds, clock
from engine.cases import projections
from engine.errors import Forbidden, NotFound
from engine.identity import is_supervisor
from engine.store import Case, Group, ProcessDefinition, TaskCandidate, TaskRow, User

LISTS = ("overdue", "due_soon", "escalated", "flagged", "error")


@dataclass
class Watchlist:
    lists: dict[str, list[Case]]
    units: list[str]  # groups that have open tasks, for the unit filter


def _by_unit(stmt: Select, unit: str | None) -> Select:
    if not unit:
        return stmt
    offered = select(TaskRow.case_id).join(TaskCandidate, TaskCandidate.task_id == TaskRow.id).where(
        TaskRow.state == "open", TaskCandidate.kind == "group", TaskCandidate.name == unit)
    return stmt.where(Case.id.in_(offered))


def watchlist(session: Session, unit: str | None = None, process_key: str | None = None,
              due_soon_days: int = 3, limit: int = 200) -> Watchlist:
    now = clock.now()
    running = select(Case).where(Case.status == "running")
    if process_key:
        running = running.where(Case.process_key == process_key)
    clauses = {
        "overdue": Case.due_at < now,
        "due_soon": (Case.due_at >= now) & (Case.due_at < now + timedelta(days=due_soon_days)),
        "escalated": Case.overdue.is_(True),  # set when a deadline escalates
        "flagged": Case.flagged.is_(True),
    }
    lists = {}
    for name, clause in clauses.items():
        stmt = _by_unit(running.where(clause), unit).order_by(Case.due_at.is_(None), Case.due_at, Case.id)
        lists[name] = list(session.scalars(stmt.limit(limit)))
    errored = select(Case).where(Case.status == "error")
    if process_key:
        errored = errored.where(Case.process_key == process_key)
    lists["error"] = list(session.scalars(_by_unit(errored, unit).order_by(Case.updated_at.desc()).limit(limit)))
    units = list(session.scalars(select(TaskCandidate.name).join(TaskRow, TaskRow.id == TaskCandidate.task_id)
                                 .where(TaskRow.state == "open", TaskCandidate.kind == "group").distinct()
                                 .order_by(TaskCandidate.name)))
    return Watchlist(lists, units)


def set_flag(session: Session, user: User, case_id: int, flagged: bool, reason: str = "") -> Case:
    """Put a case on the supervision list (挂牌督办) or take it off; supervisors only."""
    if not is_supervisor(user):
        raise Forbidden("only supervisors can flag cases")
    case = session.get(Case, bounds.parse_id(case_id, "case"))
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.flagged != flagged:
        case.flagged = flagged
        projections.record_event(session, case, "case_flagged" if flagged else "case_unflagged", user.username,
                                 reason.strip()[:500])
    return case


def open_units(session: Session, case_ids: list[int]) -> dict[int, list[str]]:
    """Case id -> the groups (units) offered its open tasks, for the columns of the watchlist."""
    if not case_ids:
        return {}
    rows = session.execute(select(TaskRow.case_id, TaskCandidate.name).join(TaskCandidate,
                                                                            TaskCandidate.task_id == TaskRow.id)
                           .where(TaskRow.case_id.in_(case_ids), TaskRow.state == "open",
                                  TaskCandidate.kind == "group").distinct().order_by(TaskCandidate.name))
    units: dict[int, list[str]] = {}
    for case_id, name in rows:
        units.setdefault(case_id, []).append(name)
    return units


def case_types(session: Session) -> list[tuple[str, str]]:
    """(process key, name of its newest version) of every deployed process, for the case type filters."""
    newest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v")) \
        .group_by(ProcessDefinition.key).subquery()
    rows = session.execute(select(ProcessDefinition.key, ProcessDefinition.name).join(
        newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.v))
        .order_by(ProcessDefinition.key))
    return [(key, name or key) for key, name in rows]


def group_names(session: Session, names: list[str]) -> dict[str, str]:
    """Group name -> display name (the name itself when the group has none or is unknown)."""
    if not names:
        return {}
    found = dict(session.execute(select(Group.name, Group.display_name).where(Group.name.in_(names))).all())
    return {n: (found.get(n) or n) for n in names}
