"""Routes call services and shape answers; they hold no queries and no permission rules."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from engine import identity
from engine.bpmn import library
from engine.cases import instances, permissions, queries, runtime, starts, tasks
from engine.draw.render import render_svg
from engine.errors import BadRequest, Invalid, TooLarge
from workflows import caselist, paper

from ..web import identity_throttle
from . import serialize as out
from .answers import case_answer
from .blueprint import api, ctx, current_user, db, json_body
from .openapi import document


def _page() -> tuple[int, int]:
    config = ctx().config
    return queries.page(request.args.get("limit"), request.args.get("offset"),
                        config["api.default_limit"], config["api.max_limit"])


@api.get("/openapi.json")
def openapi() -> Any:
    return jsonify(document())


@api.post("/auth/token")
def issue_token() -> Any:
    body = json_body()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise Invalid("send username and password", [{"field": f, "message": "is required"}
                                                     for f in ("username", "password") if not body.get(f)])
    session = db()
    config = ctx().config
    user = identity.authenticate(session, username, password, request.remote_addr or "",
                                 **identity_throttle(config))
    token, expires_at = identity.issue_token(session, user, ctx().config["auth.token_ttl_hours"])
    session.commit()
    return jsonify({"token": token, "expires_at": out.iso(expires_at)})


@api.get("/process-definitions")
def list_definitions() -> Any:
    current_user()
    session = db()
    running = library.running_counts(session)
    return jsonify([out.definition(d, running.get(d.id, 0), list(ctx().start_forms.get(d).fields))
                    for d in library.list_definitions(session)])


@api.post("/process-definitions")
def deploy_definitions() -> Any:
    user = current_user()
    permissions.check_may_deploy(user)
    uploads = request.files.getlist("file")
    if not uploads:
        raise BadRequest("send the BPMN file as multipart form field 'file'")
    limit = ctx().config["uploads.max_bpmn_bytes"]
    files: dict[str, bytes] = {}
    for upload in uploads:
        name = upload.filename or "upload.bpmn"
        if not name.lower().endswith((".bpmn", ".xml")):
            raise Invalid(f"{name} is not a .bpmn file", [{"file": name, "line": None, "element_id": None,
                                                           "message": "only .bpmn files can be deployed"}])
        content = upload.read(limit + 1)
        if len(content) > limit:
            raise TooLarge(f"{name} is larger than the limit of {limit:,} bytes")
        files[name] = content
    session = db()
    deployed = library.deploy(session, files, deployed_by=user.username)
    session.commit()
    created = any(d.created for d in deployed)
    return jsonify([{"key": d.definition.key, "version": d.definition.version, "created": d.created}
                    for d in deployed]), 201 if created else 200


@api.post("/cases")
def start_case() -> Any:
    user = current_user()
    body = json_body()
    key = body.get("process_key")
    if not isinstance(key, str) or not key:
        raise Invalid("say which process to start", [{"field": "process_key", "message": "is required"}])
    title = body.get("title") or ""
    if not isinstance(title, str):
        raise Invalid("the title must be text", [{"field": "title", "message": "must be text"}])
    session = db()
    # a retry with the key of an earlier call gets that call's case, 200 instead of 201, and nothing new
    once = starts.check_key(request.headers.get("Idempotency-Key"))
    case, started = starts.start_once(session, user, once,
                                      lambda: paper.register(ctx(), session, user, key, title, body.get("data")))
    return case_answer(case, user, 201 if started else 200)


@api.get("/cases")
def list_cases() -> Any:
    user = current_user()
    limit, offset = _page()
    # search (number, title, body, names, units, category, stage, year) and the domain's filters
    found = caselist.find(db(), user, caselist.Filters.from_args(request.args), limit=limit, offset=offset)
    return jsonify([out.case_summary(c) for c, _facts in found])


@api.get("/cases/<case_id>")
def get_case(case_id: str) -> Any:
    user = current_user()
    return case_answer(queries.get_case(db(), user, case_id), user)


@api.post("/cases/<case_id>/retry")
def retry_case(case_id: str) -> Any:
    user = current_user()
    session = db()
    case = runtime.retry_case(ctx(), session, user, case_id)
    session.commit()
    return case_answer(case, user)


@api.get("/cases/<case_id>/diagram.svg")
def case_diagram(case_id: str) -> Any:
    user = current_user()
    case = queries.get_case(db(), user, case_id)
    svg = render_svg(case.definition.bpmn_xml.encode("utf-8"), instances.element_states(ctx(), case))
    return Response(svg, mimetype="image/svg+xml")


@api.get("/tasks")
def list_tasks() -> Any:
    user = current_user()
    limit, offset = _page()
    rows = queries.list_tasks(db(), user, request.args.get("scope", "mine"), limit, offset)
    return jsonify([out.task(r) for r in rows])


@api.post("/tasks/<task_id>/claim")
def claim_task(task_id: str) -> Any:
    user = current_user()
    session = db()
    row = tasks.claim(session, user, task_id)
    session.commit()
    return jsonify(out.task(row))


@api.post("/tasks/<task_id>/unclaim")
def unclaim_task(task_id: str) -> Any:
    user = current_user()
    session = db()
    row = tasks.unclaim(session, user, task_id)
    session.commit()
    return jsonify(out.task(row))


@api.post("/tasks/<task_id>/assign")
def assign_task(task_id: str) -> Any:
    user = current_user()
    session = db()
    row = tasks.assign(session, user, task_id, json_body().get("user"))
    session.commit()
    return jsonify(out.task(row))


@api.post("/tasks/<task_id>/complete")
def complete_task(task_id: str) -> Any:
    user = current_user()
    session = db()
    data = json_body().get("data", {})
    case = runtime.complete_task(ctx(), session, user, task_id, data)
    session.commit()
    return case_answer(case, user)


@api.post("/messages")
def send_message() -> Any:
    user = current_user()
    body = json_body()
    name, case_id = body.get("name"), body.get("case_id")
    if not isinstance(name, str) or not name:
        raise Invalid("say which message", [{"field": "name", "message": "is required"}])
    session = db()
    case = queries.get_case(session, user, case_id)
    case = runtime.send_message(ctx(), session, user, name, case.id, body.get("data"))
    session.commit()
    return case_answer(case, user)
