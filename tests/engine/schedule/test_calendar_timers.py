"""The business calendar inside the engine: deadlines written in BPMN with add_working_days(...) become
due times stored in UTC, the timers fire then and not before, and the supervisor is told about years
whose holidays are unknown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlalchemy import select

from engine import clock, identity, migrate
from engine.cases import runtime
from engine.context import EngineContext
from engine.schedule import timers
from engine.scripting.expressions import evaluate_timer
from engine.store import TaskRow, TimerRow
from tests.bpmn_util import bpmn
from tests.conftest import deploy_xml, make_config
from tests.test_web_cases import token

# A unit signs in within 5 working days; when it has not, the case goes to the assigning office.
SIGN_IN = bpmn("""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="sign_in" name="签收" camunda:candidateGroups="unit_education"
      camunda:dueDate="${add_working_days(assigned_at, 5)}">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:boundaryEvent id="late" name="逾期未签收" attachedToRef="sign_in">
    <bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeDate>${add_working_days(assigned_at, 5)}</bpmn:timeDate>
    </bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:userTask id="escalate" name="督办" camunda:candidateGroups="supervisors">
    <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="escalated"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign_in"/>
  <bpmn:sequenceFlow id="f2" sourceRef="sign_in" targetRef="done"/>
  <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalate"/>
  <bpmn:sequenceFlow id="f4" sourceRef="escalate" targetRef="escalated"/>""", "sign_in_deadline", declare={"start:inputs": "assigned_at"})

# 10:00 on Wednesday 30 Sep 2026 in Shanghai; then the National Day holidays, 1-7 Oct.
ASSIGNED = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)


def _start(ctx: EngineContext, data: dict) -> int:
    deploy_xml(ctx, SIGN_IN)
    with ctx.db.session() as session:
        user = identity.add_user(session, "ann", "secret-pw", ["liaison_office"])
        return runtime.start_case(ctx, session, user, "sign_in_deadline", "t", data).id


def _rows(ctx: EngineContext, case_id: int, model):
    with ctx.db.session() as session:
        return list(session.scalars(select(model).where(model.case_id == case_id)))


def _boundary(ctx: EngineContext, case_id: int) -> TimerRow:
    """The BPMN timer (reminder and escalation rows of the task's due date may stand beside it)."""
    [timer] = [r for r in _rows(ctx, case_id, TimerRow) if r.kind == "boundary"]
    return timer


def _open(ctx: EngineContext, case_id: int) -> list[str]:
    return [r.element_id for r in _rows(ctx, case_id, TaskRow) if r.state == "open"]


def test_a_working_day_timer_is_stored_in_utc_and_fires_after_the_holidays(ctx):
    with time_machine.travel(ASSIGNED, tick=False):
        case_id = _start(ctx, {"assigned_at": "2026-09-30T10:00:00+08:00"})
    # 5 working days: 8, 9, 10 (a worked Saturday), 12, 13 Oct; 10:00 in Shanghai is 02:00 UTC.
    due = datetime(2026, 10, 13, 2, 0, tzinfo=UTC)
    assert clock.as_utc(_boundary(ctx, case_id).due_at) == due
    [task] = _rows(ctx, case_id, TaskRow)
    assert clock.as_utc(task.due_at) == due
    with time_machine.travel(due - timedelta(seconds=1), tick=False):
        timers.fire_due(ctx)
    assert _open(ctx, case_id) == ["sign_in"] and _boundary(ctx, case_id).state == "waiting"
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        assert timers.fire_due(ctx) >= 1
    assert _open(ctx, case_id) == ["escalate"] and _boundary(ctx, case_id).state == "fired"


def test_a_bare_date_deadline_ends_at_the_end_of_that_day_in_shanghai(ctx):
    with time_machine.travel(ASSIGNED, tick=False):
        case_id = _start(ctx, {"assigned_at": "2026-09-30"})
    end_of_day = datetime(2026, 10, 13, 15, 59, 59, tzinfo=UTC)  # 23:59:59 on 13 Oct, +08:00
    assert clock.as_utc(_boundary(ctx, case_id).due_at) == end_of_day
    with time_machine.travel(datetime(2026, 10, 13, 15, 0, tzinfo=UTC), tick=False):
        timers.fire_due(ctx)  # 23:00 on the 13th in Shanghai: the day is not over yet
    assert _open(ctx, case_id) == ["sign_in"]
    with time_machine.travel(end_of_day + timedelta(seconds=2), tick=False):
        timers.fire_due(ctx)
    assert _open(ctx, case_id) == ["escalate"]


def test_timer_text_is_iso_8601_in_the_configured_zone(ctx):
    zone, functions = ctx.zone, ctx.functions
    data = {"assigned_at": "2026-09-30", "wait": "PT1H"}
    assert evaluate_timer("${add_working_days(assigned_at, 5)}", data, functions, zone) == "2026-10-13T23:59:59+08:00"
    assert evaluate_timer("${add_months(assigned_at, 3)}", data, functions, zone) == "2026-12-30T23:59:59+08:00"
    assert evaluate_timer("2026-10-13T09:00:00", {}, functions, zone) == "2026-10-13T09:00:00+08:00"
    assert evaluate_timer("PT1H", {}, functions, zone) == "PT1H"
    assert evaluate_timer("${wait}", data, functions, zone) == "PT1H"
    assert evaluate_timer("R3/PT1H", {}, functions, zone) == "R3/PT1H"


def test_expressions_reach_the_calendar_and_the_clock(ctx):
    evaluate = ctx.script_engine.evaluate_in
    data = {"assigned_at": "2026-11-27T10:00:00+08:00", "days": 5}
    assert evaluate("${add_working_days(assigned_at, days)}", data) == "2026-12-04T10:00:00+08:00"
    assert evaluate("${next_working_day('2026-09-30')}", {}) == "2026-10-08"
    assert evaluate("${working_days_between('2026-09-30', '2026-10-13')}", {}) == 5
    assert evaluate("${add_months('2026-01-31', 1)}", {}) == "2026-02-28"
    with time_machine.travel(datetime(2026, 9, 30, 17, 0, tzinfo=UTC), tick=False):
        assert evaluate("${today()}", {}) == date(2026, 10, 1)  # already 1 Oct in Shanghai
        assert evaluate("${now()}", {}) == datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
        assert evaluate("${add_working_days(today(), 1)}", {}) == date(2026, 10, 8)


def test_config_years_reach_the_engine_context(db_url):
    config = make_config(db_url, calendar__years={2027: {"holidays": ["2027-01-01"]}})
    context = EngineContext.create(config)
    try:
        assert context.script_engine.evaluate_in("${add_working_days('2026-12-31', 1)}", {}) == "2027-01-04"
        assert context.calendar.missing_years(range(2026, 2028)) == []
    finally:
        context.db.dispose()


def _supervisor_page(app, ctx: EngineContext) -> str:
    with ctx.db.session() as session:
        identity.add_user(session, "sue", "secret-pw", ["supervisors"])
    web = app.test_client()
    answer = web.post("/sign-in", data={"username": "sue", "password": "secret-pw",
                                        "csrf_token": token(web, "/sign-in")})
    assert answer.status_code == 302
    page = web.get("/supervise")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_supervisor_is_warned_when_deadlines_reach_a_year_without_holidays(app, ctx):
    with time_machine.travel(datetime(2026, 11, 2, 2, 0, tzinfo=UTC), tick=False):
        html = _supervisor_page(app, ctx)
    # in a supervisor's words: whom to ask, not the admin's config file
    assert 'data-missing-years="2027"' in html and "系统管理员" in html and "calendar.years" not in html


def test_no_warning_while_every_year_in_reach_is_known(app, ctx):
    with time_machine.travel(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), tick=False):
        html = _supervisor_page(app, ctx)
    assert "data-missing-years" not in html


def test_a_configured_year_silences_the_warning(db_url):
    from webui.app import create_app

    context = EngineContext.create(make_config(db_url, calendar__years={2027: {"holidays": ["2027-01-01"]}}))
    migrate.upgrade(context.db)
    try:
        app = create_app(ctx=context)
        app.config["TESTING"] = True
        with time_machine.travel(datetime(2026, 11, 2, 2, 0, tzinfo=UTC), tick=False):
            html = _supervisor_page(app, context)
        assert "data-missing-years" not in html
    finally:
        context.db.dispose()
