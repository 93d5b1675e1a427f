"""The yearly statistics for supervisors: per lead unit and overall, by year and case type, with the
units short of their face-reply quota (面复) listed first."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from engine import clock
from engine.errors import BadRequest
from workflows import statistics
from workflows.cases import CASE_TYPES

from .web import ctx, db, supervisors_only

bp = Blueprint("statistics", __name__)

TYPE_NAMES = {"suggestion": _l("Deputies' suggestions"), "proposal": _l("CPPCC proposals")}


def parse_filters(args: Any) -> tuple[int, str | None]:
    """(year, case type) from the query: the current year in the district and both types by default."""
    text = (args.get("year") or "").strip()
    if not text:
        year = clock.now().astimezone(ctx().zone).year
    elif text.isdigit() and 2000 <= int(text) <= 2100:
        year = int(text)
    else:
        raise BadRequest(f"year must be a year like 2026, not {text!r}")
    case_type = (args.get("case_type") or args.get("type") or "").strip() or None
    if case_type is not None and case_type not in CASE_TYPES:
        raise BadRequest(f"case_type must be one of {', '.join(CASE_TYPES)}, not {case_type!r}")
    return year, case_type


@bp.get("/statistics")
@login_required
@supervisors_only
def index() -> Any:
    year, case_type = parse_filters(request.args)
    report = statistics.report(ctx(), db(), year, case_type)
    years = sorted(set(report["years"]) | {year, clock.now().astimezone(ctx().zone).year}, reverse=True)
    return render_template("statistics.html", report=report, year=year, case_type=case_type, years=years,
                           type_names=TYPE_NAMES)
