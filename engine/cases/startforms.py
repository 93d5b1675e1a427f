"""Start forms: what a person fills in to start a case, and who started it.

Camunda Modeler writes a process's start form as camunda:formData on its plain start event (one with no
event definition), and the variable that receives the starting user's name as camunda:initiator on that
event. Both are read from the definition's stored file once per definition version (versions are
immutable) into the field dicts user tasks have (engine.bpmn.formdata.form_field_dict), so the API and the web
page describe and draw them as task forms.

When a case starts (`prepare`, called by runtime.start_case):
- the data's keys that are start form fields are checked and converted like a task form's
  (engine.cases.forms.validate: Invalid with one detail per field); besides them only the initiator variable
  and the keys the process declares as start inputs (`start:inputs`, engine.bpmn.declarations) are taken:
  any other key (a deadline, a stage, a flag, a setting a handler computes) is refused, naming the key;
- a start form field with id `title` is the case title: left empty, it takes the title given to
  start_case; and an empty case title takes it;
- the initiator variable gets the starting user's name unless the data already names someone: only a
  holder of a role the process gives `may:start_on_behalf` (a clerk who registers a paper submission for a
  deputy) may name another person, and the name must be an active user's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from lxml import etree
from sqlalchemy.orm import Session

from engine import identity
from engine.bpmn import library
from engine.bpmn.declarations import Declarations
from engine.bpmn.formdata import BPMN_NS, CAMUNDA, form_field_dict, read_form
from engine.bpmn.parser import BpmnFileError, parse_xml
from engine.cases import forms, permissions, roles
from engine.errors import Forbidden, Invalid
from engine.store import ProcessDefinition, User

TITLE = "title"


@dataclass(frozen=True)
class StartForm:
    """The start event's form fields (shared by every caller: read them, never change them)."""

    event_id: str | None = None
    event_name: str = ""
    initiator: str | None = None  # the variable that gets the starting user's name
    fields: tuple[dict[str, Any], ...] = ()

    @property
    def field_ids(self) -> set[str]:
        return {f["id"] for f in self.fields}

    @property
    def has_title(self) -> bool:
        return TITLE in self.field_ids


def _is_plain(event: etree._Element) -> bool:
    """A none start event: no message, timer, signal ... definition (those start on their trigger)."""
    return not any(isinstance(child.tag, str) and child.tag.startswith(f"{{{BPMN_NS}}}")
                   and child.tag.endswith(("EventDefinition", "eventDefinitionRef")) for child in event)


def read_start_form(xml: str, process_id: str) -> StartForm:
    """The start form of process `process_id` in a BPMN file; empty when it has none."""
    try:
        root = parse_xml(xml or "")
    except BpmnFileError:
        return StartForm()
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") != process_id:
            continue
        for event in process.iterchildren(f"{{{BPMN_NS}}}startEvent"):
            if _is_plain(event):
                initiator = (event.get(CAMUNDA + "initiator") or "").strip() or None
                fields = tuple(form_field_dict(f) for f in read_form(event).fields)
                return StartForm(event.get("id"), event.get("name") or "", initiator, fields)
    return StartForm()


class StartFormCache:
    """Start forms per definition version (immutable, so never invalidated; bounded LRU). The BPMN text
    is a deferred column: it is loaded only when the version's form is not cached yet."""

    def __init__(self, size: int = 256):
        self.size = size
        self._entries: OrderedDict[int, StartForm] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, definition: ProcessDefinition) -> StartForm:
        with self._lock:
            form = self._entries.get(definition.id)
            if form is not None:
                self._entries.move_to_end(definition.id)
                return form
        form = read_start_form(definition.bpmn_xml, definition.key)
        with self._lock:
            self._entries[definition.id] = form
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return form


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _refuse_unknown(form: StartForm, declarations: Declarations, data: dict[str, Any]) -> None:
    allowed = form.field_ids | declarations.start_inputs | ({form.initiator} if form.initiator else set())
    unknown = [key for key in data if key not in allowed]
    if unknown:
        raise Invalid(f"not start data of this process: {', '.join(map(str, unknown))}",
                      [{"field": key, "code": "unknown_field",
                        "message": "is not a field of the start form nor a declared start input"}
                       for key in unknown])


def prepare(form: StartForm, session: Session, user: User, title: str, data: dict[str, Any],
            declarations: Declarations | None = None) -> tuple[str, dict[str, Any]]:
    """(the case title, the case's first data): the data checked against the start form and the declared
    start inputs, the title field and the initiator variable filled in (see the module's description)."""
    declarations = declarations or Declarations()
    _refuse_unknown(form, declarations, data)
    data = dict(data)
    ids = form.field_ids
    if form.has_title and _blank(data.get(TITLE)) and title.strip():
        data[TITLE] = title.strip()
    if ids:
        data.update(forms.validate(list(form.fields), {k: v for k, v in data.items() if k in ids}))
        forms.check_user_fields(session, list(form.fields), data)
    if form.has_title and not title.strip() and isinstance(data.get(TITLE), str):
        title = data[TITLE]
    if form.initiator:
        named = data.get(form.initiator)
        if _blank(named):
            data[form.initiator] = user.username
        elif named != user.username:
            if not roles.may_start_on_behalf(declarations, user):
                raise Forbidden(f"a case you start names you as {form.initiator}: only the offices that register "
                                f"cases on someone's behalf may name {named!r}",
                                [{"field": form.initiator, "code": "not_yourself",
                                  "message": "names someone else: leave it empty"}])
            other = identity.get_user(session, named) if isinstance(named, str) else None
            if other is None or not other.active:
                raise Invalid(f"{form.initiator} must name a user: there is no active user {named!r}",
                              [{"field": form.initiator, "code": "unknown_user", "message": "is not a user name",
                                "params": {"names": str(named)}}])
    return title, data


def startable(session: Session, user: User) -> list[ProcessDefinition]:
    """The newest version of every process the user may start (by key)."""
    return [d for d in library.list_definitions(session) if permissions.may_start(user, d)]
