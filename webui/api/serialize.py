"""Rows to the JSON shapes DESIGN.md names (kept in one place so the OpenAPI document matches)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response

from engine import clock
from engine.store import Case, EventRow, ProcessDefinition, TaskRow


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def task(row: TaskRow, form: list[Any] | None = None) -> dict[str, Any]:
    """A task row (or a plain row of the tasks table with its `form` given)."""
    return {
        "id": row.id, "case_id": row.case_id, "name": row.name, "element_id": row.element_id, "lane": row.lane,
        "state": row.state, "assignee": row.assignee, "candidate_groups": row.candidate_groups or [],
        "candidate_users": row.candidate_users or [], "created_at": iso(row.created_at), "due_at": iso(row.due_at),
        "follow_up_at": iso(row.follow_up_at), "priority": row.priority,
        "form": (row.form if form is None else form) or [],
    }


def event(row: EventRow) -> dict[str, Any]:
    return {"id": row.id, "at": iso(row.at), "actor": row.actor, "kind": row.kind, "element_id": row.element_id,
            "task_id": row.task_id, "message": row.message, "data": row.data or {}}


def _overdue(case: Case) -> bool:
    return case.overdue or (case.status == "running" and case.due_at is not None and case.due_at < clock.now())


def case_summary(case: Case) -> dict[str, Any]:
    return {"id": case.id, "number": case.number, "process_key": case.process_key, "title": case.title,
            "status": case.status, "stage": case.stage, "due_at": iso(case.due_at), "overdue": _overdue(case),
            "flagged": case.flagged, "created_at": iso(case.created_at), "started_by": case.started_by}


def case_detail(case: Case, tasks: list[TaskRow], history: list[EventRow] | None, version: int,
                form: Callable[[Any], list[Any]] | None = None) -> dict[str, Any]:
    """The case with its open tasks (`form` gives a plain row's form) and, unless `history` is None (asked
    without), its history."""
    body = {**case_summary(case), "process_version": version, "data": case.data or {},
            "error_message": case.error_message, "updated_at": iso(case.updated_at),
            "completed_at": iso(case.completed_at),
            "active_tasks": [task(t, form(t) if form is not None else None) for t in tasks]}
    if history is not None:
        body["history"] = [event(e) for e in history]
    return body


def definition(row: ProcessDefinition, running: int | None = None,
               start_form: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out = {"key": row.key, "name": row.name, "version": row.version, "deployed_at": iso(row.deployed_at),
           "deployed_by": row.deployed_by, "content_hash": row.content_hash, "file_name": row.file_name}
    if running is not None:
        out["running_cases"] = running
    if start_form is not None:
        out["start_form"] = start_form
    return out


def download(content: bytes, mimetype: str, file_name: str) -> Response:
    answer = Response(content, mimetype=mimetype)
    answer.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    answer.headers["Cache-Control"] = "private, no-store"
    return answer
