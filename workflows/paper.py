"""Paper work (纸质件): the assigning office enters what a proposer handed in on paper.

- A paper evaluation form (征询意见表): the office completes the proposer's open `evaluate` task with the
  form's answers (engine.cases.runtime.complete_on_behalf): the rating counts exactly as if the proposer had
  given it online, and the case's history says which clerk entered it from a paper form.
- A paper suggestion or proposal: the office registers it naming the author (the start event's initiator,
  may:start_on_behalf). A proposal's member then still had to "submit" it online (`submit_proposal`): a
  paper proposal is submitted on paper, so the office's registration completes that task on the member's
  behalf from the same data, in the same transaction (a bad field refuses both: nothing half-registered).

Only the holders of the role the process gives may:enter_on_behalf (by default those of may:start_on_behalf:
the liaison office for suggestions, the proposal committee for proposals) may do either for someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import queries, roles, runtime
from engine.errors import Conflict, Forbidden
from engine.store import Case, EventRow, TaskRow, User

EVALUATE = "evaluate"  # bpmn/evaluation.bpmn: the proposer's rating of the reply
# the proposer's own submission task that a paper registration stands for, per case type
SUBMIT_TASK = {"proposal": "submit_proposal"}
ENTERED = "task_entered_on_behalf"  # the engine's event for a task entered from someone's paper form
PROPOSER = "proposer"  # the start event's camunda:initiator variable in both models


def evaluation_task(session: Session, case_id: int) -> TaskRow | None:
    """The case's open evaluation task offered to its proposer, if one waits."""
    return session.scalars(select(TaskRow).where(TaskRow.case_id == case_id, TaskRow.element_id == EVALUATE,
                                                 TaskRow.state == "open").order_by(TaskRow.created_at)).first()


def enter_evaluation(ctx: Any, session: Session, user: User, case_id: Any, answers: dict[str, Any]) -> Case:
    """Enter a paper evaluation form (征询意见表) for the proposer: their evaluate task completed with the form's
    answers. 404 for a case the clerk may not see, 403 for anyone but the case's office, 409 when no
    evaluation waits, 422 naming the field for a bad answer."""
    case = queries.get_case(session, user, case_id)
    if not roles.may_enter_on_behalf(session, ctx.declarations.for_case(case), user, case):
        raise Forbidden("only the office of the case's body enters a proposer's paper form")
    row = evaluation_task(session, case.id)
    if row is None:
        raise Conflict("no evaluation of this case waits for the proposer's answer")
    return runtime.complete_on_behalf(ctx, session, user, row.id, answers, source="paper")


def register(ctx: Any, session: Session, user: User, process_key: str, title: str,
             data: dict[str, Any] | None) -> Case:
    """Start a case; when the office registers it for someone else (a paper submission) and the case type
    has the author submit it first, that submission is entered from the registered data at once."""
    case = runtime.start_case(ctx, session, user, process_key, title, data)
    task = SUBMIT_TASK.get(process_key)
    named = (case.data or {}).get(PROPOSER)
    if task and named and named != user.username:
        row = session.scalars(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.element_id == task,
                                                    TaskRow.state == "open")).first()
        if row is not None:
            case = runtime.complete_on_behalf(ctx, session, user, row.id, {}, source="paper")
    return case


@dataclass(frozen=True)
class PaperEntry:
    """One piece of paper entered on someone's behalf, as the case page says it."""

    at: datetime
    clerk: str
    on_behalf_of: str
    what: str  # the task's name, or "registered" for the case itself


def entries(session: Session, case: Case) -> list[PaperEntry]:
    """What the office entered from paper on this case: the registration (started by a clerk naming
    someone else as the proposer) and every task entered on a proposer's behalf, oldest first."""
    found = []
    proposer = (case.data or {}).get(PROPOSER)
    if proposer and case.started_by and proposer != case.started_by:
        found.append(PaperEntry(case.created_at, case.started_by, proposer, "registered"))
    for event in session.scalars(select(EventRow).where(EventRow.case_id == case.id, EventRow.kind == ENTERED)
                                 .order_by(EventRow.id)):
        found.append(PaperEntry(event.at, event.actor or "", str((event.data or {}).get("on_behalf_of") or ""),
                                event.message or ""))
    return found
