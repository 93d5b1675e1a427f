"""The caller's in-app notifications (reminders, escalations): list, mark one or all read.

The OpenAPI entries live next to the routes; webui.api.openapi merges them into the document.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from engine.bounds import MAX_ID
from engine.cases import queries
from engine.notify import notifications
from engine.store import Notification

from .blueprint import api, ctx, current_user, db
from .serialize import iso


def notification(row: Notification) -> dict[str, Any]:
    return {"id": row.id, "case_id": row.case_id, "kind": row.kind, "title": row.title, "body": row.body,
            "created_at": iso(row.created_at), "read_at": iso(row.read_at)}


@api.get("/notifications")
def list_notifications() -> Any:
    user = current_user()
    config = ctx().config
    limit, offset = queries.page(request.args.get("limit"), request.args.get("offset"),
                                 config["api.default_limit"], config["api.max_limit"])
    unread = request.args.get("unread", "").lower() in ("1", "true", "yes")
    rows = notifications.list_for(db(), user.username, unread, limit, offset)
    return jsonify([notification(r) for r in rows])


@api.post("/notifications/<notification_id>/read")
def read_notification(notification_id: str) -> Any:
    user = current_user()
    session = db()
    row = notifications.mark_read(session, user.username, notification_id)
    session.commit()
    return jsonify(notification(row))


@api.post("/notifications/read-all")
def read_all_notifications() -> Any:
    user = current_user()
    session = db()
    marked = notifications.mark_all_read(session, user.username)
    session.commit()
    return jsonify({"marked": marked})


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json({"$ref": "#/components/schemas/Error"}, description)


_ONE = {"$ref": "#/components/schemas/Notification"}
_NOT_SIGNED_IN = _error("Not signed in (missing, unknown or expired token)")

SCHEMAS: dict[str, Any] = {
    "Notification": {"type": "object", "required": ["id", "case_id", "kind", "title", "body", "created_at",
                                                    "read_at"], "properties": {
        "id": {"type": "integer"}, "case_id": {"type": "integer", "nullable": True},
        "kind": {"type": "string", "description": "reminder or escalation"},
        "title": {"type": "string"}, "body": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "read_at": {"type": "string", "format": "date-time", "nullable": True}}},
}

PATHS: dict[str, Any] = {
    "/notifications": {"get": {
        "summary": "The caller's in-app notifications, newest first",
        "parameters": [
            {"name": "unread", "in": "query", "schema": {"type": "boolean", "default": False},
             "description": "only those not yet marked read"},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000,
                                                        "default": 100}},
            {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID,
                                                         "default": 0}}],
        "responses": {"200": _json({"type": "array", "items": _ONE}, "Notifications"),
                      "400": _error("Bad request"), "401": _NOT_SIGNED_IN,
                      "422": _error("limit or offset out of range (details name the field)")}}},
    "/notifications/{notification_id}/read": {"post": {
        "summary": "Mark one of the caller's notifications read",
        "parameters": [{"name": "notification_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}],
        "responses": {"200": _json(_ONE, "The notification"), "401": _NOT_SIGNED_IN,
                      "404": _error("Not found (or not yours)")}}},
    "/notifications/read-all": {"post": {
        "summary": "Mark all of the caller's notifications read",
        "responses": {"200": _json({"type": "object", "required": ["marked"], "properties": {
            "marked": {"type": "integer", "description": "how many were unread"}}}, "Done"),
            "401": _NOT_SIGNED_IN}}},
}
