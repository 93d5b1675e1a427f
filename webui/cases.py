"""Case pages: the list of cases a person may see, and one case with its tasks, diagram, timeline,
communications log (四沟通), comments and attachments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_datetime, get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from engine import bounds, clock
from engine.cases import attachments, instances, notes, queries, supervision, tasks, timeline
from engine.cases.inbox import active_users, due_mark
from engine.draw.render import RenderError, render_svg
from engine.errors import Invalid, NotFound, TooLarge
from engine.store import Case

from .web import ctx, db, local_path, me

bp = Blueprint("cases", __name__)

PER_PAGE = 20
STATUSES = {"running": _l("Running"), "completed": _l("Completed"), "cancelled": _l("Cancelled"),
            "error": _l("Stopped on an error")}
LISTED_STATUSES = ("running", "completed", "error")
CONTACT_KINDS = {"contact_before": _l("Before handling"), "contact_during": _l("During handling"),
                 "contact_at_reply": _l("At the reply"), "contact_after": _l("After the reply")}
CONTACT_METHODS = {"visit": _l("Visit"), "meeting": _l("Meeting"), "phone": _l("Phone"), "other": _l("Other")}
# names of values in event data that are not form fields
DATA_LABELS = {"assignee": _l("Assignee"), "candidate_groups": _l("Groups"), "candidate_users": _l("People"),
               "due_at": _l("Due"), "file_name": _l("File"), "size": _l("Size"), "task": _l("Task")}
VALUE_MAX = 400  # longer values are cut in the timeline (the case data shows them whole)


# ------------------------------------------------------------------------------- helpers

def _days() -> int:
    return ctx().config["supervise.due_soon_days"]


def _english() -> bool:
    return str(get_locale() or "").startswith("en")


def show_value(value: Any, options: dict[str, str] | None = None, limit: int | None = None) -> str:
    """A data value as a reader sees it: option names for enum ids, yes/no, times in the reader's zone."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return format_datetime(value, "yyyy-MM-dd HH:mm")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "、".join(show_value(v, options) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show_value(v)}" for k, v in value.items()) or "—"
    text = str(value)
    if options and text in options:
        text = options[text]
    if limit and len(text) > limit:
        text = text[:limit] + "…"
    return text


def human_size(size: int) -> str:
    if size < 1024:
        return _("%(n)d bytes", n=size)
    if size < 1024 * 1024:
        return _("%(n).1f KB", n=size / 1024)
    return _("%(n).1f MB", n=size / (1024 * 1024))


def describe(entry: timeline.Entry) -> str:
    """What happened, as one sentence in the reader's language."""
    subject = entry.subject
    kind = entry.kind
    if kind == "case_started":
        return _("Started the case “%(title)s”", title=subject)
    if kind == "task_created":
        return _("Task “%(task)s” is waiting to be done", task=subject)
    if kind == "task_claimed":
        return _("Took on task “%(task)s”", task=subject)
    if kind == "task_unclaimed":
        return _("Released task “%(task)s”", task=subject)
    if kind == "task_assigned":
        return _("Assigned task “%(task)s”", task=subject)
    if kind == "task_completed":
        return _("Completed task “%(task)s”", task=subject)
    if kind == "task_cancelled":
        return _("Task “%(task)s” was cancelled", task=subject)
    if kind == "timer_fired":
        return _("The timer “%(timer)s” went off", timer=subject)
    if kind == "message_received":
        return _("Message “%(name)s” arrived", name=subject)
    if kind == "case_completed":
        return _("The case was completed")
    if kind == "case_error":
        return _("The case stopped on an error: %(error)s", error=subject)
    if kind == "note_added":
        note_kind = entry.data.get("kind") or subject
        if note_kind in CONTACT_KINDS:
            return _("Recorded a communication with the proposer (%(kind)s)", kind=CONTACT_KINDS[note_kind])
        return _("Added a comment")
    if kind == "attachment_added":
        return _("Attached the file “%(name)s”", name=subject)
    if kind == "deadline_reminder":
        return _("Reminder: %(what)s", what=subject)
    if kind == "case_escalated":
        return _("Overdue, escalated to the supervisors: %(what)s", what=subject)
    if kind == "case_flagged":
        return _("Flagged the case for supervision: %(reason)s", reason=subject) if subject \
            else _("Flagged the case for supervision")
    if kind == "case_unflagged":
        return _("Took the supervision flag off: %(reason)s", reason=subject) if subject \
            else _("Took the supervision flag off")
    return _("%(kind)s: %(message)s", kind=kind, message=subject) if subject else kind


def change_rows(entry: timeline.Entry, names: dict[str, str]) -> list[dict[str, Any]]:
    """The data an event changed, ready to print: label, old (for a change) and new."""
    english = _english()
    rows = []
    for change in entry.changes:
        label = change.label_for(english) or (str(DATA_LABELS[change.key]) if change.key in DATA_LABELS
                                              else change.key)
        if change.key == "assignee":
            old = names.get(change.old, change.old) if change.old else None
            new = names.get(change.new, change.new) if change.new else None
        elif change.key == "size" and isinstance(change.new, int):
            old, new = None, human_size(change.new)
        else:
            old, new = change.old, change.new
        rows.append({"key": change.key, "label": label, "is_change": change.is_change,
                     "old": show_value(old, change.options, VALUE_MAX),
                     "new": show_value(new, change.options, VALUE_MAX)})
    return rows


def _diagram(case: Case) -> str | None:
    """The case's diagram as inline SVG (without the XML declaration), or None for a file without one."""
    try:
        svg = render_svg(case.definition.bpmn_xml.encode("utf-8"), instances.element_states(ctx(), case))
    except RenderError:
        return None
    if svg.startswith("<?xml"):
        svg = svg.split("\n", 1)[1] if "\n" in svg else svg[svg.index("?>") + 2:]
    return svg


def _field_messages(err: Invalid, messages: dict[str, Any]) -> dict[str, str]:
    """Engine details -> a message beside each field, in the reader's language where we know it."""
    found = {}
    for detail in err.details:
        name = detail.get("field") or "body"
        found[name] = str(messages.get(name, detail.get("message") or err.message))
    return found or {"body": err.message}


def _case_page(case: Case, status: int = 200, **forms: Any) -> Any:
    """Render the case page; `forms` carries a rejected form's errors and values."""
    session = db()
    events = queries.case_history(session, case.id)
    entries = timeline.entries(session, case, events)
    open_tasks = tasks.open_tasks_of_case(session, case.id)
    contacts = notes.contacts_in_date_order(session, case.id)
    comments = notes.list_notes(session, case.id, [notes.COMMENT])
    files = attachments.list_for_case(session, case.id)
    names = timeline.display_names(session, [case.started_by, *(e.actor for e in events),
                                             *(t.assignee for t in open_tasks), *(n.author for n in contacts),
                                             *(n.author for n in comments), *(f.uploaded_by for f in files)])
    groups = supervision.group_names(session, sorted({g for t in open_tasks for g in t.candidate_groups or []}))
    # labels for the data: the start form's fields, then every task form's
    fields = {**{f["id"]: f for f in ctx().start_forms.get(case.definition).fields},
              **timeline.case_fields(session, case.id)}
    english = _english()
    data_rows = []
    for key, value in (case.data or {}).items():
        spec = fields.get(key) or {}
        label = ((spec.get("properties") or {}).get("label_en") if english else None) or spec.get("label") or key
        options = {str(o.get("id")): o.get("name") for o in spec.get("options") or []}
        data_rows.append({"key": key, "label": label, "value": show_value(value, options)})
    timeline_rows = [{"entry": e, "sentence": describe(e), "changes": change_rows(e, names)} for e in entries]
    context = dict(
        case=case, definition=case.definition, open_tasks=open_tasks, names=names, groups=groups,
        data_rows=data_rows, timeline=timeline_rows, contacts=contacts, comments=comments, files=files,
        diagram=_diagram(case), statuses=STATUSES, contact_kinds=CONTACT_KINDS, contact_methods=CONTACT_METHODS,
        mark=lambda due: due_mark(due, _days()) if case.status == "running" else None, human_size=human_size,
        is_supervisor=current_user.is_supervisor, today=to_user_timezone(clock.now()).date().isoformat(),
        # a supervisor reassigns any open task from here, to anyone (the inbox shows only their own)
        reassign_to=active_users(session) if current_user.is_supervisor and open_tasks else [],
        contact_errors={}, contact_values={}, comment_errors={}, comment_values={}, file_error=None)
    context.update(forms)
    return render_template("case.html", **context), status


# ------------------------------------------------------------------------------- pages

@bp.get("/cases")
@login_required
def index() -> Any:
    q = (request.args.get("q") or "").strip()
    status = request.args.get("status") or ""
    if status not in LISTED_STATUSES:
        status = ""
    process_key = request.args.get("type") or ""
    page = bounds.page_number(request.args.get("page"))
    rows = queries.list_cases(db(), me(), status=status or None, q=q or None, process_key=process_key or None,
                              limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    has_next = len(rows) > PER_PAGE
    types = supervision.case_types(db())
    args = {k: v for k, v in (("q", q), ("status", status), ("type", process_key)) if v}
    return render_template(
        "cases.html", cases=rows[:PER_PAGE], q=q, status=status, process_key=process_key, types=types,
        type_names=dict(types), statuses=STATUSES, listed_statuses=LISTED_STATUSES, page=page, has_next=has_next,
        args=args, mark=lambda case: due_mark(case.due_at, _days()) if case.status == "running" else None)


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id: int) -> Any:
    return _case_page(queries.get_case(db(), me(), case_id))


@bp.get("/cases/<int:case_id>/diagram.svg")
@login_required
def diagram(case_id: int) -> Any:
    case = queries.get_case(db(), me(), case_id)
    try:
        svg = render_svg(case.definition.bpmn_xml.encode("utf-8"), instances.element_states(ctx(), case))
    except RenderError:
        abort(404)
    answer = Response(svg, mimetype="image/svg+xml")
    answer.headers["X-Content-Type-Options"] = "nosniff"
    answer.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return answer


@bp.post("/cases/<int:case_id>/contacts")
@login_required
def add_contact(case_id: int) -> Any:
    case = queries.get_case(db(), me(), case_id)
    values = {k: (request.form.get(k) or "").strip() for k in ("kind", "date", "method", "participants", "body")}
    try:
        notes.add_note(db(), me(), case, values["kind"], values["body"],
                       {"date": values["date"], "method": values["method"], "participants": values["participants"]},
                       kinds=notes.CONTACT_KINDS)
        db().commit()
    except Invalid as err:
        db().rollback()
        messages = {"kind": _("Choose which communication this was."),
                    "body": _("Write what was discussed (at most %(n)d characters).", n=notes.BODY_MAX),
                    "method": _("Choose how you were in contact."),
                    "date": _("Give the date it took place, like 2026-12-01.")}
        return _case_page(case, 422, contact_errors=_field_messages(err, messages), contact_values=values)
    flash(_("The communication is recorded."), "info")
    return redirect(url_for("cases.show", case_id=case.id) + "#communications")


@bp.post("/cases/<int:case_id>/comments")
@login_required
def add_comment(case_id: int) -> Any:
    case = queries.get_case(db(), me(), case_id)
    body = (request.form.get("body") or "").strip()
    try:
        notes.add_note(db(), me(), case, notes.COMMENT, body)
        db().commit()
    except Invalid as err:
        db().rollback()
        messages = {"body": _("Write a comment (at most %(n)d characters).", n=notes.BODY_MAX)}
        return _case_page(case, 422, comment_errors=_field_messages(err, messages), comment_values={"body": body})
    flash(_("Your comment is added."), "info")
    return redirect(url_for("cases.show", case_id=case.id) + "#comments")


@bp.post("/cases/<int:case_id>/attachments")
@login_required
def upload(case_id: int) -> Any:
    case = queries.get_case(db(), me(), case_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _case_page(case, 422, file_error=_("Choose a file to attach."))
    config = ctx().config
    try:
        row = attachments.store(db(), config, me(), case, file.filename, file.stream)
        db().commit()
    except (Invalid, TooLarge) as err:
        db().rollback()
        code = (err.details[0].get("code") if err.details else None) or ("size" if isinstance(err, TooLarge) else "")
        messages = {
            "size": _("The file is larger than the limit of %(n)s.",
                      n=human_size(config["uploads.max_attachment_bytes"])),
            "type": _("Files of this type cannot be attached. Allowed types: %(types)s.",
                      types=", ".join(attachments.allowed_types(config))),
            "empty": _("The file is empty."),
            "content": _("The file's content does not match its name; it may be damaged or renamed."),
        }
        return _case_page(case, err.status, file_error=messages.get(code, err.message))
    flash(_("The file “%(name)s” is attached.", name=row.file_name), "info")
    return redirect(url_for("cases.show", case_id=case.id) + "#attachments")


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int) -> Any:
    try:
        row, path = attachments.open_for(db(), ctx().config, me(), attachment_id)
    except NotFound:
        abort(404)
    answer = send_file(path, mimetype=row.content_type, as_attachment=True, download_name=row.file_name,
                       max_age=0, conditional=True, etag=row.sha256)
    answer.headers["X-Content-Type-Options"] = "nosniff"
    answer.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    answer.headers["Cache-Control"] = "private, no-cache"
    return answer


@bp.post("/cases/<int:case_id>/flag")
@login_required
def flag(case_id: int) -> Any:
    """Flag a case for supervision (挂牌督办) or take the flag off; supervisors only (the engine checks)."""
    flagged = request.form.get("flagged") == "1"
    reason = (request.form.get("reason") or "").strip()
    case = supervision.set_flag(db(), me(), case_id, flagged, reason)
    db().commit()
    flash(_("Case %(number)s is flagged for supervision.", number=case.number) if flagged
          else _("The supervision flag is off case %(number)s.", number=case.number), "info")
    return redirect(local_path(request.form.get("next"), url_for("cases.show", case_id=case.id)))
