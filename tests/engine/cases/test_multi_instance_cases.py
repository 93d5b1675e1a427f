"""Multi-instance tasks in many cases at once: each case keeps its own instances and results, whether the
process's spec is shared between cases (camunda:collection) or rebuilt per load (loopCardinality)."""

from __future__ import annotations

from sqlalchemy import select

from engine import identity
from engine.cases import runtime
from engine.store import Case, TaskRow
from tests.bpmn_util import bpmn
from tests.conftest import deploy_xml


def _process(key: str, loop: str) -> str:
    return bpmn(f"""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="opinion" name="Opinion" camunda:candidateGroups="clerks">
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="verdict" label="Verdict" type="string"/></camunda:formData></bpmn:extensionElements>
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    {loop}
  </bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="opinion"/>
  <bpmn:sequenceFlow id="f2" sourceRef="opinion" targetRef="done"/>""", key, declare={"start:inputs": "units, rounds"})


COLLECTION = _process("opinions", '<bpmn:multiInstanceLoopCharacteristics camunda:collection="units" '
                                  'camunda:elementVariable="unit"/>')
CARDINALITY = _process("rounds", "<bpmn:multiInstanceLoopCharacteristics>"
                                 "<bpmn:loopCardinality>${rounds}</bpmn:loopCardinality>"
                                 "</bpmn:multiInstanceLoopCharacteristics>")


def _open(ctx, case_id: int) -> list[str]:
    with ctx.db.session() as session:
        return list(session.scalars(select(TaskRow.id).where(TaskRow.case_id == case_id, TaskRow.state == "open")))


def _complete(ctx, task_id: str, data: dict) -> None:
    with ctx.db.session() as session:
        runtime.complete_task(ctx, session, identity.get_user(session, "ann"), task_id, data)


def _start(ctx, key: str, data: dict) -> int:
    with ctx.db.session() as session:
        return runtime.start_case(ctx, session, identity.get_user(session, "ann"), key, data=data).id


def _case(ctx, case_id: int) -> Case:
    with ctx.db.session() as session:
        return session.get(Case, case_id)


def test_interleaved_cases_of_a_collection_keep_their_own_instances(ctx):
    deploy_xml(ctx, COLLECTION)
    with ctx.db.session() as session:
        identity.add_user(session, "ann", "secret-pw", ["clerks"])
    first = _start(ctx, "opinions", {"units": ["edu", "health", "water"]})
    second = _start(ctx, "opinions", {"units": ["transport"]})
    assert len(_open(ctx, first)) == 3 and len(_open(ctx, second)) == 1

    a, b, c = _open(ctx, first)
    _complete(ctx, a, {"verdict": "agree"})
    _complete(ctx, _open(ctx, second)[0], {"verdict": "object"})  # the other case, between two of the first's
    _complete(ctx, b, {"verdict": "agree"})
    _complete(ctx, c, {"verdict": "agree"})

    assert _case(ctx, second).status == "completed" and _case(ctx, first).status == "completed"
    assert len(_case(ctx, first).data["units"]) == 3 and len(_case(ctx, second).data["units"]) == 1
    third = _start(ctx, "opinions", {"units": ["edu", "health"]})  # a later case starts as fresh as the first
    assert len(_open(ctx, third)) == 2


def test_cases_with_different_cardinalities_keep_their_own_count(ctx):
    deploy_xml(ctx, CARDINALITY)
    with ctx.db.session() as session:
        identity.add_user(session, "ann", "secret-pw", ["clerks"])
    three = _start(ctx, "rounds", {"rounds": 3})
    two = _start(ctx, "rounds", {"rounds": 2})
    assert len(_open(ctx, three)) == 3 and len(_open(ctx, two)) == 2
    for task_id in _open(ctx, two):
        _complete(ctx, task_id, {"verdict": "done"})
    assert _case(ctx, two).status == "completed" and len(_open(ctx, three)) == 3


def test_a_cardinality_that_is_not_a_number_stops_the_case_with_a_message(ctx):
    deploy_xml(ctx, CARDINALITY)
    with ctx.db.session() as session:
        identity.add_user(session, "ann", "secret-pw", ["clerks"])
    listed = _start(ctx, "rounds", {"rounds": ["a", "b"]})
    case = _case(ctx, listed)
    assert case.status == "error" and "could not run" in case.error_message
    counted = _start(ctx, "rounds", {"rounds": 2})  # the next case of the same version is not affected
    assert len(_open(ctx, counted)) == 2
