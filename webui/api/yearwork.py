"""The year's work over the API: the case list and the statistics as CSV or Excel files.

The OpenAPI entries live next to the routes; webui.api.openapi merges them into the document.
"""

from __future__ import annotations

from typing import Any

from flask import request

from workflows import caselist, exports, statistics

from ..statistics import parse_filters
from . import serialize as out
from .blueprint import api, ctx, current_user, db


@api.get("/cases/export")
def export_cases() -> Any:
    user = current_user()
    content, mimetype, name = exports.case_list_file(db(), user, ctx().config, caselist.Filters.from_args(request.args),
                                                     request.args.get("format") or "csv")
    return out.download(content, mimetype, name)


@api.get("/statistics/export")
def export_statistics() -> Any:
    """The statistics as CSV (default) or Excel (format=xlsx); summary=1 gives the 办理情况汇总表."""
    user = current_user()
    exports.check_may_export_statistics(user)
    year, case_type = parse_filters(request.args)
    report = statistics.report(ctx(), db(), year, case_type)
    content, mimetype, name = exports.statistics_file(report, user, ctx().config, request.args.get("format") or "csv",
                                                      summary_only=request.args.get("summary") == "1")
    return out.download(content, mimetype, name)


def _file(description: str) -> dict[str, Any]:
    return {"description": description, "content": {
        "text/csv": {"schema": {"type": "string"}},
        exports.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


FORMAT = {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "xlsx"], "default": "csv"}}
CASE_FILTERS = [
    {"name": "q", "in": "query", "schema": {"type": "string"},
     "description": "words that must all occur in the number, title, text, proposer's or unit's name, category, "
                    "stage or year (Chinese-aware: 水务 finds the water bureau's cases)"},
    {"name": "status", "in": "query", "schema": {"type": "string",
                                                  "enum": ["running", "completed", "cancelled", "error"]}},
    {"name": "stage", "in": "query", "schema": {"type": "string"}},
    {"name": "process_key", "in": "query", "schema": {"type": "string"}, "description": "also as type"},
    {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": 2000, "maximum": 2100},
     "description": "the year of assignment (or of submission, before it)"},
    {"name": "session", "in": "query", "schema": {"type": "string"}, "description": "the session (届次) label"},
    {"name": "unit", "in": "query", "schema": {"type": "string"}, "description": "a unit taking part (any role)"},
    {"name": "category", "in": "query", "schema": {"type": "string"}},
    {"name": "class", "in": "query", "schema": {"type": "string", "enum": ["A", "B", "C", "D"]}},
    {"name": "in_charge", "in": "query", "schema": {"type": "string", "enum": ["1", "0", "true", "false"]},
     "description": "1: only the cases where the caller is a named leader in charge (我包案的案件)"},
    {"name": "sort", "in": "query", "schema": {"type": "string"},
     "description": f"one of {', '.join(caselist.SORTS)}, '-' in front for descending; newest first by default"},
]
STATISTICS_FILTERS = [
    {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}},
    {"name": "case_type", "in": "query", "schema": {"type": "string", "enum": ["suggestion", "proposal"]}},
]
PATHS: dict[str, Any] = {
    "/cases/export": {"get": {
        "summary": "The case list the filters select as CSV (UTF-8 with BOM) or Excel (supervisors, assigning offices)",
        "parameters": [FORMAT, *CASE_FILTERS],
        "responses": {"200": _file("The file"), "400": _error("Bad filter or format"),
                      "401": _error("Not signed in"), "403": _error("Not allowed to export")}}},
    "/statistics/export": {"get": {
        "summary": "The yearly statistics as CSV or Excel; summary=1 with xlsx gives the 办理情况汇总表 (supervisors)",
        "parameters": [FORMAT, *STATISTICS_FILTERS,
                       {"name": "summary", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}}],
        "responses": {"200": _file("The file"), "400": _error("Bad filter or format"),
                      "401": _error("Not signed in"), "403": _error("Not a supervisor")}}},
}
