"""A case's history for reading: event rows turned into timeline entries (who, what, when, what changed).

The entries carry the facts only (kind, subject, changes with the form labels known for them); the web
layer words them in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store import Case, EventRow, TaskRow, User, form_fields

# event data whose values are times, kept as ISO text in the log
_TIME_KEYS = {"due_at"}
# bookkeeping in event data that says nothing to a reader
_HIDDEN_KEYS = {"kind"}
# events whose data is already told by their sentence
_NO_CHANGES = {"attachment_added", "note_added", "case_flagged", "case_unflagged", "task_claimed", "task_unclaimed"}


@dataclass
class Change:
    """One value of an event's data: `old` is set (possibly None) when it is a change [old, new]."""

    key: str
    label: str | None  # the form field's label (model language), when the key is a form field
    label_en: str | None  # the field's `label_en` property, when the model gives one
    new: Any
    old: Any = None
    is_change: bool = False
    options: dict[str, str] = field(default_factory=dict)  # enum option id -> name

    def label_for(self, english: bool) -> str | None:
        return (self.label_en or self.label) if english else self.label


@dataclass
class Entry:
    id: int
    at: datetime
    kind: str
    actor: str | None
    actor_name: str | None
    subject: str  # the task, message, file, timer or reason the event is about
    message: str
    element_id: str | None
    task_id: str | None
    changes: list[Change]
    data: dict[str, Any]


def display_names(session: Session, usernames: Iterable[str | None]) -> dict[str, str]:
    """User name -> display name for the given users (unknown names map to themselves)."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    found = dict(session.execute(select(User.username, User.display_name).where(User.username.in_(wanted))).all())
    return {u: (found.get(u) or u) for u in wanted}


def element_names(bpmn_xml: str | bytes | None) -> dict[str, str]:
    """BPMN element id -> name, from the deployed file (for timers and other elements without a task row)."""
    if not bpmn_xml:
        return {}
    if isinstance(bpmn_xml, str):
        bpmn_xml = bpmn_xml.encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    try:
        root = etree.fromstring(bpmn_xml, parser)
    except (etree.XMLSyntaxError, ValueError):
        return {}
    names = {}
    for node in root.iter():
        if isinstance(node.tag, str) and node.get("id") and node.get("name"):
            names[node.get("id")] = node.get("name")
    return names


def _time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _changes(data: dict[str, Any], fields: dict[str, dict[str, Any]], pairs: bool) -> list[Change]:
    changes = []
    for key in sorted(data, key=lambda k: (k not in fields, list(fields).index(k) if k in fields else 0, k)):
        if key in _HIDDEN_KEYS:
            continue
        value = data[key]
        spec = fields.get(key) or {}
        options = {str(o.get("id")): o.get("name") or str(o.get("id")) for o in spec.get("options") or []}
        label_en = (spec.get("properties") or {}).get("label_en")
        common = dict(key=key, label=spec.get("label") or None, label_en=label_en or None, options=options)
        if pairs and isinstance(value, (list, tuple)) and len(value) == 2:
            old, new = value
            if key in _TIME_KEYS:
                old, new = _time(old), _time(new)
            changes.append(Change(new=new, old=old, is_change=True, **common))
        elif value not in (None, "", [], {}):  # an empty value (no assignee, no users) says nothing
            changes.append(Change(new=_time(value) if key in _TIME_KEYS else value, **common))
    return changes


def entries(session: Session, case: Case, events: list[EventRow]) -> list[Entry]:
    """Timeline entries for a case's events, oldest first, with display names and form labels resolved."""
    names = display_names(session, [e.actor for e in events])
    task_ids = {e.task_id for e in events if e.task_id}
    forms: dict[str, dict[str, dict[str, Any]]] = {}
    if task_ids:
        for task_id, form_id in session.execute(select(TaskRow.id, TaskRow.form_id).where(
                TaskRow.case_id == case.id, TaskRow.id.in_(task_ids))):
            form = form_fields(session, form_id)
            forms[task_id] = {f["id"]: f for f in form or [] if isinstance(f, dict) and f.get("id")}
    elements: dict[str, str] | None = None
    result = []
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        subject = event.message or ""
        if event.kind == "timer_fired" and event.element_id:
            if elements is None:
                elements = element_names(case.definition.bpmn_xml if case.definition else None)
            subject = elements.get(event.element_id, subject)
        fields = forms.get(event.task_id or "", {})
        pairs = event.kind in ("task_completed", "task_assigned")
        if event.kind in _NO_CHANGES:
            data_shown: dict[str, Any] = {}
        else:
            data_shown = data
        result.append(Entry(id=event.id, at=event.at, kind=event.kind, actor=event.actor,
                            actor_name=names.get(event.actor) if event.actor else None, subject=subject,
                            message=event.message or "", element_id=event.element_id, task_id=event.task_id,
                            changes=_changes(data_shown, fields, pairs), data=data))
    return result


def case_fields(session: Session, case_id: int) -> dict[str, dict[str, Any]]:
    """Form field id -> its field dict, over every task of the case (the latest task's wins), so that the
    case's data can be shown with the labels the forms gave its values."""
    fields: dict[str, dict[str, Any]] = {}
    for (form_id,) in session.execute(select(TaskRow.form_id).where(TaskRow.case_id == case_id)
                                      .order_by(TaskRow.created_at)):
        for spec in form_fields(session, form_id):
            if isinstance(spec, dict) and spec.get("id"):
                fields[spec["id"]] = spec
    return fields
