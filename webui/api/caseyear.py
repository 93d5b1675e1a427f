"""The offices' year's work on a case over the API (issue 11, items 16-17): a proposer's paper evaluation form
entered by the office, tracked handling of a proposal, the results adopted. The rules are the services'
(workflows.paper, .tracking, .results): 404 for a case the caller may not see, 403 for anyone but the roles
named in the README's table, 422 naming the field.

The OpenAPI entries live next to the routes; webui.api.openapi merges them into the document.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from engine.cases import queries
from engine.errors import Invalid
from workflows import paper, results, tracking

from .answers import case_answer
from .blueprint import HISTORY_PARAMETER, api, ctx, current_user, db, json_body
from .serialize import iso


def _result(row: results.CaseResult) -> dict[str, Any]:
    return {"id": row.id, "case_id": row.case_id, "kind": row.kind, "title": row.title,
            "amount": float(row.amount) if row.amount is not None else None, "adopted_on": row.adopted_on.isoformat(),
            "document": row.document, "recorded_by": row.recorded_by, "recorded_at": iso(row.recorded_at)}


def _tracking(case_id: int, row: tracking.TrackedCase | None) -> dict[str, Any]:
    return {"case_id": case_id, "tracked": tracking.is_tracked(row), "reason": row.reason if row else None,
            "marked_by": row.marked_by if row else None, "marked_at": iso(row.marked_at) if row else None,
            "ended_at": iso(row.ended_at) if row else None}


@api.post("/cases/<case_id>/paper-evaluation")
def enter_paper_evaluation(case_id: str) -> Any:
    user, session = current_user(), db()
    data = json_body().get("data")
    if data is not None and not isinstance(data, dict):
        raise Invalid("data must be an object of the form's answers",
                      [{"field": "data", "message": "must be an object"}])
    case = paper.enter_evaluation(ctx(), session, user, case_id, data or {})
    session.commit()
    return case_answer(case, user)


@api.post("/cases/<case_id>/tracking")
def start_tracking(case_id: str) -> Any:
    user, session = current_user(), db()
    case = tracking.start(ctx(), session, user, case_id, json_body().get("reason") or "")
    session.commit()
    return jsonify(_tracking(case.id, tracking.tracking(session, case.id)))


@api.delete("/cases/<case_id>/tracking")
def end_tracking(case_id: str) -> Any:
    user, session = current_user(), db()
    case = tracking.end(ctx(), session, user, case_id)
    session.commit()
    return jsonify(_tracking(case.id, tracking.tracking(session, case.id)))


@api.get("/cases/<case_id>/results")
def list_results(case_id: str) -> Any:
    case = queries.get_case(db(), current_user(), case_id)
    return jsonify([_result(r) for r in results.of_case(db(), case.id)])


@api.post("/cases/<case_id>/results")
def add_result(case_id: str) -> Any:
    user, session = current_user(), db()
    row = results.add(ctx(), session, user, case_id, json_body())
    session.commit()
    return jsonify(_result(row)), 201


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    words = {400: "Bad request (the body is not a JSON object)",
             401: "Not signed in", 403: "Not the office of the case's body (or its lead unit, for results)",
             404: "No such case (or not visible to you)", 409: "Nothing waits for it, or done already",
             422: "Invalid: one details entry per field"}
    return {str(c): _json({"$ref": "#/components/schemas/Error"}, words[c]) for c in codes}


CASE_ID = [{"name": "case_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}]
TRACKING = {"type": "object", "required": ["case_id", "tracked"], "properties": {
    "case_id": {"type": "integer"}, "tracked": {"type": "boolean"}, "reason": {"type": "string", "nullable": True},
    "marked_by": {"type": "string", "nullable": True},
    "marked_at": {"type": "string", "format": "date-time", "nullable": True},
    "ended_at": {"type": "string", "format": "date-time", "nullable": True}}}
RESULT = {"type": "object", "required": ["id", "case_id", "kind", "title", "adopted_on"], "properties": {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "kind": {"type": "string", "enum": list(results.KINDS)},
    "title": {"type": "string"}, "amount": {"type": "number", "nullable": True,
                                            "description": "万元 (10,000 yuan), funds only"},
    "adopted_on": {"type": "string", "format": "date"}, "document": {"type": "string"},
    "recorded_by": {"type": "string"}, "recorded_at": {"type": "string", "format": "date-time"}}}
RESULT_IN = {"type": "object", "required": ["kind", "title", "adopted_on"], "properties": {
    "kind": {"type": "string", "enum": list(results.KINDS)},
    "title": {"type": "string", "maxLength": results.TITLE_MAX},
    "amount": {"type": "string", "description": "万元, funds only (above 0)"},
    "adopted_on": {"type": "string", "format": "date"},
    "document": {"type": "string", "maxLength": results.DOCUMENT_MAX}}}
PATHS: dict[str, Any] = {
    "/cases/{case_id}/paper-evaluation": {"post": {
        "summary": "Enter the proposer's paper evaluation form (征询意见表): the office of the case's body completes "
                   "the open evaluation with the form's answers, marked as entered by the caller",
        "parameters": [*CASE_ID, HISTORY_PARAMETER],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {"data": {"type": "object", "description": "the evaluation form's fields"}}}}}},
        "responses": {"200": _json({"$ref": "#/components/schemas/Case"}, "The case"),
                      **_errors(400, 401, 403, 404, 409, 422)}}},
    "/cases/{case_id}/tracking": {
        "post": {"summary": "Put a proposal under tracked handling (跟踪办理) with a reason; the lead unit is told "
                            "(the proposal committee)",
                 "parameters": CASE_ID,
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}}}},
                 "responses": {"200": _json(TRACKING, "The tracking"), **_errors(400, 401, 403, 404, 409, 422)}},
        "delete": {"summary": "End the tracked handling (the proposal committee)", "parameters": CASE_ID,
                   "responses": {"200": _json(TRACKING, "The tracking"), **_errors(400, 401, 403, 404, 409, 422)}}},
    "/cases/{case_id}/results": {
        "get": {"summary": "The results adopted (成果转化) recorded on the case", "parameters": CASE_ID,
                "responses": {"200": _json({"type": "array", "items": RESULT}, "The results"),
                              **_errors(400, 401, 404)}},
        "post": {"summary": "Record a result adopted: policy, project or funds (the assigning office or the lead unit)",
                 "parameters": CASE_ID,
                 "requestBody": {"required": True, "content": {"application/json": {"schema": RESULT_IN}}},
                 "responses": {"201": _json(RESULT, "The result"), **_errors(400, 401, 403, 404, 422)}}},
}
