"""The issue's acceptance path: a Camunda Modeler-style file with JUEL conditions,
candidateGroups="${unit}", form fields and an unquoted PT3S boundary timer is deployed through
the API and walked to its end by the right users."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from engine import clock
from engine.schedule import timers

from .bpmn_util import bpmn

MODELER_FILE = bpmn("""
  <bpmn:startEvent id="received" name="收到建议"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="review" name="审核" camunda:candidateGroups="office">
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="unit" label="承办单位" type="enum">
        <camunda:validation><camunda:constraint name="required" /></camunda:validation>
        <camunda:value id="unit_roads" name="交通局" /><camunda:value id="unit_schools" name="教育局" />
      </camunda:formField>
      <camunda:formField id="urgent" label="重点" type="boolean" />
      <camunda:formField id="score" label="评分" type="long">
        <camunda:validation><camunda:constraint name="min" config="1" /><camunda:constraint name="max" config="5" /></camunda:validation>
      </camunda:formField>
    </camunda:formData></bpmn:extensionElements>
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:exclusiveGateway id="route"><bpmn:incoming>f2</bpmn:incoming>
    <bpmn:outgoing>f_urgent</bpmn:outgoing><bpmn:outgoing>f_normal</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_urgent" sourceRef="route" targetRef="handle_fast">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${urgent &amp;&amp; score &gt; 3}</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_normal" sourceRef="route" targetRef="handle">
    <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${not urgent || score &lt;= 3}</bpmn:conditionExpression>
  </bpmn:sequenceFlow>
  <bpmn:userTask id="handle_fast" name="加急办理" camunda:candidateGroups="${unit}">
    <bpmn:incoming>f_urgent</bpmn:incoming><bpmn:outgoing>f_fast_done</bpmn:outgoing></bpmn:userTask>
  <bpmn:userTask id="handle" name="办理答复" camunda:candidateGroups="${unit}">
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="reply" label="答复" type="string">
        <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="maxlength" config="20" /></camunda:validation>
      </camunda:formField>
    </camunda:formData></bpmn:extensionElements>
    <bpmn:incoming>f_normal</bpmn:incoming><bpmn:outgoing>f_done</bpmn:outgoing></bpmn:userTask>
  <bpmn:boundaryEvent id="too_slow" name="超时" attachedToRef="handle">
    <bpmn:outgoing>f_escalate</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT3S</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:userTask id="supervise" name="督办" camunda:candidateGroups="supervisors">
    <bpmn:incoming>f_escalate</bpmn:incoming><bpmn:outgoing>f_sup_done</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="replied" name="已答复"><bpmn:incoming>f_done</bpmn:incoming><bpmn:incoming>f_fast_done</bpmn:incoming></bpmn:endEvent>
  <bpmn:endEvent id="escalated" name="已督办"><bpmn:incoming>f_sup_done</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="received" targetRef="review"/>
  <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="route"/>
  <bpmn:sequenceFlow id="f_done" sourceRef="handle" targetRef="replied"/>
  <bpmn:sequenceFlow id="f_fast_done" sourceRef="handle_fast" targetRef="replied"/>
  <bpmn:sequenceFlow id="f_escalate" sourceRef="too_slow" targetRef="supervise"/>
  <bpmn:sequenceFlow id="f_sup_done" sourceRef="supervise" targetRef="escalated"/>
""", "modeler_case", "建议办理")


def _people(api):
    api.user("designer", ("designers",))
    api.user("deputy")
    api.user("officer", ("office",))
    api.user("roads_clerk", ("unit_roads",))
    api.user("schools_clerk", ("unit_schools",))
    api.user("boss", ("supervisors",))


def _deploy_and_start(api):
    answer = api.deploy("designer", MODELER_FILE, "modeler.bpmn")
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()[0]["key"] == "modeler_case"
    answer = api.start("deputy", "modeler_case", title="关于学校周边道路的建议")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _review(api, unit="unit_roads", urgent=False, score=2):
    [task] = api.tasks("officer", "groups")
    assert task["name"] == "审核" and task["candidate_groups"] == ["office"]
    answer = api.post(f"/tasks/{task['id']}/complete", "officer",
                      {"data": {"unit": unit, "urgent": urgent, "score": score}})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_walked_to_its_end_by_the_right_users(api):
    _people(api)
    case = _deploy_and_start(api)
    assert case["status"] == "running" and case["process_version"] == 1
    assert [t["element_id"] for t in case["active_tasks"]] == ["review"]

    # the deputy started the case but is not in the office group
    review_id = case["active_tasks"][0]["id"]
    assert api.post(f"/tasks/{review_id}/complete", "deputy", {"data": {"unit": "unit_roads"}}).status_code == 403

    case = _review(api, "unit_roads", urgent=False, score=2)
    [handle] = case["active_tasks"]
    assert handle["element_id"] == "handle"
    assert handle["candidate_groups"] == ["unit_roads"]  # ${unit} evaluated against the case data
    assert api.tasks("schools_clerk", "groups") == []
    assert api.post(f"/tasks/{handle['id']}/complete", "schools_clerk", {"data": {"reply": "x"}}).status_code == 404

    assert api.post(f"/tasks/{handle['id']}/claim", "roads_clerk").status_code == 200
    assert [t["id"] for t in api.tasks("roads_clerk", "mine")] == [handle["id"]]
    answer = api.post(f"/tasks/{handle['id']}/complete", "roads_clerk", {"data": {"reply": "已完成整改"}})
    assert answer.status_code == 200, answer.get_json()
    done = answer.get_json()
    assert done["status"] == "completed" and done["active_tasks"] == []
    assert done["data"]["reply"] == "已完成整改"
    kinds = [e["kind"] for e in done["history"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 2 and "task_claimed" in kinds
    # the timer was cancelled with its task: nothing is left for the scheduler
    assert timers.fire_due(api.ctx, clock.now() + timedelta(hours=1)) == 0


def test_juel_condition_routes_the_urgent_path(api):
    _people(api)
    _deploy_and_start(api)
    case = _review(api, "unit_schools", urgent=True, score=5)
    assert [t["element_id"] for t in case["active_tasks"]] == ["handle_fast"]
    assert case["active_tasks"][0]["candidate_groups"] == ["unit_schools"]


def test_the_pt3s_boundary_timer_escalates_to_supervisors(api):
    _people(api)
    started = _deploy_and_start(api)
    _review(api)
    assert timers.fire_due(api.ctx) == 0  # not due yet
    with time_machine.travel(clock.now() + timedelta(seconds=4), tick=False):
        assert timers.fire_due(api.ctx) == 1
        assert timers.fire_due(api.ctx) == 0  # firing again changes nothing
    case = api.get(f"/cases/{started['id']}", "boss").get_json()
    assert [t["element_id"] for t in case["active_tasks"]] == ["supervise"]
    assert any(e["kind"] == "timer_fired" and e["element_id"] == "too_slow" for e in case["history"])
    assert any(e["kind"] == "task_cancelled" and e["element_id"] == "handle" for e in case["history"])
    [task] = api.tasks("boss", "groups")
    assert api.post(f"/tasks/{task['id']}/complete", "boss", {"data": {}}).get_json()["status"] == "completed"
