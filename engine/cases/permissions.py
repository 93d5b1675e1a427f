"""Who may do what. Each check sits beside the rule it enforces; routes never decide this themselves."""

from __future__ import annotations

from sqlalchemy import exists, or_, select, union
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from engine.errors import Forbidden, NotFound
from engine.identity import is_designer, is_supervisor
from engine.store import OPEN_TASK, Case, CaseParticipant, ProcessDefinition, TaskCandidate, TaskRow, User, unindexed


def is_candidate(user: User, row: TaskRow) -> bool:
    return user.username in (row.candidate_users or []) or bool(user.group_names & set(row.candidate_groups or []))


def may_complete(user: User, row: TaskRow) -> bool:
    """The assignee; or, while nobody holds it, a candidate; a task naming nobody is open to its case's viewers."""
    if row.assignee:
        return row.assignee == user.username
    if row.candidate_users or row.candidate_groups:
        return is_candidate(user, row)
    return True  # the caller has already checked the user may see the case


def check_may_complete(user: User, row: TaskRow) -> None:
    if not may_complete(user, row):
        if row.assignee:
            raise Forbidden(f"this task is assigned to {row.assignee}; only they can complete it")
        raise Forbidden("you are not a candidate for this task (not in its candidate groups or users)")


def check_may_claim(user: User, row: TaskRow) -> None:
    if row.assignee is None and (row.candidate_users or row.candidate_groups) and not is_candidate(user, row):
        raise Forbidden("you are not a candidate for this task, so you cannot claim it")


def check_may_unclaim(user: User, row: TaskRow) -> None:
    if row.assignee != user.username and not is_supervisor(user):
        raise Forbidden(f"only {row.assignee} or a supervisor can release this task")


def check_may_assign(user: User, row: TaskRow) -> None:
    """Supervisors reassign anything; the holder may hand over to a colleague."""
    if is_supervisor(user):
        return
    if row.assignee == user.username:
        return
    raise Forbidden("only the task's holder or a supervisor can assign it to someone")


def may_start(user: User, definition: ProcessDefinition) -> bool:
    groups, users = definition.starter_groups or [], definition.starter_users or []
    if not groups and not users:
        return True
    return user.username in users or bool(user.group_names & set(groups)) or is_supervisor(user)


def check_may_start(user: User, definition: ProcessDefinition) -> None:
    if may_start(user, definition):
        return
    groups, users = definition.starter_groups or [], definition.starter_users or []
    raise Forbidden(f"only members of {', '.join(groups + users)} may start a {definition.name or definition.key}")


def check_may_deploy(user: User) -> None:
    if not is_designer(user):
        raise Forbidden("only designers may deploy process definitions")


def visible_cases(user: User) -> ColumnElement[bool] | None:
    """A WHERE clause limiting cases to those the user may see; None when they see every case."""
    if is_supervisor(user):
        return None
    groups = list(user.group_names)
    via_task = exists(select(TaskRow.id).where(
        TaskRow.case_id == Case.id,
        or_(TaskRow.assignee == user.username, TaskRow.completed_by == user.username)))
    via_candidate = exists(select(TaskRow.id).join(TaskCandidate, TaskCandidate.task_id == TaskRow.id).where(
        TaskRow.case_id == Case.id, TaskRow.state == "open",
        or_((TaskCandidate.kind == "user") & (TaskCandidate.name == user.username),
            (TaskCandidate.kind == "group") & TaskCandidate.name.in_(groups))))
    # a participant in one of the case's roles (engine.cases.roles): the proposer registered by an office,
    # the co-signers, the units, the assigning office, the leaders in charge
    via_role = exists(select(CaseParticipant.case_id).where(
        CaseParticipant.case_id == Case.id,
        or_((CaseParticipant.kind == "user") & (CaseParticipant.name == user.username),
            (CaseParticipant.kind == "group") & CaseParticipant.name.in_(groups))))
    return or_(Case.started_by == user.username, via_role, via_task, via_candidate)


def listed_cases(user: User) -> ColumnElement[bool] | None:
    """The same cases as visible_cases, as `id IN (one indexed set per way of seeing a case)`: for lists,
    where the database then reads the cases in the list's order and stops at a page, instead of asking
    four correlated questions of every case in the archive. None when they see every case."""
    if is_supervisor(user):
        return None
    groups = list(user.group_names)
    ids = union(
        select(Case.id).where(Case.started_by == user.username),
        select(CaseParticipant.case_id).where(or_(
            (CaseParticipant.kind == "user") & (CaseParticipant.name == user.username),
            (CaseParticipant.kind == "group") & CaseParticipant.name.in_(groups))),
        select(TaskRow.case_id).where(TaskRow.assignee == user.username),
        select(TaskRow.case_id).where(TaskRow.completed_by == user.username),
        select(TaskRow.case_id).join(TaskCandidate, TaskCandidate.task_id == TaskRow.id).where(
            OPEN_TASK, or_((TaskCandidate.kind == "user") & (TaskCandidate.name == user.username),
                                         (TaskCandidate.kind == "group") & TaskCandidate.name.in_(groups))))
    # SQLite walks the list's order (an index) testing each case against the set instead of reading every
    # visible case's row to sort them; PostgreSQL hashes the set (72 ms at 30k cases, a nested loop 635 ms)
    return unindexed(Case.id).in_(ids)


def may_see_case(session: Session, user: User, case: Case) -> bool:
    clause = visible_cases(user)
    if clause is None:
        return True
    return session.scalar(select(Case.id).where(Case.id == case.id, clause)) is not None


def check_may_see_task(session: Session, user: User, row: TaskRow, case: Case) -> None:
    """A task of a case you cannot see does not exist for you."""
    if row.assignee == user.username or (row.state == "open" and is_candidate(user, row)) \
            or case.started_by == user.username:
        return  # visible through this very task: no need to ask the database
    if not may_see_case(session, user, case):
        raise NotFound(f"no task {row.id}")
