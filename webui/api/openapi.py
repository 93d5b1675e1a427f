"""The OpenAPI 3 description of /api/v1 (a test checks it is valid and that routes answer as it says)."""

from __future__ import annotations

from typing import Any

from engine.bounds import MAX_ID

from . import caseyear, notifications, similar, yearwork
from .blueprint import HISTORY_PARAMETER


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "Bad request", 401: "Not signed in (missing, unknown or expired token)", 403: "Not allowed",
             404: "Not found (or not visible to you)", 409: "Conflict: stale, already done or held by someone else",
             413: "Too large", 422: "Invalid: one details entry per field or BPMN problem"}
    return {str(c): _json(_ref("Error"), words[c]) for c in codes}


_LIST_PARAMS = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
     "description": "at most api.max_limit; anything else is a 422 naming the field"},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0},
     "description": "a value out of range is a 422 naming the field; past the end, an empty list"},
]
_TASK_ID = [{"name": "task_id", "in": "path", "required": True, "schema": {"type": "string"}}]
_CASE_ID = [{"name": "case_id", "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
             "description": "a number out of range (or not a number) names no case: 404"}]
_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}

_RATE = {"type": "number", "minimum": 0, "maximum": 1, "nullable": True}
_QUOTA_PROPS = {"required": {"type": "integer"}, "done": {"type": "integer"}, "short": {"type": "integer"},
                "warning": {"type": "boolean"}}
_SESSION_QUOTA = {"type": "object", "required": ["session_label", "required", "done", "short", "warning"],
                  "properties": {**_QUOTA_PROPS, "session_label": {"type": "string"},
                                 "suggestions": {"type": "integer"}, "open": {"type": "integer"},
                                 "earliest_due": {"type": "string", "format": "date", "nullable": True}}}
# workflows/statistics.py defines each figure
STATISTICS_SCHEMAS: dict[str, Any] = {
    "Figures": {"type": "object", "required": [
        "unit", "counts", "reply_rate", "on_time_rate", "face_reply_rate", "satisfaction_rate",
        "implementation_rate", "class_shares", "rehandled"], "properties": {
        "unit": {"type": "string", "nullable": True, "description": "the lead unit (group id); null for all units"},
        "unit_name": {"type": "string"},
        "counts": {"type": "object", "additionalProperties": True},
        "reply_rate": _RATE, "on_time_rate": _RATE, "face_reply_rate": _RATE,
        "satisfaction_rate": {"type": "object", "required": ["work", "result"],
                              "properties": {"work": _RATE, "result": _RATE}},
        "implementation_rate": _RATE,
        "class_shares": {"type": "object", "properties": {k: _RATE for k in "ABCD"}},
        "rehandled": {"type": "integer"},
        "face_reply_quota": {"type": "object", "nullable": True, "required": [*_QUOTA_PROPS, "sessions"],
                             "properties": {**_QUOTA_PROPS, "sessions": {"type": "array", "items": _SESSION_QUOTA}}}}},
    "Statistics": {"type": "object", "required": ["year", "case_type", "overall", "units", "face_reply_warnings"],
                   "properties": {
        "year": {"type": "integer"}, "case_type": {"type": "string", "nullable": True},
        "years": {"type": "array", "items": {"type": "integer"}},
        "overall": {"$ref": "#/components/schemas/Figures"},
        "units": {"type": "array", "items": {"$ref": "#/components/schemas/Figures"}},
        "face_reply_warnings": {"type": "array", "items": {"allOf": [_SESSION_QUOTA, {"type": "object", "properties": {
            "unit": {"type": "string"}, "unit_name": {"type": "string"}}}]}}}},
}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message", "details"], "properties": {
        "error": {"type": "string"}, "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object", "description":
            "field, code (required, too_long, not_option, ...), params (max, min, day, names) and message"}}}},
    "FormField": {"type": "object", "required": ["id", "type"], "properties": {
        "id": {"type": "string"}, "label": {"type": "string", "nullable": True}, "type": {"type": "string"},
        "default": {"nullable": True}, "required": {"type": "boolean"}, "readonly": {"type": "boolean"},
        "constraints": {"type": "object"}, "options": {"type": "array", "items": {"type": "object"}}}},
    "Task": {"type": "object", "required": ["id", "case_id", "name", "element_id", "lane", "assignee",
                                            "candidate_groups", "due_at", "form"], "properties": {
        "id": {"type": "string"}, "case_id": {"type": "integer"}, "name": {"type": "string"},
        "element_id": {"type": "string"}, "lane": {"type": "string", "nullable": True},
        "state": {"type": "string", "enum": ["open", "completed", "cancelled"]},
        "assignee": {"type": "string", "nullable": True},
        "candidate_groups": {"type": "array", "items": {"type": "string"}},
        "candidate_users": {"type": "array", "items": {"type": "string"}},
        "created_at": _NULLABLE_TIME, "due_at": _NULLABLE_TIME, "follow_up_at": _NULLABLE_TIME,
        "priority": {"type": "integer"}, "form": {"type": "array", "items": _ref("FormField")}}},
    "Event": {"type": "object", "required": ["at", "kind"], "properties": {
        "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
        "actor": {"type": "string", "nullable": True}, "kind": {"type": "string"},
        "element_id": {"type": "string", "nullable": True}, "task_id": {"type": "string", "nullable": True},
        "message": {"type": "string"}, "data": {"type": "object"}}},
    "CaseSummary": {"type": "object", "required": ["id", "number", "process_key", "title", "status", "stage",
                                                   "due_at", "overdue", "flagged"], "properties": {
        "id": {"type": "integer"}, "number": {"type": "string", "nullable": True},
        "process_key": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "string", "enum": ["running", "completed", "cancelled", "error"]},
        "stage": {"type": "string"}, "due_at": _NULLABLE_TIME, "overdue": {"type": "boolean"},
        "flagged": {"type": "boolean"}, "created_at": _NULLABLE_TIME,
        "started_by": {"type": "string", "nullable": True}}},
    "Case": {"allOf": [_ref("CaseSummary"), {"type": "object", "required": [
        "process_version", "data", "active_tasks"], "description": "history is there unless the call asked "
        "history=false", "properties": {
        "process_version": {"type": "integer"}, "data": {"type": "object"},
        "error_message": {"type": "string", "nullable": True},
        "updated_at": _NULLABLE_TIME, "completed_at": _NULLABLE_TIME,
        "active_tasks": {"type": "array", "items": _ref("Task")},
        "history": {"type": "array", "items": _ref("Event")}}}]},
    "ProcessDefinition": {"type": "object", "required": ["key", "name", "version", "deployed_at"], "properties": {
        "key": {"type": "string"}, "name": {"type": "string"}, "version": {"type": "integer"},
        "deployed_at": {"type": "string", "format": "date-time"}, "deployed_by": {"type": "string", "nullable": True},
        "content_hash": {"type": "string"}, "file_name": {"type": "string"},
        "running_cases": {"type": "integer"},
        "start_form": {"type": "array", "items": _ref("FormField"),
                       "description": "the start event's form fields; POST /cases checks data against them"}}},
    "Deployed": {"type": "object", "required": ["key", "version"], "properties": {
        "key": {"type": "string"}, "version": {"type": "integer"}, "created": {"type": "boolean"}}},
    **STATISTICS_SCHEMAS,
}


def document() -> dict[str, Any]:
    task_ok = _json(_ref("Task"), "The task")
    case_ok = _json(_ref("Case"), "The case")
    paths: dict[str, Any] = {
        "/auth/token": {"post": {
            "summary": "Exchange a user name and password for a bearer token", "security": [],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["username", "password"],
                "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
            "responses": {"200": _json({"type": "object", "required": ["token", "expires_at"], "properties": {
                "token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}}}, "A token"),
                **_errors(400, 401, 422),
                "429": _json(_ref("Error"), "Too many failed attempts for this user name or from this address; "
                                            "wait the Retry-After seconds and try again")}}},
        "/process-definitions": {
            "get": {"summary": "The newest version of each deployed process",
                    "responses": {"200": _json({"type": "array", "items": _ref("ProcessDefinition")}, "Definitions"),
                                  **_errors(401)}},
            "post": {"summary": "Lint and deploy BPMN files (designers); nothing is deployed if any file fails",
                     "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                         "type": "object", "required": ["file"],
                         "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                     "responses": {"201": _json({"type": "array", "items": _ref("Deployed")}, "New versions"),
                                   "200": _json({"type": "array", "items": _ref("Deployed")},
                                                "Identical content: the existing versions"),
                                   **_errors(400, 401, 403, 413, 422)}}},
        "/cases": {
            "post": {"summary": "Start a case of the newest version of a process",
                     "description": "data is checked against the process's start_form (422, one detail per "
                                    "field); besides its fields only the keys the process declares as start "
                                    "inputs are taken, any other key is 422 naming it. The start event's "
                                    "camunda:initiator variable (e.g. proposer) is the caller's user name; only "
                                    "a role the process allows to register on someone's behalf (a clerk "
                                    "registering a paper submission) names another user, anyone else gets 403. "
                                    "With an Idempotency-Key header, a repeated call with the same key gives "
                                    "the case the first call started (200), and starts no other.",
                     "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                     "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:\\-]{8,100}$"},
                                     "description": "the same key for every retry of one submission"},
                                    HISTORY_PARAMETER],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["process_key"], "properties": {
                             "process_key": {"type": "string"}, "title": {"type": "string"},
                             "data": {"type": "object"}}}}}},
                     "responses": {"201": case_ok, "200": {**case_ok, "description": "Started before with this "
                                                           "Idempotency-Key: that case"},
                                   **_errors(400, 401, 403, 404, 422)}},
            "get": {"summary": "Cases visible to the caller, newest first",
                    "parameters": [*yearwork.CASE_FILTERS, *_LIST_PARAMS],
                    "responses": {"200": _json({"type": "array", "items": _ref("CaseSummary")}, "Cases"),
                                  **_errors(400, 401, 422)}}},
        "/cases/{case_id}": {"get": {"summary": "One case with its open tasks and history",
                                     "parameters": [*_CASE_ID, HISTORY_PARAMETER],
                                     "responses": {"200": case_ok, **_errors(401, 404, 422)}}},
        "/cases/{case_id}/retry": {"post": {
            "summary": "Run a case stopped on a model error again (supervisors, admins): the failed tasks are "
                       "reset and run, on the newest version of its process if one was deployed since",
            "parameters": [*_CASE_ID, HISTORY_PARAMETER],
            "responses": {"200": case_ok, **_errors(401, 403, 404, 422),
                          "409": _json(_ref("Error"), "The case has not stopped on an error")}}},
        "/cases/{case_id}/diagram.svg": {"get": {
            "summary": "The process diagram with the case's state marked", "parameters": _CASE_ID,
            "responses": {"200": {"description": "SVG", "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                          **_errors(401, 404),
                          "422": _json(_ref("Error"), "The process file has no diagram (BPMN DI) to draw")}}},
        "/tasks": {"get": {"summary": "Open tasks: mine (held by me) or groups (offered to me, unclaimed)",
                           "parameters": [{"name": "scope", "in": "query", "schema": {
                               "type": "string", "enum": ["mine", "groups"], "default": "mine"}}, *_LIST_PARAMS],
                           "responses": {"200": _json({"type": "array", "items": _ref("Task")}, "Tasks"),
                                         **_errors(400, 401, 422)}}},
        "/tasks/{task_id}/claim": {"post": {"summary": "Take the task", "parameters": _TASK_ID,
                                            "responses": {"200": task_ok, **_errors(401, 403, 404, 409)}}},
        "/tasks/{task_id}/unclaim": {"post": {"summary": "Give the task back to its groups", "parameters": _TASK_ID,
                                              "responses": {"200": task_ok, **_errors(401, 403, 404, 409)}}},
        "/tasks/{task_id}/assign": {"post": {
            "summary": "Hand the task to a user (its holder or a supervisor)", "parameters": _TASK_ID,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["user"], "properties": {"user": {"type": "string"}}}}}},
            "responses": {"200": task_ok, **_errors(400, 401, 403, 404, 409, 422)}}},
        "/tasks/{task_id}/complete": {"post": {
            "summary": "Complete the task with form data", "parameters": [*_TASK_ID, HISTORY_PARAMETER],
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {"data": {"type": "object"}}}}}},
            "responses": {"200": case_ok, **_errors(400, 401, 403, 404, 409, 422)}}},
        "/messages": {"post": {
            "summary": "Deliver a BPMN message to a case waiting for it (only the groups the process names for it "
                       "may; a message it names nobody for is the engine's alone: 403)",
            "parameters": [HISTORY_PARAMETER],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["name", "case_id"], "properties": {
                    "name": {"type": "string"}, "case_id": {"type": "integer"}, "data": {"type": "object"}}}}}},
            "responses": {"200": case_ok, **_errors(400, 401, 403, 404, 409, 422)}}},
        "/statistics": {"get": {
            "summary": "The yearly statistics per lead unit and overall, with the face-reply quota (supervisors)",
            "parameters": [
                {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": 2000, "maximum": 2100},
                 "description": "the year of assignment in the configured zone; the current year by default"},
                {"name": "case_type", "in": "query", "schema": {"type": "string", "enum": ["suggestion", "proposal"]},
                 "description": "one case type; both by default"}],
            "responses": {"200": _json(_ref("Statistics"), "The figures"), **_errors(400, 401, 403)}}},
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": _json({"type": "object"}, "OpenAPI 3 document")}}},
    }
    paths.update(notifications.PATHS)
    paths.update(yearwork.PATHS)
    paths.update(caseyear.PATHS)
    paths.update(similar.PATHS)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Casework API", "version": "1",
                 "description": "Cases of deputies' suggestions and CPPCC proposals run by BPMN processes. "
                                "Errors are {error, message, details}."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": {**SCHEMAS, **notifications.SCHEMAS}},
        "paths": paths,
    }
