"""The supervisor's first page: overdue, due-soon, escalated, flagged and stopped cases across all units,
filtered by unit and case type, with the flag (挂牌督办) at hand."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as L
from flask_login import login_required

from engine import supervision
from engine.inbox import due_mark

from .web import ctx, db, supervisors_only

bp = Blueprint("supervise", __name__)

SECTIONS = {"overdue": L("Overdue"), "due_soon": L("Due soon"), "escalated": L("Escalated"),
            "flagged": L("Flagged for supervision"), "error": L("Stopped on an error")}
EMPTY = {"overdue": L("No case is overdue."), "due_soon": L("No case falls due soon."),
         "escalated": L("No case has been escalated."), "flagged": L("No case is flagged."),
         "error": L("No case has stopped on an error.")}


@bp.get("/supervise")
@login_required
@supervisors_only
def index() -> Any:
    session = db()
    days = ctx().config["supervise.due_soon_days"]
    unit = (request.args.get("unit") or "").strip()
    process_key = (request.args.get("type") or "").strip()
    watch = supervision.watchlist(session, unit=unit or None, process_key=process_key or None, due_soon_days=days)
    case_ids = sorted({c.id for cases in watch.lists.values() for c in cases})
    units = sorted(set(watch.units) | ({unit} if unit else set()))
    types = supervision.case_types(session)
    return render_template(
        "supervise.html", sections=SECTIONS, empty=EMPTY, lists=watch.lists, units=units,
        unit_names=supervision.group_names(session, units), types=types, type_names=dict(types), unit=unit,
        process_key=process_key, holders=supervision.open_units(session, case_ids), due_soon_days=days,
        mark=lambda due: due_mark(due, days), next_url=request.full_path.rstrip("?"))
