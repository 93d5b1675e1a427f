"""The routes of the offices' year's work on a case (issue 11, items 16-17; the page's parts are
webui.caseparts): the paper evaluation form (征询意见表) entered for a proposer, tracked handling (跟踪办理)
and the results adopted (成果转化). Who may do what is checked by workflows.paper, .tracking and
.results; a refusal is a 403 or 404 page, a bad field the case page again with the message beside it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases import queries, roles, timeline
from engine.errors import Forbidden, Invalid
from engine.store import Case
from workflows import paper, results, tracking

from . import taskform
from .caseparts import RESULT_MESSAGES
from .cases import _case_page as render_case
from .web import ctx, db, me

bp = Blueprint("caseyear", __name__)


def _case_page(case_id: int, status: int, **forms: Any) -> Any:
    return render_case(queries.get_case(db(), me(), case_id), status, **forms)


@bp.post("/cases/<int:case_id>/tracking")
@login_required
def track(case_id: int) -> Any:
    """Put a proposal under tracked handling with a reason, or end it; the proposal committee only."""
    session, start = db(), request.form.get("tracked") == "1"
    try:
        if start:
            case = tracking.start(ctx(), session, me(), case_id, request.form.get("reason") or "")
        else:
            case = tracking.end(ctx(), session, me(), case_id)
        session.commit()
    except Invalid as err:
        session.rollback()
        message = _("Say why the proposal is tracked: the lead unit is told the reason.") \
            if any(d.get("field") == "reason" for d in err.details) else err.message
        return _case_page(case_id, 422, tracking_error=message)
    flash(_("Proposal %(number)s is under tracked handling; the lead unit is told.", number=case.number) if start
          else _("Tracked handling of %(number)s has ended.", number=case.number), "info")
    return redirect(url_for("cases.show", case_id=case_id) + "#year-work")


@bp.post("/cases/<int:case_id>/results")
@login_required
def add_result(case_id: int) -> Any:
    """Record a result adopted (成果转化); the assigning office or the lead unit."""
    session = db()
    values = {k: (request.form.get(k) or "").strip() for k in ("kind", "title", "amount", "adopted_on", "document")}
    try:
        results.add(ctx(), session, me(), case_id, values)
        session.commit()
    except Invalid as err:
        session.rollback()
        errors = {d["field"]: str(RESULT_MESSAGES.get(d["field"], d.get("message"))) for d in err.details
                  if d.get("field")}
        return _case_page(case_id, 422, result_errors=errors or {"title": err.message}, result_values=values)
    flash(_("The result adopted is recorded."), "info")
    return redirect(url_for("cases.show", case_id=case_id) + "#year-work")


@bp.post("/cases/<int:case_id>/results/<int:result_id>/remove")
@login_required
def remove_result(case_id: int, result_id: int) -> Any:
    session = db()
    results.remove(session, me(), case_id, result_id)
    session.commit()
    flash(_("The result is removed."), "info")
    return redirect(url_for("cases.show", case_id=case_id) + "#year-work")


def _evaluation_page(case: Case, row: Any, submitted: dict[str, Any] | None = None,
                     errors: dict[str, str] | None = None, general: list[str] | None = None, status: int = 200) -> Any:
    fields = taskform.field_views(row.form or [], case.data or {}, None, str(get_locale() or ""), submitted, errors)
    proposer = (case.data or {}).get(paper.PROPOSER) or ""
    names = timeline.display_names(db(), [proposer])
    return render_template("paper_evaluation.html", case=case, task=row, fields=fields, general_errors=general or [],
                           proposer=names.get(proposer, proposer)), status


def _waiting(case_id: int) -> tuple[Case, Any]:
    """The case and its open evaluation; 404 for a case the reader may not see, 403 for all but its office."""
    session = db()
    case = queries.get_case(session, me(), case_id)
    if not roles.may_enter_on_behalf(session, ctx().declarations.for_case(case), me(), case):
        raise Forbidden("only the office of the case's body enters a proposer's paper form")
    return case, paper.evaluation_task(session, case.id)


@bp.get("/cases/<int:case_id>/paper-evaluation")
@login_required
def evaluation_form(case_id: int) -> Any:
    """The paper evaluation form (征询意见表) to enter for the proposer: the office of the case's body only."""
    case, row = _waiting(case_id)
    if row is None:
        flash(_("No evaluation of this case waits for the proposer's answer."), "error")
        return redirect(url_for("cases.show", case_id=case_id))
    return _evaluation_page(case, row)


@bp.post("/cases/<int:case_id>/paper-evaluation")
@login_required
def enter_evaluation(case_id: int) -> Any:
    session = db()
    case, row = _waiting(case_id)
    if row is None:
        flash(_("No evaluation of this case waits for the proposer's answer."), "error")
        return redirect(url_for("cases.show", case_id=case_id))
    values = taskform.posted_values(row.form or [], request.form)
    try:
        paper.enter_evaluation(ctx(), session, me(), case_id, values)
    except Invalid as err:
        session.rollback()
        case, row = _waiting(case_id)
        beside, general = taskform.field_errors(err.details, row.form or [])
        return _evaluation_page(case, row, values, beside, general or ([] if beside else [err.message]), 422)
    session.commit()
    flash(_("The paper evaluation form of case %(number)s is entered on the proposer's behalf.",
            number=case.number), "info")
    return redirect(url_for("cases.show", case_id=case_id))
