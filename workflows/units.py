"""The handling units of the organisation (承办单位), as the directory knows them: a unit is a group that has a
head group beside it (`<unit>_head`, the lane of the head's face reply in bpmn/unit_handling.bpmn), so a
group without one could never finish a case. Form fields with the property `choices` = `units` (the lead
unit, assisting units, joint-review departments) are picked from this list on the page and checked against
it on the server: an unknown unit is a 422, not a sign-in task for a group nobody is in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from engine.cases.forms import split_list
from engine.errors import Invalid
from engine.store import Case, Group

from .cases import CASE_TYPES

UNITS = "units"
HEAD_SUFFIX = "_head"


def units(session: Session) -> list[tuple[str, str]]:
    """(group name, display name) of every unit, by display name."""
    head = aliased(Group)
    rows = session.execute(select(Group.name, Group.display_name).join(head, head.name == Group.name + HEAD_SUFFIX)
                           .order_by(Group.display_name, Group.name))
    return [(name, display or name) for name, display in rows]


def directory(session: Session) -> dict[str, list[tuple[str, str]]]:
    """The pick-lists task forms may name in their `choices` property."""
    return {UNITS: units(session)}


def unit_fields(fields: list[dict[str, Any]]) -> list[str]:
    return [f["id"] for f in fields or [] if str((f.get("properties") or {}).get("choices") or "").strip() == UNITS]


def check_units(session: Session, case: Case, task: Any, submitted: dict[str, Any]) -> None:
    """Completion check: every value of a units field names a unit of the organisation."""
    if case.process_key not in CASE_TYPES:
        return
    fields = unit_fields(task.form)
    if not fields:
        return
    known = {name for name, _ in units(session)}
    details = []
    for field_id in fields:
        unknown = [name for name in split_list(submitted.get(field_id)) if name not in known]
        if unknown:
            details.append({"field": field_id, "message": f"不是本组织的承办单位：{'、'.join(unknown)}",
                            "unknown": unknown})
    if details:
        raise Invalid("；".join(d["message"] for d in details), details)
