"""The case as the API answers it (GET /cases/{id} and every action on a case), in one place: what a
proposer or co-signer reads of it is filtered here (workflows.public through ctx.public_data)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify

from engine.cases import permissions, queries, roles, tasks
from engine.store import Case, User, form_fields

from . import serialize as out
from .blueprint import ctx, db, with_history


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


def case_answer(case: Case, user: User, status: int = 200) -> Any:
    session = db()
    # a proposer or co-signer reads no trace of the internal notes and files (engine.cases.roles)
    public_view = roles.public_only(session, ctx().declarations.for_case(case), user, case)
    history = roles.visible_events(queries.history_rows(session, case.id), public_view) if with_history() else None
    open_rows = tasks.open_task_rows(session, case.id)
    body = out.case_detail(case, open_rows, history, _version(case), lambda row: form_fields(session, row.form_id))
    if public_view:  # nor the variables meant for the office and the units (workflows.public)
        body["data"] = ctx().public_data(case, case.data or {})
        for event in body.get("history", ()):
            event["data"] = ctx().public_data(case, event["data"])
        # another's task shows where the case is, not its form filled from the case's variables
        for row, task in zip(open_rows, body["active_tasks"], strict=True):
            if row.assignee != user.username and not permissions.is_candidate(user, row):
                task["form"] = []
    return jsonify(body), status
