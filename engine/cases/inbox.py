"""The clerk's inbox: open tasks by tab, with filters, sorting, paging and counts per tab."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from engine import bounds, clock
from engine.cases import supervision
from engine.errors import BadRequest
from engine.store import OPEN_TASK, Case, Group, TaskCandidate, TaskRow, User, UserGroup

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
          sort: str = "due", page: int = 1, per_page: int = 20, due_soon_days: int = 3,
          counts: dict[str, int] | None = None) -> InboxPage:
    """A page of one tab. `counts`: the tabs' counts of an earlier call with the same filters (the page
    switching to the busy tab), not counted again."""
    filters = filters or InboxFilter()
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}")
    page, now = min(max(1, page), bounds.MAX_PAGE), clock.now()
    by_case = bool(filters.process_key or (filters.q or "").strip())  # only these filters ask for the case row

    def of_tab(stmt: Select, name: str) -> Select:
        if by_case:
            stmt = stmt.join(Case, Case.id == TaskRow.case_id)
        return _filtered(stmt.where(OPEN_TASK, _tab_clause(name, user)), filters, due_soon_days, now)

    # the counts follow the filters, so a tab's badge matches what it lists
    if counts is None:
        counts = {name: session.scalar(of_tab(select(func.count()).select_from(TaskRow), name)) or 0 for name in TABS}
    order = (*SORTS[sort], TaskRow.id)
    # the page's task ids first (sorted on narrow index rows), then only those tasks with their cases
    page_ids = of_tab(select(TaskRow.id), tab).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    rows = session.execute(select(TaskRow, Case).join(Case, Case.id == TaskRow.case_id)
                           .where(TaskRow.id.in_(page_ids.scalar_subquery())).order_by(*order)).all()
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


def case_type_names(session: Session) -> dict[str, str]:
    """Each case type (process key) that has cases, with the name of its newest deployed version, for a
    filter's choices: the deployed types (supervision.case_types), each kept after one index probe for a
    case of it, never a walk over the archive."""
    return {key: name for key, name in supervision.case_types(session)
            if session.scalar(select(Case.id).where(Case.process_key == key).limit(1)) is not None}


def colleagues(session: Session, rows: list[TaskRow], exclude: str | None = None) -> dict[str, list[User]]:
    """For each task, the active users a holder may hand it over to: members of one of its candidate
    groups and its candidate users (never `exclude`, usually the holder). One query for the whole page."""
    groups = sorted({g for row in rows for g in row.candidate_groups or []})
    names = sorted({u for row in rows for u in row.candidate_users or []})
    members: dict[str, set[str]] = {}
    people: dict[str, User] = {}
    if groups:
        for user, group in session.execute(
                select(User, Group.name).join(UserGroup, UserGroup.user_id == User.id)
                .join(Group, Group.id == UserGroup.group_id)
                .where(Group.name.in_(groups), User.active.is_(True))):
            members.setdefault(group, set()).add(user.username)
            people[user.username] = user
    if names:
        for user in session.scalars(select(User).where(User.username.in_(names), User.active.is_(True))):
            people[user.username] = user
    answer: dict[str, list[User]] = {}
    for row in rows:
        usernames = {u for g in row.candidate_groups or [] for u in members.get(g, ())}
        usernames |= {u for u in row.candidate_users or [] if u in people}
        usernames.discard(exclude)
        usernames.discard(row.assignee)
        answer[row.id] = sorted((people[u] for u in usernames), key=lambda u: u.username)
    return answer


def display_names(session: Session, usernames: set[str] | list[str]) -> dict[str, str]:
    """User name -> display name, for showing who holds a task."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    return {u.username: u.display_name or u.username
            for u in session.scalars(select(User).where(User.username.in_(wanted)))}
