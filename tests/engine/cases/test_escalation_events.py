"""BPMN escalation events and boundary timers run through the real runtime (deploy, start, complete,
fire_due): an escalation thrown inside a sub-process is caught on its boundary, interrupting or not, and
boundary timers remind without stopping the task or end it where the model says so."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from engine import clock, identity
from engine.cases import runtime
from engine.schedule import timers
from engine.store import Case, EventRow, TaskRow, TimerRow
from tests.bpmn_util import NAMESPACES, declarations
from tests.conftest import deploy_xml


def definitions(process_id: str, body: str) -> str:
    """A process plus the escalation it throws and catches (declared beside the process, as Camunda Modeler does)."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<bpmn:definitions {NAMESPACES} id="defs_{process_id}" targetNamespace="http://bpmn.io/schema/bpmn">\n'
            f'<bpmn:escalation id="esc_late" name="办理受阻" escalationCode="blocked"/>\n'
            f'<bpmn:process id="{process_id}" name="{process_id}" isExecutable="true">\n'
            f'{declarations({"start:inputs": "due"})}{body}\n</bpmn:process>\n'
            f'</bpmn:definitions>\n')


def sub_process(process_id: str, interrupting: bool, thrower: str) -> str:
    """start -> handle (sub-process: assess -> escalate? -> throw | finish) -> after; on the sub-process's
    boundary an escalation catch -> supervise. `thrower` is an intermediate throw event or an end event."""
    if thrower == "intermediate":
        throw = """<bpmn:intermediateThrowEvent id="raise" name="上报受阻">
        <bpmn:incoming>s3</bpmn:incoming><bpmn:outgoing>s5</bpmn:outgoing>
        <bpmn:escalationEventDefinition escalationRef="esc_late"/></bpmn:intermediateThrowEvent>
      <bpmn:userTask id="keep_going" name="继续办理" camunda:candidateGroups="unit_a">
        <bpmn:incoming>s5</bpmn:incoming><bpmn:outgoing>s6</bpmn:outgoing></bpmn:userTask>
      <bpmn:endEvent id="kept_going"><bpmn:incoming>s6</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="s5" sourceRef="raise" targetRef="keep_going"/>
      <bpmn:sequenceFlow id="s6" sourceRef="keep_going" targetRef="kept_going"/>"""
    else:
        throw = """<bpmn:endEvent id="raise" name="上报受阻"><bpmn:incoming>s3</bpmn:incoming>
        <bpmn:escalationEventDefinition escalationRef="esc_late"/></bpmn:endEvent>"""
    return definitions(process_id, f"""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:subProcess id="handle" name="办理">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:startEvent id="s_start"><bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="assess" name="研判" camunda:candidateGroups="unit_a">
      <bpmn:incoming>s1</bpmn:incoming><bpmn:outgoing>s2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="blocked" name="受阻？" default="s4">
      <bpmn:incoming>s2</bpmn:incoming><bpmn:outgoing>s3</bpmn:outgoing><bpmn:outgoing>s4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    {throw}
    <bpmn:endEvent id="s_end"><bpmn:incoming>s4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="s1" sourceRef="s_start" targetRef="assess"/>
    <bpmn:sequenceFlow id="s2" sourceRef="assess" targetRef="blocked"/>
    <bpmn:sequenceFlow id="s3" sourceRef="blocked" targetRef="raise">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${{escalate}}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="s4" sourceRef="blocked" targetRef="s_end"/>
  </bpmn:subProcess>
  <bpmn:boundaryEvent id="caught" name="受阻督办" attachedToRef="handle" cancelActivity="{str(interrupting).lower()}">
    <bpmn:outgoing>f3</bpmn:outgoing><bpmn:escalationEventDefinition escalationRef="esc_late"/></bpmn:boundaryEvent>
  <bpmn:userTask id="supervise" name="督办" camunda:candidateGroups="supervisors">
    <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
  <bpmn:userTask id="after" name="答复" camunda:candidateGroups="unit_a">
    <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="supervised"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="done"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="handle"/>
  <bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="after"/>
  <bpmn:sequenceFlow id="f3" sourceRef="caught" targetRef="supervise"/>
  <bpmn:sequenceFlow id="f4" sourceRef="supervise" targetRef="supervised"/>
  <bpmn:sequenceFlow id="f5" sourceRef="after" targetRef="done"/>""")


# the proposer evaluates: reminded after 10 days (the task stays), and after 20 the evaluation is closed as
# "not evaluated" (the task is interrupted); the task's own dueDate gives the engine's reminder rows too
EVALUATION = definitions("evaluation", """
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="evaluate" name="满意度测评" camunda:candidateGroups="unit_a" camunda:dueDate="${due}">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:boundaryEvent id="remind" name="测评提醒" attachedToRef="evaluate" cancelActivity="false">
    <bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeDuration>P10D</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:boundaryEvent id="expire" name="测评期满" attachedToRef="evaluate">
    <bpmn:outgoing>f5</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeDuration>P20D</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:userTask id="call" name="电话提醒代表" camunda:candidateGroups="liaison">
    <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
  <bpmn:scriptTask id="not_evaluated" name="记为未测评"><bpmn:incoming>f5</bpmn:incoming>
    <bpmn:outgoing>f6</bpmn:outgoing><bpmn:script>satisfaction_work = "not_evaluated"</bpmn:script></bpmn:scriptTask>
  <bpmn:endEvent id="called"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="closed"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="evaluate"/>
  <bpmn:sequenceFlow id="f2" sourceRef="evaluate" targetRef="done"/>
  <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="call"/>
  <bpmn:sequenceFlow id="f4" sourceRef="call" targetRef="called"/>
  <bpmn:sequenceFlow id="f5" sourceRef="expire" targetRef="not_evaluated"/>
  <bpmn:sequenceFlow id="f6" sourceRef="not_evaluated" targetRef="closed"/>""")


def _start(ctx, xml, key, data=None):
    deploy_xml(ctx, xml, f"{key}.bpmn")
    with ctx.db.session() as session:
        user = identity.add_user(session, "ann", "secret-pw", ["unit_a", "supervisors", "liaison"])
        return runtime.start_case(ctx, session, user, key, "t", data or {}).id


def _open(ctx, case_id):
    with ctx.db.session() as session:
        return sorted(session.scalars(select(TaskRow.element_id).where(TaskRow.case_id == case_id,
                                                                       TaskRow.state == "open")))


def _complete(ctx, case_id, element_id, data=None):
    with ctx.db.session() as session:
        task = session.scalar(select(TaskRow).where(TaskRow.case_id == case_id, TaskRow.element_id == element_id,
                                                    TaskRow.state == "open"))
        return runtime.complete_task(ctx, session, identity.get_user(session, "ann"), task.id, data or {}).status


def test_an_escalation_thrown_in_a_sub_process_interrupts_it_from_the_boundary(ctx):
    case_id = _start(ctx, sub_process("esc_interrupt", True, "intermediate"), "esc_interrupt")
    assert _open(ctx, case_id) == ["assess"]
    assert _complete(ctx, case_id, "assess", {"escalate": True}) == "running"
    assert _open(ctx, case_id) == ["supervise"]  # the sub-process was cancelled: no keep_going, no after
    assert _complete(ctx, case_id, "supervise") == "completed"


def test_a_non_interrupting_escalation_catch_runs_beside_the_sub_process(ctx):
    case_id = _start(ctx, sub_process("esc_beside", False, "intermediate"), "esc_beside")
    _complete(ctx, case_id, "assess", {"escalate": True})
    assert _open(ctx, case_id) == ["keep_going", "supervise"]
    _complete(ctx, case_id, "keep_going")
    assert _open(ctx, case_id) == ["after", "supervise"]  # the sub-process finished normally
    _complete(ctx, case_id, "supervise")
    assert _complete(ctx, case_id, "after") == "completed"


def test_an_escalation_end_event_is_caught_on_the_boundary(ctx):
    case_id = _start(ctx, sub_process("esc_end", True, "end"), "esc_end")
    _complete(ctx, case_id, "assess", {"escalate": True})
    assert _open(ctx, case_id) == ["supervise"]


def test_without_the_escalation_the_sub_process_ends_normally(ctx):
    case_id = _start(ctx, sub_process("esc_none", True, "end"), "esc_none")
    _complete(ctx, case_id, "assess", {"escalate": False})
    assert _open(ctx, case_id) == ["after"]


def test_boundary_timers_remind_without_interrupting_then_interrupt(ctx):
    due = (clock.now() + timedelta(days=60)).isoformat()
    case_id = _start(ctx, EVALUATION, "evaluation", {"due": due})
    with ctx.db.session() as session:
        kinds = sorted(session.scalars(select(TimerRow.kind).where(TimerRow.case_id == case_id)))
    assert kinds == ["boundary", "boundary", "escalation", "reminder", "reminder"]
    with time_machine.travel(clock.now() + timedelta(days=10, minutes=1), tick=False):
        assert timers.fire_due(ctx) == 1
    assert _open(ctx, case_id) == ["call", "evaluate"]  # reminded; the evaluation stays open
    with time_machine.travel(clock.now() + timedelta(days=20, minutes=1), tick=False):
        assert timers.fire_due(ctx) == 1
        assert timers.fire_due(ctx) == 0
    assert _open(ctx, case_id) == ["call"]  # the evaluation was closed by the interrupting timer
    assert _complete(ctx, case_id, "call") == "completed"
    with ctx.db.session() as session:
        assert session.get(Case, case_id).data["satisfaction_work"] == "not_evaluated"
        states = dict(session.execute(select(TimerRow.element_id, TimerRow.state).where(
            TimerRow.case_id == case_id, TimerRow.kind.in_(("reminder", "escalation")))).all())
        fired = list(session.scalars(select(EventRow.element_id).where(EventRow.case_id == case_id,
                                                                       EventRow.kind == "timer_fired")))
    assert set(states.values()) == {"cancelled"}  # the task's own deadlines went with it
    assert sorted(fired) == ["expire", "remind"]
