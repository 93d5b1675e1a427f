"""Messages reach the case that waits for them; nothing waiting is a 404; only the groups the process names
may send a message, and one it names nobody for is the engine's alone (403, nothing stored)."""

from __future__ import annotations

from tests.bpmn_util import bpmn

WAITING = bpmn("""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:intermediateCatchEvent id="wait_reply" name="代表意见返回">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:messageEventDefinition messageRef="msg_opinion" /></bpmn:intermediateCatchEvent>
  <bpmn:userTask id="read" name="Read the opinion" camunda:candidateGroups="clerks">
    <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait_reply"/>
  <bpmn:sequenceFlow id="f2" sourceRef="wait_reply" targetRef="read"/>
  <bpmn:sequenceFlow id="f3" sourceRef="read" targetRef="done"/>""", "awaiting",
    declare={"message:opinion": "clerks"}).replace(
    "</bpmn:definitions>", '<bpmn:message id="msg_opinion" name="opinion" /></bpmn:definitions>')


def test_a_message_moves_the_waiting_case_on(api):
    api.user("designer", ("designers",))
    api.user("clerk", ("clerks",))
    assert api.deploy("designer", WAITING).status_code == 201
    case = api.start("clerk", "awaiting").get_json()
    assert case["active_tasks"] == [] and case["status"] == "running"
    answer = api.post("/messages", "clerk", {"name": "wrong", "case_id": case["id"]})
    assert answer.status_code == 403 and "engine only" in answer.get_json()["message"]
    answer = api.post("/messages", "clerk", {"name": "opinion", "case_id": case["id"], "data": {"opinion": "满意"}})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert [t["element_id"] for t in body["active_tasks"]] == ["read"]
    assert body["data"]["opinion"] == "满意"
    assert any(e["kind"] == "message_received" for e in body["history"])
    assert api.post("/messages", "clerk", {"name": "opinion", "case_id": case["id"]}).status_code == 404
    assert api.post("/messages", "clerk", {"name": "opinion", "case_id": 999}).status_code == 404


def test_a_person_who_sees_the_case_cannot_send_its_message_unless_named(api):
    api.user("designer", ("designers",))
    api.user("clerk", ("clerks",))
    api.user("other", ("others",))
    assert api.deploy("designer", WAITING).status_code == 201
    case = api.start("other", "awaiting").get_json()  # the starter sees the case, but is not of the clerks
    answer = api.post("/messages", "other", {"name": "opinion", "case_id": case["id"], "data": {"opinion": "伪造"}})
    assert answer.status_code == 403 and "clerks" in answer.get_json()["message"]
    after = api.get(f"/cases/{case['id']}", "other").get_json()
    assert after["active_tasks"] == [] and "opinion" not in after["data"]
    assert not any(e["kind"] == "message_received" for e in after["history"])
