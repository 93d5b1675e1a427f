"""Catch-up: timers that fell due while no scheduler ran fire once, in due order, when one starts;
a cycle that missed rounds fires once, skips them and keeps its end. Stop the scheduler, move the
clock, start it again."""

from __future__ import annotations

import time
from datetime import timedelta

import time_machine
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import clock, identity
from engine.cases import instances, runtime
from engine.schedule import timers
from engine.store import Case, EventRow, TimerRow
from tests.bpmn_util import bpmn
from tests.conftest import deploy_xml
from tests.engine.schedule.test_scheduler_lease import WAIT

# a daily reminder for five days while the reply is open (R5/P1D, non-interrupting)
DAILY = bpmn("""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="reply" name="答复" camunda:candidateGroups="clerks">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:boundaryEvent id="daily_reminder" name="每日提醒" cancelActivity="false" attachedToRef="reply">
    <bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeCycle>R5/P1D</bpmn:timeCycle></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:scriptTask id="remind" name="Remind"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    <bpmn:script>reminded = True</bpmn:script></bpmn:scriptTask>
  <bpmn:endEvent id="reminded"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="reply"/>
  <bpmn:sequenceFlow id="f2" sourceRef="reply" targetRef="done"/>
  <bpmn:sequenceFlow id="f3" sourceRef="daily_reminder" targetRef="remind"/>
  <bpmn:sequenceFlow id="f4" sourceRef="remind" targetRef="reminded"/>""", "daily")


def _start(ctx, key, data=None):
    with ctx.db.session() as session:
        user = identity.get_user(session, "ann") or identity.add_user(session, "ann", "secret-pw", ["clerks"])
        return runtime.start_case(ctx, session, user, key, key, data or {}).id


def _fired(ctx):
    """(case id, timer row id, data) of every timer_fired event, in the order they were written."""
    with ctx.db.session() as session:
        return [(e.case_id, e.task_id, e.data) for e in session.scalars(
            select(EventRow).where(EventRow.kind == "timer_fired").order_by(EventRow.id))]


def _reminders_run(ctx, case_id):
    with ctx.db.session() as session:
        workflow = instances.load(ctx, session.get(Case, case_id))
    return len([t for t in workflow.tasks.values() if t.task_spec.bpmn_id == "remind" and t.state == TaskState.COMPLETED])


def _cycle_row(ctx, case_id):
    with ctx.db.session() as session:
        return session.scalars(select(TimerRow).where(TimerRow.case_id == case_id)).one()


def _run_scheduler_until(ctx, done, timeout=20.0):
    """A real dispatcher (APScheduler, lease) runs until `done()` holds; bounded, not a speed test."""
    dispatcher = timers.TimerDispatcher(ctx)
    dispatcher.start()
    try:
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        dispatcher.stop()
    return done()


def test_missed_timers_fire_once_in_due_order_when_a_scheduler_starts(ctx):
    ctx.config = ctx.config.replace(scheduler__interval_seconds=0.1)
    deploy_xml(ctx, WAIT)
    deploy_xml(ctx, DAILY, "daily.bpmn")
    # written in an order other than their due order
    third, first, second = (_start(ctx, "wait", {"wait": w}) for w in ("P3D", "P1D", "P2D"))
    daily = _start(ctx, "daily")
    assert _run_scheduler_until(ctx, lambda: False, timeout=0.5) is False  # nothing is due yet
    assert _fired(ctx) == []
    # the scheduler is stopped; three and a half days pass; a scheduler starts again
    with time_machine.travel(clock.now() + timedelta(days=3, hours=12)):
        assert _run_scheduler_until(ctx, lambda: len(_fired(ctx)) >= 4)
        time.sleep(0.3)  # a few more passes: nothing fires twice
        fired = _fired(ctx)
        assert [case for case, _, _ in fired] == [first, daily, second, third]  # due order (the cycle's round 1 is at +1d)
        assert [data.get("skipped_rounds") for _, _, data in fired] == [None, 2, None, None]
        row = _cycle_row(ctx, daily)
        assert row.state == "waiting" and row.due_at > clock.now()  # its next round is in the future
        assert timedelta(hours=11) < row.due_at - clock.now() < timedelta(hours=13)  # the round at +4 days
    assert _reminders_run(ctx, daily) == 1  # three rounds were due: one reminder, not three
    for case in (first, second, third):
        with ctx.db.session() as session:
            assert session.get(Case, case).stage == "回访"


def test_a_cycle_that_missed_rounds_still_ends_when_it_would_have(ctx):
    """R5/P1D with rounds 1-3 missed: one catch-up firing, then rounds 4 and 5, then nothing."""
    deploy_xml(ctx, DAILY, "daily.bpmn")
    case_id = _start(ctx, "daily")
    started = clock.now()
    for days, expected_state in ((3.5, "waiting"), (4.5, "waiting"), (5.5, "fired"), (9.5, "fired")):
        with time_machine.travel(started + timedelta(days=days), tick=False):
            timers.fire_due(ctx)
            assert _cycle_row(ctx, case_id).state == expected_state, days
    assert [data.get("skipped_rounds") for _, _, data in _fired(ctx)] == [2, None, None]
    assert _reminders_run(ctx, case_id) == 3


def test_an_endless_cycle_that_missed_rounds_fires_once(ctx):
    deploy_xml(ctx, DAILY.replace("R5/P1D", "R/PT1H"), "hourly.bpmn")
    case_id = _start(ctx, "daily")
    with time_machine.travel(clock.now() + timedelta(hours=30, minutes=30), tick=False):
        assert timers.fire_due(ctx) == 1
        assert timers.fire_due(ctx) == 0
        row = _cycle_row(ctx, case_id)
        assert row.state == "waiting" and timedelta(0) < row.due_at - clock.now() <= timedelta(hours=1)
    assert [data.get("skipped_rounds") for _, _, data in _fired(ctx)] == [29]
    assert _reminders_run(ctx, case_id) == 1
