"""The yearly statistics for supervisors: per lead unit and overall, by year (or session) and case type,
with this year against last, charts, the units short of their face-reply quota (面复), the downloads
and a printable page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from engine import clock
from engine.errors import BadRequest
from workflows import statistics, yearly
from workflows.cases import CASE_TYPES

from . import charts
from .web import ctx, db, supervisors_only

bp = Blueprint("statistics", __name__)

TYPE_NAMES = {"suggestion": _l("Deputies' suggestions"), "proposal": _l("CPPCC proposals")}
RATE_NAMES = {"reply_rate": _l("Reply rate"), "on_time_rate": _l("On-time rate"),
              "face_reply_rate": _l("Face-reply rate"), "satisfaction_work": _l("Satisfied with the work"),
              "satisfaction_result": _l("Satisfied with the result"),
              "implementation_rate": _l("Implementation rate")}


def parse_filters(args: Any) -> tuple[int, str | None]:
    """(year, case type) from the query: the current year in the district and both types by default.
    A session (届次) stands for its year and case type."""
    label = (args.get("session") or "").strip()
    if label:
        for entry in yearly.sessions(db()):
            if entry["label"] == label:
                return entry["year"], entry["case_type"]
        raise BadRequest(f"no session named {label!r} has cases")
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


def year_choices(report: dict[str, Any], year: int) -> list[int]:
    """The years that have cases (and the one asked for), newest first."""
    return sorted(set(report["years"]) | {year}, reverse=True)


def chart_set(report: dict[str, Any], trend: list[dict[str, int]], cats: list[tuple[str, int]]) -> dict[str, Any]:
    """The charts of a report, each with its title; the page prints the same figures in tables."""
    units = report["units"]
    per_unit = {key: charts.bars(_("%(rate)s by lead unit", rate=name),
                                 [(u["unit_name"], yearly.rate(u, key), charts.percent(yearly.rate(u, key)))
                                  for u in units], color=charts.PALETTE[i % len(charts.PALETTE)])
                for i, (key, name) in enumerate(RATE_NAMES.items())}
    months = [str(m["month"]) for m in trend]
    classes = report["overall"]["counts"]["classes"]
    most = max([n for _c, n in cats] + [1])
    most_rehandled = max([u["rehandled"] for u in units] + [1])
    return {
        "per_unit": per_unit,
        "trend": charts.columns(_("Assigned and replied month by month, %(year)s", year=report["year"]), months,
                                [(_("Assigned"), [m["assigned"] for m in trend]),
                                 (_("Replied"), [m["replied"] for m in trend])]),
        "categories": charts.bars(_("Cases by category"), [(c or _("No category"), n, str(n)) for c, n in cats],
                                  maximum=most, color=charts.PALETTE[2]),
        "classes": charts.stacked(_("Replies by class A–D"), [(_("Class %(c)s", c=k), classes[k]) for k in "ABCD"]),
        "rehandled": charts.bars(_("Re-handled cases by lead unit"),
                                 [(u["unit_name"], u["rehandled"], str(u["rehandled"])) for u in units],
                                 maximum=most_rehandled, color=charts.PALETTE[3]),
    }


def page_context(year: int, case_type: str | None) -> dict[str, Any]:
    session = db()
    report = statistics.report(ctx(), session, year, case_type)
    trend = yearly.monthly(session, year, ctx().zone, case_type)
    cats = yearly.categories(session, year, case_type)
    return dict(report=report, year=year, case_type=case_type, years=year_choices(report, year),
                type_names=TYPE_NAMES, rate_names=RATE_NAMES, trend=trend, categories=cats,
                comparison=yearly.compare(ctx(), session, report), sessions=yearly.sessions(session),
                session_label=(request.args.get("session") or "").strip(), charts=chart_set(report, trend, cats),
                district=ctx().config["district.name"], printed_at=clock.now())


@bp.get("/statistics")
@login_required
@supervisors_only
def index() -> Any:
    year, case_type = parse_filters(request.args)
    return render_template("statistics.html", **page_context(year, case_type))


@bp.get("/statistics/print")
@login_required
@supervisors_only
def printable() -> Any:
    year, case_type = parse_filters(request.args)
    return render_template("statistics_print.html", **page_context(year, case_type))
