"""Lint compiles what a file will run (conditions, scripts, timers, the user tasks' expression
attributes) with the restricted compiler, and reports each refusal as file:line: element: message."""

from __future__ import annotations

from engine.bpmn.lint import lint_files
from tests.bpmn_util import bpmn

FILE = bpmn("""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:scriptTask id="compute" name="Compute" scriptFormat="python">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:script>total = 1
doubled = total * 2
import os</bpmn:script></bpmn:scriptTask>
  <bpmn:exclusiveGateway id="choose" default="f_no"><bpmn:incoming>f2</bpmn:incoming>
    <bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_odd</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing>
  </bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_yes" sourceRef="choose" targetRef="work">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${x.__class__ == 1}</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_odd" sourceRef="choose" targetRef="wait">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${amount &gt; }</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_no" sourceRef="choose" targetRef="done"/>
  <bpmn:userTask id="work" name="Work" camunda:candidateGroups="clerks" camunda:dueDate="${open('/etc/passwd')}"
      camunda:priority="${().__class__}">
    <bpmn:incoming>f_yes</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
  <bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:incoming>f_odd</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">${__import__('os')}</bpmn:timeDuration>
    </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:endEvent id="done"><bpmn:incoming>f_no</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming>
    <bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
  <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="choose"/>
  <bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="done"/>
  <bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="done"/>""", "coded")


def _line(text: str) -> int:
    return next(n for n, line in enumerate(FILE.splitlines(), start=1) if text in line)


def test_each_refused_expression_and_script_is_reported_with_file_line_and_element():
    found = [str(p) for p in lint_files({"coded.bpmn": FILE.encode()})]
    expected = [
        f"coded.bpmn:{_line('import os')}: compute: script: Script refused: import is not allowed",
        f"coded.bpmn:{_line('x.__class__')}: f_yes: conditionExpression: access to attribute '__class__'",
        f"coded.bpmn:{_line('amount &gt;')}: f_odd: conditionExpression: ",
        f"coded.bpmn:{_line('camunda:priority')}: work: camunda:dueDate: calling 'open' is not allowed",
        f"coded.bpmn:{_line('camunda:priority')}: work: camunda:priority: access to attribute '__class__'",
        f"coded.bpmn:{_line('__import__')}: wait: timeDuration: ",
    ]
    # lxml gives a start tag spread over lines the line where it ends
    for start in expected:
        assert any(line.startswith(start) for line in found), (start, found)


def test_the_shipped_models_compile():
    from pathlib import Path

    files = {p.name: p.read_bytes() for p in (Path(__file__).resolve().parents[3] / "bpmn").glob("*.bpmn")}
    assert lint_files(files) == []
