"""Case operations, each one load -> run -> save in the caller's transaction.

Every change to a case goes through `_save`, which writes the instance state under the optimistic
lock (the case row's lock_version) together with its projections; a lost race surfaces as Conflict.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, make_transient_to_detached, undefer
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine import bounds, clock, identity
from engine.bpmn import library
from engine.cases import cycles, deadlines, forms, instances, permissions, projections, roles, startforms
from engine.errors import CaseworkError, Conflict, Forbidden, Invalid, NotFound
from engine.store import Case, TaskRow, TimerRow, User

if TYPE_CHECKING:  # the context is built above the cases (engine.context composes them)
    from engine.context import EngineContext

log = logging.getLogger(__name__)

TITLE_MAX = 300
STALE = "the case was changed by someone else while you worked on it; reload it and try again"


def _advance(workflow: Any, step: Callable[[], Any] | None = None) -> str | None:
    """Run one step and then the engine until it waits; an error in the model becomes a message.

    A refused script or a failing condition must not crash the request: the task is left in
    ERROR state inside the workflow and the case is saved with status `error` for supervisors.
    """
    try:
        if step is not None:
            step()
        workflow.do_engine_steps()
    except SpiffWorkflowException as err:
        log.warning("case stopped on a model error: %s", err)
        _stop_task(getattr(err, "task", None))
        return _describe(err)
    except CaseworkError:
        raise
    except Exception as err:  # noqa: BLE001
        # SpiffWorkflow's own code tripping over a model it cannot run (a loopCardinality that gives a
        # list, a bare Exception for an invalid duration, a date past 9999): the case stops for
        # supervisors instead of the request failing with a 500
        log.exception("case stopped inside the engine")
        failed = [t for t in workflow.get_tasks(state=TaskState.ERROR)]
        where = f"{failed[0].task_spec.bpmn_name or failed[0].task_spec.bpmn_id} ({failed[0].task_spec.bpmn_id}): " \
            if failed and failed[0].task_spec.bpmn_id else ""
        return f"{where}the engine could not run this step ({type(err).__name__}: {str(err)[:500]})"
    return None


def _stop_task(task: Any) -> None:
    """Leave the task that failed in ERROR, so that a retry knows where to start again."""
    if task is not None and task.state not in (TaskState.ERROR, TaskState.COMPLETED, TaskState.CANCELLED):
        task._set_state(TaskState.ERROR)


def _describe(err: SpiffWorkflowException) -> str:
    """'<task name> (<element id>): <what went wrong>' for the case page and the supervisors."""
    message = str(err.args[0]) if err.args else str(err)
    task = getattr(err, "task", None)
    spec = getattr(task, "task_spec", None)
    if spec is not None and getattr(spec, "bpmn_id", None):
        name = spec.bpmn_name or spec.bpmn_id
        return f"{name} ({spec.bpmn_id}): {message}"
    return message


def _stage(workflow: Any, data: dict[str, Any]) -> str:
    """The domain step a person would name: the model may set `stage`, else the open tasks' names."""
    if isinstance(data.get("stage"), str) and data["stage"]:
        return data["stage"][:100]
    if workflow.is_completed():
        return "已办结"
    names = [t.task_spec.bpmn_name or t.task_spec.bpmn_id for t in projections.human_tasks(workflow)]
    return "、".join(dict.fromkeys(n for n in names if n))[:100]


# on the tables, not the mapped classes: an ORM-enabled UPDATE (or the unit of work's flush) costs
# several times the statement itself. The case's UPDATE writes every column a save sets and is the claim:
# WHERE lock_version = the version this request loaded.
_CASES, _TASKS = Case.__table__, TaskRow.__table__
_SAVED = ("number", "state", "data", "stage", "status", "updated_at", "due_at", "overdue", "completed_at",
          "error_message")
_SAVED_BUT_NUMBER = tuple(c for c in _SAVED if c != "number")
_WRITE_CASE = (update(_CASES).where(_CASES.c.id == bindparam("cid"), _CASES.c.lock_version == bindparam("seen"))
               .values(lock_version=bindparam("next"), **{c: bindparam(c) for c in _SAVED}))
_CLOSE_TASK = (update(_TASKS).where(_TASKS.c.id == bindparam("tid"))
               .values(state=bindparam("state"), completed_by=bindparam("by"), completed_at=bindparam("at")))


def _written(session: Session, obj: Any, keys: tuple[str, ...]) -> None:
    """Mark what a Core statement just wrote of an ORM object as its committed state; with nothing else
    changed, the object leaves the session's dirty set, so the flush has nothing to do for it."""
    state = instance_state(obj)
    state._commit(state.dict, keys)
    if not state.committed_state:
        state._commit_all(state.dict, session.identity_map)


def _write_case(session: Session, case: Case) -> None:
    """The case's columns that a save sets, in one UPDATE under its optimistic lock, before any projection
    row is written.

    A racer that loaded the same version stops here with a Conflict (409). Without the claim first, both
    would insert the same next task row (SpiffWorkflow predicts task ids in the saved state) and the loser
    would fail on a duplicate key (500)."""
    seen = case.lock_version
    params = {c: getattr(case, c) for c in _SAVED}
    with session.no_autoflush:  # one statement, not a flush of the unit of work
        written = session.execute(_WRITE_CASE, {"cid": case.id, "seen": seen, "next": seen + 1, **params})
    if written.rowcount != 1:
        raise Conflict(STALE)
    set_committed_value(case, "lock_version", seen + 1)  # a later ORM UPDATE of the case checks the new one
    # a number given (at the start) is written here; a number changed is left to the flush as well, so that
    # whatever follows a change of it through the ORM's history (before_flush hooks) still sees it
    renumbered = any(old is not None for old in instance_state(case).attrs.number.history.deleted)
    _written(session, case, _SAVED_BUT_NUMBER if renumbered else _SAVED)


def _close_task(session: Session, row: TaskRow) -> None:
    """The completed task's row (its state, who and when were set by the caller)."""
    session.execute(_CLOSE_TASK, {"tid": row.id, "state": row.state, "by": row.completed_by, "at": row.completed_at})
    _written(session, row, ("state", "completed_by", "completed_at"))


def _save(ctx: EngineContext, session: Session, case: Case, workflow: Any, before: projections.Snapshot,
          error: str | None, actor: str | None, done_tasks: set[str] = frozenset(),
          done_timers: set[str] = frozenset(), done_row: TaskRow | None = None) -> None:
    """Write the workflow's state, the case's columns and its projection rows: the case row first (the
    claim under its lock), then the rows, then the domain's listeners, then a flush of what they changed."""
    with session.no_autoflush:
        while True:
            try:
                pending = projections.prepare(session, case, workflow, before, ctx.functions, ctx.zone, actor,
                                              done_tasks, done_timers, ctx.calendar,
                                              ctx.config["deadlines.reminder_working_days"])
                break
            except projections.TaskFault as fault:  # raised before anything was done
                log.warning("case %s stopped: %s", case.id, fault.message)
                fault.task._set_state(TaskState.ERROR)  # no longer READY: no row, and a retry starts here
                error = error or fault.message
        case.due_at = pending.due
        case.state = instances.stored_state(workflow)  # after prepare: it keeps the tasks' due times in the state
        case.data = projections.case_data(workflow)
        case.stage = _stage(workflow, case.data)
        case.updated_at = clock.now()
        # the overdue mark follows the open deadlines: it clears once none is past (the task done, the deadline
        # extended); the escalation itself stays on the history
        if case.overdue and (case.due_at is None or case.due_at > case.updated_at):
            case.overdue = False
        if error:
            case.status, case.error_message = "error", error
            projections.record_event(session, case, "case_error", actor, error)
        elif workflow.is_completed():
            case.status, case.completed_at, case.error_message = "completed", clock.now(), None
            projections.record_event(session, case, "case_completed", actor, "")
        else:
            case.status, case.error_message = "running", None
        _write_case(session, case)
        if done_row is not None:
            _close_task(session, done_row)
        pending.apply(session)
        roles.sync(session, case, ctx.declarations.for_case(case))  # the participants follow the data
    for listener in ctx.save_listeners:
        listener(session, case, workflow)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(STALE) from None
    if ctx.timer_listeners:
        dues = [projections.timer_due(t) for t in projections.waiting_timers(workflow)]
        earliest = min((d for d in dues if d is not None), default=None)
        for listener in ctx.timer_listeners:
            listener(earliest)


_INSERT_CASE = _CASES.insert()


def _insert_case(session: Session, definition: Any, title: str, started_by: str) -> Case:
    """The new case's row by one Core INSERT (the ORM's flush of one object costs several times that), its
    object made persistent in the session with every column as written."""
    now = clock.now()
    values = dict(number=None, definition_id=definition.id, process_key=definition.key, title=title,
                  status="running", stage="", data={}, lock_version=1, started_by=started_by, created_at=now,
                  updated_at=now, completed_at=None, due_at=None, overdue=False, flagged=False, error_message=None,
                  state="")
    with session.no_autoflush:
        case_id = session.execute(_INSERT_CASE, values).inserted_primary_key[0]
    case = Case(id=case_id, **values)
    make_transient_to_detached(case)  # every attribute loaded: nothing is read back
    session.add(case)
    return case


def start_case(ctx: EngineContext, session: Session, user: User, process_key: str, title: str = "",
               data: dict[str, Any] | None = None) -> Case:
    definition = library.latest(session, process_key)
    if definition is None:
        raise NotFound(f"no process with key {process_key!r} is deployed")
    permissions.check_may_start(user, definition)
    if data is not None and not isinstance(data, dict):
        raise Invalid("data must be a JSON object",
                      [{"field": "data", "code": "not_object", "message": "must be an object"}])
    # the start form checks the data, names the initiator and may give the title (engine.cases.startforms)
    title, initial = startforms.prepare(ctx.start_forms.get(definition), session, user, title or "", data or {},
                                        ctx.declarations.get(definition))
    for check in ctx.start_checks:
        check(session, definition.key, user, initial)
    title = title.strip()
    if len(title) > TITLE_MAX:
        raise Invalid(f"the title is too long ({len(title)} characters, at most {TITLE_MAX})",
                      [{"field": "title", "code": "too_long", "message": f"at most {TITLE_MAX} characters",
                        "params": {"max": TITLE_MAX}}])
    workflow = instances.new_workflow(ctx, definition)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(initial)
    error = _advance(workflow)
    case = _insert_case(session, definition, title or definition.name, user.username)
    numberer = ctx.numberers.get(definition.key)
    case.number = numberer(session, case) if numberer else f"{definition.key}-{case.created_at:%Y}-{case.id:05d}"
    projections.record_event(session, case, "case_started", user.username, case.title, data=initial)
    _save(ctx, session, case, workflow, projections.Snapshot(), error, user.username)
    return case


# built once: constructing the statement costs more than running it on every completion; the state
# comes in the same query (it is deferred for lists, and every completion loads the workflow)
_TASK_WITH_CASE = (select(TaskRow, Case).join(Case, Case.id == TaskRow.case_id).where(TaskRow.id == bindparam("tid"))
                   .options(undefer(Case.state)))
_CASE_TIMERS = select(TimerRow).where(TimerRow.case_id == bindparam("cid"))
_CASE_WITH_STATE = select(Case).where(Case.id == bindparam("cid")).options(undefer(Case.state))


def _open_task(session: Session, task_id: str) -> tuple[TaskRow, Case]:
    found = session.execute(_TASK_WITH_CASE, {"tid": task_id}).first()
    if found is None:
        raise NotFound(f"no task {task_id}")
    return found[0], found[1]


def complete_task(ctx: EngineContext, session: Session, user: User, task_id: str,
                  data: dict[str, Any] | None = None) -> Case:
    row, case = _open_task(session, task_id)
    offered = user.username in (row.assignee, row.completed_by) or permissions.is_candidate(user, row)
    if row.state != "open" and offered:
        # a lost race: the winner's completion may have closed the case, which the loser can then no longer
        # see; they were offered the task, so they hear that it is done (409), not that it never was (404)
        who = f" by {row.completed_by}" if row.completed_by else ""
        raise Conflict(f"this task is no longer open: it was {row.state}{who}")
    permissions.check_may_see_task(session, user, row, case)
    if row.state != "open":
        who = f" by {row.completed_by}" if row.completed_by else ""
        raise Conflict(f"this task is no longer open: it was {row.state}{who}")
    permissions.check_may_complete(user, row)
    return _complete(ctx, session, user, row, case, data)


def complete_on_behalf(ctx: EngineContext, session: Session, user: User, task_id: str,
                       data: dict[str, Any] | None = None, source: str = "paper") -> Case:
    """A proposer's task (offered to one holder of a public-only role) completed from their paper form by a holder
    of a role given may:enter_on_behalf; the history says by whom, on whose behalf and from what."""
    row, case = _open_task(session, task_id)
    permissions.check_may_see_task(session, user, row, case)
    if row.state != "open":
        raise Conflict(f"this task is no longer open: it was {row.state}")
    declared = ctx.declarations.for_case(case)
    if not roles.may_enter_on_behalf(session, declared, user, case):
        raise Forbidden("only the office that registers paper forms for this case may enter one on someone's behalf")
    proposer = roles.public_holder(session, declared, case.id, row)
    if proposer is None:
        raise Forbidden("this task is not a proposer's: a paper form is entered only for a proposer's own task")
    completed = _complete(ctx, session, user, row, case, data)
    projections.record_event(session, case, "task_entered_on_behalf", user.username, row.name,
                             data={"on_behalf_of": proposer, "source": source}, element_id=row.element_id,
                             task_id=row.id)
    return completed


def _complete(ctx: EngineContext, session: Session, user: User, row: TaskRow, case: Case,
              data: dict[str, Any] | None) -> Case:
    task_id = row.id
    for check in ctx.completion_checks:
        check(session, case, row, data or {})
    workflow = instances.load(ctx, case)
    before = projections.snapshot(workflow)
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.READY:
        raise Conflict(STALE)
    data_before = dict(task.data)
    clean = forms.validate(row.form, data, task.data)
    forms.check_user_fields(session, row.form, clean)
    task.data.update(clean)
    error = _advance(workflow, task.run)
    row.state, row.completed_by, row.completed_at = "completed", user.username, clock.now()
    projections.record_event(session, case, "task_completed", user.username, row.name,
                             data=projections.data_changes(data_before, task.data), element_id=row.element_id,
                             task_id=row.id)
    _save(ctx, session, case, workflow, before, error, user.username, done_tasks={row.id}, done_row=row)
    return case


def send_message(ctx: EngineContext, session: Session, user: User, name: str, case_id: int,
                 data: dict[str, Any] | None = None) -> Case:
    case = session.get(Case, bounds.parse_id(case_id, "case"))
    if case is None or not permissions.may_see_case(session, user, case):
        raise NotFound(f"no case {case_id}")
    # seeing a case is not sending its messages: the process names who may, else only the engine does
    roles.check_may_send(ctx.declarations.for_case(case), user, name)
    return deliver_message(ctx, session, case, name, data, user.username)


def _waits_for(definition: Any, name: str) -> bool:
    """A message catch event of that name, or an event-based gateway one of whose events it is."""
    if isinstance(definition, MessageEventDefinition):
        return definition.name == name
    return any(_waits_for(d, name) for d in getattr(definition, "event_definitions", None) or [])


def deliver_message(ctx: EngineContext, session: Session, case: Case, name: str, data: dict[str, Any] | None = None,
                    actor: str | None = None) -> Case:
    """send_message without the permission check, for the domain's messages from one case to another."""
    if data is not None and not isinstance(data, dict):
        raise Invalid("data must be a JSON object")
    workflow = instances.load(ctx, case)
    before = projections.snapshot(workflow)
    waiting = [t for t in workflow.event_manager.tasks.values() if _waits_for(t.task_spec.event_definition, name)]
    if not waiting:
        raise NotFound(f"case {case.number} is not waiting for a message named {name!r}")
    for task in waiting:
        task.data.update(data or {})
    event = BpmnEvent(MessageEventDefinition(name), payload={"payload": data or {}, "result_var": None})
    error = _advance(workflow, lambda: workflow.send_event(event))
    projections.record_event(session, case, "message_received", actor, name, data=data or {})
    _save(ctx, session, case, workflow, before, error, actor)
    return case


def fire_timers(ctx: EngineContext, session: Session, case_id: int) -> int:
    """Fire what is due on one case. Firing twice changes nothing.

    Reminders and escalations are settled on the rows alone; BPMN timers reload the workflow,
    refresh its timers, run it and save it."""
    now = clock.now()
    # by the case's index alone: given state and due time too, SQLite walks the (state, due_at) index
    # over every due timer of every case, which makes a large catch-up quadratic
    rows = session.scalars(_CASE_TIMERS, {"cid": case_id})
    due_rows = [r for r in rows if r.state == "waiting" and r.due_at <= now]
    if not due_rows:
        return 0
    deadline_rows = [r for r in due_rows if r.kind in deadlines.KINDS]
    bpmn_rows = [r for r in due_rows if r.kind not in deadlines.KINDS]
    # the state only when a BPMN timer needs the workflow (reminders and escalations are settled on rows)
    query = _CASE_WITH_STATE if bpmn_rows else select(Case).where(Case.id == bindparam("cid"))
    case = session.scalars(query, {"cid": case_id}).first()
    if case is None:
        return 0
    fired = deadlines.fire(ctx, session, case, deadline_rows, now) if deadline_rows else 0
    if bpmn_rows:
        fired += _fire_bpmn_timers(ctx, session, case, bpmn_rows, now)
    return fired


def _fire_bpmn_timers(ctx: EngineContext, session: Session, case: Case, due_rows: list[TimerRow],
                      now: Any) -> int:
    """Reload the workflow, let SpiffWorkflow see the time, run it and save it.

    A timer fired when its task left the waiting state other than by being cancelled, or, for a
    cycle, when its next round moved on (the row then waits for that round). Missed rounds of a
    cycle are skipped, not replayed (engine.cases.cycles). A row the workflow no longer waits for is
    closed, so the scheduler stops loading the case for it."""
    workflow = instances.load(ctx, case)
    before = projections.snapshot(workflow)
    waiting = {str(t.id): t for t in projections.waiting_timers(workflow)}
    skipped = cycles.skip_missed_rounds(workflow, now)
    rounds = {tid: cycles.next_round(t) for tid, t in waiting.items()}
    error = _advance(workflow, workflow.refresh_timers)
    fired = set()
    for row in due_rows:
        task = waiting.get(row.id)
        if task is None:
            row.state = "cancelled"
            continue
        still_waiting = task.state == TaskState.WAITING
        if task.state == TaskState.CANCELLED or (still_waiting and cycles.next_round(task) == rounds[row.id]):
            continue  # cancelled by another event (the rows follow in _save), or not due yet for SpiffWorkflow
        fired.add(row.id)
        data = {"due_at": row.due_at.isoformat(), "kind": row.kind}
        if skipped.get(row.id):
            data["skipped_rounds"] = skipped[row.id]
        projections.record_event(session, case, "timer_fired", None, row.element_id, data=data,
                                 element_id=row.element_id, task_id=row.id)
        row.fired_at = now
        next_due = projections.timer_due(task) if still_waiting else None
        if next_due is not None:  # a cycle's next round
            row.due_at = next_due
        else:
            row.state = "fired"
    # _save claims the case first: a second firing racing this one (a scheduler that lost its lease
    # mid-pass) stops there as a Conflict
    _save(ctx, session, case, workflow, before, error, None, done_timers=fired)
    return len(fired)


def retry_case(ctx: EngineContext, session: Session, user: User, case_id: Any) -> Case:
    """Run a case stopped on a model error again, from the task that failed (supervisors and admins).

    When a newer version of its process has been deployed since (the model was fixed), the case moves
    to it first; its tasks are found again by their element ids. The failed tasks are reset
    (SpiffWorkflow's reset_from_task_id: they run again with the data they started with) and the
    engine runs on. Failing again leaves the case in error with the new reason."""
    if not identity.is_supervisor(user):  # supervisors and admins
        raise Forbidden("only supervisors and administrators can retry a stopped case")
    case = session.get(Case, bounds.parse_id(case_id, "case"))
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.status != "error":
        raise Conflict(f"case {case.number} has not stopped on an error; there is nothing to retry")
    latest = library.latest(session, case.process_key)
    moved_from = None
    if latest is not None and latest.id != case.definition_id:
        moved_from, case.definition = case.definition.version, latest
        case.definition_id = latest.id  # the spec cache is keyed by it, before any flush
    try:
        workflow = instances.load(ctx, case)
    except Exception as err:  # noqa: BLE001 - a new version that no longer has this case's elements
        raise Conflict(f"case {case.number} cannot move to version {latest.version} of {case.process_key}: "
                       f"{type(err).__name__}: {str(err)[:300]}") from None
    before = projections.snapshot(workflow)
    failed = [t for t in projections.all_tasks(workflow) if t.state == TaskState.ERROR]

    def rerun() -> None:
        for task in failed:
            workflow.reset_from_task_id(task.id)

    error = _advance(workflow, rerun)
    projections.record_event(session, case, "case_retried", user.username,
                             f"version {moved_from} -> {case.definition.version}" if moved_from else "",
                             data={"failed": [t.task_spec.bpmn_id for t in failed]})
    _save(ctx, session, case, workflow, before, error, user.username)
    return case
