"""The supervisor's first page: overdue, due-soon, escalated, flagged and stopped cases across all units,
filtered by unit and case type, with the flag (挂牌督办) at hand."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from engine import bounds, clock
from engine.cases import runtime, supervision
from engine.cases.inbox import due_mark
from workflows import battlemap, quota, statistics, supervising, tracking, views, yearly

from .web import ctx, db, local_path, me, supervisors_only

bp = Blueprint("supervise", __name__)
LATE_SHOWN = 20  # late milestones on the page, oldest first (the battle map lists them all)
LATE_MOST = 999  # counted up to this; more shows as 999+

SECTIONS = {"overdue": _l("Overdue"), "due_soon": _l("Due soon"), "escalated": _l("Escalated"),
            "flagged": _l("Flagged for supervision"), "error": _l("Stopped on an error")}
EMPTY = {"overdue": _l("No case is overdue."), "due_soon": _l("No case falls due soon."),
         "escalated": _l("No case has been escalated."), "flagged": _l("No case is flagged."),
         "error": _l("No case has stopped on an error.")}


def page_link(name: str, page: int) -> str:
    """This page with another page of one list, the filters and the other lists' pages kept."""
    args = {k: v for k, v in request.args.items() if v and k != f"{name}_page"}
    if page > 1:
        args[f"{name}_page"] = str(page)
    return url_for("supervise.index", **args) + f"#{name}"


@bp.get("/supervise")
@login_required
@supervisors_only
def index() -> Any:
    session = db()
    english = str(get_locale() or "").startswith("en")
    days = ctx().config["supervise.due_soon_days"]
    unit = (request.args.get("unit") or "").strip()
    process_key = (request.args.get("type") or "").strip()
    pages = {}
    for name in supervision.LISTS:
        pages[name] = bounds.page_number(request.args.get(f"{name}_page"))
    watch = supervision.watchlist(session, unit=supervising.unit_groups(unit) if unit else None,
                                  process_key=process_key or None, due_soon_days=days,
                                  pages=pages)
    case_ids = sorted({c.id for cases in watch.lists.values() for c in cases})
    units = supervising.filter_units(watch.units + ([unit] if unit else []))  # units, not leaders' or heads' groups
    types = supervision.case_types(session)
    calendar = ctx().calendar
    short = [q for q in quota.current(ctx(), session, with_cases=False) if q.warning]  # face-reply quota (面复) at risk
    # checklist milestones past their date: the oldest few here, all of them on the battle map
    late = battlemap.late(session, ctx().zone, unit or None, limit=LATE_SHOWN)
    return render_template(
        "supervise.html", missing_years=calendar.missing_years_ahead(calendar.local_date(clock.now())),
        face_reply_short=short, face_reply_units=supervision.group_names(session, sorted({q.unit for q in short})),
        sections=SECTIONS, empty=EMPTY, lists=watch.lists, watch=watch, units=units, page_link=page_link,
        unit_names=supervision.group_names(session, units), types=types, type_names=dict(types), unit=unit,
        process_key=process_key, holders=supervision.open_units(session, case_ids), due_soon_days=days,
        mark=lambda due: due_mark(due, days), stage=lambda name: views.stage_name(name, english),
        next_url=request.full_path.rstrip("?"), late_milestones=late,
        late_count=battlemap.count_late(session, ctx().zone, unit or None, LATE_MOST) if len(late) == LATE_SHOWN
        else len(late), late_most=LATE_MOST,
        milestone_units=supervision.group_names(session, sorted({m.unit for m in late if m.unit})),
        tracked=tracking.tracked(session),  # proposals of high public concern (跟踪办理)
        **dashboard(process_key or None))


def dashboard(case_type: str | None) -> dict[str, Any]:
    """The year at a glance above the watchlist: this year against last and the charts."""
    from .statistics import RATE_NAMES, chart_set

    session = db()
    year = clock.now().astimezone(ctx().zone).year
    case_type = case_type if case_type in ("suggestion", "proposal") else None
    report = statistics.report(ctx(), session, year, case_type)
    trend = yearly.monthly(session, year, ctx().zone, case_type)
    cats = yearly.categories(session, year, case_type)
    return {"comparison": yearly.compare(ctx(), session, report), "rate_names": RATE_NAMES, "report": report,
            "trend": trend, "categories": cats, "charts": chart_set(report, trend, cats), "year": year}


@bp.post("/cases/<int:case_id>/retry")
@login_required
@supervisors_only
def retry(case_id: int) -> Any:
    """Run a case stopped on a model error again once the model is fixed (engine.cases.runtime.retry_case)."""
    session = db()
    case = runtime.retry_case(ctx(), session, me(), case_id)
    session.commit()
    if case.status == "error":
        flash(_("Case %(number)s stopped again: %(reason)s", number=case.number, reason=case.error_message), "error")
    else:
        flash(_("Case %(number)s runs again.", number=case.number), "info")
    return redirect(local_path(request.form.get("next"), url_for("supervise.index") + "#error"))
