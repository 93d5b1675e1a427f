"""Optimistic locking under real concurrency, on SQLite and on PostgreSQL: two completions of one
task racing in separate threads (each with its own connection) give one success and one 409."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from engine import identity
from engine.cases import runtime, tasks
from engine.errors import Conflict
from engine.store import Case, EventRow, TaskRow
from tests.bpmn_util import bpmn, one_task
from tests.conftest import BACKENDS, deploy_xml

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

def _slow_script(key: str, then: str = "") -> str:
    """Work -> a slow script (it widens the window between loading the case and saving it) -> `then`
    (a user task id, or nothing) -> end."""
    after = "done"
    extra = ""
    if then:
        after = then
        extra = (f'<bpmn:userTask id="{then}" name="{then.title()}" camunda:candidateGroups="clerks">'
                 f'<bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>'
                 f'<bpmn:sequenceFlow id="f4" sourceRef="{then}" targetRef="done"/>')
    return bpmn(f"""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="work" name="Work" camunda:candidateGroups="clerks">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:scriptTask id="tally" name="Tally"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:script>total = 0
for i in range(20000):
    total += i</bpmn:script></bpmn:scriptTask>
  {extra}
  <bpmn:endEvent id="done"><bpmn:incoming>{"f4" if then else "f3"}</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
  <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="tally"/>
  <bpmn:sequenceFlow id="f3" sourceRef="tally" targetRef="{after}"/>""", key)


SLOW_SCRIPT = _slow_script("race")
# the same race when the completion creates a next task: both racers would insert the same task row
SLOW_SCRIPT_THEN_REVIEW = _slow_script("race_review", then="review")


def _race(ctx, action, n: int = 2) -> list[str]:
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            with ctx.db.session() as session:
                barrier.wait(timeout=10)
                action(session, i)
            result = "ok"
        except Conflict:
            result = "conflict"
        except Exception as err:  # pragma: no cover - reported in the assertion
            result = f"error: {err!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


def _case_with_task(ctx, xml: str, key: str):
    deploy_xml(ctx, xml)
    with ctx.db.session() as session:
        for name in ("ann", "bob"):
            identity.add_user(session, name, "secret-pw", ["clerks"])
        case = runtime.start_case(ctx, session, identity.get_user(session, "ann"), key)
        task = session.scalars(select(TaskRow).where(TaskRow.case_id == case.id)).one()
        return case.id, task.id


def test_two_completions_of_one_task_give_one_success_and_one_conflict(ctx):
    case_id, task_id = _case_with_task(ctx, SLOW_SCRIPT, "race")

    def complete(session, i):
        user = identity.get_user(session, ("ann", "bob")[i])
        runtime.complete_task(ctx, session, user, task_id, {})

    assert _race(ctx, complete) == ["conflict", "ok"]
    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        assert case.status == "completed"
        completions = session.scalar(select(func.count()).select_from(EventRow).where(
            EventRow.case_id == case_id, EventRow.kind == "task_completed"))
        assert completions == 1
        assert session.get(TaskRow, task_id).state == "completed"


def test_two_claims_of_one_task_give_one_holder(ctx):
    case_id, task_id = _case_with_task(ctx, one_task("claims"), "claims")

    def claim(session, i):
        tasks.claim(session, identity.get_user(session, ("ann", "bob")[i]), task_id)

    assert _race(ctx, claim) == ["conflict", "ok"]
    with ctx.db.session() as session:
        assert session.get(TaskRow, task_id).assignee in ("ann", "bob")
        claims = session.scalar(select(func.count()).select_from(EventRow).where(
            EventRow.case_id == case_id, EventRow.kind == "task_claimed"))
        assert claims == 1


def test_racing_completions_that_create_a_next_task_give_a_conflict_not_a_server_error(ctx):
    case_id, task_id = _case_with_task(ctx, SLOW_SCRIPT_THEN_REVIEW, "race_review")

    def complete(session, i):
        user = identity.get_user(session, ("ann", "bob")[i])
        runtime.complete_task(ctx, session, user, task_id, {})

    assert _race(ctx, complete) == ["conflict", "ok"]
    with ctx.db.session() as session:
        open_tasks = session.scalars(select(TaskRow.element_id).where(
            TaskRow.case_id == case_id, TaskRow.state == "open")).all()
        assert open_tasks == ["review"]
