"""What follows from a save of a suggestion or proposal beyond its own data: the case's flag (挂牌督办) set by
the process, co-signers left off when they did not confirm in time, and merged proposals whose main
proposal ended without a reply. Each is told to the people concerned, once (the event on the case's
history is the record that it was done). Registered in ctx.save_listeners by workflows.install.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import projections, runtime
from engine.identity import SUPERVISORS
from engine.notify import channels
from engine.store import Case, CaseNote, EventRow, Group, User, UserGroup

from .cases import CASE_TYPES

FLAGGED = "case_flagged"
DROPPED = "cosigner_dropped"
MAIN_ENDED = "main_case_ended"  # the message a merged proposal waits for beside the main one's reply
MERGED_STAGE = "已并案"
# who reviews a merged case again, and what it is called, per case type
OFFICES = {"proposal": ("proposal_committee", "提案"), "suggestion": ("liaison_office", "建议")}


def listener(ctx: Any):
    def on_save(session: Session, case: Case, workflow: Any) -> None:
        if case.process_key not in CASE_TYPES:
            return
        data = case.data or {}
        _flag_from_process(ctx, session, case, data)
        _dropped_cosigners(ctx, session, case, data)
        if case.process_key in OFFICES:
            _tell_merged_cases(ctx, session, case, data)
    return on_save


def _events(session: Session, case: Case, kind: str) -> list[dict[str, Any]]:
    """The data of the case's events of a kind, written before or earlier in this transaction."""
    pending = session.info.get(projections._PENDING_EVENTS, [])
    rows = [e for e in pending if e["case_id"] == case.id and e["kind"] == kind]
    written = session.scalars(select(EventRow.data).where(EventRow.case_id == case.id, EventRow.kind == kind))
    return [*(r["data"] or {} for r in rows), *(d or {} for d in written)]


def members(session: Session, groups: list[str]) -> list[User]:
    """Active members of the groups, e.g. a unit's clerks and its head."""
    if not groups:
        return []
    ids = select(UserGroup.user_id).join(Group, Group.id == UserGroup.group_id).where(Group.name.in_(groups))
    return list(session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.username)))


def _users(session: Session, names: list[str]) -> list[User]:
    names = [n for n in names if n]
    if not names:
        return []
    return list(session.scalars(select(User).where(User.username.in_(names), User.active.is_(True))))


def unit_people(session: Session, unit: str | None) -> list[User]:
    return members(session, [unit, f"{unit}_head"]) if unit else []


def _queue(ctx: Any, session: Session, people: list[User], case: Case, kind: str, zh: tuple[str, str],
           en: tuple[str, str]) -> None:
    """The notice (subject, body) in each reader's language: English for those who chose it, else Chinese."""
    for english in (False, True):
        group = [u for u in people if str(u.language or "").startswith("en") == english]
        if group:
            subject, body = en if english else zh
            channels.queue(ctx, session, group, case, kind, subject, body)


# ---------------------------------------------------------------- 挂牌督办

def _flag_reason(data: dict[str, Any]) -> tuple[str, str]:
    """(which flag this is, why): each re-handling round and the joint supervision flag the case anew."""
    if data.get("joint_supervision"):
        return "joint", f"联合督办：{data.get('joint_partner') or '多轮二次办理后仍不满意'}"
    rounds = int(data.get("rehandling_rounds") or 0)
    if rounds:
        return f"rehandling-{rounds}", f"二次办理（第 {rounds} 轮）：{data.get('rehandling_reason') or ''}".rstrip("：")
    return "process", str(data.get("flag_reason") or "流程列入挂牌督办")


def _flag_reason_en(data: dict[str, Any]) -> str:
    """_flag_reason's why in English (the words a person typed stay as typed)."""
    if data.get("joint_supervision"):
        return f"joint supervision: {data.get('joint_partner') or 'still not satisfied after re-handling rounds'}"
    rounds = int(data.get("rehandling_rounds") or 0)
    if rounds:
        return f"re-handling (round {rounds}): {data.get('rehandling_reason') or ''}".rstrip(": ")
    return str(data.get("flag_reason") or "the process flagged the case for supervision")


def _flag_from_process(ctx: Any, session: Session, case: Case, data: dict[str, Any]) -> None:
    """A flag the process sets (data.flagged: re-handling, joint supervision) is the case's flag, the one
    supervisors set and see: with its reason on the history, and the handling unit told."""
    if not data.get("flagged"):
        return
    key, reason = _flag_reason(data)
    if any(e.get("key") == key for e in _events(session, case, FLAGGED)):
        return
    case.flagged = True
    projections.record_event(session, case, FLAGGED, None, reason, data={"key": key, "reason": reason,
                                                                       "by": "process"})
    people = unit_people(session, data.get("lead_unit")) + members(session, [SUPERVISORS])
    _queue(ctx, session, people, case, "flagged",
           (f"挂牌督办：{case.number}",
            f"案件编号：{case.number}\n案由：{case.title}\n已列入挂牌督办。理由：{reason}\n"),
           (f"Flagged for supervision: {case.number}", f"Case number: {case.number}\nTitle: {case.title}\n"
            f"The case is flagged for supervision. Reason: {_flag_reason_en(data)}\n"))


# ---------------------------------------------------------------- co-signers

def _dropped_cosigners(ctx: Any, session: Session, case: Case, data: dict[str, Any]) -> None:
    """A co-signer who did not confirm by the deadline is left off, with a note on the case and word to
    the proposer and to them."""
    lapsed = [n for n in data.get("cosigners_lapsed") or [] if n]
    if not lapsed:
        return
    told = {n for e in _events(session, case, DROPPED) for n in e.get("cosigners") or []}
    new = [n for n in lapsed if n not in told]
    if not new:
        return
    text = f"联名人 {'、'.join(new)} 未在期限内确认联名，已不列为联名人。"
    session.add(CaseNote(case_id=case.id, kind="comment", author="casework", at=case.updated_at, body=text,
                         data={"cosigners_lapsed": new}))
    projections.record_event(session, case, DROPPED, None, text, data={"cosigners": new})
    english = f"{', '.join(new)} did not confirm co-signing by the deadline and no longer co-sign this case."
    _queue(ctx, session, _users(session, [data.get("proposer"), *new]), case, "cosigner_dropped",
           (f"联名未确认：{case.number}", f"案件编号：{case.number}\n案由：{case.title}\n{text}\n"),
           (f"Co-signing not confirmed: {case.number}", f"Case number: {case.number}\nTitle: {case.title}\n"
            f"{english}\n"))


# ---------------------------------------------------------------- merged proposals

def _main_ended(case: Case, data: dict[str, Any]) -> str | None:
    """Why the proposals merged into this one will get no reply from it, or None while they may."""
    if data.get("reply_released_at"):
        return None
    if case.status in ("completed", "cancelled"):
        return f"主案 {case.number} 已{case.stage or '终止'}，未作答复"
    if case.stage == MERGED_STAGE and data.get("merged_into"):
        return f"主案 {case.number} 已并入 {data['merged_into']}"
    return None


def _main_ended_en(case: Case, data: dict[str, Any]) -> str:
    if case.status in ("completed", "cancelled"):
        return f"the main case {case.number} has {'been cancelled' if case.status == 'cancelled' else 'ended'} " \
               "without a reply"
    return f"the main case {case.number} has been merged into {data.get('merged_into')}"


def _tell_merged_cases(ctx: Any, session: Session, case: Case, data: dict[str, Any]) -> None:
    reason = _main_ended(case, data)
    if reason is None:
        return
    waiting = session.scalars(select(Case).where(Case.process_key == case.process_key, Case.status == "running",
                                                 Case.stage == MERGED_STAGE, Case.id != case.id))
    for merged in list(waiting):
        if (merged.data or {}).get("merged_into") != case.number:
            continue
        runtime.deliver_message(ctx, session, merged, MAIN_ENDED, {"main_case_ended": reason,
                                                                    "main_case": case.number}, None)
        office, noun = OFFICES[case.process_key]
        _queue(ctx, session, _users(session, [(merged.data or {}).get("proposer")]) + members(session, [office]),
               merged, "main_case_ended",
               (f"主案未答复：{merged.number}", f"案件编号：{merged.number}\n{reason}，本{noun}须重新审定。\n"),
               (f"Main case not answered: {merged.number}", f"Case number: {merged.number}\n"
                f"{_main_ended_en(case, data).capitalize()}; this {case.process_key} must be reviewed again.\n"))
