"""Validating submitted task data against a user task's form fields (camunda:formData).

A field is the JSON-ready dict the parser gives: id, label, type (string, long, boolean, date, enum),
default, required, readonly, constraints {minlength, maxlength, min, max, ...}, options [{id, name}].

A string field with the property `list` = true holds a list of texts (user names, unit ids): a list is
taken as it is, text is split at commas, 、, semicolons and line breaks (a person types "a, b").
With the property `users` = true its values must be the names of active users (check_user_fields):
a mistyped co-signer would otherwise get a task nobody can open.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Invalid
from engine.store import User

_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0", ""}
_LIST_SEPARATORS = re.compile(r"[,，、;；\r\n]+")


class _FieldError(Exception):
    """A field's value refused: a code and its parameters for the reader's language, the English for the API."""

    def __init__(self, code: str, message: str, **params: Any):
        super().__init__(message)
        self.code, self.params = code, params


def problem(field: str, code: str, message: str, label: str | None = None, **params: Any) -> dict[str, Any]:
    """One detail of an Invalid: the field, a code the UI translates (with its parameters), English words."""
    detail: dict[str, Any] = {"field": field, "code": code, "message": message}
    if label is not None:
        detail["label"] = label
    if params:
        detail["params"] = params
    return detail


def _to_long(value: Any) -> int:
    if isinstance(value, bool):
        raise _FieldError("not_whole_number", "must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _FieldError("not_whole_number", "must be a whole number")


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _FieldError("not_boolean", "must be true or false")


def _to_date(value: Any) -> str:
    """Dates travel as ISO strings (JSON has no date type); accept a date or a date-time."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        for parse in (date.fromisoformat, datetime.fromisoformat):
            try:
                return parse(text.replace("Z", "+00:00")).isoformat()
            except ValueError:
                continue
    raise _FieldError("not_date", "must be a date like 2026-12-01")


def _to_string(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise _FieldError("not_text", "must be text")
    return str(value)


def _to_list(value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else _LIST_SEPARATORS.split(_to_string(value))
    if any(isinstance(item, (dict, list, tuple)) for item in items):
        raise _FieldError("not_list", "must be a list of texts")
    return list(dict.fromkeys(text for text in (str(item).strip() for item in items) if text))


def _is_list(field: dict[str, Any]) -> bool:
    flag = (field.get("properties") or {}).get("list")
    return (field.get("type") or "string") == "string" and str(flag or "").strip().lower() in _TRUE


def split_list(value: Any) -> list[str]:
    """The texts of a list field's value (a list, or text separated by commas, 、, semicolons, lines)."""
    if value is None:
        return []
    try:
        return _to_list(value)
    except _FieldError:
        return []


def user_fields(fields: list[dict[str, Any]]) -> list[str]:
    """Ids of the fields whose values name users (property `users` = true)."""
    return [f["id"] for f in fields
            if str(((f.get("properties") or {}).get("users")) or "").strip().lower() in _TRUE]


def _number(constraint: Any) -> float | None:
    try:
        return float(constraint)
    except (TypeError, ValueError):
        return None


def _check_constraints(field: dict[str, Any], value: Any) -> None:
    c = field.get("constraints") or {}
    if isinstance(value, str):
        lo, hi = _number(c.get("minlength")), _number(c.get("maxlength"))
        if lo is not None and len(value) < lo:
            raise _FieldError("too_short", f"must have at least {int(lo)} characters", min=int(lo))
        if hi is not None and len(value) > hi:
            raise _FieldError("too_long", f"must have at most {int(hi)} characters", max=int(hi))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        lo, hi = _number(c.get("min")), _number(c.get("max"))
        if lo is not None and value < lo:
            raise _FieldError("below_min", f"must be at least {c.get('min')}", min=c.get("min"))
        if hi is not None and value > hi:
            raise _FieldError("above_max", f"must be at most {c.get('max')}", max=c.get("max"))
    if field.get("type") == "date" and isinstance(value, str):
        day, lo, hi = value[:10], c.get("min"), c.get("max")
        if lo and day < str(lo)[:10]:
            raise _FieldError("before_first_day", f"must be on or after {lo}", day=str(lo)[:10])
        if hi and day > str(hi)[:10]:
            raise _FieldError("after_last_day", f"must be on or before {hi}", day=str(hi)[:10])


def _convert(field: dict[str, Any], value: Any) -> Any:
    kind = field.get("type") or "string"
    if kind == "long":
        return _to_long(value)
    if kind == "boolean":
        return _to_boolean(value)
    if kind == "date":
        return _to_date(value)
    if kind == "enum":
        allowed = [o["id"] for o in field.get("options") or []]
        if value not in allowed:
            raise _FieldError("not_option", f"must be one of: {', '.join(allowed)}", options=allowed)
        return value
    if _is_list(field):
        return _to_list(value)
    return _to_string(value)


def _default(field: dict[str, Any]) -> Any:
    default = field.get("default")
    if _is_empty(default):
        return False if field.get("type") == "boolean" else [] if _is_list(field) else None
    try:
        return _convert(field, default)
    except _FieldError:
        return None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == []


def required_when(field: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The conditions of a `required_if` constraint: config "other=value", "other=a|b" (one of the values),
    several joined by ";" (any of them). The field is required exactly when one holds; a boolean reads
    as true/false."""
    conditions = []
    for part in str((field.get("constraints") or {}).get("required_if") or "").split(";"):
        other, _, values = part.partition("=")
        if other.strip() and values.strip():
            conditions.append((other.strip(), [v.strip() for v in values.split("|") if v.strip()]))
    return conditions


def _as_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value if value is not None else "")


def _chosen(clean: dict[str, Any], submitted: dict[str, Any], current: dict[str, Any], other: str) -> str | None:
    """The other field's value as it will be: cleaned (an unticked box is false), else the task's data."""
    if other in clean:
        return _as_text(clean[other])
    if other in submitted:
        return None  # the other field's own error is reported
    return _as_text(current.get(other))


def _conditional_problems(fields: list[dict[str, Any]], submitted: dict[str, Any], current: dict[str, Any],
                          clean: dict[str, Any], already: set[str]) -> list[dict[str, Any]]:
    """Fields required by the choice made in another field (the reason for 不满意, for withholding, ...)."""
    problems = []
    for field in fields:
        fid = field["id"]
        met = [(other, values) for other, values in required_when(field)
               if _chosen(clean, submitted, current, other) in values]
        if not met or fid in already:
            continue
        # a choice made now needs its reason now: an old reason left in the data from an earlier round is no answer
        now_chosen = any(other in submitted or other in clean for other, _ in met)
        value = submitted.get(fid) if fid in submitted or now_chosen else current.get(fid)
        if _is_empty(value):
            problems.append({**problem(fid, "required_for_choice", "is required for this choice",
                                     field.get("label") or fid),
                             "required_if": ";".join(f"{o}={'|'.join(v)}" for o, v in met)})
    return problems


def validate(fields: list[dict[str, Any]], submitted: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The cleaned data to merge into the task, or Invalid with one detail per bad field.

    `current` is the task's data now: read-only fields may be re-sent unchanged, not altered.
    """
    if submitted is None:
        submitted = {}
    if not isinstance(submitted, dict):
        raise Invalid("the task data must be a JSON object of field values")
    if not fields:
        return dict(submitted)  # no form declared: the process takes what it is given
    current = current or {}
    by_id = {f["id"]: f for f in fields}
    details: list[dict[str, Any]] = []
    clean: dict[str, Any] = {}
    for name in submitted:
        if name not in by_id:
            details.append(problem(name, "unknown_field", "is not a field of this task's form"))
    for field in fields:
        fid, label = field["id"], field.get("label") or field["id"]
        present = fid in submitted and not _is_empty(submitted[fid])
        if field.get("readonly"):
            if fid in submitted and submitted[fid] != current.get(fid, field.get("default")):
                details.append(problem(fid, "read_only", "is read-only", label))
            elif fid not in current:
                clean[fid] = _default(field)
            continue
        if not present:
            if field.get("required") and _is_empty(current.get(fid)) and _is_empty(field.get("default")) \
                    and field.get("type") != "boolean":
                details.append(problem(fid, "required", "is required", label))
            elif fid in submitted or fid not in current:
                # like Camunda, every form field becomes a variable, so conditions can test it for null
                clean[fid] = _default(field)
            continue
        try:
            value = _convert(field, submitted[fid])
            _check_constraints(field, value)
        except _FieldError as err:
            details.append(problem(fid, err.code, str(err), label, **err.params))
            continue
        clean[fid] = value
    details += _conditional_problems(fields, submitted, current, clean, {d["field"] for d in details})
    if details:
        names = ", ".join(d["field"] for d in details)
        raise Invalid(f"some fields are not valid: {names}", details)
    return clean


def check_user_fields(session: Session, fields: list[dict], data: dict) -> None:
    """Refuse (422, one detail per field) names in `users` fields that are not active users."""
    details = []
    for field_id in user_fields(fields):
        names = split_list(data.get(field_id))
        if not names:
            continue
        known = set(session.scalars(select(User.username).where(User.username.in_(names), User.active.is_(True))))
        unknown = [n for n in names if n not in known]
        if unknown:
            details.append(problem(field_id, "unknown_user", "no user has the name " + ", ".join(unknown),
                                   names=", ".join(unknown)))
    if details:
        raise Invalid("; ".join(f"{d['field']}: {d['message']}" for d in details), details)
