"""Printable documents (A4, the district's heading from config.yaml): a case's reply letter (答复函)
and its evaluation form (征询意见表). Whoever may see the case may print them; the proposer gets the
form to fill in by hand where the evaluation is done on paper."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask_login import login_required

from engine import clock
from engine.cases import queries
from engine.cases.timeline import display_names
from workflows.caselist import unit_names
from workflows.cases import CASE_TYPES, to_date
from workflows.exports import RATINGS_ZH

from .web import ctx, db, me

bp = Blueprint("printing", __name__)


def _context(case_id: int) -> dict[str, Any]:
    case = queries.get_case(db(), me(), case_id)
    if case.process_key not in CASE_TYPES:
        abort(404)  # letters and forms belong to suggestions and proposals
    data = case.data or {}
    config = ctx().config
    names = unit_names(db(), [str(data["lead_unit"])] if data.get("lead_unit") else [])
    people = display_names(db(), [data.get("proposer"), case.started_by])
    proposer = data.get("proposer") or case.started_by
    office = config["district.congress_office"] if case.process_key == "suggestion" else config["district.cppcc_office"]
    return dict(case=case, data=data, kind=CASE_TYPES[case.process_key], district=config["district.name"],
                office=office, unit_name=names.get(str(data.get("lead_unit") or ""), data.get("lead_unit") or ""),
                proposer_name=people.get(proposer, proposer), ratings=RATINGS_ZH,
                replied_on=to_date(data.get("replied_at"), ctx().zone),
                today=clock.now().astimezone(ctx().zone).date())


@bp.get("/cases/<int:case_id>/print/reply")
@login_required
def reply_letter(case_id: int) -> Any:
    context = _context(case_id)
    if not context["data"].get("reply_text"):
        return render_template("print_missing.html", **context), 409
    return render_template("print_reply.html", **context)


@bp.get("/cases/<int:case_id>/print/evaluation")
@login_required
def evaluation_form(case_id: int) -> Any:
    return render_template("print_evaluation.html", **_context(case_id))
