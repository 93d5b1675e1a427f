"""The clerk's inbox and task forms: tasks by tab with filters, claim / release / hand over / reassign,
and the form of one task (complete, save a draft, attach reply documents).

Views stay thin: the queries live in engine.cases.inbox and engine.cases.tasks, the rules in engine.cases.permissions.
An engine refusal on an action (someone else was quicker, not allowed) becomes a flash message on the
page the person came from, never an error page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from engine import bounds
from engine.cases import attachments, roles, runtime, supervision, tasks, timeline
from engine.cases import inbox as inbox_queries
from engine.errors import CaseworkError, Conflict, Forbidden, Invalid, NotFound, TooLarge
from workflows import handlers, similar, units, views

from . import casedoc, taskform
from .cases import CONTACT_KINDS
from .web import ctx, db, local_path, me

bp = Blueprint("inbox", __name__)

PER_PAGE = 20
TABS = (("mine", _l("Assigned to me")), ("claimed", _l("Claimed by me")), ("groups", _l("My groups")))
SORTS = (("due", _l("Due date")), ("created", _l("Newest")), ("priority", _l("Priority")))
DUES = (("overdue", _l("Overdue")), ("soon", _l("Due soon")), ("later", _l("Later")), ("none", _l("No due date")))


def _back() -> Any:
    return redirect(local_path(request.form.get("next"), url_for("inbox.index")))


def _due_soon_days() -> int:
    return int(ctx().config["supervise.due_soon_days"])


def _language() -> str:
    return str(get_locale() or "zh_CN")


def _case_url(case_id: int) -> str:
    return f"/cases/{case_id}"  # the case page (cases blueprint)


def _view_args() -> dict[str, Any]:
    """The inbox's query arguments, with anything unknown dropped (a stale bookmark still opens)."""
    args = request.args
    groups = current_user.groups
    view = {
        "tab": args.get("tab") if args.get("tab") in dict(TABS) else "mine",
        "type": (args.get("type") or "").strip(),
        "unit": args.get("unit") if args.get("unit") in groups else "",
        "due": args.get("due") if args.get("due") in dict(DUES) else "",
        "q": (args.get("q") or "").strip()[:200],
        "sort": args.get("sort") if args.get("sort") in dict(SORTS) else "due",
    }
    view["page"] = bounds.page_number(args.get("page"))
    return view


@bp.get("/inbox")
@login_required
def index() -> Any:
    view = _view_args()
    session, user = db(), me()
    filters = inbox_queries.InboxFilter(process_key=view["type"] or None, group=view["unit"] or None,
                                        due=view["due"] or None, q=view["q"] or None)
    result = inbox_queries.inbox(session, user, view["tab"], filters, view["sort"], view["page"], PER_PAGE,
                                 _due_soon_days())
    if "tab" not in request.args and not result.total:  # open where the work is, not on an empty tab
        busy = next((name for name, _label in TABS if result.counts.get(name)), None)
        if busy is not None:
            view["tab"] = busy
            result = inbox_queries.inbox(session, user, busy, filters, view["sort"], view["page"], PER_PAGE,
                                         _due_soon_days(), counts=result.counts)
    task_rows = [row for row, _case in result.rows]
    held = [row for row in task_rows if row.assignee == user.username]
    people = inbox_queries.display_names(session, {row.assignee for row in task_rows if row.assignee})
    group_names = supervision.group_names(session, sorted({g for row in task_rows for g in row.candidate_groups or []}))
    # a supervisor reassigns to those who can hold each task: its groups' members and its named people
    everyone = inbox_queries.colleagues(session, task_rows) if current_user.is_supervisor and task_rows else {}
    kept = {k: v for k, v in view.items() if v and k not in ("page",) and not (k == "sort" and v == "due")}

    def link(**changes: Any) -> str:
        args = {**kept, **changes}
        return url_for("inbox.index", **{k: v for k, v in args.items() if v and not (k == "page" and v == 1)})

    return render_template(
        "inbox.html", result=result, view=view, tabs=TABS, sorts=SORTS, dues=DUES, link=link,
        case_types=inbox_queries.case_type_names(session), units=user.groups,
        colleagues=inbox_queries.colleagues(session, held, exclude=user.username) if held else {},
        everyone=everyone, people=people, group_names=group_names, due_soon_days=_due_soon_days(),
        due_mark=inbox_queries.due_mark, case_url=_case_url, here=request.full_path.rstrip("?"))


def _act(action: Any, done: Any) -> Any:
    """Run one task action; its refusal is a flash message on the page the person came from."""
    session = db()
    try:
        row = action(session)
    except CaseworkError as err:
        session.rollback()
        flash(_refusal(err), "error")
        return _back()
    session.commit()
    flash(done(row), "info")
    return _back()


def _refusal(err: CaseworkError) -> str:
    if isinstance(err, Conflict):
        return _("Someone else was quicker: %(reason)s", reason=err.message)
    if isinstance(err, Forbidden):
        return _("Not allowed: %(reason)s", reason=err.message)
    if isinstance(err, NotFound):
        return _("This task does not exist or you may not see it.")
    if isinstance(err, Invalid):
        return _("Not done: %(reason)s", reason=err.message)
    return err.message


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str) -> Any:
    return _act(lambda session: tasks.claim(session, me(), task_id),
                lambda row: _("You claimed “%(task)s”. It is now under “Claimed by me”.", task=row.name))


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id: str) -> Any:
    return _act(lambda session: tasks.unclaim(session, me(), task_id),
                lambda row: _("You released “%(task)s”: it is back with its groups.", task=row.name))


@bp.post("/tasks/<task_id>/assign")
@login_required
def assign(task_id: str) -> Any:
    username = (request.form.get("user") or "").strip()
    if not username:
        flash(_("Choose the person to give the task to."), "error")
        return _back()

    def done(row: Any) -> str:
        name = inbox_queries.display_names(db(), [username]).get(username, username)
        return _("“%(task)s” is now with %(name)s.", task=row.name, name=name)

    return _act(lambda session: tasks.assign(session, me(), task_id, username), done)


# -- one task's form ------------------------------------------------------------------------------

def _render_task(row: Any, case: Any, submitted: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                 general: list[str] | None = None, file_error: str = "", status: int = 200,
                 gate: list[str] | None = None) -> Any:
    session, user = db(), me()
    standing = tasks.standing(user, row)
    form = casedoc.with_english_labels(row.form or [], case.process_key)
    fields = taskform.field_views(form, case.data or {}, row.draft, _language(), submitted, errors,
                                  directory=units.directory(session, case.process_key))
    form_ids = {f["id"] for f in row.form or []}
    english = _language().startswith("en")
    specs = {f["id"]: f for f in row.form or [] if isinstance(f, dict) and f.get("id")}
    start_fields = {f["id"]: f for f in ctx().start_forms.get(case.definition).fields}
    reader = casedoc.reader_for(session, english, case.process_key, case.data or {},
                                {**start_fields, **timeline.case_fields(session, case.id), **specs})
    summary = casedoc.document(reader.load(), case.process_key, case.data or {}, skip=form_ids)
    summary = [part for part in summary if part.rows]
    if not casedoc.declared(case.process_key):  # a case type without a presentation: its plain values
        known = {**timeline.case_fields(session, case.id), **specs}
        summary = [casedoc.Part("data", "", [
            casedoc.Row(k, (known.get(k) or {}).get("label") or k, reader.text("", v))
            for k, v in list((case.data or {}).items())[:12] if k not in form_ids and not isinstance(v, (dict, list))])]
    types = attachments.allowed_types(ctx().config)
    accept = ",".join("." + t for t in types)
    people = inbox_queries.display_names(session, {row.assignee, row.completed_by, case.started_by,
                                                   *(row.candidate_users or []),
                                                   *(f.uploaded_by for f in tasks.attachments_of_task(session, row.id))}
                                         - {None, ""})
    groups = supervision.group_names(session, list(row.candidate_groups or []))
    offered_to = _(", ").join([*(groups.get(g, g) for g in row.candidate_groups or []),
                           *(people.get(u, u) for u in row.candidate_users or [])])
    return render_template(
        "task.html", task=row, case=case, fields=fields, standing=standing,
        may_complete=standing in ("holder", "offered", "open"), summary=summary, offered_to=offered_to,
        stage=views.stage_name(case.stage, english), upload_label=views.upload_label(row.element_id, english),
        max_bytes=ctx().config["uploads.max_attachment_bytes"],
        general_errors=general or [], file_error=file_error, gate=gate or [], accept=accept,
        attachment_types=", ".join(types),
        max_size=_size(ctx().config["uploads.max_attachment_bytes"]),
        files=tasks.attachments_of_task(session, row.id), people=people,
        due=inbox_queries.due_mark(row.due_at, _due_soon_days()), case_url=_case_url(case.id),
        definition_name=case.definition.name or case.process_key, here=request.path,
        hints=similar.for_task(session, user, case, row.element_id, ctx().zone) if standing != "closed" else {},
        merge_field=similar.MERGE_FIELD if similar.MERGE_FIELD in form_ids else "",
        stage_of=lambda value: views.stage_name(value, english)), status


def _gone(task_id: str) -> Any:
    """A task the person can no longer see: say who completed it when they were among its candidates."""
    row = tasks.closed_task_of(db(), me(), task_id)
    if row is None:
        flash(_("This task does not exist or you may not see it."), "error")
    else:
        flash(_closed_message(row), "error")
    return redirect(url_for("inbox.index"))


def _closed_message(row: Any) -> str:
    if row.state == "completed" and row.completed_by:
        name = inbox_queries.display_names(db(), [row.completed_by]).get(row.completed_by, row.completed_by)
        return _("“%(task)s” was already completed by %(name)s; nothing you typed was submitted.",
                 task=row.name, name=name)
    return _("“%(task)s” is no longer open (it was %(state)s); nothing you typed was submitted.",
             task=row.name, state=row.state)


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id: str) -> Any:
    try:
        row, case = tasks.get_task(db(), me(), task_id)
    except NotFound:
        return _gone(task_id)
    return _render_task(row, case)


class _FileRefused(Exception):
    def __init__(self, name: str, err: CaseworkError):
        super().__init__(err.message)
        self.name, self.err = name, err


def _store_files(session: Any, row: Any, case: Any) -> list[str]:
    """Keep the files sent with the form; a refused one raises _FileRefused (the caller rolls back, so
    none of the request's files is kept)."""
    names = []
    for upload in request.files.getlist("attachment"):
        if not upload or not upload.filename:
            continue
        try:
            # what a proposer sends with their task is theirs to read; a unit's files stay internal
            public = roles.entry_public(session, ctx().declarations.for_case(case), me(), case, False)
            stored = attachments.store(session, ctx().config, me(), case, upload.filename, upload.stream,
                                       task_id=row.id, public=public)
        except (TooLarge, Invalid) as err:
            raise _FileRefused(upload.filename, err) from err
        names.append(stored.file_name)
    return names


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"


def _file_message(refused: _FileRefused) -> str:
    """Why a file was refused, in the reader's language, naming the file."""
    err, config = refused.err, ctx().config
    detail = (err.details or [{}])[0].get("message", "")
    if isinstance(err, TooLarge):
        why = _("The file is too large: at most %(size)s.", size=_size(config["uploads.max_attachment_bytes"]))
    elif detail.startswith("allowed types"):
        why = _("Files of this type cannot be attached. Allowed: %(types)s.",
                types=", ".join(attachments.allowed_types(config)))
    elif detail == "is empty":
        why = _("The file is empty.")
    elif detail.startswith("content is not"):
        why = _("The file's content does not match its type; it may be renamed or damaged.")
    else:
        why = err.message
    return _("%(file)s: %(why)s Nothing was submitted; choose the file again after fixing it.",
             file=refused.name, why=why)


@bp.post("/tasks/<task_id>")
@login_required
def submit(task_id: str) -> Any:
    session, user = db(), me()
    try:
        row, case = tasks.get_task(session, user, task_id)
    except NotFound:
        return _gone(task_id)
    action = request.form.get("action", "complete")
    values = taskform.posted_values(row.form or [], request.form)
    standing = tasks.standing(user, row)
    if standing == "closed":
        flash(_closed_message(row), "error")
        return redirect(url_for("inbox.index"))
    if standing == "held":  # someone claimed it or was given it meanwhile
        flash(_("%(name)s holds “%(task)s” of case %(case)s now, so only they can complete it; "
                "nothing you typed was submitted.",
                name=inbox_queries.display_names(session, [row.assignee]).get(row.assignee, row.assignee),
                task=row.name, case=case.number or case.id), "error")
        return redirect(url_for("inbox.index"))
    if standing == "outsider":
        flash(_("You are not in this task's groups, so you cannot complete it."), "error")
        return redirect(url_for("inbox.task", task_id=task_id))
    try:
        stored = _store_files(session, row, case)
    except _FileRefused as refused:
        session.rollback()
        row, case = tasks.get_task(session, user, task_id)
        return _render_task(row, case, submitted=values, file_error=_file_message(refused), status=422)
    except CaseworkError as err:
        session.rollback()
        flash(_refusal(err), "error")
        return redirect(url_for("inbox.index"))
    if stored:
        session.commit()  # a file that passed its checks is kept even if the form is sent back for a fix
        row, case = tasks.get_task(session, user, task_id)
    try:
        if action == "draft":
            tasks.save_draft(session, user, task_id, values)
        else:
            case = runtime.complete_task(ctx(), session, user, task_id, values)
    except Invalid as err:
        session.rollback()
        missing = [d.get("field") for d in err.details if d.get("code") == handlers.GATE_CODE]
        if missing:  # the communications gate: the reply is kept as the task's draft and the way shown
            tasks.save_draft(session, user, task_id, values)
            session.commit()
            row, case = tasks.get_task(session, user, task_id)
            return _render_task(row, case, submitted=values, gate=[str(CONTACT_KINDS.get(k, k)) for k in missing],
                                status=422)
        row, case = tasks.get_task(session, user, task_id)
        beside, general = taskform.field_errors(err.details, row.form or [])
        if not beside and not general:
            general = [err.message]
        if stored:
            flash(_("Attached: %(files)s", files=", ".join(stored)), "info")
        return _render_task(row, case, submitted=values, errors=beside, general=general, status=422)
    except (Conflict, Forbidden, NotFound) as err:
        session.rollback()
        flash(_("“%(task)s” of case %(case)s could not be done: %(reason)s. Someone else may have completed "
                "or taken it meanwhile; nothing you typed was submitted.",
                task=row.name, case=case.number or case.id, reason=err.message), "error")
        return redirect(url_for("inbox.index"))
    session.commit()
    if action == "draft":
        flash(_("Draft saved. You can come back and finish it later."), "info")
        return redirect(url_for("inbox.task", task_id=task_id))
    flash(_("Done: “%(task)s” of case %(case)s.", task=row.name, case=case.number or case.id), "info")
    return redirect(_case_url(case.id))
