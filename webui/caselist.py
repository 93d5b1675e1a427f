"""The case list page: the search box, the filters (session, year, unit, category, class, stage, status,
type), sortable columns, pages, and the Excel export of what the filters select."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_login import current_user

from engine import bounds
from engine.cases import supervision
from engine.cases.inbox import due_mark
from engine.errors import BadRequest
from workflows import caselist, leaders

from .web import ctx, db, me

PER_PAGE = 20
# (sort key, label) of the sortable columns, in table order
COLUMNS = ("number", "title", "unit", "stage", "status", "due")


def filters_or_default() -> tuple[caselist.Filters, str | None]:
    """The filters of the request; a wrong value is shown above the list, not a bare error page."""
    try:
        return caselist.Filters.from_args(request.args), None
    except BadRequest as err:
        return caselist.Filters(q=(request.args.get("q") or "").strip()[:200]), err.message


def sort_link(filters: caselist.Filters, key: str) -> tuple[str, str | None]:
    """The link of a column heading (ascending first, then descending) and its aria-sort value."""
    current = filters.sort.lstrip("-")
    descending = filters.sort.startswith("-")
    target = f"-{key}" if current == key and not descending else key
    args = {**filters.args(), "sort": target}
    state = None if current != key else ("descending" if descending else "ascending")
    return url_for("cases.index", **args), state


def page(statuses: dict[str, Any], listed_statuses: tuple[str, ...], type_names: dict[str, Any] | None = None) -> Any:
    from .exports import may_export_cases

    session = db()
    filters, problem = filters_or_default()
    number = bounds.page_number(request.args.get("page"))  # bounded: a huge page number is the last page, not a 500
    rows = caselist.find(session, me(), filters, limit=PER_PAGE + 1, offset=(number - 1) * PER_PAGE)
    has_next = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    types = supervision.case_types(session)
    units = caselist.unit_names(session, [f.lead_unit for _c, f in rows if f is not None and f.lead_unit])
    days = ctx().config["supervise.due_soon_days"]
    return render_template(
        "cases.html", rows=rows, filters=filters, problem=problem, args=filters.args(), types=types,
        type_names={**dict(types), **(type_names or {})}, statuses=statuses, listed_statuses=listed_statuses,
        options=caselist.options(session), unit_names=units, page=number, has_next=has_next,
        columns=COLUMNS, sort_link=lambda key: sort_link(filters, key),
        may_export=may_export_cases(current_user), q=filters.q, status=filters.status,
        process_key=filters.process_key, is_leader=leaders.is_leader(me()),
        mark=lambda case: due_mark(case.due_at, days) if case.status == "running" else None)
