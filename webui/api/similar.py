"""Similar cases over the API: GET /api/v1/cases/similar?title=&body=&process_key= (workflows.similar decides what
each caller sees: cases they may open whole, a proposer also others' accepted cases as public facts)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from engine.errors import Invalid
from workflows import similar

from .blueprint import api, ctx, current_user, db


@api.get("/cases/similar")
def similar_cases() -> Any:
    user = current_user()
    title, body = similar.check_text(request.args.get("title"), request.args.get("body"))
    key = request.args.get("process_key") or None
    if key is not None and key not in similar.CASE_TYPES:
        raise Invalid("unknown case type", [{"field": "process_key",
                                             "message": f"one of {', '.join(similar.CASE_TYPES)}"}])
    found = similar.similar(db(), user, title, body, process_key=key, zone=ctx().zone)
    return jsonify([case.to_dict() for case in found])


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


SIMILAR_CASE = {"type": "object", "required": ["number", "title", "stage", "lead_unit", "process_key", "score", "full"],
                "properties": {"id": {"type": "integer", "description": "only when the caller may open the case"},
                               "number": {"type": "string"}, "title": {"type": "string"},
                               "stage": {"type": "string"}, "lead_unit": {"type": "string"},
                               "process_key": {"type": "string"}, "score": {"type": "number"},
                               "full": {"type": "boolean",
                                        "description": "false: public facts of another's accepted case"}}}
PATHS: dict[str, Any] = {
    "/cases/similar": {"get": {
        "summary": "This year's and last year's cases most like a title and body, best first (at most 8)",
        "description": "Chinese-aware (character trigrams: SQLite FTS5, PostgreSQL pg_trgm). Cases the caller may "
                       "open come with their id; to a deputy or member, others' cases that were accepted and "
                       "assigned come with their public facts only (number, title, lead unit, stage).",
        "parameters": [
            {"name": "title", "in": "query", "schema": {"type": "string", "maxLength": similar.TITLE_MAX}},
            {"name": "body", "in": "query", "schema": {"type": "string", "maxLength": similar.BODY_MAX}},
            {"name": "process_key", "in": "query", "schema": {"type": "string", "enum": ["suggestion", "proposal"]},
             "description": "one case type; both by default"}],
        "responses": {"200": {"description": "Similar cases", "content": {"application/json": {
            "schema": {"type": "array", "items": SIMILAR_CASE}}}},
                      "401": _error("Not signed in"), "422": _error("A text too long, or an unknown case type")}}},
}
