"""The task life-cycle beside completion: claim, unclaim, assign. Each is one conditional UPDATE,
so two people claiming at once get one success and one Conflict without loading the workflow."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import clock
from engine.cases import permissions, projections
from engine.errors import Conflict, Invalid, NotFound
from engine.identity import get_user
from engine.store import Attachment, Case, TaskRow, User


def _load(session: Session, user: User, task_id: str) -> tuple[TaskRow, Case]:
    """An open task the user may see, and its case. Someone who was offered a task that has closed since
    (and with it, maybe, its case) hears that it is done (409), not that it never was (404)."""
    try:
        row, case = get_task(session, user, task_id)
    except NotFound:
        closed = closed_task_of(session, user, task_id)
        if closed is None:
            raise
        row, case = closed, session.get(Case, closed.case_id)
    if row.state != "open":
        raise Conflict(f"this task is no longer open: it was {row.state}"
                       + (f" by {row.completed_by}" if row.completed_by else ""))
    return row, case


def _set_assignee(session: Session, row: TaskRow, new: str | None, expected: str | None,
                  how: str | None) -> None:
    result = session.execute(
        update(TaskRow).where(TaskRow.id == row.id, TaskRow.state == "open",
                              TaskRow.assignee.is_(None) if expected is None else TaskRow.assignee == expected)
        .values(assignee=new, assignment=how).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.refresh(row)
        holder = f" {row.assignee} holds it now" if row.assignee else ""
        raise Conflict(f"the task changed while you acted on it;{holder or ' it is no longer open'}")
    set_committed_value(row, "assignee", new)
    set_committed_value(row, "assignment", how)


def claim(session: Session, user: User, task_id: str) -> TaskRow:
    row, case = _load(session, user, task_id)
    if row.assignee == user.username:
        return row  # claiming twice is harmless
    if row.assignee is not None:
        raise Conflict(f"{row.assignee} already holds this task")
    permissions.check_may_claim(user, row)
    _set_assignee(session, row, user.username, None, "claimed")
    projections.record_event(session, case, "task_claimed", user.username, row.name,
                             element_id=row.element_id, task_id=row.id)
    return row


def unclaim(session: Session, user: User, task_id: str) -> TaskRow:
    row, case = _load(session, user, task_id)
    if row.assignee is None:
        return row
    permissions.check_may_unclaim(user, row)
    _set_assignee(session, row, None, row.assignee, None)
    projections.record_event(session, case, "task_unclaimed", user.username, row.name,
                             element_id=row.element_id, task_id=row.id)
    return row


def assign(session: Session, user: User, task_id: str, username: str) -> TaskRow:
    row, case = _load(session, user, task_id)
    # permission first: someone who may not assign must not learn which user names exist
    permissions.check_may_assign(user, row)
    if not isinstance(username, str) or not username:
        raise Invalid("say whom to assign the task to",
                      [{"field": "user", "code": "required", "message": "is required"}])
    target = get_user(session, username[:200])
    if target is None or not target.active:
        raise Invalid(f"there is no active user named {username[:200]!r}",
                      [{"field": "user", "code": "unknown_user", "message": "no such user"}])
    # a supervisor too: a task given to someone outside its groups (a deputy, the admin) could not be done
    if not permissions.is_candidate(target, row) and (row.candidate_groups or row.candidate_users):
        raise Invalid(f"{username} is not in this task's candidate groups; hand it to a colleague of the group",
                      [{"field": "user", "code": "not_candidate", "message": "not a candidate for this task"}])
    previous = row.assignee
    _set_assignee(session, row, username, previous, "assigned")
    projections.record_event(session, case, "task_assigned", user.username, row.name,
                             data={"assignee": [previous, username]}, element_id=row.element_id, task_id=row.id)
    return row


def save_draft(session: Session, user: User, task_id: str, values: dict) -> TaskRow:
    """Keep what was typed into a task's form without submitting it; only someone who may complete it."""
    row, _case = _load(session, user, task_id)
    permissions.check_may_complete(user, row)
    if not isinstance(values, dict):
        raise Invalid("a draft is a set of field values")
    known = {f["id"] for f in row.form or []}
    kept = {k: v for k, v in values.items() if not known or k in known}
    now = clock.now()
    session.execute(update(TaskRow).where(TaskRow.id == row.id).values(draft=kept, draft_saved_at=now)
                    .execution_options(synchronize_session=False))
    set_committed_value(row, "draft", kept)
    set_committed_value(row, "draft_saved_at", now)
    return row


def get_task(session: Session, user: User, task_id: str) -> tuple[TaskRow, Case]:
    """A task and its case, if the user may see the case (open or not)."""
    row = session.get(TaskRow, task_id)
    if row is None:
        raise NotFound(f"no task {task_id}")
    case = session.get(Case, row.case_id)
    permissions.check_may_see_task(session, user, row, case)
    return row, case


_OPEN_TASKS = (select(TaskRow).where(TaskRow.case_id == bindparam("cid"), TaskRow.state == "open")
               .order_by(TaskRow.created_at))  # built once: every answer about a case reads them


def open_tasks_of_case(session: Session, case_id: int) -> list[TaskRow]:
    return list(session.scalars(_OPEN_TASKS, {"cid": case_id}))


_TASKS = TaskRow.__table__
_OPEN_TASK_ROWS = (select(_TASKS).where(_TASKS.c.case_id == bindparam("cid"), _TASKS.c.state == "open")
                   .order_by(_TASKS.c.created_at))


def open_task_rows(session: Session, case_id: int) -> list[Any]:
    """open_tasks_of_case as plain rows with the same columns (read-only; the API's answers, which read them on
    every call): a Core statement costs a fraction of loading the ORM objects. A row's form is
    store.form_fields(session, row.form_id)."""
    return list(session.execute(_OPEN_TASK_ROWS, {"cid": case_id}))


def standing(user: User, row: TaskRow) -> str:
    """Where the user stands with a task, for a page to say what they can do:
    `closed` (completed or cancelled), `holder` (they hold it), `held` (someone else holds it),
    `offered` (nobody holds it and they are a candidate: they may claim or complete it),
    `open` (nobody holds it and it names no candidates), `outsider` (they may see it, not act on it)."""
    if row.state != "open":
        return "closed"
    if row.assignee:
        return "holder" if row.assignee == user.username else "held"
    if row.candidate_groups or row.candidate_users:
        return "offered" if permissions.is_candidate(user, row) else "outsider"
    return "open"


def attachments_of_task(session: Session, task_id: str) -> list[Attachment]:
    """The files uploaded with one task's form (reply documents), oldest first."""
    return list(session.scalars(select(Attachment).where(Attachment.task_id == task_id)
                                .order_by(Attachment.uploaded_at, Attachment.id)))


def closed_task_of(session: Session, user: User, task_id: str) -> TaskRow | None:
    """A task no longer open that was offered to or held by the user, else None. Such a person may be
    told who completed it even when they may no longer see its case (a colleague was quicker)."""
    row = session.get(TaskRow, task_id)
    if row is None or row.state == "open":
        return None
    if user.username in (row.assignee, row.completed_by) or permissions.is_candidate(user, row):
        return row
    return None
