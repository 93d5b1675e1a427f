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

from engine import clock
from engine.cases import attachments, instances, notes, queries, roles, supervision, tasks, timeline
from engine.cases.inbox import colleagues, due_mark
from engine.draw.render import RenderError, render_svg
from engine.errors import Invalid, NotFound, TooLarge
from engine.store import Case
from workflows import handlers, milestones, supervising, views

from . import casedoc, caseparts
from .diagrams import DiagramView, diagram_view
from .web import ctx, db, local_path, me

bp = Blueprint("cases", __name__)

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
        return _(", ").join(show_value(v, options) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show_value(v)}" for k, v in value.items()) or "—"
    text = str(value)
    if options and text in options:
        text = options[text]
        if str(get_locale() or "").startswith("en"):  # the models name their options in Chinese
            text = views.option_en(text) or text
    if limit and len(text) > limit:
        text = text[:limit] + "…"
    return text


def human_size(size: int) -> str:
    if size < 1024:
        return _("%(n)d bytes", n=size)
    if size < 1024 * 1024:
        return _("%(n).1f KB", n=size / 1024)
    return _("%(n).1f MB", n=size / (1024 * 1024))


# what happened, by event kind: one sentence each, `%(subject)s` the event's subject (a task, a file, a
# reason); a second template for the event without a subject. A new kind of event is one line here.
SENTENCES: dict[str, tuple[Any, Any]] = {
    "case_started": (_l("Started the case “%(subject)s”"), None),
    "task_created": (_l("Task “%(subject)s” is waiting to be done"), None),
    "task_claimed": (_l("Took on task “%(subject)s”"), None),
    "task_unclaimed": (_l("Released task “%(subject)s”"), None),
    "task_assigned": (_l("Assigned task “%(subject)s”"), None),
    "task_completed": (_l("Completed task “%(subject)s”"), None),
    "task_cancelled": (_l("Task “%(subject)s” was cancelled"), None),
    "timer_fired": (_l("The timer “%(subject)s” went off"), None),
    "message_received": (_l("Message “%(subject)s” arrived"), None),
    "case_completed": (_l("The case was completed"), _l("The case was completed")),
    "case_error": (_l("The case stopped on an error: %(subject)s"), _l("The case stopped on an error")),
    "note_added": (_l("Added a comment"), _l("Added a comment")),
    "contact_added": (_l("Recorded a communication with the proposer (%(subject)s)"), None),
    "attachment_added": (_l("Attached the file “%(subject)s”"), None),
    "deadline_reminder": (_l("Reminder: %(subject)s"), None),
    "case_escalated": (_l("Overdue, escalated to the supervisors: %(subject)s"), None),
    "case_flagged": (_l("Flagged the case for supervision: %(subject)s"), _l("Flagged the case for supervision")),
    "case_unflagged": (_l("Took the supervision flag off: %(subject)s"), _l("Took the supervision flag off")),
    "task_entered_on_behalf": (_l("Entered “%(subject)s” from the proposer's paper form"), None),
    "tracking_started": (_l("Put under tracked handling: %(subject)s"), None),
    "tracking_ended": (_l("Ended the tracked handling"), _l("Ended the tracked handling")),
    "result_recorded": (_l("Recorded a result adopted: %(subject)s"), None),
    "result_removed": (_l("Removed a result adopted: %(subject)s"), None),
}


def describe(entry: timeline.Entry) -> str:
    """What happened, as one sentence in the reader's language."""
    kind, subject = entry.kind, entry.subject
    if kind == "note_added":  # a communication is a note of its own kind, named in the reader's language
        note_kind = entry.data.get("kind") or subject
        if note_kind in CONTACT_KINDS:
            kind, subject = "contact_added", str(CONTACT_KINDS[note_kind])
    with_subject, without = SENTENCES.get(kind, (None, None))
    if with_subject is None:
        return _("%(kind)s: %(message)s", kind=kind, message=subject) if subject else kind
    if not subject and without is not None:
        return str(without)
    return str(with_subject) % {"subject": subject or ""}


def change_rows(entry: timeline.Entry, names: dict[str, str], reader: casedoc.Reader | None = None,
                items: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The data an event changed, ready to print: label, old (for a change) and new. For a case type that
    declares its presentation (`items`), only the declared values, read as on the case page."""
    english = _english()
    rows = []
    for change in entry.changes:
        key = change.key
        item = (items or {}).get(key)
        if items is not None and item is None and key not in DATA_LABELS and not change.label:
            continue  # the process's own variables and settings (a form's field has a label)
        if change.is_change and show_value(change.old) == show_value(change.new) == "—":
            continue  # an empty field left empty
        if item is not None and item.kind == views.RECORDS:
            continue  # a table: the case page shows it whole
        if item is not None and reader is not None:
            label = reader.label(item)
            old = reader.text(item.kind, change.old, item.options, key) if change.is_change else None
            new = reader.text(item.kind, change.new, item.options, key)
            rows.append({"key": key, "label": label, "is_change": change.is_change,
                         "old": show_value(old, None, VALUE_MAX), "new": show_value(new, None, VALUE_MAX)})
            continue
        label = change.label_for(english) or (str(DATA_LABELS[key]) if key in DATA_LABELS else key)
        if items is not None and change.label and not (english and change.label_en):
            label = (views.field_label_en(key) if english else None) or views.clean_form_label(change.label)
        if key in ("assignee", "candidate_users"):
            old = _people(change.old, names) if change.old else None
            new = _people(change.new, names) if change.new else None
        elif key == "candidate_groups" and reader is not None:
            old, new = None, _(", ").join(reader.groups.get(g, g) for g in change.new or [])
        elif key == "size" and isinstance(change.new, int):
            old, new = None, human_size(change.new)
        else:
            old, new = change.old, change.new
        rows.append({"key": key, "label": label, "is_change": change.is_change,
                     "old": show_value(old, change.options, VALUE_MAX),
                     "new": show_value(new, change.options, VALUE_MAX)})
    return rows


def _timeline_people(entries: list[timeline.Entry]) -> list[str]:
    found: list[str] = []
    for entry in entries:
        for change in entry.changes:
            if change.key in ("assignee", "candidate_users"):
                for value in (change.old, change.new):
                    found.extend(value if isinstance(value, list) else [value] if isinstance(value, str) else [])
    return found


def _people(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, (list, tuple)):
        return [names.get(v, v) for v in value]
    return names.get(value, value)


def _diagram(case: Case) -> DiagramView | None:
    """The case's diagram, on the page that holds its open work, or None for a file without one."""
    try:
        return diagram_view(case.definition.bpmn_xml, instances.element_states(ctx(), case))
    except RenderError:
        return None


def _field_messages(err: Invalid, messages: dict[str, Any]) -> dict[str, str]:
    """Engine details -> a message beside each field, in the reader's language where we know it."""
    found = {}
    for detail in err.details:
        name = detail.get("field") or "body"
        found[name] = str(messages.get(name, detail.get("message") or err.message))
    return found or {"body": err.message}


def _form_rows(data: dict[str, Any], fields: dict[str, dict[str, Any]], english: bool) -> list[dict[str, Any]]:
    """A case type without a declared presentation: the values its forms name, with the forms' labels
    (the rest are the process's own variables)."""
    rows = []
    for key, value in data.items():
        spec = fields.get(key)
        if not spec or not spec.get("label"):
            continue
        label = ((spec.get("properties") or {}).get("label_en") if english else None) or spec["label"]
        options = {str(o.get("id")): o.get("name") for o in spec.get("options") or []}  # English in show_value
        rows.append({"key": key, "label": label, "value": show_value(value, options)})
    return rows


def _case_page(case: Case, status: int = 200, **forms: Any) -> Any:
    """Render the case page; `forms` carries a rejected form's errors and values."""
    session = db()
    declared = ctx().declarations.for_case(case)
    # a proposer or co-signer sees the entries marked for them, and no trace of the internal ones
    public_view = roles.public_only(session, declared, me(), case)
    events = roles.visible_events(queries.case_history(session, case.id), public_view)
    entries = timeline.entries(session, case, events)
    open_tasks = tasks.open_tasks_of_case(session, case.id)
    contacts = notes.contacts_in_date_order(session, case.id)
    comments = notes.list_notes(session, case.id, [notes.COMMENT], public_only=public_view)
    files = attachments.list_for_case(session, case.id, public_only=public_view)
    names = timeline.display_names(session, [case.started_by, *(e.actor for e in events),
                                             *(t.assignee for t in open_tasks), *(n.author for n in contacts),
                                             *(n.author for n in comments), *(f.uploaded_by for f in files),
                                             *_timeline_people(entries)])
    groups = supervision.group_names(session, sorted({g for t in open_tasks for g in t.candidate_groups or []}))
    # labels for the data: the start form's fields, then every task form's
    fields = {**{f["id"]: f for f in ctx().start_forms.get(case.definition).fields},
              **timeline.case_fields(session, case.id)}
    english = _english()
    items = casedoc.declared(case.process_key) or None
    reader = casedoc.reader_for(session, english, case.process_key, case.data or {}, fields)
    for entry in entries:  # the people and units the timeline names, looked up with the case's
        for change in entry.changes:
            if change.key == "candidate_groups":
                reader.prime(views.GROUPS, change.new)
            elif change.key in (items or {}):
                reader.prime(items[change.key].kind, change.old)
                reader.prime(items[change.key].kind, change.new)
    reader.load()
    document = casedoc.document(reader, case.process_key, case.data or {})
    data_rows = [] if document else _form_rows(case.data or {}, fields, english)
    timeline_rows = [{"entry": e, "sentence": describe(e), "changes": change_rows(e, names, reader, items)}
                     for e in entries]
    context = dict(
        case=case, definition=case.definition, open_tasks=open_tasks, names=names, groups=groups,
        data_rows=data_rows, document=document, stage=views.stage_name(case.stage, english),
        timeline=timeline_rows, contacts=contacts, comments=comments, files=files,
        diagram=_diagram(case), statuses=STATUSES, contact_kinds=CONTACT_KINDS, contact_methods=CONTACT_METHODS,
        mark=lambda due: due_mark(due, _days()) if case.status == "running" else None, human_size=human_size,
        is_supervisor=current_user.is_supervisor, today=to_user_timezone(clock.now()).date().isoformat(),
        # a supervisor reassigns any open task from here, to anyone (the inbox shows only their own)
        reassign_to=colleagues(session, open_tasks) if current_user.is_supervisor and open_tasks else {},
        public_view=public_view, may_record=roles.may(session, declared, me(), case, "record_communications"),
        may_answer=roles.may(session, declared, me(), case, "confirm_communications"), answer_error=None,
        is_image=attachments.is_image, previewable=attachments.previewable,
        max_bytes=ctx().config["uploads.max_attachment_bytes"],
        accept=",".join("." + t for t in attachments.allowed_types(ctx().config)),
        attachment_types=", ".join(attachments.allowed_types(ctx().config)),
        flag_error=None, flag_reason="", contact_errors={}, contact_values={}, comment_errors={}, comment_values={},
        file_error=None, **caseparts.context(session, me(), case))
    context.update(forms)
    return render_template("case.html", **context), status


# ------------------------------------------------------------------------------- pages

@bp.get("/cases")
@login_required
def index() -> Any:
    from . import caselist  # the list, its search and filters live in their own module

    return caselist.page(STATUSES, LISTED_STATUSES)


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
        note = handlers.record_communication(ctx(), db(), me(), case, values["kind"], values["body"],
                                             {"date": values["date"], "method": values["method"],
                                              "participants": values["participants"]})
        milestones.communication_recorded(ctx(), db(), case, note)  # the proposer is asked to confirm it
        db().commit()
    except Invalid as err:
        db().rollback()
        messages = {"kind": _("Choose which communication this was."),
                    "body": _("Write what was discussed (at most %(n)d characters).", n=notes.BODY_MAX),
                    "method": _("Choose how you were in contact."),
                    "date": _("Give the date it took place, like 2026-12-01.")}
        for detail in err.details:  # a date outside its window: say from when (the assignment, the reply draft)
            if detail.get("field") == "date" and detail.get("min"):
                messages["date"] = _("The date must be on or after %(day)s.", day=detail["min"])
            elif detail.get("field") == "date" and detail.get("code") == "no_reply_draft":
                messages["date"] = _("A communication at the reply can be recorded once the reply is drafted.")
        return _case_page(case, 422, contact_errors=_field_messages(err, messages), contact_values=values)
    flash(_("The communication is recorded."), "info")
    return redirect(url_for("cases.show", case_id=case.id) + "#communications")


@bp.post("/cases/<int:case_id>/contacts/<int:note_id>/answer")
@login_required
def answer_contact(case_id: int, note_id: int) -> Any:
    """The proposer confirms or disputes a recorded communication (the engine checks their role)."""
    case = queries.get_case(db(), me(), case_id)
    answer = request.form.get("answer") or ""
    try:
        notes.answer_contact(db(), ctx().declarations.for_case(case), me(), case, note_id, answer,
                             request.form.get("comment") or "", ctx=ctx())
        db().commit()
    except Invalid as err:
        db().rollback()
        fields = {d.get("field") for d in err.details}
        message = _("Say what was not so when you dispute a communication.") if "comment" in fields \
            else _("Choose whether you confirm or dispute the communication.")
        return _case_page(case, 422, answer_error=message)
    flash(_("Your answer is recorded.") if answer == "confirmed" else _("Your objection is recorded."), "info")
    return redirect(url_for("cases.show", case_id=case.id) + "#communications")


@bp.post("/cases/<int:case_id>/comments")
@login_required
def add_comment(case_id: int) -> Any:
    case = queries.get_case(db(), me(), case_id)
    body = (request.form.get("body") or "").strip()
    public = request.form.get("public") == "1"
    try:
        notes.add_note(db(), ctx().declarations.for_case(case), me(), case, notes.COMMENT, body, public=public)
        db().commit()
    except Invalid as err:
        db().rollback()
        messages = {"body": _("Write a comment (at most %(n)d characters).", n=notes.BODY_MAX)}
        return _case_page(case, 422, comment_errors=_field_messages(err, messages),
                          comment_values={"body": body, "public": public})
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
    public = roles.entry_public(db(), ctx().declarations.for_case(case), me(), case, request.form.get("public") == "1")
    try:
        row = attachments.store(db(), config, me(), case, file.filename, file.stream, public=public)
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
    """The file as a download; `?inline=1` shows a PDF or an image in the browser instead."""
    try:
        row, path = attachments.open_for(db(), ctx().config, me(), attachment_id, ctx().declarations)
    except NotFound:
        abort(404)
    inline = request.args.get("inline") == "1" and attachments.previewable(row.file_name)
    answer = send_file(path, mimetype=row.content_type, as_attachment=not inline, download_name=row.file_name,
                       max_age=0, conditional=True, etag=row.sha256)
    answer.headers["X-Content-Type-Options"] = "nosniff"
    # a PDF needs the browser's viewer, which a sandboxed document may not load; its first bytes were
    # checked on upload and nosniff keeps it from being read as a page, so no script of ours runs in it
    pdf = inline and row.content_type == "application/pdf"
    answer.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'" if pdf \
        else "default-src 'none'; sandbox"
    answer.headers["Cache-Control"] = "private, no-cache"
    return answer


@bp.post("/cases/<int:case_id>/flag")
@login_required
def flag(case_id: int) -> Any:
    """Flag a case for supervision (挂牌督办), saying why, or take the flag off; supervisors only (the engine
    checks). The lead unit is told (workflows.flagging)."""
    flagged = request.form.get("flagged") == "1"
    reason = (request.form.get("reason") or "").strip()
    back = local_path(request.form.get("next"), url_for("cases.show", case_id=case_id))
    try:
        case = supervising.set_flag(ctx(), db(), me(), case_id, flagged, reason)
        db().commit()
    except Invalid as err:
        db().rollback()
        message = _("Say why the case is flagged: the unit is told the reason.") \
            if any(d.get("code") == "required" for d in err.details) \
            else _("The reason is longer than %(n)d characters.", n=supervision.REASON_MAX)
        if back.startswith(url_for("supervise.index")):
            flash(message, "error")
            return redirect(back)
        return _case_page(queries.get_case(db(), me(), case_id), 422, flag_error=message, flag_reason=reason)
    flash(_("Case %(number)s is flagged for supervision; the unit is told.", number=case.number) if flagged
          else _("The supervision flag is off case %(number)s.", number=case.number), "info")
    return redirect(back)
