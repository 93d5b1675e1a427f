"""JUEL translation, restricted expression evaluation and unquoted ISO 8601 timers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine.scripting.expressions import (
    ExpressionError,
    evaluate,
    evaluate_timer,
    is_iso8601_timer,
    render_list,
    render_value,
    translate_juel,
)
from engine.scripting.script_engine import SandboxedScriptEngine

DATA = {"a": 2, "b": False, "urgent": True, "x": "y", "unit": "legal", "comments": [], "amount": 150,
        "form": {"approved": True, "reviewer": {"name": "li"}}, "items": [1, 2, 3], "delay": "PT5S"}


@pytest.mark.parametrize("juel, python", [
    ("${a > 1 && !b}", "a > 1 and (not b)"),
    ("${not urgent}", "(not urgent)"),
    ("${x == 'y'}", "x == 'y'"),
    ("${unit}", "unit"),
    ("#{unit}", "unit"),
    ("  ${unit}\n", "unit"),
    ("${empty comments}", "_juel_empty(comments)"),
    ("unit_${unit}_clerks", "'unit_' + str(unit) + '_clerks'"),
    ("${a eq 1 or b gt 2}", "a == 1 or b > 2"),
    ("${a ne 1 and a le 2 and a ge 2 and a lt 3}", "a != 1 and a <= 2 and a >= 2 and a < 3"),
    ("${true || false || null}", "True or False or None"),
    ("${a div 2 + a mod 2}", "a / 2 + a % 2"),
    ("${x == '&& || ! eq ${not}'}", "x == '&& || ! eq ${not}'"),
    ("${a > 1 ? 'PT1H' : 'PT2H'}", "('PT1H' if a > 1 else 'PT2H')"),
    ("${form.approved}", "form.approved"),
    ("amount > 100", "amount > 100"),
    ("'PT1H'", "'PT1H'"),
])
def test_translate_juel(juel, python):
    assert translate_juel(juel) == python


@pytest.mark.parametrize("expression, expected", [
    ("${a > 1 && !b}", True),
    ("${not urgent}", False),
    ("${x == 'y'}", True),
    ("${unit}", "legal"),
    ("${empty comments}", True),
    ("${empty items}", False),
    ("${not empty comments}", False),
    ("unit_${unit}_clerks", "unit_legal_clerks"),
    ("${a eq 1 or b gt 2}", False),
    ("${a eq 2 and !b}", True),
    ("${!urgent == false}", True),  # JUEL's '!' binds tighter than '=='
    ("amount > 100", True),
    ("amount > 100 and not b", True),
    ("${form.approved && form.reviewer.name == 'li'}", True),
    ("${form.missing == null}", True),  # JUEL: a missing map entry is null
    ("${a > 5 ? 'x' : a > 1 ? 'y' : 'z'}", "y"),
    ("${len(items) ge 3}", True),
    ("${x.upper()}", "Y"),
    ("${x == '}'}", False),
    ("sorted(items, reverse=True)[0]", 3),
])
def test_evaluate(expression, expected):
    assert evaluate(expression, DATA) == expected


def test_registered_functions_are_callable():
    assert evaluate("${add_days(a, 3) gt 4}", DATA, {"add_days": lambda n, d: n + d}) is True


@pytest.mark.parametrize("expression, message", [
    ("${().__class__.__base__.__subclasses__()}", "access to attribute '__subclasses__' is not allowed"),
    ("x.__class__", "access to attribute '__class__' is not allowed"),
    ("__import__('os')", "calling '__import__' is not allowed"),
    ("open('/etc/passwd')", "calling 'open' is not allowed"),
    ("${open('/etc/passwd')}", "calling 'open' is not allowed"),
    ("import os", "import is not allowed"),
    ("9 ** 9 ** 9", "too large"),
    ("'a' * 10 ** 9", "too large"),
    ("x.ljust(10 ** 9)", "too large"),
    ("'{}'.format(x)", "access to attribute 'format' is not allowed"),
    ("${items.append(4)}", "expressions only read it"),
    ("${unknown > 1}", "Unknown name 'unknown'"),
    ("${nope(1)}", "Unknown function 'nope'"),
    ("a = 1", "only a single expression"),
    ("${a &&}", "Invalid expression"),
    ("${a", "Unclosed"),
    ("1 / 0", "ZeroDivisionError"),
])
def test_refusals_and_failures_are_expression_errors(expression, message):
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, DATA)
    assert message in str(caught.value)
    assert expression in str(caught.value)  # the message names the offending expression
    assert DATA["items"] == [1, 2, 3]


def test_unknown_name_is_reported_by_name():
    with pytest.raises(ExpressionError) as caught:
        evaluate("${missing && a}", DATA)
    assert caught.value.name == "missing"


def test_endless_registered_function_is_stopped_by_the_budget():
    def spin():
        while True:
            pass
    started = time.monotonic()
    with pytest.raises(ExpressionError, match="budget of 1000 lines"):
        evaluate("spin()", DATA, {"spin": spin}, line_budget=1000)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("text", ["PT72H", "P3M", "P1DT2H", "P2W", "PT1.5S", "R3/PT1H", "R/P1D",
                                  "R5/2026-12-01T09:00:00+08:00/P1D", "2026-12-01T09:00:00+08:00",
                                  "2026-12-01T09:00:00Z", "2026-12-01", " PT72H\n"])
def test_unquoted_iso_8601_is_recognised_and_returned_unchanged(text):
    assert is_iso8601_timer(text)
    assert evaluate_timer(text, {}) == text.strip()
    task = SimpleNamespace(data={}, task_spec=SimpleNamespace())
    assert SandboxedScriptEngine().evaluate(task, text) == text.strip()


@pytest.mark.parametrize("text", ["P", "PT", "P1H", "amount", "R3", "2026-1-1", "'PT1H'", "${delay}", "", None])
def test_other_text_is_not_an_iso_timer(text):
    assert not is_iso8601_timer(text)


def test_evaluated_timers():
    engine = SandboxedScriptEngine()
    task = SimpleNamespace(data=dict(DATA), task_spec=SimpleNamespace())
    assert evaluate_timer("${delay}", DATA) == "PT5S"
    assert engine.evaluate(task, "${delay}") == "PT5S"
    assert evaluate_timer("'PT1H'", {}) == "PT1H"
    assert evaluate_timer("${urgent ? 'PT1H' : 'PT24H'}", DATA) == "PT1H"
    assert evaluate_timer("${due}", {"due": datetime(2026, 12, 1, 9, tzinfo=UTC)}) == "2026-12-01T09:00:00+00:00"
    assert evaluate_timer("${wait}", {"wait": timedelta(hours=2)}) == "PT7200S"


def _timer_workflow(kind: str, text: str, data: dict) -> BpmnWorkflow:
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
<bpmn:process id="t" isExecutable="true">
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:timerEventDefinition id="td"><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{text}</bpmn:{kind}></bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
  <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end"/>
</bpmn:process></bpmn:definitions>"""
    parser = CamundaParser()
    parser.add_bpmn_str(xml.encode())
    workflow = BpmnWorkflow(parser.get_spec("t"), script_engine=SandboxedScriptEngine())
    workflow.task_tree.data.update(data)
    workflow.do_engine_steps()
    return workflow


def test_unquoted_duration_timer_in_a_workflow_waits():
    workflow = _timer_workflow("timeDuration", "\n  PT72H\n", {})
    wait = workflow.get_tasks(spec_name="wait")[0]
    assert wait.state == TaskState.WAITING
    due = datetime.fromisoformat(wait.internal_data["event_value"])
    assert abs(due - datetime.now(UTC) - timedelta(hours=72)) < timedelta(minutes=1)


def test_unquoted_date_timer_in_a_workflow_keeps_its_text():
    workflow = _timer_workflow("timeDate", "2099-12-01T09:00:00+08:00", {})
    wait = workflow.get_tasks(spec_name="wait")[0]
    assert wait.state == TaskState.WAITING
    assert wait.internal_data["event_value"] == "2099-12-01T09:00:00+08:00"


def test_juel_timer_in_a_workflow_fires():
    workflow = _timer_workflow("timeDuration", "${delay}", {"delay": "PT0S"})
    workflow.refresh_timers()
    workflow.do_engine_steps()
    assert workflow.is_completed()


def test_render_value():
    assert render_value("${unit}_clerk", DATA) == "legal_clerk"
    assert render_value("${a + 1}", DATA) == 3
    assert render_value("demo", DATA) == "demo"
    assert render_value("P3D", DATA) == "P3D"
    assert render_value(None, DATA) is None


def test_render_list():
    data = {**DATA, "groups": ["g1", "g2"], "more": {"g3"}, "csv": "c1, c2"}
    functions = {"pair": lambda a, b: [a, b]}
    text = " clerks, ${unit}_clerks ,, ${groups}, ${more},${csv}, ${pair('p1', 'p2')}, clerks, ${none}"
    assert render_list(text, {**data, "none": None}, functions) == [
        "clerks", "legal_clerks", "g1", "g2", "g3", "c1", "c2", "p1", "p2"]
    assert render_list("", data) == []
    assert render_list(None, data) == []
