"""The appraisal of the handling units (考评) for supervisors: the year's ranking from the weights in
config.yaml, and the published year-end selections (优秀建议／优秀提案, 先进承办单位)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from workflows import appraisal, selection, statistics

from .statistics import TYPE_NAMES, parse_filters, year_choices
from .web import ctx, db, supervisors_only

bp = Blueprint("appraisal", __name__)

PART_NAMES = {"on_time": _l("On time"), "face_reply": _l("Face replies against the quota"),
              "satisfaction": _l("Satisfaction"), "implementation": _l("Implementation"),
              "rehandling": _l("Not re-handled")}


@bp.get("/appraisal")
@login_required
@supervisors_only
def index() -> Any:
    year, case_type = parse_filters(request.args)
    session = db()
    report = statistics.report(ctx(), session, year, case_type)
    weights = ctx().config["appraisal.weights"]
    return render_template("appraisal.html", year=year, case_type=case_type, years=year_choices(report, year),
                           type_names=TYPE_NAMES, ranking=appraisal.ranking(report, weights), weights=weights,
                           part_names=PART_NAMES, parts=appraisal.PARTS,
                           selections=selection.published(session, year), process=selection.PROCESS)
