"""Timers fire from the timer rows: intermediate, boundary and start timers, cycles, idempotently
(also when two firings race), without loading cases that have nothing due."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import clock, identity
from engine.cases import instances, runtime
from engine.errors import Conflict
from engine.schedule import timers
from engine.store import EventRow, TimerRow
from tests.bpmn_util import bpmn
from tests.conftest import BACKENDS, deploy_xml

INTERMEDIATE = bpmn("""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:intermediateCatchEvent id="cool_off" name="等待三天">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeDuration>${wait}</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>
  <bpmn:userTask id="follow_up" name="回访" camunda:candidateGroups="clerks">
    <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="cool_off"/>
  <bpmn:sequenceFlow id="f2" sourceRef="cool_off" targetRef="follow_up"/>
  <bpmn:sequenceFlow id="f3" sourceRef="follow_up" targetRef="done"/>""", "intermediate", declare={"start:inputs": "wait"})

START_AT = bpmn("""
  <bpmn:startEvent id="on_date" name="定时开始">
    <bpmn:outgoing>f1</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeDate>2031-01-05T09:00:00+08:00</bpmn:timeDate></bpmn:timerEventDefinition>
  </bpmn:startEvent>
  <bpmn:userTask id="work" name="Work" camunda:candidateGroups="clerks">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="on_date" targetRef="work"/>
  <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="done"/>""", "start_at")

REMINDERS = bpmn("""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="reply" name="答复" camunda:candidateGroups="clerks">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:boundaryEvent id="remind" name="提醒" cancelActivity="false" attachedToRef="reply">
    <bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT1H</bpmn:timeCycle></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:scriptTask id="count" name="Count"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    <bpmn:script>reminded = True</bpmn:script></bpmn:scriptTask>
  <bpmn:endEvent id="reminded_end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="reply"/>
  <bpmn:sequenceFlow id="f2" sourceRef="reply" targetRef="done"/>
  <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="count"/>
  <bpmn:sequenceFlow id="f4" sourceRef="count" targetRef="reminded_end"/>""", "reminders")


def _start(ctx, xml, key, data=None):
    deploy_xml(ctx, xml)
    with ctx.db.session() as session:
        user = identity.get_user(session, "ann") or identity.add_user(session, "ann", "secret-pw", ["clerks"])
        return runtime.start_case(ctx, session, user, key, "t", data or {}).id


def _timer_rows(ctx, case_id):
    with ctx.db.session() as session:
        return list(session.scalars(select(TimerRow).where(TimerRow.case_id == case_id)))


def _open_elements(ctx, case_id):
    from engine.store import TaskRow

    with ctx.db.session() as session:
        return [r.element_id for r in session.scalars(select(TaskRow).where(TaskRow.case_id == case_id,
                                                                             TaskRow.state == "open"))]


def test_an_intermediate_timer_from_a_juel_expression_fires_once(ctx):
    case_id = _start(ctx, INTERMEDIATE, "intermediate", {"wait": "P3D"})
    [row] = _timer_rows(ctx, case_id)
    assert row.kind == "intermediate" and row.state == "waiting"
    assert timedelta(days=3) - (row.due_at - clock.now()) < timedelta(minutes=1)
    with time_machine.travel(clock.now() + timedelta(days=2), tick=False):
        assert timers.fire_due(ctx) == 0
    with time_machine.travel(clock.now() + timedelta(days=3, minutes=1), tick=False):
        assert timers.fire_due(ctx) == 1
        assert timers.fire_due(ctx) == 0
        with ctx.db.session() as session:
            assert runtime.fire_timers(ctx, session, case_id) == 0  # firing again changes nothing
    assert _open_elements(ctx, case_id) == ["follow_up"]
    [row] = _timer_rows(ctx, case_id)
    assert row.state == "fired" and row.fired_at is not None


def test_a_timer_start_event_waits_for_its_date(ctx):
    case_id = _start(ctx, START_AT, "start_at")
    [row] = _timer_rows(ctx, case_id)
    assert row.kind == "start" and row.due_at.isoformat() == "2031-01-05T01:00:00+00:00"
    assert _open_elements(ctx, case_id) == []
    with time_machine.travel(row.due_at + timedelta(seconds=1), tick=False):
        assert timers.fire_due(ctx) == 1
    assert _open_elements(ctx, case_id) == ["work"]


def test_a_non_interrupting_cycle_fires_each_round_and_keeps_the_task(ctx):
    case_id = _start(ctx, REMINDERS, "reminders")
    [row] = _timer_rows(ctx, case_id)
    assert row.kind == "cycle"
    first_due = row.due_at
    with time_machine.travel(first_due + timedelta(seconds=1), tick=False):
        assert timers.fire_due(ctx) == 1
    [row] = _timer_rows(ctx, case_id)
    assert row.state == "waiting" and row.due_at > first_due  # rescheduled for its next round
    assert _open_elements(ctx, case_id) == ["reply"]
    with time_machine.travel(row.due_at + timedelta(seconds=1), tick=False):
        assert timers.fire_due(ctx) == 1
    with ctx.db.session() as session:
        fired = session.scalars(select(EventRow).where(EventRow.case_id == case_id, EventRow.kind == "timer_fired"))
        assert len(list(fired)) == 2
    assert _open_elements(ctx, case_id) == ["reply"]


def test_cases_with_nothing_due_are_never_loaded(ctx, monkeypatch):
    due_soon = _start(ctx, INTERMEDIATE, "intermediate", {"wait": "PT1M"})
    for _ in range(3):
        _start(ctx, INTERMEDIATE, "intermediate", {"wait": "P30D"})
    loaded = []
    real_load = instances.load
    monkeypatch.setattr(instances, "load", lambda c, case: loaded.append(case.id) or real_load(c, case))
    with time_machine.travel(clock.now() + timedelta(minutes=2), tick=False):
        assert timers.fire_due(ctx) == 1
    assert loaded == [due_soon]


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_firings_of_one_timer_at_once_fire_it_once(ctx, monkeypatch):
    """What a scheduler that lost its lease mid-pass would do: the optimistic lock turns the second
    firing into a Conflict, so the case moves on once and records one timer_fired event."""
    case_id = _start(ctx, INTERMEDIATE, "intermediate", {"wait": "PT1M"})
    both_loaded = threading.Barrier(2)
    real_load = instances.load

    def load_then_wait(c, case):
        workflow = real_load(c, case)
        both_loaded.wait(timeout=10)
        return workflow

    monkeypatch.setattr(instances, "load", load_then_wait)
    outcomes = []

    def fire():
        try:
            with ctx.db.session() as session:
                outcomes.append(runtime.fire_timers(ctx, session, case_id))
        except Conflict:
            outcomes.append("conflict")

    with time_machine.travel(clock.now() + timedelta(minutes=2), tick=False):
        threads = [threading.Thread(target=fire) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert sorted(outcomes, key=str) == [1, "conflict"]
    with ctx.db.session() as session:
        fired = session.scalars(select(EventRow).where(EventRow.case_id == case_id, EventRow.kind == "timer_fired"))
        assert len(list(fired)) == 1
    assert _open_elements(ctx, case_id) == ["follow_up"]


def test_a_timer_row_the_workflow_no_longer_waits_for_is_closed(ctx):
    """Otherwise the scheduler would load the case on every pass for nothing."""
    case_id = _start(ctx, INTERMEDIATE, "intermediate", {"wait": "PT1M"})
    with ctx.db.session() as session:
        session.add(TimerRow(id="00000000-0000-0000-0000-000000000001", case_id=case_id, element_id="gone",
                             kind="intermediate", due_at=clock.now(), state="waiting"))
    with time_machine.travel(clock.now() + timedelta(seconds=1), tick=False):
        assert timers.fire_due(ctx) == 0
    states = {r.element_id: r.state for r in _timer_rows(ctx, case_id)}
    assert states == {"gone": "cancelled", "cool_off": "waiting"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_cases_fired_together_fire_once_each_and_a_failing_one_costs_only_itself(ctx, monkeypatch):
    """Several cases share one transaction; when one of them fails, its group is fired again one case a
    transaction: the others fire once each (one timer_fired event), the failing one waits for the next pass."""
    cases = [_start(ctx, INTERMEDIATE, "intermediate", {"wait": "PT1M"}) for _ in range(4)]
    broken = cases[2]
    real_fire = runtime.fire_timers
    calls = []

    def fire(c, session, case_id):
        calls.append(case_id)
        if case_id == broken:
            raise RuntimeError("a broken case")
        return real_fire(c, session, case_id)

    monkeypatch.setattr(runtime, "fire_timers", fire)
    with time_machine.travel(clock.now() + timedelta(minutes=2), tick=False):
        assert timers.fire_due(ctx) == 3
    assert calls.count(cases[0]) == 2  # together, then again alone after the failure rolled the group back
    for case_id in cases:
        with ctx.db.session() as session:
            events = list(session.scalars(select(EventRow).where(EventRow.case_id == case_id,
                                                                 EventRow.kind == "timer_fired")))
        assert len(events) == (0 if case_id == broken else 1)
        assert _open_elements(ctx, case_id) == ([] if case_id == broken else ["follow_up"])
    monkeypatch.setattr(runtime, "fire_timers", real_fire)
    with time_machine.travel(clock.now() + timedelta(minutes=3), tick=False):
        assert timers.fire_due(ctx) == 1  # the next pass fires the one left
    assert _open_elements(ctx, broken) == ["follow_up"]
