"""The case as the API answers it (GET /cases/{id} and every action on a case), in one place: what a
proposer or co-signer reads of it is filtered here (workflows.public through ctx.public_data)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request

from engine.cases import permissions, queries, roles, tasks
from engine.errors import Invalid
from engine.store import Case, User

from . import serialize as out
from .blueprint import ctx, db


def _version(case: Case) -> int:
    """The case's definition version; definitions never change, so each app asks once per definition
    (not one more query in every answer)."""
    versions = current_app.extensions.setdefault("casework_definition_versions", {})
    version = versions.get(case.definition_id)
    if version is None:
        if len(versions) > 10_000:  # bounded: deployments are rare, but a process lives long
            versions.clear()
        version = versions[case.definition_id] = case.definition.version
    return version


_HISTORY_VALUES = {"true": True, "1": True, "false": False, "0": False}
# the parameter as the OpenAPI document gives it, on every call answered with the case
HISTORY_PARAMETER = {"name": "history", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": ["true", "false", "1", "0"], "default": "true"},
                     "description": "false: the answer leaves out the case's history (a client acting on a case "
                                    "mostly needs its state and open tasks); anything else than these values is a 422"}


def check_history_parameter() -> None:
    """`?history=false` on a call answered with the case: checked before the call does anything, so that a
    wrong value is a 422 and not a change made and then refused."""
    value = request.args.get("history")
    if value is not None and value not in _HISTORY_VALUES:
        raise Invalid("history must be true or false",
                      [{"field": "history", "code": "not_boolean", "message": "must be true or false"}])


def _with_history() -> bool:
    """Whether the answer carries the case's history: yes unless the caller asked `history=false` (a client
    acting on a case mostly needs its state and open tasks; the history grows with every step)."""
    return _HISTORY_VALUES.get(request.args.get("history", "true"), True)


def case_answer(case: Case, user: User, status: int = 200) -> Any:
    session = db()
    # a proposer or co-signer reads no trace of the internal notes and files (engine.cases.roles)
    public_view = roles.public_only(session, ctx().declarations.for_case(case), user, case)
    history = roles.visible_events(queries.history_rows(session, case.id), public_view) if _with_history() else None
    open_rows = tasks.open_tasks_of_case(session, case.id)
    body = out.case_detail(case, open_rows, history, _version(case))
    if public_view:  # nor the variables meant for the office and the units (workflows.public)
        body["data"] = ctx().public_data(case, case.data or {})
        for event in body.get("history", ()):
            event["data"] = ctx().public_data(case, event["data"])
        # another's task shows where the case is, not its form filled from the case's variables
        for row, task in zip(open_rows, body["active_tasks"], strict=True):
            if row.assignee != user.username and not permissions.is_candidate(user, row):
                task["form"] = []
    return jsonify(body), status
