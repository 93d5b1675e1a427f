"""GET /api/v1/statistics: the yearly figures per lead unit and overall (supervisors)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from engine.errors import Forbidden
from engine.identity import is_supervisor
from workflows import statistics

from ..statistics import parse_filters
from .blueprint import api, ctx, current_user, db


@api.get("/statistics")
def get_statistics() -> Any:
    if not is_supervisor(current_user()):
        raise Forbidden("only supervisors can see the statistics")
    year, case_type = parse_filters(request.args)
    return jsonify(statistics.report(ctx(), db(), year, case_type))

