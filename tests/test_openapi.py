"""The OpenAPI document is valid, lists every route, and each route answers as it documents."""

from __future__ import annotations

import re

from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from engine import identity
from engine.notify import channels, outbox
from webui.api.openapi import document

from .bpmn_util import one_task


def test_the_document_is_valid_openapi_3(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    assert doc == document()


def test_every_api_route_is_documented(app):
    doc = document()
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1"):])
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((path, method.lower()))
    documented = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert routes == documented


def _check(doc, path, method, answer):
    operation = doc["paths"][path][method]
    status = str(answer.status_code)
    assert status in operation["responses"], f"{method.upper()} {path} answered {status}, not documented"
    content = operation["responses"][status].get("content", {})
    if "application/json" in content:
        schema = {**content["application/json"]["schema"], "components": doc["components"]}
        OAS30Validator(schema).validate(answer.get_json())
    elif "image/svg+xml" in content:
        assert answer.mimetype == "image/svg+xml"


def test_each_route_answers_as_documented(api):
    doc = document()
    api.user("designer", ("designers",))
    api.user("clerk", ("clerks",))
    api.user("boss", ("supervisors",))
    calls = []

    def call(path, method, who=None, real_path=None, **kw):
        answer = getattr(api.client, method)(f"/api/v1{real_path or path}", headers=api.headers(who), **kw)
        _check(doc, path, method, answer)
        calls.append((path, method, answer.status_code))
        return answer

    call("/openapi.json", "get")
    call("/auth/token", "post", json={"username": "clerk", "password": "secret-pw"})
    call("/auth/token", "post", json={"username": "clerk", "password": "nope"})
    call("/process-definitions", "get", "clerk")
    import io

    call("/process-definitions", "post", "designer",
         data={"file": (io.BytesIO(one_task("doc").encode()), "doc.bpmn")}, content_type="multipart/form-data")
    call("/process-definitions", "post", "designer",
         data={"file": (io.BytesIO(b"<x/>"), "bad.bpmn")}, content_type="multipart/form-data")
    call("/process-definitions", "post", "clerk",
         data={"file": (io.BytesIO(b"<x/>"), "bad.bpmn")}, content_type="multipart/form-data")
    case = call("/cases", "post", "clerk", json={"process_key": "doc", "title": "t"}).get_json()
    call("/cases", "post", "clerk", json={"process_key": "missing"})
    call("/cases", "post", "clerk", json={})
    call("/cases", "get", "clerk")
    call("/cases", "get", "clerk", real_path="/cases?status=wrong")
    call("/cases/{case_id}", "get", "clerk", real_path=f"/cases/{case['id']}")
    call("/cases/{case_id}", "get", "designer", real_path=f"/cases/{case['id']}")
    call("/cases/{case_id}/diagram.svg", "get", "clerk", real_path=f"/cases/{case['id']}/diagram.svg")
    call("/cases/{case_id}/retry", "post", "clerk", real_path=f"/cases/{case['id']}/retry")
    call("/cases/{case_id}/retry", "post", "boss", real_path=f"/cases/{case['id']}/retry")
    call("/tasks", "get", "clerk", real_path="/tasks?scope=groups")
    call("/tasks", "get", "clerk", real_path="/tasks?scope=everything")
    tid = case["active_tasks"][0]["id"]
    call("/tasks/{task_id}/claim", "post", "clerk", real_path=f"/tasks/{tid}/claim")
    call("/tasks/{task_id}/claim", "post", "boss", real_path=f"/tasks/{tid}/claim")
    call("/tasks/{task_id}/unclaim", "post", "clerk", real_path=f"/tasks/{tid}/unclaim")
    call("/tasks/{task_id}/assign", "post", "boss", real_path=f"/tasks/{tid}/assign", json={"user": "clerk"})
    call("/tasks/{task_id}/assign", "post", "boss", real_path=f"/tasks/{tid}/assign", json={"user": "ghost"})
    call("/tasks/{task_id}/complete", "post", "designer", real_path=f"/tasks/{tid}/complete", json={"data": {}})
    call("/tasks/{task_id}/complete", "post", "clerk", real_path=f"/tasks/{tid}/complete", json={"data": {}})
    call("/tasks/{task_id}/complete", "post", "clerk", real_path=f"/tasks/{tid}/complete", json={"data": {}})
    call("/messages", "post", "clerk", json={"name": "nothing", "case_id": case["id"]})
    call("/messages", "post", "clerk", json={"case_id": case["id"]})
    call("/statistics", "get", "boss", real_path="/statistics?year=2026&case_type=suggestion")
    call("/statistics", "get", "boss", real_path="/statistics?year=soon")
    call("/statistics", "get", "clerk")
    call("/cases/export", "get", "boss", real_path="/cases/export?format=csv&q=t")
    call("/cases/export", "get", "clerk")
    call("/cases/export", "get", "boss", real_path="/cases/export?format=pdf")
    call("/statistics/export", "get", "boss", real_path="/statistics/export?year=2026&format=xlsx&summary=1")
    call("/statistics/export", "get", "clerk")
    # the offices' year's work on a case (tests/scenarios/test_paper_and_results_web.py walks them for real)
    for path, method in (("/cases/{case_id}/paper-evaluation", "post"), ("/cases/{case_id}/tracking", "post"),
                         ("/cases/{case_id}/tracking", "delete"), ("/cases/{case_id}/results", "get"),
                         ("/cases/{case_id}/results", "post")):
        call(path, method, "clerk", real_path=path.replace("{case_id}", str(case["id"])), json={})
    call("/cases/similar", "get", "clerk", real_path="/cases/similar?title=一个案件")
    call("/cases/similar", "get", "clerk", real_path="/cases/similar?process_key=nothing")
    call("/cases/similar", "get")
    with api.ctx.db.session() as session:  # a notification for the clerk, delivered by the outbox
        channels.queue(api.ctx, session, [identity.get_user(session, "clerk")], None, "reminder", "提醒", "")
    outbox.deliver_due(api.ctx)
    [note] = call("/notifications", "get", "clerk", real_path="/notifications?unread=true").get_json()
    call("/notifications", "get")
    call("/notifications/{notification_id}/read", "post", "boss", real_path=f"/notifications/{note['id']}/read")
    call("/notifications/{notification_id}/read", "post", "clerk", real_path=f"/notifications/{note['id']}/read")
    call("/notifications/read-all", "post", "clerk")
    statuses = {(p, m): s for p, m, s in calls}
    assert len({(p, m) for p, m, _ in calls}) == sum(len(ops) for ops in doc["paths"].values())
    assert statuses[("/tasks/{task_id}/complete", "post")] == 409
