"""What supervisors watch across all units: overdue, due-soon, escalated, flagged and stopped cases;
and the flag (挂牌督办) they put on a case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Select, func, select, true
from sqlalchemy.orm import Session, defer

from engine import bounds, clock
from engine.cases import projections
from engine.errors import Forbidden, Invalid, NotFound
from engine.identity import is_supervisor
from engine.store import OPEN_TASK, Case, Group, ProcessDefinition, TaskCandidate, TaskRow, User, unindexed

LISTS = ("overdue", "due_soon", "escalated", "flagged", "error")
PER_PAGE = 20


@dataclass
class Watchlist:
    lists: dict[str, list[Case]]  # one page of each list
    units: list[str]  # groups that have open tasks, for the unit filter
    counts: dict[str, int] = field(default_factory=dict)  # of each whole list
    pages: dict[str, int] = field(default_factory=dict)  # the page shown of each list, from 1
    per_page: int = PER_PAGE

    def page_count(self, name: str) -> int:
        return max(1, -(-self.counts.get(name, 0) // self.per_page))


def _by_unit(stmt: Select, unit: str | list[str] | None) -> Select:
    if not unit:
        return stmt
    groups = [unit] if isinstance(unit, str) else list(unit)
    offered = select(TaskRow.case_id).join(TaskCandidate, TaskCandidate.task_id == TaskRow.id).where(
        OPEN_TASK, TaskCandidate.kind == "group", TaskCandidate.name.in_(groups))
    return stmt.where(Case.id.in_(offered))


def watchlist(session: Session, unit: str | list[str] | None = None, process_key: str | None = None,
              due_soon_days: int = 3, limit: int = PER_PAGE, pages: dict[str, int] | None = None) -> Watchlist:
    """A page of each list with the size of the whole list, both from SQL: the page does not grow with
    the archive. `unit` is a group or several (a unit and its head's group). The serialized workflow is
    never loaded; the lists are read in the order of the
    (status, due_at) index: due first, then by number."""
    now = clock.now()
    pages = {name: max(1, int((pages or {}).get(name) or 1)) for name in LISTS}

    def scoped(status: str):
        clause = Case.status == status
        return clause & (Case.process_key == process_key) if process_key else clause

    clauses = {
        "overdue": scoped("running") & (Case.due_at < now),
        "due_soon": scoped("running") & (Case.due_at >= now) & (Case.due_at < now + timedelta(days=due_soon_days)),
        # as the partial indexes ix_cases_escalated / ix_cases_flagged say it (`= true`, not `IS 1`)
        "escalated": scoped("running") & (Case.overdue == true()),  # set when a deadline escalates
        "flagged": scoped("running") & (Case.flagged == true()),
        "error": scoped("error"),
    }
    lists, counts = {}, {}
    for name, clause in clauses.items():
        counts[name] = session.scalar(_by_unit(select(func.count()).select_from(Case).where(clause), unit)) or 0
        order = {"error": (Case.updated_at.desc(), Case.id), "overdue": (Case.due_at, Case.id),
                 "due_soon": (Case.due_at, Case.id)}.get(name, (Case.due_at.is_(None), Case.due_at, Case.id))
        stmt = _by_unit(select(Case).options(defer(Case.state), defer(Case.data)).where(clause), unit)
        lists[name] = list(session.scalars(stmt.order_by(*order).limit(limit)
                                           .offset((pages[name] - 1) * limit))) if counts[name] else []
    return Watchlist(lists, offered_groups(session), counts, pages, limit)


def offered_groups(session: Session) -> list[str]:
    """The groups open tasks are offered to (offers are of open tasks only), in name order: one index seek
    per group (each the next name after the last), not a walk over every open offer."""
    tc = TaskCandidate
    walk = select(func.min(tc.name).label("name")).where(tc.kind == "group").cte("offered", recursive=True)
    after = select(func.min(tc.name)).where(tc.kind == "group", tc.name > walk.c.name).scalar_subquery()
    walk = walk.union_all(select(after).where(walk.c.name.is_not(None)))
    return [name for name in session.scalars(select(walk.c.name).where(walk.c.name.is_not(None))
                                             .order_by(walk.c.name))]


REASON_MAX = 500


def set_flag(session: Session, user: User, case_id: int, flagged: bool, reason: str = "") -> Case:
    """Put a case on the supervision list (挂牌督办) or take it off; supervisors only. Flagging says why:
    the unit that is told of it has to know what the supervisor wants."""
    if not is_supervisor(user):
        raise Forbidden("only supervisors can flag cases")
    case = session.get(Case, bounds.parse_id(case_id, "case"))
    if case is None:
        raise NotFound(f"no case {case_id}", [{"code": "no_case", "case": case_id}])
    reason = (reason or "").strip()
    if flagged and not case.flagged and not reason:
        raise Invalid("say why the case is flagged", [{"field": "reason", "code": "required",
                                                        "message": "is required"}])
    if len(reason) > REASON_MAX:
        raise Invalid(f"the reason is longer than {REASON_MAX} characters",
                      [{"field": "reason", "code": "too_long", "message": f"at most {REASON_MAX} characters"}])
    if case.flagged != flagged:
        case.flagged = flagged
        projections.record_event(session, case, "case_flagged" if flagged else "case_unflagged", user.username,
                                 reason)
    return case


def open_units(session: Session, case_ids: list[int]) -> dict[int, list[str]]:
    """Case id -> the groups (units) offered its open tasks, for the columns of the watchlist."""
    if not case_ids:
        return {}
    rows = session.execute(select(TaskRow.case_id, TaskCandidate.name).join(TaskCandidate,
                                                                            TaskCandidate.task_id == TaskRow.id)
                           .where(TaskRow.case_id.in_(case_ids), TaskRow.state == "open",
                                  unindexed(TaskCandidate.kind) == "group")  # from the page's cases
                           .distinct().order_by(TaskCandidate.name))
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
