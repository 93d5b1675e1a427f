"""The communications gate (四沟通): a unit cannot submit its reply before the talks before and during
the handling are on record, nor confirm what was implemented before the talk after it."""

from __future__ import annotations

import re

import pytest

import workflows
from engine import identity
from engine.cases import notes
from engine.store import Case, TaskRow

from .bpmn_util import bpmn
from .conftest import deploy_xml

TWO_STEPS = """
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="draft_reply" name="起草答复" camunda:candidateGroups="unit_education">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:userTask id="confirm_implementation" name="确认落实" camunda:candidateGroups="unit_education">
    <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="draft_reply"/>
  <bpmn:sequenceFlow id="f2" sourceRef="draft_reply" targetRef="confirm_implementation"/>
  <bpmn:sequenceFlow id="f3" sourceRef="confirm_implementation" targetRef="done"/>"""


@pytest.fixture
def clerk(api, ctx):
    workflows.install(ctx)
    deploy_xml(ctx, bpmn(TWO_STEPS, "suggestion"), "suggestion.bpmn")
    deploy_xml(ctx, bpmn(TWO_STEPS, "other"), "other.bpmn")
    return api.user("edu_clerk", ("unit_education",))


def contact(ctx, case_id: int, kind: str) -> None:
    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        notes.add_note(session, ctx.declarations.for_case(case), identity.get_user(session, "edu_clerk"), case, kind,
                       f"{kind} with the deputy", {"method": "phone", "date": "2026-03-05", "participants": "赵代表"})


def complete(api, who: str, case: dict, element_id: str):
    task = next(t for t in api.get(f"/cases/{case['id']}", who).get_json()["active_tasks"]
                if t["element_id"] == element_id)
    return api.post(f"/tasks/{task['id']}/complete", who, {"data": {}})


def test_the_reply_waits_for_the_talks_before_and_during_the_handling(api, ctx, clerk):
    case = api.start(clerk, "suggestion").get_json()
    refused = complete(api, clerk, case, "draft_reply")
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["message"] == "先记录办前沟通和办中沟通后才能提交答复"
    assert [d["field"] for d in body["details"]] == ["contact_before", "contact_during"]

    contact(ctx, case["id"], "contact_before")
    refused = complete(api, clerk, case, "draft_reply")
    assert refused.status_code == 422 and [d["field"] for d in refused.get_json()["details"]] == ["contact_during"]

    contact(ctx, case["id"], "contact_during")
    answer = complete(api, clerk, case, "draft_reply")
    assert answer.status_code == 200
    assert [t["element_id"] for t in answer.get_json()["active_tasks"]] == ["confirm_implementation"]


def test_confirming_the_results_waits_for_the_talk_after_the_handling(api, ctx, clerk):
    case = api.start(clerk, "suggestion").get_json()
    contact(ctx, case["id"], "contact_before")
    contact(ctx, case["id"], "contact_during")
    assert complete(api, clerk, case, "draft_reply").status_code == 200
    contact(ctx, case["id"], "contact_at_reply")  # not the one that counts here
    refused = complete(api, clerk, case, "confirm_implementation")
    assert refused.status_code == 422 and [d["field"] for d in refused.get_json()["details"]] == ["contact_after"]
    contact(ctx, case["id"], "contact_after")
    answer = complete(api, clerk, case, "confirm_implementation")
    assert answer.status_code == 200 and answer.get_json()["status"] == "completed"


def test_a_comment_is_no_communication_and_other_processes_are_not_gated(api, ctx, clerk):
    case = api.start(clerk, "suggestion").get_json()
    with ctx.db.session() as session:
        row = session.get(Case, case["id"])
        notes.add_note(session, ctx.declarations.for_case(row), identity.get_user(session, "edu_clerk"), row,
                       "comment", "called the deputy")
    assert complete(api, clerk, case, "draft_reply").status_code == 422
    other = api.start(clerk, "other").get_json()
    assert complete(api, clerk, other, "draft_reply").status_code == 200


WITH_A_REPLY = TWO_STEPS.replace(
    '<bpmn:userTask id="draft_reply" name="起草答复" camunda:candidateGroups="unit_education">',
    '<bpmn:userTask id="draft_reply" name="起草答复" camunda:candidateGroups="unit_education">'
    '<bpmn:extensionElements><camunda:formData><camunda:formField id="reply_text" label="答复正文" type="string"/>'
    '</camunda:formData></bpmn:extensionElements>')


def test_the_refused_reply_names_what_is_missing_links_to_it_and_is_kept_as_a_draft(api, ctx, clerk, app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    deploy_xml(ctx, bpmn(WITH_A_REPLY, "suggestion"), "suggestion.bpmn")
    case = api.start(clerk, "suggestion").get_json()
    contact(ctx, case["id"], "contact_before")
    task = api.get(f"/cases/{case['id']}", clerk).get_json()["active_tasks"][0]
    assert client.post("/sign-in", data={"username": "edu_clerk", "password": "secret-pw"}).status_code == 302
    answer = client.post(f"/tasks/{task['id']}", data={"field.reply_text": "经研究，拟于年内完成改造。"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    start = html.index(">", html.index('id="gate-refusal"')) + 1
    refusal = html[start:html.index("</div>", start)]
    assert "办中沟通" in refusal and "办前沟通" not in refusal  # what is missing, in Chinese
    assert not re.search(r"[A-Za-z]{3,}", re.sub(r"<[^>]+>", "", refusal)), refusal  # and no English
    assert f'href="/cases/{case["id"]}#communications"' in refusal  # where to record it
    assert "contact_during" not in refusal, refusal
    assert "经研究，拟于年内完成改造。" in html
    with ctx.db.session() as session:
        row = session.get(TaskRow, task["id"])
        assert row.state == "open" and row.draft == {"reply_text": "经研究，拟于年内完成改造。"}
    # the next day the clerk comes back to the task: the reply is there
    assert "经研究，拟于年内完成改造。" in client.get(f"/tasks/{task['id']}").get_data(as_text=True)
