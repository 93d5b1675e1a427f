"""The battle map page (挂图作战): the year's checklist milestones by unit and month, and 销号 from it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from engine import clock
from engine.errors import BadRequest, Invalid
from workflows import battlemap, caselist

from .web import ctx, db, local_path, me

bp = Blueprint("battlemap", __name__)

STATE_NAMES = {"late": _l("Late"), "on_track": _l("On track"), "done": _l("Done")}


def _year() -> int:
    text = (request.args.get("year") or "").strip()
    if not text:
        return clock.now().astimezone(ctx().zone).year
    if text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    raise BadRequest(f"year must be a year like 2026, not {text!r}")


@bp.get("/battle-map")
@login_required
def index() -> Any:
    year = _year()
    unit = (request.args.get("unit") or "").strip() or None
    state = (request.args.get("state") or "").strip() or None
    if state and state not in battlemap.STATES:
        raise BadRequest(f"state must be one of {', '.join(battlemap.STATES)}")
    session = db()
    items = battlemap.board(session, me(), year, ctx().zone, unit, state)
    everything = items if not (unit or state) else battlemap.board(session, me(), year, ctx().zone)
    units = sorted({m.unit for m in everything if m.unit})
    names = caselist.unit_names(session, units)
    grid: dict[str, dict[int, list[battlemap.Milestone]]] = {}
    for item in items:
        grid.setdefault(item.unit or "", {}).setdefault(item.due.month if item.due else 0, []).append(item)
    counts = {s: sum(1 for m in items if m.state == s) for s in battlemap.STATES}
    mine = set(me().group_names)
    return render_template("battlemap.html", year=year, unit=unit, state=state, items=items, grid=grid,
                           units=units, unit_names=names, counts=counts, state_names=STATE_NAMES,
                           may_close=lambda m: m.state != "done" and m.task_id and m.unit in mine,
                           is_supervisor=current_user.is_supervisor, next_url=request.full_path.rstrip("?"))


@bp.post("/battle-map/<int:case_id>/<int:seq>/close")
@login_required
def close(case_id: int, seq: int) -> Any:
    result = (request.form.get("result") or "").strip()
    back = local_path(request.form.get("next"), url_for("battlemap.index"))
    try:
        case = battlemap.close_out(ctx(), db(), me(), case_id, seq, result)
        db().commit()
    except Invalid:
        db().rollback()
        flash(_("Say how the milestone was completed (at most %(n)d characters).", n=battlemap.RESULT_MAX), "error")
        return redirect(back)
    flash(_("The milestone of case %(number)s is closed out.", number=case.number), "info")
    return redirect(back)

