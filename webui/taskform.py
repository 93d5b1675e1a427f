"""Task forms on a page: BPMN form fields (TaskRow.form) turned into what the template draws, and a
posted form turned back into the values the engine validates.

Inputs are named `field.<id>` so that no field id of a model can clash with the page's own names
(csrf_token, action, attachment).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.cases.forms import required_when
from workflows import views

PREFIX = "field."
MULTILINE_FROM = 200  # a string field allowing more characters than this gets a text area
_TRUE = {"true", "on", "yes", "1"}


@dataclass
class FieldView:
    """One form field as the template needs it."""

    id: str
    name: str  # the input's name
    dom_id: str
    kind: str  # text, textarea, number, checkbox, date, select, multiselect
    label: str
    required: bool = False
    readonly: bool = False
    value: str = ""
    checked: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)  # min, max, step, minlength
    hint: str = ""
    error: str = ""
    selected: list[str] = field(default_factory=list)  # a multiselect's chosen values


def _label(spec: dict[str, Any], language: str) -> str:
    properties = spec.get("properties") or {}
    if language.startswith("en") and properties.get("label_en"):
        return str(properties["label_en"])
    return str(spec.get("label") or spec["id"])


def _option(option: dict[str, Any], language: str) -> str:
    """An option's name; in English the case types' English name for it (the models name options in Chinese)."""
    name = str(option.get("name") or option["id"])
    return (views.option_en(name) or name) if language.startswith("en") else name


def _hint(spec: dict[str, Any], language: str) -> str:
    properties = spec.get("properties") or {}
    if language.startswith("en") and properties.get("hint_en"):
        return str(properties["hint_en"])
    return str(properties.get("hint") or "")


def _kind(spec: dict[str, Any]) -> str:
    kind = spec.get("type") or "string"
    if kind == "long":
        return "number"
    if kind == "boolean":
        return "checkbox"
    if kind == "date":
        return "date"
    if kind == "enum":
        return "select"
    properties = spec.get("properties") or {}
    maxlength = _number((spec.get("constraints") or {}).get("maxlength"))
    multiline = str(properties.get("multiline", "")).strip().lower() in _TRUE
    return "textarea" if multiline or (maxlength is not None and maxlength > MULTILINE_FROM) else "text"


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _as_text(value: Any, kind: str) -> str:
    """A stored value (case data, a default, a draft) as an input's value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        value = value.isoformat()
    if isinstance(value, (list, tuple)):  # a list field (property list): the names, as a person types them
        return ", ".join(str(item) for item in value)
    text = str(value)
    if kind == "date":
        return text[:10]  # dates travel as ISO strings; the picker takes yyyy-mm-dd
    return text


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in _TRUE)


def _attrs(spec: dict[str, Any], kind: str) -> dict[str, Any]:
    c = spec.get("constraints") or {}
    attrs: dict[str, Any] = {}
    if kind == "number":
        attrs["step"] = 1
        for bound in ("min", "max"):
            if _number(c.get(bound)) is not None:
                attrs[bound] = int(_number(c[bound])) if float(_number(c[bound])).is_integer() else c[bound]
    elif kind == "date":
        for bound in ("min", "max"):
            if c.get(bound):
                attrs[bound] = str(c[bound])[:10]
    elif kind in ("text", "textarea"):
        if _number(c.get("minlength")) is not None:
            attrs["minlength"] = int(_number(c["minlength"]))
    return attrs


def _length_hint(spec: dict[str, Any]) -> str:
    c = spec.get("constraints") or {}
    lo, hi = _number(c.get("minlength")), _number(c.get("maxlength"))
    if lo is not None and hi is not None:
        return _("%(low)d to %(high)d characters", low=int(lo), high=int(hi))
    if hi is not None:
        return _("At most %(count)d characters", count=int(hi))
    if lo is not None:
        return _("At least %(count)d characters", count=int(lo))
    return ""


def _condition_hint(spec: dict[str, Any], fields: list[dict[str, Any]], language: str) -> str:
    """'Required when <field> is <choice>' for a field with a required_if constraint (engine/cases/forms.py)."""
    by_id = {f["id"]: f for f in fields}
    parts = []
    for other, values in required_when(spec):
        field_spec = by_id.get(other, {})
        names = {str(o["id"]): _option(o, language) for o in field_spec.get("options") or []}
        if field_spec.get("type") == "boolean":
            names = {"true": _("ticked"), "false": _("not ticked")}
        shown = " / ".join(names.get(v, v) for v in values)
        parts.append(_("Required when %(field)s is %(value)s", field=_label(field_spec, language) if field_spec
                       else other, value=shown))
    return "; ".join(parts)


def _is_list(spec: dict[str, Any]) -> bool:
    return str((spec.get("properties") or {}).get("list") or "").strip().lower() in _TRUE


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,，、;；\r\n]+", str(value or ""))
    return [str(v).strip() for v in items if str(v).strip()]


def field_views(fields: list[dict[str, Any]], current: dict[str, Any], draft: dict[str, Any] | None,
                language: str, submitted: dict[str, Any] | None = None,
                errors: dict[str, str] | None = None,
                directory: dict[str, list[tuple[str, str]]] | None = None) -> list[FieldView]:
    """The fields to draw, each prefilled: what was just typed (a rejected post), else the saved draft,
    else the case data, else the field's default. Read-only fields always show the case's value.

    A field whose property `choices` names a list of the `directory` (the organisation's units) is picked
    from it: a select, or a multiple select for a list field."""
    errors = errors or {}
    views = []
    for spec in fields or []:
        fid = spec["id"]
        kind = _kind(spec)
        readonly = bool(spec.get("readonly"))
        value: Any = spec.get("default")
        if fid in current:
            value = current[fid]
        if not readonly:
            if draft and fid in draft:
                value = draft[fid]
            if submitted is not None and fid in submitted:
                value = submitted[fid]
        hint = _hint(spec, language)
        if kind in ("text", "textarea"):
            hint = " · ".join(h for h in (hint, _length_hint(spec)) if h)
        conditions = required_when(spec) if not readonly else []
        if conditions:
            hint = " · ".join(h for h in (_condition_hint(spec, fields, language), hint) if h)
        view = FieldView(id=fid, name=PREFIX + fid, dom_id="field-" + fid, kind=kind, label=_label(spec, language),
                         required=bool(spec.get("required")) and not readonly, readonly=readonly,
                         value=_as_text(value, kind), checked=_is_true(value),
                         attrs={**_attrs(spec, kind), **({"data-required-if": ";".join(
                             f"{o}={'|'.join(v)}" for o, v in conditions)} if conditions else {})},
                         hint=hint, error=errors.get(fid, ""))
        if kind == "select":
            view.options = [(str(o["id"]), _option(o, language)) for o in spec.get("options") or []]
        choices = str((spec.get("properties") or {}).get("choices") or "").strip()
        if directory is not None and choices in directory and not readonly:
            view.options = list(directory[choices])
            view.kind = "multiselect" if _is_list(spec) else "select"
            view.selected = _values(value)
            view.attrs.pop("minlength", None)
            if view.kind == "select":
                view.value = view.selected[0] if view.selected else ""
        views.append(view)
    return views


def posted_values(fields: list[dict[str, Any]], form: MultiDict) -> dict[str, Any]:
    """The values of a posted task form, as typed (the engine converts and checks them).

    Read-only fields are never sent back; a checkbox sends a hidden "false" before the box, so the last
    value wins."""
    values: dict[str, Any] = {}
    for spec in fields or []:
        if spec.get("readonly"):
            continue
        name = PREFIX + spec["id"]
        sent = form.getlist(name)
        if not sent:
            continue
        if (spec.get("type") or "string") == "boolean":
            values[spec["id"]] = "true" if any(_is_true(v) for v in sent) else "false"
        elif _is_list(spec):  # a multiple select sends each choice (after a hidden empty one), a text field one text
            values[spec["id"]] = ", ".join(v for v in sent if v.strip())
        else:
            values[spec["id"]] = sent[-1]
    return values


# the engine's field problems (engine/cases/forms.py and the other checks) by their codes, in the reader's language
_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "required": lambda p: _("This field is required."),
    "required_for_choice": lambda p: _("This field is required for the choice made."),
    "read_only": lambda p: _("This field cannot be changed."),
    "unknown_field": lambda p: _("This is not a field of this form."),
    "not_whole_number": lambda p: _("Enter a whole number."),
    "not_boolean": lambda p: _("Tick the box or leave it empty."),
    "not_date": lambda p: _("Enter a date like 2026-12-01."),
    "not_text": lambda p: _("Enter text."),
    "not_list": lambda p: _("Enter the names separated by commas."),
    "not_option": lambda p: _("Choose one of the options."),
    "too_short": lambda p: _("Enter at least %(count)s characters.", count=p.get("min", "")),
    "too_long": lambda p: _("Enter at most %(count)s characters.", count=p.get("max", "")),
    "below_min": lambda p: _("Enter %(value)s or more.", value=p.get("min", "")),
    "above_max": lambda p: _("Enter %(value)s or less.", value=p.get("max", "")),
    "before_first_day": lambda p: _("Choose %(day)s or later.", day=p.get("day", "")),
    "after_last_day": lambda p: _("Choose %(day)s or earlier.", day=p.get("day", "")),
    "in_future": lambda p: _("Choose a day that is not in the future."),
    "before_assignment": lambda p: _("Choose %(day)s or later.", day=p.get("day", "")),
    "before_reply_draft": lambda p: _("Choose %(day)s or later: not before the reply draft.", day=p.get("day", "")),
    "no_reply_draft": lambda p: _("A communication at the reply can be recorded once the reply is drafted."),
    "unknown_user": lambda p: _("No user has the name %(names)s.", names=p.get("names", ""))
    if p.get("names") else _("No user has this name."),
    "not_yourself": lambda p: _("Leave this empty: it names the person who starts the case."),
    "not_candidate": lambda p: _("This person cannot hold the task."),
    "merge_number_required": lambda p: _("Enter the number of the suggestion this one is merged into."),
    "merge_into_itself": lambda p: _("A suggestion cannot be merged into itself."),
    "no_such_suggestion": lambda p: _("There is no suggestion numbered %(number)s.", number=p.get("number", "")),
    "merge_target_closed": lambda p: _("Suggestion %(number)s has been answered, closed or merged into another: it "
                                       "cannot take more; assign this one on its own.", number=p.get("number", "")),
    "not_a_unit": lambda p: _("Not a unit of this organisation: %(names)s", names=p.get("names", "")),
    "not_a_leader": lambda p: _("Not a leader on this list: %(names)s", names=p.get("names", "")),
}


def field_message(detail: dict[str, Any]) -> str:
    """A problem the engine found with a field, by its code in the reader's language; the engine's own
    (English) words only for a code this page does not know."""
    say = _MESSAGES.get(str(detail.get("code") or ""))
    params = detail.get("params") if isinstance(detail.get("params"), dict) else {}
    return say(params) if say else str(detail.get("message") or "")


def field_errors(details: list[dict[str, Any]], fields: list[dict[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """An Invalid's details split into messages beside form fields and messages for the whole form."""
    known = {f["id"] for f in fields or []}
    beside: dict[str, str] = {}
    general: list[str] = []
    for detail in details or []:
        name, message = detail.get("field"), field_message(detail)
        if name in known and name not in beside:
            beside[name] = message
        else:
            general.append(f"{detail.get('label') or name}: {message}" if name else message)
    return beside, general
