"""The roles of a case: who takes part in it, and in which role, as rows beside the case.

A process declares its roles and which variables of the case data name their holders
(engine.bpmn.declarations); on every save `sync` rewrites the case's participant rows from its data, so
that visibility (engine.cases.permissions.visible_cases), the communications, the messages and the entries
a proposer may see read indexed rows, never the serialized workflow. The engine knows actions, not role
names: which roles may do what is the process's declaration too.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.bpmn.declarations import Declarations, read_declarations
from engine.errors import Forbidden
from engine.identity import is_supervisor
from engine.store import Case, CaseParticipant, ProcessDefinition, User

NAME_MAX = 100  # the column's size: a longer value names no user or group
_SEPARATORS = re.compile(r"[,，、;；\s]+")


class DeclarationCache:
    """Declarations per definition version (immutable, so never invalidated; bounded LRU). The BPMN text is
    loaded only for a version not cached yet."""

    def __init__(self, size: int = 256):
        self.size = size
        self._entries: OrderedDict[int, Declarations] = OrderedDict()
        self._lock = threading.Lock()

    def _cached(self, definition_id: int) -> Declarations | None:
        with self._lock:
            found = self._entries.get(definition_id)
            if found is not None:
                self._entries.move_to_end(definition_id)
            return found

    def get(self, definition: ProcessDefinition) -> Declarations:
        found = self._cached(definition.id)
        if found is not None:
            return found
        found = read_declarations(definition.bpmn_xml, definition.key)
        with self._lock:
            self._entries[definition.id] = found
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return found

    def for_case(self, case: Case) -> Declarations:
        return self._cached(case.definition_id) or self.get(case.definition)


def _names(value: Any) -> list[str]:
    """User or group names held by a variable: one name, text with several, or a list of them."""
    items = value if isinstance(value, (list, tuple)) else [value]
    found = []
    for item in items:
        if isinstance(item, str):
            found += [n for n in _SEPARATORS.split(item) if 0 < len(n) <= NAME_MAX]
    return found


def holders(declarations: Declarations, data: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(role, kind, name) of every participant the data names."""
    found = set()
    for role, sources in declarations.roles.items():
        for source in sources:
            names = [source.name] if source.name else _names(data.get(source.variable))
            found.update((role, source.kind, name) for name in names if name and len(name) <= NAME_MAX)
    return found


def sync(session: Session, case: Case, declarations: Declarations) -> None:
    """Rewrite the case's participant rows from its data (called by runtime._save before its flush)."""
    if not declarations.roles:
        return  # a process without roles: no rows, and no query on the hot path
    wanted = holders(declarations, case.data or {})
    rows = {(r.role, r.kind, r.name): r for r in session.scalars(
        select(CaseParticipant).where(CaseParticipant.case_id == case.id))}
    for key, row in rows.items():
        if key not in wanted:
            session.delete(row)
    for role, kind, name in wanted - set(rows):
        session.add(CaseParticipant(case_id=case.id, role=role, kind=kind, name=name))


def _mine(user: User) -> Any:
    return or_((CaseParticipant.kind == "user") & (CaseParticipant.name == user.username),
               (CaseParticipant.kind == "group") & CaseParticipant.name.in_(sorted(user.group_names)))


def user_roles(session: Session, user: User, case_id: int) -> set[str]:
    """The roles the user holds in the case, in person or through a group."""
    return set(session.scalars(select(CaseParticipant.role).where(CaseParticipant.case_id == case_id, _mine(user))))


def participants(session: Session, case_id: int) -> list[CaseParticipant]:
    return list(session.scalars(select(CaseParticipant).where(CaseParticipant.case_id == case_id)
                                .order_by(CaseParticipant.role, CaseParticipant.kind, CaseParticipant.name)))


def public_only(session: Session, declarations: Declarations, user: User, case: Case) -> bool:
    """True when the user sees only the entries marked for the proposer (a proposer or co-signer)."""
    if is_supervisor(user) or not declarations.public_only:
        return False
    return bool(user_roles(session, user, case.id) & set(declarations.public_only))


def entry_public(session: Session, declarations: Declarations, user: User, case: Case, asked: bool) -> bool:
    """Whether a note or file someone adds is shown to the proposer: when marked so, and always when its
    author sees only such entries (what a proposer writes is theirs to read)."""
    return bool(asked) or public_only(session, declarations, user, case)


HIDDEN_EVENTS = ("note_added", "attachment_added")


def visible_events(events: list[Any], public_only_view: bool) -> list[Any]:
    """The case's events as a public-only reader sees them: internal notes and files leave no trace."""
    if not public_only_view:
        return events
    return [e for e in events if e.kind not in HIDDEN_EVENTS or (e.data or {}).get("public")]


def may(session: Session, declarations: Declarations, user: User, case: Case, action: str) -> bool:
    """Whether the user holds one of the roles the process gives `action` (the caller has checked that they
    may see the case). A process that does not name the action's roles leaves it to everyone who sees the
    case's internal entries (recording) or to the public-only roles (answering)."""
    allowed = declarations.roles_for(action)
    if allowed is None:
        if action == "confirm_communications":
            allowed = declarations.public_only
        else:
            return not public_only(session, declarations, user, case)
    return bool(user_roles(session, user, case.id) & set(allowed))


def may_enter_on_behalf(session: Session, declarations: Declarations, user: User, case: Case) -> bool:
    """Whether the user holds a role the process gives may:enter_on_behalf (by default may:start_on_behalf's):
    a process that names neither lets nobody enter someone's paper form."""
    return bool(declarations.roles_for("enter_on_behalf")) and may(session, declarations, user, case, "enter_on_behalf")


def public_holder(session: Session, declarations: Declarations, case_id: int, row: Any) -> str | None:
    """The person a task is offered to, when they hold a public-only role of the case (a proposer or a
    co-signer): whose paper form an office may enter. None for a unit's or an office's task."""
    offered = [row.assignee] if row.assignee else list(row.candidate_users or [])
    if len(offered) != 1 or row.candidate_groups:
        return None
    holders = {p.name for p in participants(session, case_id)
               if p.kind == "user" and p.role in set(declarations.public_only)}
    return offered[0] if offered[0] in holders else None


def may_start_on_behalf(declarations: Declarations, user: User) -> bool:
    """Whether the user may register a case naming someone else as its initiator: they hold, through a fixed
    name (the case does not exist yet), one of the roles given may:start_on_behalf."""
    allowed = set(declarations.roles_for("start_on_behalf") or ())
    return any(role in allowed and ((kind == "user" and name == user.username) or
                                    (kind == "group" and name in user.group_names))
               for role, kind, name in holders(declarations, {}))


def check_may_send(declarations: Declarations, user: User, message: str) -> None:
    senders = declarations.message_senders(message)
    if not senders:
        raise Forbidden(f"the message {message!r} is delivered by the engine only, not sent by a person")
    if not user.group_names & set(senders):
        raise Forbidden(f"only members of {', '.join(senders)} may send the message {message!r}")


def role_names(session: Session, case_id: int) -> dict[str, list[str]]:
    """role -> the names holding it, for the case page."""
    found: dict[str, list[str]] = {}
    for row in participants(session, case_id):
        found.setdefault(row.role, []).append(row.name)
    return found
