"""Reminders before a task's or a case's deadline and the escalation at it: rows counted back in working
days, fired once (also after the service was stopped past the deadline), to the people who hold the work."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from engine import identity
from engine.cases import runtime
from engine.errors import Conflict
from engine.schedule import timers
from engine.store import Case, EventRow, OutboxMessage, TaskRow, TimerRow, User
from tests.bpmn_util import bpmn
from tests.conftest import BACKENDS, deploy_xml

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
# Friday 8 May 2026, 17:00; 1-5 May is the Labour Day holiday, so 5 working days back is 28 April
DUE = datetime(2026, 5, 8, 17, 0, tzinfo=SHANGHAI)

DUE_TASK = bpmn("""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="reply" name="答复代表" camunda:candidateGroups="unit_a" camunda:candidateUsers="${helper}"
      camunda:dueDate="${due}">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="reply"/>
  <bpmn:sequenceFlow id="f2" sourceRef="reply" targetRef="done"/>""", "due_task", declare={"start:inputs": "due, helper"})

TWO_STEPS = bpmn("""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="handle" name="办理" camunda:assignee="ann">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:userTask id="evaluate" name="测评" camunda:candidateGroups="unit_a">
    <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="handle"/>
  <bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="evaluate"/>
  <bpmn:sequenceFlow id="f3" sourceRef="evaluate" targetRef="done"/>""", "two_steps", declare={"start:inputs": "case_deadline"})


def _people(ctx):
    with ctx.db.session() as session:
        identity.add_user(session, "ann", "secret-pw", ["unit_a"])
        identity.add_user(session, "bob", "secret-pw", ["unit_a"])
        identity.add_user(session, "gone", "secret-pw", ["unit_a"]).active = False
        identity.add_user(session, "boss", "secret-pw", ["supervisors"])
        identity.add_user(session, "helper", "secret-pw", ["unit_a"])  # a candidate user and a member: told once


def _start(ctx, xml, key, data):
    deploy_xml(ctx, xml)
    with time_machine.travel(MONDAY, tick=False), ctx.db.session() as session:
        user = identity.get_user(session, "ann")
        return runtime.start_case(ctx, session, user, key, "校门口增设红绿灯", data).id


def _rows(ctx, case_id):
    with ctx.db.session() as session:
        return list(session.scalars(select(TimerRow).where(TimerRow.case_id == case_id,
                                                           TimerRow.kind.in_(("reminder", "escalation")))
                                    .order_by(TimerRow.due_at)))


def _events(ctx, case_id, kind):
    with ctx.db.session() as session:
        return list(session.scalars(select(EventRow).where(EventRow.case_id == case_id, EventRow.kind == kind)))


def _outbox(ctx, case_id):
    with ctx.db.session() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)
                                    .order_by(OutboxMessage.id)))


def test_a_due_task_gets_reminders_counted_back_in_working_days_and_an_escalation(ctx):
    _people(ctx)
    case_id = _start(ctx, DUE_TASK, "due_task", {"due": DUE.isoformat(), "helper": "helper"})
    rows = _rows(ctx, case_id)
    assert [(r.kind, r.due_at.astimezone(SHANGHAI)) for r in rows] == [
        ("reminder", datetime(2026, 4, 14, 17, 0, tzinfo=SHANGHAI)),  # 15 working days before
        ("reminder", datetime(2026, 4, 28, 17, 0, tzinfo=SHANGHAI)),  # 5, across the Labour Day holiday
        ("escalation", DUE)]
    with ctx.db.session() as session:
        task = session.scalar(select(TaskRow).where(TaskRow.case_id == case_id))
        assert {r.task_id for r in rows} == {task.id} and len({r.id for r in rows}) == 3


def test_reminders_already_past_when_the_task_starts_are_skipped(ctx):
    _people(ctx)
    soon = datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI)  # 4 working days after MONDAY: 5 before is gone
    case_id = _start(ctx, DUE_TASK, "due_task", {"due": soon.isoformat(), "helper": "helper"})
    assert [r.kind for r in _rows(ctx, case_id)] == ["escalation"]


def test_a_reminder_reaches_the_active_candidates_once_each(ctx):
    _people(ctx)
    case_id = _start(ctx, DUE_TASK, "due_task", {"due": DUE.isoformat(), "helper": "helper"})
    first = _rows(ctx, case_id)[0]
    with time_machine.travel(first.due_at - timedelta(minutes=1), tick=False):
        assert timers.fire_due(ctx) == 0
    with time_machine.travel(first.due_at + timedelta(minutes=1), tick=False):
        assert timers.fire_due(ctx) == 1
        assert timers.fire_due(ctx) == 0
    [event] = _events(ctx, case_id, "deadline_reminder")
    assert event.message == "答复代表：2026-05-08 17:00 到期"
    assert event.data["task"] == "答复代表" and datetime.fromisoformat(event.data["due_at"]) == DUE
    messages = _outbox(ctx, case_id)
    assert sorted(m.recipient for m in messages) == ["ann", "bob", "helper"]  # not the inactive one, not twice
    assert {m.channel for m in messages} == {"in_app"}  # mail is off: no e-mail rows at all
    number = messages[0].subject.rsplit("（", 1)[1].rstrip("）")
    assert messages[0].subject == f"提醒：「答复代表」将于 2026-05-08 17:00 到期（{number}）"
    assert "校门口增设红绿灯" in messages[0].body and number in messages[0].body
    with ctx.db.session() as session:
        assert not session.get(Case, case_id).overdue
    assert [r.state for r in _rows(ctx, case_id)] == ["fired", "waiting", "waiting"]


def test_a_deadline_passed_while_the_service_was_stopped_escalates_exactly_once(ctx):
    _people(ctx)
    case_id = _start(ctx, DUE_TASK, "due_task", {"due": DUE.isoformat(), "helper": "helper"})
    # no scheduler ran: both reminders and the escalation are due at once when it starts again
    with time_machine.travel(DUE + timedelta(days=3), tick=False):
        assert timers.fire_due(ctx) == 1
        assert timers.fire_due(ctx) == 0
    [event] = _events(ctx, case_id, "case_escalated")
    assert event.data["task"] == "答复代表" and datetime.fromisoformat(event.data["due_at"]) == DUE
    assert _events(ctx, case_id, "deadline_reminder") == []  # stale reminders are not sent after the fact
    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        task = session.scalar(select(TaskRow).where(TaskRow.case_id == case_id))
        assert case.overdue and case.flagged and task.overdue and task.state == "open"
    assert [r.state for r in _rows(ctx, case_id)] == ["cancelled", "cancelled", "fired"]
    messages = _outbox(ctx, case_id)
    assert sorted(m.recipient for m in messages) == ["ann", "bob", "boss", "helper"]
    assert messages[0].subject.startswith("督办：「答复代表」已超期（")


def test_the_assignee_alone_is_reminded_and_completing_the_task_cancels_its_deadlines(ctx):
    _people(ctx)
    case_id = _start(ctx, DUE_TASK, "due_task", {"due": DUE.isoformat(), "helper": "helper"})
    with ctx.db.session() as session:
        task = session.scalar(select(TaskRow).where(TaskRow.case_id == case_id))
        task.assignee = "bob"
    first = _rows(ctx, case_id)[0]
    with time_machine.travel(first.due_at + timedelta(minutes=1), tick=False):
        timers.fire_due(ctx)
        assert [m.recipient for m in _outbox(ctx, case_id)] == ["bob"]
        with ctx.db.session() as session:
            runtime.complete_task(ctx, session, identity.get_user(session, "bob"), task.id, {})
    assert [r.state for r in _rows(ctx, case_id)] == ["fired", "cancelled", "cancelled"]
    with time_machine.travel(DUE + timedelta(days=1), tick=False):
        assert timers.fire_due(ctx) == 0
    assert _events(ctx, case_id, "case_escalated") == []


def test_the_case_deadline_is_scheduled_moved_and_dropped_with_the_case_data(ctx):
    _people(ctx)
    case_id = _start(ctx, TWO_STEPS, "two_steps", {"case_deadline": "2026-05-08"})
    rows = _rows(ctx, case_id)
    end_of_day = datetime(2026, 5, 8, 23, 59, 59, tzinfo=SHANGHAI)  # a bare date: the end of that day
    assert [(r.kind, r.task_id, r.element_id, r.due_at) for r in rows][-1] == (
        "escalation", None, "case_deadline", end_of_day)
    assert len(rows) == 3
    with ctx.db.session() as session:
        assert session.get(Case, case_id).due_at == end_of_day
        handle = session.scalar(select(TaskRow).where(TaskRow.case_id == case_id))
    with time_machine.travel(rows[0].due_at + timedelta(minutes=1), tick=False):
        assert timers.fire_due(ctx) == 1  # the case's first reminder goes to who holds its open task
        assert [m.recipient for m in _outbox(ctx, case_id)] == ["ann"]
        assert _outbox(ctx, case_id)[0].subject.startswith("提醒：「案件办理期限」将于 2026-05-08 到期（")
        with ctx.db.session() as session:  # extended: the waiting rows move, the fired one stays fired
            runtime.complete_task(ctx, session, identity.get_user(session, "ann"), handle.id,
                                  {"case_deadline": "2026-06-30"})
    states = {(r.due_at.astimezone(SHANGHAI).date().isoformat(), r.kind, r.state) for r in _rows(ctx, case_id)}
    assert states == {("2026-04-14", "reminder", "fired"), ("2026-04-28", "reminder", "cancelled"),
                      ("2026-05-08", "escalation", "cancelled"), ("2026-06-08", "reminder", "waiting"),
                      ("2026-06-23", "reminder", "waiting"), ("2026-06-30", "escalation", "waiting")}
    with ctx.db.session() as session:
        evaluate = session.scalar(select(TaskRow).where(TaskRow.case_id == case_id, TaskRow.state == "open"))
        runtime.complete_task(ctx, session, identity.get_user(session, "bob"), evaluate.id, {})
        assert session.get(Case, case_id).status == "completed"
    assert {r.state for r in _rows(ctx, case_id)} == {"fired", "cancelled"}  # the case ended: nothing waits


def test_a_removed_case_deadline_cancels_its_rows(ctx):
    _people(ctx)
    case_id = _start(ctx, TWO_STEPS, "two_steps", {"case_deadline": "2026-05-08T18:00:00+08:00"})
    assert _rows(ctx, case_id)[-1].due_at == datetime(2026, 5, 8, 18, 0, tzinfo=SHANGHAI)
    with ctx.db.session() as session:
        handle = session.scalar(select(TaskRow).where(TaskRow.case_id == case_id))
        runtime.complete_task(ctx, session, identity.get_user(session, "ann"), handle.id, {"case_deadline": None})
        assert session.get(Case, case_id).due_at is None
    assert {r.state for r in _rows(ctx, case_id)} == {"cancelled"}


def test_a_case_deadline_escalation_flags_the_case_for_every_supervisor(ctx):
    _people(ctx)
    with ctx.db.session() as session:
        identity.add_user(session, "chief", "secret-pw", ["supervisors"])
        session.scalar(select(User).where(User.username == "boss")).email = "boss@example.org"
    case_id = _start(ctx, TWO_STEPS, "two_steps", {"case_deadline": "2026-05-08"})
    with time_machine.travel(datetime(2026, 5, 9, 8, 0, tzinfo=SHANGHAI), tick=False):
        assert timers.fire_due(ctx) == 1
    [event] = _events(ctx, case_id, "case_escalated")
    assert event.data["task"] is None and event.message == "案件办理期限：2026-05-08 已超期"
    assert sorted(m.recipient for m in _outbox(ctx, case_id)) == ["ann", "boss", "chief"]
    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        assert case.overdue and case.flagged
        assert not session.scalar(select(TaskRow).where(TaskRow.case_id == case_id)).overdue


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["reminder", "escalation"])
def test_two_schedulers_firing_one_deadline_at_once_fire_it_once(ctx, kind):
    _people(ctx)
    case_id = _start(ctx, DUE_TASK, "due_task", {"due": DUE.isoformat(), "helper": "helper"})
    when = DUE if kind == "escalation" else _rows(ctx, case_id)[0].due_at
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            with ctx.db.session() as session:
                session.get(Case, case_id)  # both read the case before either fires
                barrier.wait(timeout=10)
                outcomes.append(runtime.fire_timers(ctx, session, case_id))
        except Conflict:
            outcomes.append("conflict")

    with time_machine.travel(when + timedelta(minutes=1), tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert sorted(outcomes, key=str) in ([0, 1], [1, "conflict"])
    event = "case_escalated" if kind == "escalation" else "deadline_reminder"
    assert len(_events(ctx, case_id, event)) == 1
    assert len([m for m in _outbox(ctx, case_id) if m.recipient == "ann"]) == 1
