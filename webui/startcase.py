"""New case (新建案件): the processes the signed-in person may start, and the chosen process's start form
(engine.cases.startforms) drawn, posted and checked like a task form (webui/taskform.py).

A deputy or member submits their own suggestion or proposal here; a clerk of the liaison office or the
proposal committee registers a paper submission and names its author in the form's proposer field
(the start event's camunda:initiator variable; left empty, the person signed in is the author).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from engine.bpmn import library
from engine.cases import permissions, roles, runtime, startforms, starts
from engine.errors import Forbidden, Invalid
from engine.store import ProcessDefinition
from workflows import paper, sessions

from . import casedoc, taskform
from .web import ctx, db, me

bp = Blueprint("startcase", __name__)


def _definition(key: str) -> ProcessDefinition:
    definition = library.latest(db(), key)
    if definition is None:
        abort(404)
    permissions.check_may_start(me(), definition)
    return definition


def _fields(form: startforms.StartForm) -> list[dict[str, Any]]:
    """The start form's fields; a title field comes first when the form has no `title` of its own."""
    if form.has_title:
        return list(form.fields)
    title = {"id": startforms.TITLE, "label": _("Title"), "type": "string", "default": None, "required": False,
             "readonly": False, "constraints": {"maxlength": runtime.TITLE_MAX}, "options": [], "properties": {}}
    return [title, *form.fields]


def _session_choice(definition: ProcessDefinition) -> list[str] | None:
    """The known sessions (届次) the office registering a case may choose from; None for anyone else (their
    case takes config.yaml's current session)."""
    if definition.key not in ("suggestion", "proposal") \
            or not roles.may_start_on_behalf(ctx().declarations.get(definition), me()):
        return None
    return [s["label"] for s in sessions.known(ctx().config, definition.key)]


def _render(definition: ProcessDefinition, submitted: dict[str, Any] | None = None,
            errors: dict[str, str] | None = None, general: list[str] | None = None, status: int = 200) -> Any:
    form = ctx().start_forms.get(definition)
    choice = _session_choice(definition)
    chosen = (request.form.get(sessions.FIELD) if request.method == "POST" else None) \
        or sessions.current(ctx().config, definition.key)
    shown = casedoc.with_english_labels(_fields(form), definition.key)
    fields = taskform.field_views(shown, {}, None, str(get_locale() or ""), submitted, errors)
    # a form sent back with its errors keeps its key: once it is right, it still starts one case
    key = request.form.get("submission_key") if request.method == "POST" else None
    return render_template("start_case.html", definition=definition, start_form=form, fields=fields,
                           session_choice=choice, session_chosen=chosen,
                           session_error=(errors or {}).get(sessions.FIELD, ""),
                           general_errors=general or [], submission_key=key or uuid.uuid4().hex), status


@bp.get("/cases/new")
@login_required
def index() -> Any:
    forms = ctx().start_forms
    processes = [(d, forms.get(d)) for d in startforms.startable(db(), me())]
    return render_template("new_case.html", processes=processes)


@bp.get("/cases/new/<key>")
@login_required
def form(key: str) -> Any:
    return _render(_definition(key))


@bp.post("/cases/new/<key>")
@login_required
def submit(key: str) -> Any:
    session, definition = db(), _definition(key)
    start_form = ctx().start_forms.get(definition)
    values = taskform.posted_values(_fields(start_form), request.form)
    data = dict(values)
    # a title field of the page's own is the case title; the form's own `title` travels in the data
    title = "" if start_form.has_title else str(data.pop(startforms.TITLE, "") or "")
    if _session_choice(definition) is not None and (request.form.get(sessions.FIELD) or "").strip():
        data[sessions.FIELD] = request.form[sessions.FIELD].strip()[:100]  # checked against the known ones
    try:
        # the page's key: the same form sent twice (a double click, Back then send) starts one case
        once = starts.check_key(request.form.get("submission_key"))
        case, started = starts.start_once(session, me(), once,
                                          lambda: paper.register(ctx(), session, me(), definition.key, title, data))
    except Forbidden as err:  # naming someone else without registering for others: said beside the field
        session.rollback()
        beside = {d["field"]: _("You start cases in your own name: leave this empty. Only the office that "
                                "registers cases on someone's behalf names another person.")
                  for d in err.details if d.get("field")}
        return _render(definition, values, beside, [] if beside else [err.message], 403)
    except Invalid as err:
        session.rollback()
        beside, general = taskform.field_errors(err.details, _fields(start_form))
        for detail in err.details:  # the session is the page's own field, not the start form's
            if detail.get("field") == sessions.FIELD:
                beside[sessions.FIELD] = _("Choose one of the known sessions.")
                general = [g for g in general if not g.startswith(f"{sessions.FIELD}:")]
        return _render(definition, values, beside, general or ([] if beside else [err.message]), 422)
    if started:
        flash(_("Case %(number)s is started: %(title)s", number=case.number or case.id, title=case.title), "info")
    else:
        flash(_("This form was already sent: case %(number)s was started then, not again.",
                number=case.number or case.id), "info")
    return redirect(url_for("cases.show", case_id=case.id))
