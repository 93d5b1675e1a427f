"""A fault in a model stops the case in status `error` with the element and the reason (never a 500),
writes no task row for the faulty step, shows on the supervision page, and runs again from the failed
step once a fixed version of the model is deployed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine import identity
from engine.store import TaskRow

from .bpmn_util import bpmn, scripted


def _two_steps(second_attrs: str, key: str = "faulty") -> str:
    """start -> fill (clerks) -> second (attributes under test) -> end."""
    return bpmn(f"""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="fill" name="Fill in" camunda:candidateGroups="clerks">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:userTask id="second" name="Second step" {second_attrs}>
    <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>
  <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="second"/>
  <bpmn:sequenceFlow id="f3" sourceRef="second" targetRef="done"/>""", key)


def _timer_then_task(expression: str, key: str = "timed", kind: str = "timeDuration") -> str:
    return bpmn(f"""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="fill" name="Fill in" camunda:candidateGroups="clerks">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{kind}>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>
  <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="wait"/>
  <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="done"/>""", key)


def _script(script: str, key: str = "scripted") -> str:
    return scripted(script, key)


@pytest.fixture
def people(api):
    api.user("designer", ("designers",))
    api.user("clerk", ("clerks",))
    api.user("boss", ("supervisors",))
    return api


def _stopped(api, xml: str, key: str, monkeypatch=None) -> dict:
    """Deployed (with `monkeypatch`, past the lint, as a file deployed before lint compiled expressions
    would be) and run to the step under test."""
    if monkeypatch is not None:
        from engine.bpmn import library

        monkeypatch.setattr(library, "check", lambda files: [])
    deployed = api.deploy("designer", xml)
    assert deployed.status_code in (200, 201), deployed.get_json()
    case = api.start("clerk", key).get_json()
    fill = case["active_tasks"][0]["id"]
    answer = api.post(f"/tasks/{fill}/complete", "clerk", {"data": {}})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer.get_json()


TASK_FAULTS = [
    ('camunda:candidateGroups="clerks" camunda:dueDate="${1/0}"', "dueDate", "ZeroDivisionError"),
    ('camunda:candidateGroups="clerks" camunda:dueDate="${no_such_variable}"', "dueDate", "no_such_variable"),
    ('camunda:candidateGroups="clerks" camunda:dueDate="next tuesday"', "dueDate", "next tuesday"),
    ('camunda:candidateGroups="clerks" camunda:dueDate="${\'P99999999999Y\'}"', "dueDate", "hundred years"),
    ('camunda:candidateGroups="clerks" camunda:followUpDate="${\'2027-02-30\'}"', "followUpDate", "2027-02-30"),
    ('camunda:candidateGroups="clerks" camunda:priority="${().__class__}"', "priority", "__class__"),
    ('camunda:assignee="${\'x\' * 1000}"', "assignee", "longer than 64"),
    ('camunda:candidateGroups="${\'g\' * 150}"', "candidateGroups", "longer than 100"),
]


@pytest.mark.parametrize("attrs,label,reason", TASK_FAULTS)
def test_a_task_attribute_the_model_gets_wrong_stops_the_case(people, attrs, label, reason, monkeypatch):
    api = people
    case = _stopped(api, _two_steps(attrs), "faulty", monkeypatch)
    assert case["status"] == "error", case
    assert case["error_message"].startswith(f"Second step (second): {label}: ") and reason in case["error_message"]
    assert case["active_tasks"] == []  # no row for a task nobody could be offered
    with api.ctx.db.session() as session:
        assert session.scalars(select(TaskRow.element_id).where(TaskRow.case_id == case["id"])).all() == ["fill"]
    assert [c["id"] for c in api.get("/cases?status=error", "boss").get_json()] == [case["id"]]


@pytest.mark.parametrize("expression,reason", [
    ("${'not a duration'}", "not a duration"),
    ("${'PT-5H'}", "negative duration"),
    ("${'P99999999999Y'}", "hundred years"),
])
def test_a_timer_the_model_gets_wrong_stops_the_case(people, expression, reason):
    case = _stopped(people, _timer_then_task(expression), "timed")
    assert case["status"] == "error" and "(wait)" in case["error_message"] and reason in case["error_message"]


@pytest.mark.parametrize("kind,text", [("timeDuration", "PT-5H"), ("timeDuration", "P99999999999Y"),
                                       ("timeCycle", "R/PT1S"), ("timeCycle", "R/P9999999999D"),
                                       ("timeDate", "2027-02-30")])
def test_lint_refuses_a_timer_that_would_stall_or_break_the_service(people, kind, text):
    answer = people.deploy("designer", _timer_then_task(text, kind=kind))
    assert answer.status_code == 422
    assert any(d["element_id"] == "wait" for d in answer.get_json()["details"]), answer.get_json()


@pytest.mark.parametrize("script,reason", [("big = 10**5000", "too large to store"),
                                           ("nan = float('nan')", "not a finite number")])
def test_a_script_result_that_cannot_be_stored_stops_the_case(people, script, reason):
    case = _stopped(people, _script(script), "scripted")
    assert case["status"] == "error" and case["error_message"].startswith("Compute (compute): ")
    assert reason in case["error_message"]


def _supervisor_page(app, ctx):
    with ctx.db.session() as session:
        identity.add_user(session, "watcher", "secret-pw", ["supervisors"])
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True)).group(1)
    assert client.post("/sign-in", data={"username": "watcher", "password": "secret-pw",
                                         "csrf_token": csrf}).status_code == 302
    return client, csrf


def test_the_supervision_page_lists_the_stopped_case_and_retries_it_once_the_model_is_fixed(people, app, ctx):
    api = people
    case = _stopped(api, _two_steps('camunda:candidateGroups="clerks" camunda:dueDate="${1/0}"'), "faulty")
    web, csrf = _supervisor_page(app, ctx)
    page = web.get("/supervise").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # signing in began a new session
    row = re.search(rf'<tr data-case-id="{case["id"]}".*?</tr>', page, re.S).group(0)
    assert "dueDate: " in row and "ZeroDivisionError" in row and 'data-action="retry"' in row

    # retried before the model is fixed: stopped again, same reason, still no task
    web.post(f"/cases/{case['id']}/retry", data={"csrf_token": csrf})
    again = api.get(f"/cases/{case['id']}", "boss").get_json()
    assert again["status"] == "error" and again["active_tasks"] == []

    # a clerk may not retry
    assert api.post(f"/cases/{case['id']}/retry", "clerk").status_code in (403, 404)

    fixed = _two_steps('camunda:candidateGroups="clerks" camunda:dueDate="${\'2030-01-31\'}"')
    assert api.deploy("designer", fixed).status_code == 201
    answer = web.post(f"/cases/{case['id']}/retry", data={"csrf_token": csrf})
    assert answer.status_code == 302
    running = api.get(f"/cases/{case['id']}", "boss").get_json()
    assert running["status"] == "running" and running["process_version"] == 2 and running["error_message"] is None
    [task] = running["active_tasks"]
    assert task["element_id"] == "second" and task["due_at"].startswith("2030-01-31")
    assert running["history"][-1]["kind"] in ("task_created", "case_retried")
    assert any(e["kind"] == "case_retried" and e["actor"] == "watcher" for e in running["history"])
    # the step completes and the case ends as the fixed model says
    done = api.post(f"/tasks/{task['id']}/complete", "clerk", {"data": {}}).get_json()
    assert done["status"] == "completed"
    stopped = web.get("/supervise").get_data(as_text=True).split('id="error"')[1]
    assert f'data-case-id="{case["id"]}"' not in stopped


def test_a_failed_script_runs_again_after_the_fix(people):
    api = people
    case = _stopped(api, _script("total = n * 2"), "scripted")
    assert case["status"] == "error" and "'n'" in case["error_message"]
    assert api.deploy("designer", _script("total = 21 * 2")).status_code == 201
    answer = api.post(f"/cases/{case['id']}/retry", "boss")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "completed" and answer.get_json()["data"]["total"] == 42
    assert api.post(f"/cases/{case['id']}/retry", "boss").status_code == 409  # nothing left to retry
