"""Co-signers come from the proposer's own body: deputies co-sign suggestions, members co-sign proposals.

Checked when a case starts (ctx.start_checks) and when a proposal's submission form names them
(ctx.completion_checks), so that the API, the office's pages and the portal refuse the same thing: a name
outside the body is a 422 naming it, before anything is saved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Invalid
from engine.store import Group, User, UserGroup

from .cases import CASE_TYPES, names

FIELDS = ("cosigners", "cosigners_text")  # where the models take co-signers' user names


def body_members(session: Session, process_key: str, exclude: str | None = None) -> list[User]:
    """The active people who may co-sign a case of this type (its proposers' group), by display name."""
    case_type = CASE_TYPES.get(process_key)
    if case_type is None:
        return []
    stmt = (select(User).join(UserGroup, UserGroup.user_id == User.id).join(Group, Group.id == UserGroup.group_id)
            .where(Group.name == case_type.proposers, User.active.is_(True)).order_by(User.display_name, User.username))
    return [u for u in session.scalars(stmt) if u.username != exclude]


def _check(session: Session, process_key: str, data: dict[str, Any]) -> None:
    case_type = CASE_TYPES.get(process_key)
    if case_type is None:
        return
    details = []
    for key in FIELDS:
        wanted = names(data.get(key)) if data.get(key) else []
        if not wanted:
            continue
        inside = set(session.scalars(
            select(User.username).join(UserGroup, UserGroup.user_id == User.id)
            .join(Group, Group.id == UserGroup.group_id)
            .where(Group.name == case_type.proposers, User.username.in_(wanted))))
        outside = [n for n in wanted if n not in inside]
        if outside:
            details.append({"field": key, "message": f"co-signers of a {process_key} are members of "
                            f"{case_type.proposers}; not: {', '.join(outside)}"})
    if details:
        raise Invalid("; ".join(d["message"] for d in details), details)


def start_check(session: Session, process_key: str, user: Any, data: dict[str, Any]) -> None:
    _check(session, process_key, data)


def completion_check(session: Session, case: Any, task: Any, submitted: dict[str, Any]) -> None:
    if any(key in (submitted or {}) for key in FIELDS):
        _check(session, case.process_key, submitted)
