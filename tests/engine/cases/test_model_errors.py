"""Nothing from a BPMN file runs unrestricted: a refused script or condition leaves the case in an
error state supervisors can see; the request does not crash and nothing saved is lost."""

from __future__ import annotations

from datetime import UTC

import pytest

from tests.bpmn_util import bpmn, scripted

ATTACKS = [
    ("import os\nos.system('touch /tmp/casework-pwned')", "import"),
    ("__import__('os').system('touch /tmp/casework-pwned')", "__import__"),
    ("x = open('/etc/passwd').read()", "open"),
    ("x = ().__class__.__base__.__subclasses__()", "__class__"),
    ("while True:\n    pass", "budget"),
]


def _script_process(script: str) -> str:
    return scripted(script, declare={"start:inputs": "n"})


def _condition_process(condition: str) -> str:
    return bpmn(f"""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="fill" name="Fill in" camunda:candidateGroups="clerks">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:exclusiveGateway id="choose" default="f_no"><bpmn:incoming>f2</bpmn:incoming>
    <bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_yes" sourceRef="choose" targetRef="yes">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"><![CDATA[{condition}]]></bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_no" sourceRef="choose" targetRef="no"/>
  <bpmn:endEvent id="yes"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="no"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill"/>
  <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="choose"/>""", "conditional", declare={"start:inputs": "n"})


def _run(api, xml: str, key: str, monkeypatch=None):
    """Deploy and run to the step under test. With `monkeypatch`, a file lint refuses is deployed all
    the same (as one deployed before lint compiled scripts would be): the run-time guard is the test."""
    if "designer" not in api.tokens:
        api.user("designer", ("designers",))
    api.user("clerk", ("clerks",))
    api.user("boss", ("supervisors",))
    if monkeypatch is not None:
        from engine.bpmn import library

        monkeypatch.setattr(library, "check", lambda files: [])
    deployed = api.deploy("designer", xml)
    assert deployed.status_code in (200, 201), deployed.get_json()  # 200: deployed already, unchanged
    case = api.start("clerk", key, {"n": 2}).get_json()
    task = case["active_tasks"][0]["id"]
    answer = api.post(f"/tasks/{task}/complete", "clerk", {"data": {}})
    assert answer.status_code == 200, answer.get_json()
    return case["id"], answer.get_json()


@pytest.mark.parametrize("script,word", ATTACKS)
def test_a_refused_script_leaves_the_case_in_error_for_supervisors(api, script, word, tmp_path, monkeypatch):
    api.user("designer", ("designers",))
    refused = api.deploy("designer", _script_process(script))  # lint compiles scripts since issue 10
    assert refused.status_code == (201 if word == "budget" else 422), refused.get_json()
    case_id, answer = _run(api, _script_process(script), "scripted", monkeypatch)
    assert answer["status"] == "error"
    assert word in answer["error_message"] and answer["error_message"].startswith("Compute (compute): ")
    errored = api.get("/cases?status=error", "boss").get_json()
    assert [c["id"] for c in errored] == [case_id]
    history = api.get(f"/cases/{case_id}", "boss").get_json()["history"]
    assert history[-1]["kind"] == "case_error" and word in history[-1]["message"]
    import os

    assert not os.path.exists("/tmp/casework-pwned")


@pytest.mark.parametrize("condition,word", [
    ("__import__('os').getcwd() == ''", "__import__"),
    ("().__class__.__base__.__subclasses__() == []", "__class__"),
    ("open('/etc/passwd') == 1", "open"),
    ("${x.__class__ == 1}", "__class__"),
])
def test_a_refused_condition_leaves_the_case_in_error(api, condition, word, monkeypatch):
    api.user("designer", ("designers",))
    assert api.deploy("designer", _condition_process(condition)).status_code == 422  # lint refuses it now
    case_id, answer = _run(api, _condition_process(condition), "conditional", monkeypatch)
    assert answer["status"] == "error" and word in answer["error_message"]


def test_good_scripts_and_conditions_run(api):
    _, answer = _run(api, _script_process("doubled = n * 2\nlabel = 'n=%d' % n"), "scripted")
    assert answer["status"] == "completed" and answer["data"]["doubled"] == 4 and answer["data"]["label"] == "n=2"


def test_dates_made_by_registered_functions_are_stored_and_shown(api):
    from datetime import date, datetime

    api.ctx.script_engine.register_function("signed_on", lambda: date(2026, 11, 27))
    api.ctx.script_engine.register_function("stamped_at", lambda: datetime(2026, 11, 27, 9, 30, tzinfo=UTC))
    _, answer = _run(api, _script_process("day = signed_on()\nat = stamped_at()"), "scripted")
    assert answer["status"] == "completed"
    assert answer["data"]["day"] == "2026-11-27" and answer["data"]["at"] == "2026-11-27T09:30:00+00:00"
