"""Milestone notices to the proposer and the co-signers (掌上提案): each step of their case, told once.

On every save of a suggestion or proposal the listener reads which milestones the case's stage and data have
reached (accepted, returned, not accepted, merged, assigned, signed in, reply released, please evaluate,
re-handling and its result, closed), keeps the ones not told yet as rows (`proposer_notices`, one per case and
key: a second save, a retry or a replay tells nobody twice) and queues the notice through
engine.notify.channels (in the app, by e-mail and SMS as each person chose), worded for the proposer in their
own language. A communication recorded with them is told by `communication_recorded`, which the routes that
record one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock
from engine.notify import channels
from engine.store import Base, Case, CaseNote, Group, User

from .cases import CASE_TYPES, names, to_date
from .portal import ZONE
from .views import OPTIONS

_CASE_ID = BigInteger().with_variant(Integer, "sqlite")
KIND = "milestone"  # the outbox/notification kind
REJECT_GROUNDS = {"state_secret": "涉及国家秘密", "personal": "涉及个人或家庭事务", "litigation": "涉及诉讼或司法案件",
                  "academic": "属于学术探讨", "promotion": "宣传推介具体产品", "accusation": "指名控告",
                  "party_internal": "属于党派团体内部事务", "empty": "内容空泛、无具体建议"}
FORWARD_AS = {"social_conditions": "社情民意信息", "letter": "来信"}
CONTACTS = {"contact_before": ("办前沟通", "before the handling"),
            "contact_during": ("办中沟通", "during the handling"),
            "contact_at_reply": ("答复时沟通", "at the reply"), "contact_after": ("办后沟通", "after the handling")}


class ProposerNotice(Base):
    """A milestone the proposer was told of: the key names it (with its round where it can recur)."""

    __tablename__ = "proposer_notices"
    case_id: Mapped[int] = mapped_column(_CASE_ID, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)


@dataclass(frozen=True)
class Notice:
    key: str
    zh: tuple[str, str]  # subject, body
    en: tuple[str, str]
    to: tuple[str, ...] = ()  # only these people (a co-signer asked to confirm); empty: proposer and co-signers


def _day(value: Any, zone: ZoneInfo = ZONE) -> str:
    """The day of a date or time of the case data, in the district's zone."""
    found = to_date(value, zone)
    return found.isoformat() if found else ""


def _units(session: Session, data: dict[str, Any]) -> str:
    split = names(data.get("split_units"))
    codes = [*(split or [str(data.get("lead_unit") or "")]), *names(data.get("assist_units"))]
    codes = [c for c in codes if c]
    titles = dict(session.execute(select(Group.name, Group.display_name).where(Group.name.in_(codes))).all())
    if split:  # 分办: the units answering a part each
        return "、".join(titles.get(c) or c for c in split) + "（分办）"
    lead, *assist = [titles.get(c) or c for c in codes] or [""]
    return lead + (f"（协办：{'、'.join(assist)}）" if assist else "")


def _unit_name(session: Session, code: str) -> str:
    return session.scalar(select(Group.display_name).where(Group.name == code)) or code


def reached(session: Session, case: Case, zone: ZoneInfo = ZONE) -> list[Notice]:
    """Every milestone the case has reached by its stage and data (told or not)."""
    def day(value: Any) -> str:
        return _day(value, zone)

    data, stage, title = case.data or {}, case.stage or "", case.title
    rounds = int(data.get("rehandling_rounds") or 0)
    ref = f"{case.number or case.id}《{title}》"
    found: list[Notice] = []
    requests = data.get("cosign_requests") or []
    requests = list(requests.values()) if isinstance(requests, dict) else requests
    if stage in ("待联名确认", "待审核") and case.status == "running" and not data.get("review_outcome"):
        proposer = data.get("proposer_name") or data.get("proposer") or ""
        for request in requests:
            who = isinstance(request, dict) and (request.get("cosigner") or request.get("user"))
            if who and not request.get("at"):
                found.append(Notice(f"cosign:{who}:{day(data.get('submitted_at'))}",
                                    (f"请确认联名：{title}",
                                     f"{proposer}邀请您联名{ref}，请在“我的建议/我的提案”中确认。"),
                                    (f"Please confirm co-signing: {title}",
                                     f"{proposer} asks you to co-sign {ref}; confirm it on your portal."), (who,)))
    proposer = str(data.get("proposer") or "")
    if case.started_by and proposer and case.started_by != proposer and stage in ("待提交", "待联名确认", "待审核"):
        # a paper case the office registered for the proposer: they learn it is on their portal now
        office = session.scalar(select(User.display_name).where(User.username == case.started_by)) or case.started_by
        found.append(Notice("registered", (f"已代为登记：{title}",
                                           f"{office}已代您登记{ref}，可在“我的建议/我的提案”中查看办理进展。"),
                            (f"Registered for you: {title}",
                             f"{office} registered {ref} on your behalf; follow it on your portal.")))
    if stage == "退回修改":
        records = data.get("review_records") or []
        ground = OPTIONS["ground"].get(str(data.get("return_ground") or ""), ("", ""))[0]
        reason = "；".join(x for x in (ground, data.get("review_reason") or data.get("submission_problem") or "") if x)
        found.append(Notice(f"returned:{len(records)}:{data.get('revisions') or 0}",
                            (f"已退回修改：{title}", f"{ref}已退回，请修改后重新提交。理由：{reason or '—'}"),
                            (f"Returned for revision: {title}", f"{ref} was returned to you. Reason: {reason or '—'}")))
    accepted = bool(data.get("assigned_at")) or data.get("review_outcome") == "accept" or stage == "待交办"
    if accepted and stage not in ("退回修改", "不立案", "已并案", "已撤回"):
        word = "立案" if case.process_key == "proposal" else "受理"
        found.append(Notice("accepted", (f"已受理：{title}", f"{ref}经审查予以{word}，即将交办。"),
                            (f"Accepted: {title}", f"{ref} was accepted and will be assigned to the units.")))
    if stage == "不立案":
        ground = REJECT_GROUNDS.get(str(data.get("reject_ground") or ""), str(data.get("reject_ground") or "—"))
        found.append(Notice("not_accepted", (f"不予立案：{title}", f"{ref}不予立案。理由：{ground}。"
                                             f"{data.get('review_reason') or ''}"),
                            (f"Not accepted: {title}", f"{ref} was not accepted. Ground: {ground}.")))
    if data.get("forward_to"):
        how = FORWARD_AS.get(str(data.get("forward_as") or ""), "")
        found.append(Notice("forwarded", (f"已转送：{title}", f"{ref}已作为{how or '材料'}转送{data['forward_to']}。"),
                            (f"Forwarded: {title}", f"{ref} was forwarded to {data['forward_to']}.")))
    if stage in ("已并案", "并案办结") or data.get("merged_into"):
        into = data.get("merged_into") or "—"
        noun = "提案" if case.process_key == "proposal" else "建议"
        found.append(Notice("merged", (f"已并案：{title}", f"{ref}与{noun} {into} 并案办理，答复时您同样会收到。"),
                            (f"Merged: {title}", f"{ref} is handled together with {into}; you get its reply too.")))
    if stage == "已撤回":
        found.append(Notice("withdrawn", (f"已撤回：{title}", f"{ref}已撤回。"),
                            (f"Withdrawn: {title}", f"{ref} was withdrawn.")))
    if data.get("assigned_at"):
        units = _units(session, data)
        person = data.get("responsible_person") or "—"
        contact = data.get("responsible_contact") or "—"
        found.append(Notice(f"assigned:{data['assigned_at']}",
                            (f"已交办：{title}", f"{ref}已交{units}办理，责任人：{person}，联系电话：{contact}，"
                                                f"答复期限：{day(data.get('reply_due'))}。"),
                            (f"Assigned: {title}", f"{ref} was assigned to {units}; responsible: {person}, "
                                                  f"contact: {contact}; reply due {day(data.get('reply_due'))}.")))
        if stage not in ("待签收", "待交办"):  # every unit signed in (a contest sends it back to 待交办)
            found.append(Notice(f"signed_in:{data['assigned_at']}",
                                (f"承办单位已签收：{title}", f"{units}已签收{ref}，开始办理。"),
                                (f"Signed in: {title}", f"{units} signed in {ref} and are handling it.")))
    for round_ in range(1, rounds + 1):
        found.append(Notice(f"rehandling:{round_}",
                            (f"二次办理：{title}", f"{ref}进入第{round_}轮二次办理，由领导包案督办。"
                                                  f"原因：{data.get('rehandling_reason') or '—'}"),
                            (f"Handled again: {title}", f"{ref} is being handled again (round {round_}).")))
    released = bool(data.get("reply_released_at") or data.get("evaluation_due")) or stage in (
        "已答复", "待测评", "已测评", "未测评", "落实中", "已办结", "联合督办", "并案办结")
    if released and data.get("replied_at") and stage != "二次办理":
        klass = OPTIONS["result_class"].get(str(data.get("result_class") or ""), ("", ""))
        if rounds:
            found.append(Notice(f"reply:{rounds}",
                                (f"二次办理结果：{title}", f"{ref}第{rounds}轮二次办理已答复（{klass[0]}）。"),
                                (f"Result of handling again: {title}", f"{ref} has a new reply ({klass[1]}).")))
        else:
            found.append(Notice("reply:0", (f"答复已发出：{title}", f"{ref}已答复（{klass[0]}），文号 "
                                                               f"{data.get('reply_doc_no') or '—'}。"),
                                (f"Replied: {title}", f"{ref} has its reply ({klass[1]}).")))
    for part in data.get("parts") or [] if data.get("split_units") else []:
        if isinstance(part, dict) and part.get("reply_released_at"):  # 分办: each part's reply is told on its own
            unit, klass = _unit_name(session, str(part.get("unit"))), OPTIONS["result_class"].get(
                str(part.get("result_class") or ""), ("", ""))
            found.append(Notice(f"part_reply:{part.get('unit')}",
                                (f"分办答复已发出：{title}", f"{ref}中{unit}负责的部分已答复（{klass[0]}），文号 "
                                                         f"{part.get('reply_doc_no') or '—'}，请测评。"),
                                (f"A part replied: {title}", f"{unit} replied to its part of {ref} ({klass[1]}); "
                                                             "please evaluate it.")))
    if stage == "待测评" and data.get("evaluation_due"):
        due = day(data["evaluation_due"])
        found.append(Notice(f"evaluate:{rounds}",
                            (f"请测评：{title}", f"请在 {due} 前对{ref}的办理工作和办理结果分别测评。"),
                            (f"Please evaluate: {title}", f"Please rate the work and the result of {ref} by {due}.")))
    if stage in ("已办结", "并案办结"):
        found.append(Notice("closed", (f"已办结：{title}", f"{ref}已办结，感谢您的履职。"),
                            (f"Closed: {title}", f"{ref} is closed. Thank you.")))
    return found


def _people(session: Session, usernames: list[str]) -> list[User]:
    wanted = [n for n in dict.fromkeys(usernames) if n]
    if not wanted:
        return []
    return list(session.scalars(select(User).where(User.username.in_(wanted), User.active.is_(True))))


def _proposers(data: dict[str, Any]) -> list[str]:
    return [str(data.get("proposer") or ""), *names(data.get("cosigners"))]


def _send(ctx: Any, session: Session, case: Case, notice: Notice, people: list[User]) -> None:
    for english in (False, True):
        group = [u for u in people if str(u.language or "").startswith("en") == english]
        if group:
            subject, body = notice.en if english else notice.zh
            channels.queue(ctx, session, group, case, KIND, subject, body)


def tell(ctx: Any, session: Session, case: Case) -> list[str]:
    """Queue the notices of the milestones reached and not told yet; returns their keys."""
    if case.process_key not in CASE_TYPES:
        return []
    with session.no_autoflush:  # the engine flushes the case (under its lock) once, after the listeners
        notices = {n.key: n for n in reached(session, case, ctx.zone)}
        if not notices:
            return []
        told = set(session.scalars(select(ProposerNotice.key).where(ProposerNotice.case_id == case.id,
                                                                   ProposerNotice.key.in_(list(notices)))))
        new = [n for key, n in notices.items() if key not in told]
        everyone = _people(session, _proposers(case.data or {}) + [w for n in new for w in n.to]) if new else []
        for notice in new:
            session.add(ProposerNotice(case_id=case.id, key=notice.key[:120], at=clock.now()))
            wanted = set(notice.to or _proposers(case.data or {}))
            _send(ctx, session, case, notice, [u for u in everyone if u.username in wanted])
    return [n.key for n in new]


def listener(ctx: Any):
    def milestones(session: Session, case: Case, workflow: Any) -> None:
        tell(ctx, session, case)
    return milestones


def communication_recorded(ctx: Any, session: Session, case: Case, note: CaseNote) -> None:
    """A unit or the office recorded a communication with the proposer: ask them to confirm or dispute it."""
    if case.process_key not in CASE_TYPES or note.kind not in CONTACTS:
        return
    session.flush()  # the note's id names the milestone
    zh, en = CONTACTS[note.kind]
    ref = f"{case.number or case.id}《{case.title}》"
    date = (note.data or {}).get("date") or ""
    notice = Notice(f"contact:{note.id}", (f"沟通记录待确认：{case.title}",
                                           f"{ref}的{zh}（{date}）已记录，请确认或提出异议。"),
                    (f"A communication to confirm: {case.title}",
                     f"The communication {en} of {ref} ({date}) is on record; confirm or dispute it."))
    session.add(ProposerNotice(case_id=case.id, key=notice.key, at=clock.now()))
    _send(ctx, session, case, notice, _people(session, _proposers(case.data or {})))
