"""Downloads: the case list (with its filters) and the statistics as Excel files. Who may export is
decided in workflows.exports; a refusal is the 403 page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from flask_login import login_required

from workflows import caselist, exports, statistics

from .statistics import parse_filters
from .web import ctx, db, me

bp = Blueprint("exports", __name__)


def may_export_cases(user: Any) -> bool:
    """For the page: show the export link only to those who may use it."""
    return bool(user.is_authenticated) and exports.may_export_case_list(user.user, ctx().config)


def download(content: bytes, mimetype: str, file_name: str) -> Response:
    answer = Response(content, mimetype=mimetype)
    answer.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    answer.headers["Cache-Control"] = "private, no-store"
    answer.headers["X-Content-Type-Options"] = "nosniff"
    return answer


@bp.get("/cases/export.xlsx")
@login_required
def case_list() -> Any:
    filters = caselist.Filters.from_args(request.args)
    return download(*exports.case_list_file(db(), me(), ctx().config, filters, "xlsx"))


@bp.get("/statistics/export.xlsx")
@login_required
def statistics_workbook() -> Any:
    exports.check_may_export_statistics(me())
    year, case_type = parse_filters(request.args)
    report = statistics.report(ctx(), db(), year, case_type)
    return download(*exports.statistics_file(report, me(), ctx().config, "xlsx"))


@bp.get("/statistics/summary.xlsx")
@login_required
def summary_workbook() -> Any:
    exports.check_may_export_statistics(me())
    year, case_type = parse_filters(request.args)
    report = statistics.report(ctx(), db(), year, case_type)
    return download(*exports.statistics_file(report, me(), ctx().config, "xlsx", summary_only=True))

