"""The handling units of the organisation (承办单位), as the directory knows them: a unit is a group that has a
head group beside it (`<unit>_head`, the lane of the head's face reply in bpmn/unit_handling.bpmn), so a
group without one could never finish a case. Form fields with the property `choices` = `units` (the lead
unit, assisting units, joint-review departments) are picked from this list on the page and checked against
it on the server: an unknown unit is a 422, not a sign-in task for a group nobody is in. Leaders in charge are
picked the same way from the leaders' lists (workflows.leaders): a name that is not such a leader is a 422 too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from engine.cases.forms import split_list
from engine.errors import Invalid
from engine.store import Case, Group

from . import leaders
from .cases import CASE_TYPES

UNITS = "units"
HEAD_SUFFIX = "_head"


def units(session: Session) -> list[tuple[str, str]]:
    """(group name, display name) of every unit, by display name."""
    head = aliased(Group)
    rows = session.execute(select(Group.name, Group.display_name).join(head, head.name == Group.name + HEAD_SUFFIX)
                           .order_by(Group.display_name, Group.name))
    return [(name, display or name) for name, display in rows]


def directory(session: Session, case_type: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """The pick-lists task forms may name in their `choices` property: the units, and the leaders of each
    body (`leaders_body`: the case type's own)."""
    return {UNITS: units(session), **leaders.lists(session, case_type)}


def _choices(spec: dict[str, Any]) -> str:
    return str((spec.get("properties") or {}).get("choices") or "").strip()


def unit_fields(fields: list[dict[str, Any]]) -> list[str]:
    return [f["id"] for f in fields or [] if _choices(f) == UNITS]


def _what(choices: str) -> str:
    if choices == UNITS:
        return "承办单位"
    return leaders.LIST_NAMES.get(choices, "包案领导")


def check_choices(session: Session, case: Case, task: Any, submitted: dict[str, Any]) -> None:
    """Completion check: every value of a field picked from the directory (units, leaders) is one of its
    entries; a 422 naming each field that is not."""
    if case.process_key not in CASE_TYPES:
        return
    fields = [(f["id"], _choices(f)) for f in task.form or [] if _choices(f) and not f.get("readonly")]
    if not fields:
        return
    lists = directory(session, case.process_key)
    details = []
    for field_id, choices in fields:
        if choices not in lists:
            continue
        known = {name for name, _ in lists[choices]}
        unknown = [name for name in split_list(submitted.get(field_id)) if name not in known]
        if unknown:
            details.append({"field": field_id, "message": f"不是本组织的{_what(choices)}：{'、'.join(unknown)}",
                            "code": "not_a_unit" if choices == UNITS else "not_a_leader",
                            "params": {"names": "、".join(unknown)}, "unknown": unknown})
    if details:
        raise Invalid("；".join(d["message"] for d in details), details)
