"""Deployments: linted, all-or-nothing, immutable versions, a case keeps its version."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from engine.store import ProcessDefinition
from tests.bpmn_util import bpmn, one_task

BROKEN = one_task("broken").replace('targetRef="done"', 'targetRef="nowhere"')


def _count(ctx) -> int:
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition))


def test_lint_problems_answer_422_with_file_line_and_element(api):
    api.user("designer", ("designers",))
    answer = api.deploy("designer", BROKEN, "broken.bpmn")
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["error"] == "invalid" and "nothing was deployed" in body["message"]
    problem = next(d for d in body["details"] if d["element_id"] == "f2")
    assert problem["file"] == "broken.bpmn" and problem["line"] > 1 and "nowhere" in problem["message"]
    assert _count(api.ctx) == 0


def test_nothing_is_deployed_when_one_file_of_several_fails(api):
    api.user("designer", ("designers",))
    files = {"file": [(io.BytesIO(one_task("good").encode()), "good.bpmn"),
                      (io.BytesIO(BROKEN.encode()), "broken.bpmn")]}
    answer = api.client.post("/api/v1/process-definitions", headers=api.headers("designer"), data=files,
                             content_type="multipart/form-data")
    assert answer.status_code == 422
    assert {d["file"] for d in answer.get_json()["details"]} == {"broken.bpmn"}
    assert _count(api.ctx) == 0


def test_malformed_xml_and_entities_are_refused(api):
    api.user("designer", ("designers",))
    answer = api.deploy("designer", "<bpmn:definitions", "cut.bpmn")
    assert answer.status_code == 422 and answer.get_json()["details"][0]["file"] == "cut.bpmn"
    evil = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + one_task("evil").split("?>", 1)[1].replace('name="Do the work"', 'name="&x;"'))
    answer = api.deploy("designer", evil, "evil.bpmn")
    assert answer.status_code == 422
    assert "root:" not in answer.get_data(as_text=True)
    assert any("DOCTYPE" in d["message"] or "entit" in d["message"] for d in answer.get_json()["details"])


def test_identical_content_makes_no_new_version_and_cases_keep_theirs(api):
    api.user("designer", ("designers",))
    api.user("clerk", ("clerks",))
    first = api.deploy("designer", one_task("versioned"))
    assert first.status_code == 201 and first.get_json()[0]["version"] == 1
    again = api.deploy("designer", one_task("versioned"))
    assert again.status_code == 200 and again.get_json() == [{"key": "versioned", "version": 1, "created": False}]
    old_case = api.start("clerk", "versioned").get_json()
    changed = one_task("versioned").replace("Do the work", "Do the new work")
    assert api.deploy("designer", changed).get_json()[0]["version"] == 2
    new_case = api.start("clerk", "versioned").get_json()
    assert old_case["process_version"] == 1 and new_case["process_version"] == 2
    assert old_case["active_tasks"][0]["name"] == "Do the work"
    assert new_case["active_tasks"][0]["name"] == "Do the new work"
    # the old case still runs on version 1 to its end
    task = old_case["active_tasks"][0]["id"]
    assert api.post(f"/tasks/{task}/complete", "clerk", {"data": {}}).get_json()["status"] == "completed"
    listed = api.get("/process-definitions", "clerk").get_json()
    assert [(d["key"], d["version"]) for d in listed] == [("versioned", 2)]


def test_only_designers_deploy_and_uploads_have_a_size_limit(api, ctx):
    api.user("clerk", ("clerks",))
    api.user("designer", ("designers",))
    assert api.deploy("clerk", one_task("x")).status_code == 403
    huge = one_task("big").replace("Do the work", "x" * (ctx.config["uploads.max_bpmn_bytes"] + 10))
    answer = api.deploy("designer", huge)
    assert answer.status_code == 413 and answer.get_json()["error"] == "too_large"
    assert _count(ctx) == 0


def test_a_start_event_called_start_works(api):
    api.user("designer", ("designers",))
    api.user("clerk", ("clerks",))
    xml = bpmn("""
      <bpmn:startEvent id="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="work" name="Work" camunda:candidateGroups="clerks"><bpmn:incoming>f1</bpmn:incoming>
        <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
      <bpmn:endEvent id="End"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="f1" sourceRef="Start" targetRef="work"/>
      <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="End"/>""", "reserved")
    assert api.deploy("designer", xml).status_code == 201
    case = api.start("clerk", "reserved").get_json()
    assert [t["element_id"] for t in case["active_tasks"]] == ["work"]
    done = api.post(f"/tasks/{case['active_tasks'][0]['id']}/complete", "clerk", {"data": {}}).get_json()
    assert done["status"] == "completed"


def test_starter_groups_limit_who_may_start(api):
    api.user("designer", ("designers",))
    api.user("deputy", ("deputies",))
    api.user("stranger")
    xml = one_task("restricted").replace('isExecutable="true"',
                                         'isExecutable="true" camunda:candidateStarterGroups="deputies"')
    assert api.deploy("designer", xml).status_code == 201
    assert api.start("stranger", "restricted").status_code == 403
    assert api.start("deputy", "restricted").status_code == 201
    assert api.start("deputy", "nonexistent").status_code == 404
