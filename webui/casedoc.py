"""A case as a document: the case type's declared sections (workflows.views) filled from the case's data,
with people and units by their names, options by their names and records as small tables. Shared by the
case page and the task page's case summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine.cases import supervision, timeline
from workflows import views


@dataclass
class Row:
    key: str
    label: str
    value: str = ""
    long: bool = False
    head: list[str] = field(default_factory=list)  # a table's column labels
    cells: list[list[str]] = field(default_factory=list)  # a table's rows


@dataclass
class Part:
    key: str
    title: str
    rows: list[Row]


def _parse_when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) >= 16 and value[4] == "-" and "T" in value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _names(values: Any) -> list[str]:
    if isinstance(values, str):
        return [v.strip() for v in values.replace("，", ",").split(",") if v.strip()]
    if isinstance(values, (list, tuple)):
        return [str(v) for v in values if v]
    return []


class Reader:
    """Turns values into text for one reader (language) on one case: `prime` what will be shown, then
    `load` the names of the people and units among it in two queries."""

    def __init__(self, session: Session, english: bool, fields: dict[str, dict[str, Any]]):
        self.session, self.english, self.fields = session, english, fields
        self._users: set[str] = set()
        self._groups: set[str] = set()
        self.users: dict[str, str] = {}
        self.groups: dict[str, str] = {}

    def prime(self, kind: str, value: Any) -> None:
        if kind in (views.USER, views.USERS):
            self._users.update(_names(value) if kind == views.USERS else [str(value)] if value else [])
        elif kind in (views.GROUP, views.GROUPS):
            self._groups.update(_names(value) if kind == views.GROUPS else [str(value)] if value else [])

    def prime_data(self, sections: tuple[views.Section, ...], data: dict[str, Any]) -> None:
        for section in sections:
            for item in section.items:
                self.prime(item.kind, data.get(item.key))
                for column in item.columns:
                    for record in _records(data.get(item.key)):
                        self.prime(column.kind, record.get(column.key))

    def load(self) -> Reader:
        self.users = timeline.display_names(self.session, self._users)
        self.groups = supervision.group_names(self.session, sorted(self._groups))
        return self

    def text(self, kind: str, value: Any, options: str | None = None, key: str = "") -> str:
        if _empty(value):
            return "—"
        if kind == views.BOOL or isinstance(value, bool):
            return _("yes") if value else _("no")
        if kind == views.USER:
            return self.users.get(str(value), str(value))
        if kind == views.USERS:
            return _(", ").join(self.users.get(n, n) for n in _names(value)) or "—"
        if kind == views.GROUP:
            return self.groups.get(str(value), str(value))
        if kind == views.GROUPS:
            return _(", ").join(self.groups.get(n, n) for n in _names(value)) or "—"
        if kind == views.MONTHS:
            return _("%(n)s months", n=value)
        if kind == views.ROUND:
            return _("first handling") if not value else _("re-handling, round %(n)s", n=value)
        if kind == views.WHEN:
            when = _parse_when(value)
            return format_datetime(when, "yyyy-MM-dd HH:mm") if when else str(value)
        if kind == views.DATE:
            return value.isoformat() if isinstance(value, date) else str(value)[:10]
        name = views.option_name(options, value, self.english)
        if name is None and key:
            form_options = {str(o.get("id")): o.get("name") for o in (self.fields.get(key) or {}).get("options") or []}
            name = form_options.get(str(value))
            if name is not None and self.english:
                name = views.option_en(str(name)) or name
        return name if name is not None else str(value)

    def label(self, item: views.Item) -> str:
        return views.label(item, self.english, (self.fields.get(item.key) or {}).get("label"))


def _records(value: Any) -> list[dict[str, Any]]:
    """A list of records, or records kept by unit or person (a dict of dicts)."""
    if isinstance(value, list):
        return [r for r in value if isinstance(r, dict)]
    if isinstance(value, dict):
        return [r for r in value.values() if isinstance(r, dict)]
    return []


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def declared(process_key: str) -> dict[str, views.Item]:
    """Variable -> its declaration, for a case type that declares its presentation."""
    sections = views.PRESENTATIONS.get(process_key, ())
    if not sections:
        return {}
    return {**{item.key: item for item in views.TIMELINE_ONLY},
            **{item.key: item for section in sections for item in section.items}}


def reader_for(session: Session, english: bool, process_key: str, data: dict[str, Any],
               fields: dict[str, dict[str, Any]]) -> Reader:
    reader = Reader(session, english, fields)
    reader.prime_data(views.PRESENTATIONS.get(process_key, ()), data)
    return reader


def document(reader: Reader, process_key: str, data: dict[str, Any],
             skip: set[str] | frozenset[str] = frozenset()) -> list[Part]:
    """The case's sections with the values it has, in declared order; empty sections are left out except
    communications (the case page fills it with the log). `skip`: variables shown elsewhere (a task's form).
    The reader must be loaded."""
    parts = []
    for section in views.PRESENTATIONS.get(process_key, ()):
        rows = []
        for item in section.items:
            value = data.get(item.key)
            if item.key in skip or _empty(value) or (item.kind == views.MONTHS and not value):
                continue
            if item.kind == views.RECORDS:
                records = _records(value)
                if not records:
                    continue
                columns = [c for c in item.columns if any(not _empty(r.get(c.key)) for r in records)]
                rows.append(Row(item.key, reader.label(item),
                                head=[views.label(c, reader.english) for c in columns],
                                cells=[[reader.text(c.kind, r.get(c.key), c.options) for c in columns]
                                       for r in records]))
            else:
                rows.append(Row(item.key, reader.label(item), reader.text(item.kind, value, item.options, item.key),
                                long=item.kind == views.LONG))
        if rows or section.key == "communications":
            parts.append(Part(section.key, section.en if reader.english else section.zh, rows))
    return parts


def with_english_labels(form: list[Any], process_key: str) -> list[Any]:
    """The form with `label_en` from the case type's declaration where the model gives none."""
    items = declared(process_key)
    out = []
    for spec in form:
        if isinstance(spec, dict) and not (spec.get("properties") or {}).get("label_en"):
            english = views.field_label_en(spec.get("id", "")) or (items[spec["id"]].en if spec.get("id") in items
                                                                    else None)
            if english:
                spec = {**spec, "properties": {**(spec.get("properties") or {}), "label_en": english}}
        out.append(spec)
    return out
