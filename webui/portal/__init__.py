"""掌上提案: the proposer's own pages, phone first — my suggestions or proposals with their stages, one case
with its reply, face reply and the communications to confirm, my own tasks, a new case with co-signers
picked by name — and what makes it installable (a manifest and a service worker scoped to /portal/).

Routes call services (workflows.portal, workflows.cosigners, the engine's runtime and notes); no query here.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from engine.bpmn import library
from engine.cases import notes, runtime, starts, tasks
from engine.errors import CaseworkError, Conflict, Forbidden, Invalid, NotFound
from workflows import cosigners, portal, similar, views

from .. import casedoc, taskform
from ..web import ctx, db, me

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates", static_folder="static",
               static_url_path="/static")
BODY = {"suggestion": ("我的建议", "My suggestions"), "proposal": ("我的提案", "My proposals")}
NEW_FIELDS = ("title", "body", "category", "in_session")


def _english() -> bool:
    return str(get_locale() or "").startswith("en")


def _kind() -> str:
    """The case type this person proposes (deputies: suggestions, members: proposals)."""
    groups = me().group_names
    return next((key for key, t in portal.CASE_TYPES.items() if t.proposers in groups), "suggestion")


def _heading() -> str:
    return BODY[_kind()][1 if _english() else 0]


@bp.get("/")
@login_required
def index() -> Any:
    english = _english()
    cases = portal.my_cases(db(), me(), english, ctx().zone)
    return render_template("portal/index.html", cases=cases, heading=_heading(), kind=_kind(),
                           task_name=lambda t: portal.task_name(t, english),
                           stage=lambda c: views.stage_name(c.stage, english))


def _case_page(case_id: int, status: int = 200, answer_error: str = "") -> Any:
    english = _english()
    page = portal.case_page(db(), me(), case_id, english, ctx().zone)
    return render_template("portal/case.html", page=page, heading=_heading(), answer_error=answer_error,
                           stage=views.stage_name(page.case.stage, english),
                           task_name=lambda t: portal.task_name(t, english),
                           klass=lambda v: views.option_name("result_class", v, english) or v,
                           contact_kinds=CONTACT_KINDS, me=me().username,
                           may_withdraw=portal.may_withdraw(page.case, page.role, db())), status


CONTACT_KINDS = {"contact_before": ("办前沟通", "Before handling"), "contact_during": ("办中沟通", "During handling"),
                 "contact_at_reply": ("答复时沟通", "At the reply"), "contact_after": ("办后沟通", "After handling")}


@bp.get("/cases/<int:case_id>")
@login_required
def case(case_id: int) -> Any:
    return _case_page(case_id)


@bp.post("/cases/<int:case_id>/contacts/<int:note_id>/answer")
@login_required
def answer(case_id: int, note_id: int) -> Any:
    """Confirm or dispute a communication recorded with me (the engine's action checks my role)."""
    session = db()
    case, _role = portal.my_case(session, me(), case_id)
    try:
        notes.answer_contact(session, ctx().declarations.for_case(case), me(), case, note_id,
                             request.form.get("answer") or "", request.form.get("comment") or "", ctx=ctx())
        session.commit()
    except Invalid as err:
        session.rollback()
        fields = {d.get("field") for d in err.details}
        message = _("Say what was not so when you dispute a communication.") if "comment" in fields \
            else _("Choose whether you confirm or dispute the communication.")
        return _case_page(case_id, 422, message)
    flash(_("Your answer is recorded."), "info")
    return redirect(url_for("portal.case", case_id=case_id) + "#communications")


@bp.post("/cases/<int:case_id>/withdraw")
@login_required
def withdraw(case_id: int) -> Any:
    session = db()
    try:
        case = portal.withdraw(ctx(), session, me(), case_id, request.form.get("withdraw_reason") or "")
    except (Conflict, Forbidden, Invalid) as err:
        session.rollback()
        flash(_("The case was not withdrawn: %(reason)s", reason=err.message), "error")
        return redirect(url_for("portal.case", case_id=case_id))
    session.commit()
    flash(_("Case %(number)s is withdrawn.", number=case.number or case.id), "info")
    return redirect(url_for("portal.case", case_id=case_id))


# -- my tasks: evaluate, revise, confirm co-signing ------------------------------------------------

def _task_or_404(task_id: str) -> tuple[Any, Any]:
    row, case = tasks.get_task(db(), me(), task_id)
    if row.id not in {t.id for t in portal.my_tasks(db(), me(), [case.id])}:
        raise NotFound("this task is not yours")  # a group's task is done from the inbox, not here
    return row, case


def _render_task(row: Any, case: Any, submitted: dict | None = None, errors: dict | None = None,
                 general: list | None = None, status: int = 200) -> Any:
    english = _english()
    form = casedoc.with_english_labels(row.form or [], case.process_key)
    fields = taskform.field_views(form, case.data or {}, row.draft, str(get_locale() or ""), submitted,
                                  errors)
    return render_template("portal/task.html", task=row, case=case, fields=fields, heading=_heading(),
                           name=portal.task_name(row, english), general_errors=general or []), status


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id: str) -> Any:
    return _render_task(*_task_or_404(task_id))


@bp.post("/tasks/<task_id>")
@login_required
def submit_task(task_id: str) -> Any:
    session = db()
    row, case = _task_or_404(task_id)
    values = taskform.posted_values(row.form or [], request.form)
    try:
        case = runtime.complete_task(ctx(), session, me(), task_id, values)
    except Invalid as err:
        session.rollback()
        row, case = _task_or_404(task_id)
        beside, general = taskform.field_errors(err.details, row.form or [])
        return _render_task(row, case, values, beside, general or ([] if beside else [err.message]), 422)
    except (Conflict, Forbidden) as err:
        session.rollback()
        flash(err.message, "error")
        return redirect(url_for("portal.index"))
    session.commit()
    flash(_("Done: “%(task)s” of case %(case)s.", task=portal.task_name(row, _english()),
            case=case.number or case.id), "info")
    return redirect(url_for("portal.case", case_id=case.id))


# -- a new case, co-signers picked by name ---------------------------------------------------------

def _start_form(key: str) -> Any:
    definition = library.latest(db(), key)
    if definition is None:
        abort(404)
    return definition, ctx().start_forms.get(definition)


def _render_new(key: str, values: dict | None = None, errors: dict | None = None, general: list | None = None,
                status: int = 200) -> Any:
    definition, form = _start_form(key)
    fields = casedoc.with_english_labels([f for f in form.fields if f["id"] in NEW_FIELDS], key)
    views_ = taskform.field_views(fields, {}, None, str(get_locale() or ""), values, errors)
    chosen = set((values or {}).get("cosigners") or [])
    return render_template("portal/new.html", key=key, fields=views_, heading=_heading(), general_errors=general or [],
                           people=cosigners.body_members(db(), key, exclude=me().username), chosen=chosen,
                           cosigner_error=(errors or {}).get("cosigners", ""),
                           submission_key=request.form.get("submission_key") or uuid.uuid4().hex), status


@bp.get("/new")
@login_required
def new() -> Any:
    return _render_new(_kind())


@bp.post("/new")
@login_required
def create() -> Any:
    key, session, user = _kind(), db(), me()
    definition, form = _start_form(key)
    values = taskform.posted_values([f for f in form.fields if f["id"] in NEW_FIELDS], request.form)
    values["cosigners"] = [n for n in request.form.getlist("cosigners") if n]
    try:
        once = starts.check_key(request.form.get("submission_key"))
        case, started = starts.start_once(session, user, once,
                                          lambda: portal.submit(ctx(), session, user, key, dict(values)))
    except Invalid as err:
        session.rollback()
        beside, general = taskform.field_errors(err.details, list(form.fields))
        for detail in err.details:
            if detail.get("field") in cosigners.FIELDS:
                beside["cosigners"] = _("Co-signers come from your own body: %(who)s cannot co-sign this.",
                                        who=detail.get("message", "").rsplit(": ", 1)[-1])
        return _render_new(key, values, beside, general or ([] if beside else [err.message]), 422)
    except CaseworkError as err:
        session.rollback()
        return _render_new(key, values, {}, [err.message], err.status if hasattr(err, "status") else 400)
    flash(_("Case %(number)s is submitted: %(title)s", number=case.number or case.id, title=case.title)
          if started else _("This form was already sent: case %(number)s was started then, not again.",
                            number=case.number or case.id), "info")
    return redirect(url_for("portal.case", case_id=case.id))


@bp.get("/similar")
@login_required
def similar_cases() -> Any:
    """As the proposer types (portal.js asks with a pause): the cases most like it, mine whole, others' accepted
    ones as public facts (workflows.similar)."""
    try:
        title, body = similar.check_text(request.args.get("title"), request.args.get("body"))
    except Invalid as err:
        return _json(err.to_dict(), 422)
    english = _english()
    found = similar.similar(db(), me(), title, body, process_key=_kind(), zone=ctx().zone)
    return _json([{**c.to_dict(), "stage": views.stage_name(c.stage, english) or "",
                   "url": url_for("portal.case", case_id=c.case_id) if c.full else None} for c in found])


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


# -- installable ------------------------------------------------------------------------------------

@bp.get("/manifest.webmanifest")
def manifest() -> Any:
    english = _english()
    body = {"name": "掌上提案 · Casework" if not english else "Casework on the phone",
            "short_name": "掌上提案" if not english else "Casework", "start_url": url_for("portal.index"),
            "scope": url_for("portal.index"), "display": "standalone", "background_color": "#ffffff",
            "theme_color": "#b71c1c", "lang": "en" if english else "zh-CN",
            "icons": [{"src": url_for("portal.static", filename="icon.svg"), "sizes": "any",
                       "type": "image/svg+xml", "purpose": "any"}]}
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


@bp.get("/sw.js")
def service_worker() -> Any:
    """Served from /portal/ so that its scope is the portal's pages."""
    answer = send_from_directory(bp.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    answer.headers["Service-Worker-Allowed"] = url_for("portal.index")
    return answer
