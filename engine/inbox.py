"""The clerk's inbox: open tasks by tab, with filters, sorting, paging and counts per tab."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from . import clock
from .errors import BadRequest
from .store import Case, TaskCandidate, TaskRow, User

TABS = ("mine", "claimed", "groups")
SORTS = {"due": (TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at),
         "created": (TaskRow.created_at.desc(),),
         "priority": (TaskRow.priority.desc(), TaskRow.due_at.is_(None), TaskRow.due_at)}
DUE_FILTERS = ("overdue", "soon", "later", "none")


@dataclass
class InboxFilter:
    process_key: str | None = None  # case type
    group: str | None = None  # a unit: one of the task's candidate groups
    due: str | None = None  # overdue, soon, later, none
    q: str | None = None  # text in the case title or number


@dataclass
class InboxPage:
    tab: str
    rows: list[tuple[TaskRow, Case]]
    counts: dict[str, int]
    total: int
    page: int
    per_page: int
    filters: InboxFilter = field(default_factory=InboxFilter)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _offered_to(user: User) -> Select:
    return select(TaskCandidate.task_id).where(or_(
        (TaskCandidate.kind == "user") & (TaskCandidate.name == user.username),
        (TaskCandidate.kind == "group") & TaskCandidate.name.in_(sorted(user.group_names))))


def _tab_clause(tab: str, user: User):
    if tab == "mine":  # given to me by the process or by someone else
        return (TaskRow.assignee == user.username) & or_(TaskRow.assignment.is_(None),
                                                         TaskRow.assignment != "claimed")
    if tab == "claimed":
        return (TaskRow.assignee == user.username) & (TaskRow.assignment == "claimed")
    if tab == "groups":  # nobody holds it yet and it is offered to me or my groups
        return TaskRow.assignee.is_(None) & TaskRow.id.in_(_offered_to(user))
    raise BadRequest(f"tab must be one of {', '.join(TABS)}")


def _filtered(stmt: Select, filters: InboxFilter, due_soon_days: int, now: datetime) -> Select:
    if filters.process_key:
        stmt = stmt.where(Case.process_key == filters.process_key)
    if filters.group:
        stmt = stmt.where(TaskRow.id.in_(select(TaskCandidate.task_id).where(
            TaskCandidate.kind == "group", TaskCandidate.name == filters.group)))
    if filters.due:
        soon = now + timedelta(days=due_soon_days)
        clauses = {"overdue": TaskRow.due_at < now, "soon": (TaskRow.due_at >= now) & (TaskRow.due_at < soon),
                   "later": TaskRow.due_at >= soon, "none": TaskRow.due_at.is_(None)}
        if filters.due not in clauses:
            raise BadRequest(f"due must be one of {', '.join(DUE_FILTERS)}")
        stmt = stmt.where(clauses[filters.due])
    if filters.q and filters.q.strip():
        pattern = f"%{filters.q.strip()}%"
        stmt = stmt.where(or_(Case.title.ilike(pattern), Case.number.ilike(pattern)))
    return stmt


def inbox(session: Session, user: User, tab: str = "mine", filters: InboxFilter | None = None,
          sort: str = "due", page: int = 1, per_page: int = 20, due_soon_days: int = 3) -> InboxPage:
    filters = filters or InboxFilter()
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
    page, now = max(1, page), clock.now()
    base = select(TaskRow, Case).join(Case, Case.id == TaskRow.case_id).where(TaskRow.state == "open")
    counts = {}
    for name in TABS:  # the counts follow the filters, so a tab's badge matches what it lists
        counted = _filtered(select(func.count()).select_from(TaskRow).join(Case, Case.id == TaskRow.case_id)
                            .where(TaskRow.state == "open", _tab_clause(name, user)), filters, due_soon_days, now)
        counts[name] = session.scalar(counted)
    stmt = _filtered(base.where(_tab_clause(tab, user)), filters, due_soon_days, now)
    rows = session.execute(stmt.order_by(*SORTS[sort], TaskRow.id).limit(per_page)
                           .offset((page - 1) * per_page)).all()
    return InboxPage(tab, [(r[0], r[1]) for r in rows], counts, counts[tab], page, per_page, filters)


def due_mark(due_at: datetime | None, due_soon_days: int, now: datetime | None = None) -> str | None:
    """'overdue', 'soon' or None, for the marks beside a due date."""
    if due_at is None:
        return None
    now = now or clock.now()
    if due_at < now:
        return "overdue"
    if due_at < now + timedelta(days=due_soon_days):
        return "soon"
    return None


def case_types(session: Session) -> list[str]:
    return list(session.scalars(select(Case.process_key).distinct().order_by(Case.process_key)))
