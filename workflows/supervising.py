"""The domain's side of supervision. A supervisor flags a case (挂牌督办): the engine records it with the
reason, and the lead unit hears of it in the app and on the channels its people keep; before a case has
a lead unit (still being reviewed or assigned), the units holding its open tasks are told instead.
And which groups are units for the watchlist's filter: not the leaders' groups, nor a unit's head group
(`<unit>_head`, as unit_handling.bpmn names it), nor the system's own groups."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.cases import supervision
from engine.identity import ADMINS, DESIGNERS, SUPERVISORS, group_members
from engine.notify import channels
from engine.store import Case, User

from .leaders import BODY_GROUPS

KIND = "flagged"


def units_to_tell(session: Session, case: Case) -> list[str]:
    """The lead unit (主办单位) once assigned, else the units its open tasks are offered to."""
    lead = str((case.data or {}).get("lead_unit") or "").strip()
    if lead:
        return [lead]
    return supervision.open_units(session, [case.id]).get(case.id, [])


def set_flag(ctx: Any, session: Session, user: User, case_id: int, flagged: bool, reason: str = "") -> Case:
    """Flag or unflag; on flagging, the unit's members are told why. Returns the case."""
    before = session.get(Case, case_id)
    was = bool(before.flagged) if before is not None else None
    case = supervision.set_flag(session, user, case_id, flagged, reason)
    if flagged and not was:
        people = [p for p in group_members(session, units_to_tell(session, case)) if p.username != user.username]
        subject = f"挂牌督办：{case.title}（{case.number}）"
        body = (f"案件编号：{case.number}\n案由：{case.title}\n"
                f"督办理由：{reason.strip()}\n督办人：{user.display_name or user.username}\n"
                "本案已列入挂牌督办，请抓紧办理，按期答复。\n")
        channels.queue(ctx, session, people, case, KIND, subject, body)
    return case


HEAD_SUFFIX = "_head"  # unit_handling.bpmn offers the face reply to "${lead_unit}_head"
_NOT_UNITS = {ADMINS, DESIGNERS, SUPERVISORS, *BODY_GROUPS.values()}


def is_unit(group: str) -> bool:
    return group not in _NOT_UNITS and not group.endswith(HEAD_SUFFIX)


def filter_units(groups: list[str]) -> list[str]:
    """The units among groups holding open tasks; a head group stands for its unit."""
    found = {g[: -len(HEAD_SUFFIX)] if g.endswith(HEAD_SUFFIX) else g for g in groups}
    return sorted(g for g in found if is_unit(g))


def unit_groups(unit: str) -> list[str]:
    """The groups a unit's open tasks are offered to: its own and its head's."""
    return [unit, unit + HEAD_SUFFIX]
