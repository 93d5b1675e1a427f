"""Leaders in charge (包案): a key suggestion or proposal, and every re-handling round, names leaders as users
of the organisation, one per body (人大 and 政府 for a suggestion, 政协 and 政府 for a proposal). The office picks
them from the directory's leaders (form fields whose property `choices` names one of the lists below); the
named users hold the case role `leader_in_charge` (the process declares which variables name them), see the
case, find it under 我包案的案件 and are told at assignment, at the reply and at the evaluation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from engine.cases import projections
from engine.notify import channels
from engine.store import Case, CaseParticipant, EventRow, Group, User, UserGroup

from .cases import CASE_TYPES

ROLE = "leader_in_charge"
# pick-list -> the leaders' group of that body
BODY_GROUPS = {"leaders_congress": "congress_leaders", "leaders_government": "government_leaders",
               "leaders_cppcc": "cppcc_leaders"}
# the people's body of a case type: its re-handling rounds are led by one of its leaders and one of the government's
BODY_OF = {"suggestion": "leaders_congress", "proposal": "leaders_cppcc"}
BODY_LEADERS = "leaders_body"  # the pick-list of the case type's own body (resolved per case)
LIST_NAMES = {"leaders_congress": "人大领导", "leaders_government": "政府领导", "leaders_cppcc": "政协领导"}
# the variables that name leaders: a key case's (chosen at assignment), this re-handling round's, and those of
# the rounds before (accumulated)
KEY_FIELDS = ("leader_congress", "leader_cppcc", "leader_government", "round_leader_body", "round_leader_government")
ROUND_FIELD = "leaders_in_charge"
NOTIFIED = "leaders_notified"


def leaders(session: Session, group: str) -> list[tuple[str, str]]:
    """(username, display name) of the active members of a leaders' group, by display name."""
    ids = select(UserGroup.user_id).join(Group, Group.id == UserGroup.group_id).where(Group.name == group)
    rows = session.execute(select(User.username, User.display_name)
                           .where(User.id.in_(ids), User.active.is_(True))
                           .order_by(User.display_name, User.username))
    return [(name, shown or name) for name, shown in rows]


def lists(session: Session, case_type: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """The leaders' pick-lists; `leaders_body` is the case type's own body (none without a case type)."""
    found = {key: leaders(session, group) for key, group in BODY_GROUPS.items()}
    if case_type in BODY_OF:
        found[BODY_LEADERS] = found[BODY_OF[case_type]]
    return found


def named(data: dict[str, Any]) -> list[str]:
    """Every leader the case names: the key case's and those of each re-handling round, first named first."""
    found = [data.get(f) for f in KEY_FIELDS] + list(data.get(ROUND_FIELD) or [])
    return list(dict.fromkeys(n for n in found if isinstance(n, str) and n))


def in_charge_clause(user: User) -> Any:
    """The cases where the user is a named leader in charge (for the case list's 我包案的案件)."""
    return exists(select(CaseParticipant.case_id).where(
        CaseParticipant.case_id == Case.id, CaseParticipant.role == ROLE, CaseParticipant.kind == "user",
        CaseParticipant.name == user.username))


def is_leader(user: Any) -> bool:
    return bool(set(getattr(user, "group_names", ()) or ()) & set(BODY_GROUPS.values()))


# ---------------------------------------------------------------- notices

def _told(session: Session, case: Case) -> set[str]:
    """The keys (moment:leader) already told, each notice's own and those it covered."""
    pending = session.info.get(projections._PENDING_EVENTS, [])
    datas = [e["data"] or {} for e in pending if e["case_id"] == case.id and e["kind"] == NOTIFIED]
    datas += [d or {} for d in session.scalars(select(EventRow.data).where(EventRow.case_id == case.id,
                                                                          EventRow.kind == NOTIFIED))]
    return {key for d in datas for key in [d.get("key"), *(d.get("covers") or [])] if key}


def _moments(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, subject, text) of each moment the leaders hear of: assignment, each released reply, each rating."""
    found = []
    if data.get("assigned_at"):
        found.append(("assigned", "包案交办", "已交办承办单位，由您包案督办。"))
    if data.get("reply_released_at"):
        found.append((f"reply-{data['reply_released_at']}", "包案答复", "承办单位的答复已送达提出人。"))
    for index, rating in enumerate(data.get("evaluations") or []):
        if isinstance(rating, dict):
            found.append((f"evaluation-{index}", "包案测评",
                          f"提出人测评：办理工作 {rating.get('work')}，办理结果 {rating.get('result')}。"))
    return found


def _tell(ctx: Any, session: Session, case: Case, user: User, key: str, subject: str, text: str,
          covers: list[str]) -> None:
    projections.record_event(session, case, NOTIFIED, None, f"{subject}：{user.username}",
                             data={"key": key, "user": user.username, "covers": covers})
    channels.queue(ctx, session, [user], case, "leader_in_charge", f"{subject}：{case.number}",
                   f"案件编号：{case.number}\n案由：{case.title}\n{text}\n")


def listener(ctx: Any):
    """Tell each named leader once per moment. Being named is one notice that says where the case stands;
    what happened before it is not told again."""
    def on_save(session: Session, case: Case, workflow: Any) -> None:
        if case.process_key not in CASE_TYPES:
            return
        data = case.data or {}
        people = named(data)
        if not people:
            return
        told = _told(session, case)
        users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(people),
                                                                            User.active.is_(True)))}
        moments = _moments(data)
        for name in people:
            user = users.get(name)
            if user is None:
                continue
            if f"named:{name}" not in told:
                _tell(ctx, session, case, user, f"named:{name}", "包案",
                      f"您被确定为本案的包案领导。当前阶段：{case.stage or ''}。",
                      [f"{key}:{name}" for key, _s, _t in moments])
                continue
            for key, subject, text in moments:
                if f"{key}:{name}" not in told:
                    _tell(ctx, session, case, user, f"{key}:{name}", subject, text, [])
    return on_save
