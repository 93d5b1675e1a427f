"""The proposer's side (掌上提案): the cases where a person is the proposer or a co-signer, each read as the
stages a proposer understands, and the tasks that are theirs to do.

Everything here reads rows (participants, tasks, notes, files), never the serialized workflow; the web layer
(webui/portal) only renders what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import attachments, notes, queries, runtime
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.store import Attachment, Case, CaseNote, CaseParticipant, TaskCandidate, TaskRow, User

from .cases import CASE_TYPES, to_date

MY_ROLES = ("proposer", "co_signer")  # the roles bpmn/suggestion.bpmn and bpmn/proposal.bpmn declare
LIST_LIMIT = 200

# the stages a proposer understands, in order: (key, Chinese, English)
STEPS = (("submit", "提交", "Submitted"), ("review", "审查", "Review"), ("assign", "交办", "Assigned"),
         ("handle", "办理", "Handling"), ("reply", "答复", "Reply"), ("evaluate", "测评", "Evaluation"),
         ("close", "办结", "Closed"))
# ends before handling: stage -> (Chinese, English) shown on the review step
ENDED = {"不立案": ("不予立案", "Not accepted"), "已并案": ("已并案", "Merged"), "已撤回": ("已撤回", "Withdrawn")}
RETURNED = "退回修改"
REPLIED_STAGES = {"已答复", "待测评", "已测评", "未测评", "落实中", "已办结", "联合督办", "并案办结"}
CLOSED_STAGES = {"已办结", "并案办结"}
# the tasks a proposer or co-signer does, as they would name them
TASK_NAMES = {"evaluate": ("请对办理情况进行测评", "Evaluate the handling"),
              "evaluate_merged": ("请对并案主案的答复进行测评", "Evaluate the reply of the case yours was merged into"),
              "revise": ("修改后重新提交或撤回", "Revise and resubmit, or withdraw"),
              "submit_proposal": ("填写并提交提案", "Fill in and submit the proposal"),
              "confirm_cosign": ("确认联名", "Confirm co-signing"),
              "notify_rejection": ("知悉不立案并决定是否转送", "Note the rejection, agree to forwarding")}


@dataclass
class Step:
    key: str
    label: str
    state: str  # done, current, todo, ended, skipped
    on: str = ""  # the date (YYYY-MM-DD in the district) it was reached
    note: str = ""  # returned, not accepted, merged, withdrawn, re-handling round


@dataclass
class MyCase:
    case: Case
    role: str
    steps: list[Step]
    outcome: str = ""  # how it ended before handling, or that it is being re-handled
    tasks: list[TaskRow] = field(default_factory=list)


ZONE = ZoneInfo("Asia/Shanghai")


def _day(value: Any, zone: ZoneInfo | None = None) -> str:
    """The day (YYYY-MM-DD) of a date or time of the case data, in the district's zone."""
    found = to_date(value, zone or ZONE)
    return found.isoformat() if found else ""


def _last_at(records: Any, zone: ZoneInfo, **match: Any) -> str:
    found = [r.get("at") for r in records or [] if isinstance(r, dict) and r.get("at")
             and all(r.get(k) == v for k, v in match.items())]
    return _day(found[-1], zone) if found else ""


def progress(case: Case, english: bool = False, zone: ZoneInfo | None = None) -> tuple[list[Step], str]:
    """The steps of the case as a proposer sees them, and a word on how it stands when it left the usual way."""
    zone = zone or ZONE
    data, stage = case.data or {}, case.stage or ""
    rounds = int(data.get("rehandling_rounds") or 0)
    closed = stage in CLOSED_STAGES or (case.status == "completed" and stage not in ENDED)
    released = bool(data.get("reply_released_at") or data.get("evaluation_due")) or stage in REPLIED_STAGES
    evaluations = [e for e in data.get("evaluations") or [] if isinstance(e, dict)]
    reached = {
        "submit": (bool(data.get("submitted_at")), _day(data.get("submitted_at"), zone)),
        "review": (bool(data.get("assigned_at")) or data.get("review_outcome") == "accept" or stage == "待交办",
                   _last_at(data.get("review_records"), zone, outcome="accept")
                   or _day(data.get("reviewed_at"), zone)),
        "assign": (bool(data.get("assigned_at")), _day(data.get("assigned_at"), zone)),
        "handle": (bool(data.get("first_replied_at") or data.get("replied_at")) and stage != "二次办理",
                   _day(data.get("replied_at") or data.get("signed_in_at"), zone)),
        "reply": (released and stage != "二次办理",
                  _day(data.get("reply_released_at") or data.get("replied_at"), zone)),
        "evaluate": (bool(evaluations) and stage not in ("待测评", "二次办理"),
                     _day(evaluations[-1].get("at"), zone) if evaluations else ""),
        "close": (closed, _day(data.get("closed_at") or case.completed_at, zone)),
    }
    current = {"待提交": "submit", "待联名确认": "review", "待审核": "review", RETURNED: "review", "待交办": "assign",
               "待签收": "handle", "办理中": "handle", "延期审批中": "handle", "二次办理": "handle",
               "待审核答复": "reply", "待测评": "evaluate"}.get(stage)
    ended = ENDED.get(stage)
    if stage == "已并案" and data.get("reply_released_at"):
        ended = None
    steps, outcome, stopped = [], "", False
    for key, zh, en in STEPS:
        done, on = reached[key]
        step = Step(key, en if english else zh, "done" if done else "todo", on if done else "")
        if stopped:
            step.state, step.on = "skipped", ""
        elif ended and key == "review":
            step.state, step.on = "ended", _day(data.get("reviewed_at") or data.get("withdrawn_at"), zone)
            step.note = ended[1 if english else 0]
            outcome, stopped = step.note, True
        elif not done and key == current and case.status == "running":
            step.state = "current"
            if key == "review" and stage == RETURNED:
                step.note = "Returned for revision" if english else "已退回修改"
                outcome = step.note
            if key == "evaluate" and data.get("evaluation_due"):
                step.on = _day(data["evaluation_due"], zone)
                step.note = "due" if english else "截止"
        if key == "handle" and rounds:
            step.note = (f"handled again, round {rounds}" if english else f"二次办理（第{rounds}轮）")
            if stage == "二次办理":
                outcome = step.note
        steps.append(step)
    return steps, outcome


def _mine(user: User):
    return (CaseParticipant.kind == "user") & (CaseParticipant.name == user.username) \
        & CaseParticipant.role.in_(MY_ROLES)


def my_cases(session: Session, user: User, english: bool = False,
             zone: ZoneInfo | None = None) -> list[MyCase]:
    """Every case where the person is the proposer or a co-signer (also those an office registered for them),
    newest first, each with its steps and the tasks that are the person's own."""
    rows = session.execute(select(Case, CaseParticipant.role).join(CaseParticipant, CaseParticipant.case_id == Case.id)
                           .where(_mine(user), Case.process_key.in_(list(CASE_TYPES)))
                           .order_by(Case.created_at.desc(), Case.id.desc()).limit(LIST_LIMIT)).all()
    found: dict[int, MyCase] = {}
    for case, role in rows:
        if case.id in found:  # proposer wins over co-signer
            if role == "proposer":
                found[case.id].role = role
            continue
        steps, outcome = progress(case, english, zone)
        found[case.id] = MyCase(case, role, steps, outcome)
    for task in my_tasks(session, user, list(found)):
        found[task.case_id].tasks.append(task)
    return list(found.values())


def my_tasks(session: Session, user: User, case_ids: list[int] | None = None) -> list[TaskRow]:
    """Open tasks offered to the person by name or given to them: theirs, never a group's to claim."""
    named = select(TaskCandidate.task_id).where(TaskCandidate.kind == "user", TaskCandidate.name == user.username)
    stmt = select(TaskRow).where(TaskRow.state == "open", (TaskRow.assignee == user.username)
                                 | (TaskRow.assignee.is_(None) & TaskRow.id.in_(named)))
    if case_ids is not None:
        if not case_ids:
            return []
        stmt = stmt.where(TaskRow.case_id.in_(case_ids))
    return list(session.scalars(stmt.order_by(TaskRow.due_at, TaskRow.created_at)))


def task_name(task: TaskRow, english: bool) -> str:
    names = TASK_NAMES.get(task.element_id)
    return names[1 if english else 0] if names else task.name


def my_case(session: Session, user: User, case_id: Any) -> tuple[Case, str]:
    """One of the person's own cases and their role in it; any other case does not exist here (NotFound)."""
    case = queries.get_case(session, user, case_id)
    role = session.scalars(select(CaseParticipant.role).where(CaseParticipant.case_id == case.id, _mine(user))
                           .order_by(CaseParticipant.role.desc())).first()
    if role is None:
        raise NotFound(f"no case {case_id} of yours")
    return case, role


REPLY_KEYS = ("reply_doc_no", "reply_text", "result_class", "reply_signer", "replied_at", "replied_on_time")
FACE_KEYS = ("face_reply", "face_reply_by", "face_reply_date", "face_reply_place")


@dataclass
class CasePage:
    case: Case
    role: str
    steps: list[Step]
    outcome: str
    reply: dict[str, Any]  # empty until the reply is released to the proposer
    face_reply: dict[str, Any]
    contacts: list[CaseNote]
    comments: list[CaseNote]
    files: list[Attachment]
    tasks: list[TaskRow]


def case_page(session: Session, user: User, case_id: Any, english: bool = False,
              zone: ZoneInfo | None = None) -> CasePage:
    """What the proposer's page of a case shows: only entries marked for the proposer."""
    case, role = my_case(session, user, case_id)
    steps, outcome = progress(case, english, zone)
    data = case.data or {}
    released = next(s for s in steps if s.key == "reply").state == "done"
    reply = {k: data.get(k) for k in REPLY_KEYS if data.get(k) not in (None, "")} if released else {}
    if reply.get("replied_at"):
        reply["replied_at"] = _day(reply["replied_at"], zone)
    face = {k: data.get(k) for k in FACE_KEYS if data.get(k) not in (None, "")} if released and data.get(
        "face_reply") else {}
    return CasePage(case, role, steps, outcome, reply, face,
                    contacts=[n for n in notes.contacts_in_date_order(session, case.id) if n.public],
                    comments=notes.list_notes(session, case.id, [notes.COMMENT], public_only=True),
                    files=attachments.list_for_case(session, case.id, public_only=True),
                    tasks=my_tasks(session, user, [case.id]))


def is_proposer(user: User) -> bool:
    """A member of a group that proposes a case type (deputies, members): their first page is the portal."""
    return bool(user.group_names & {t.proposers for t in CASE_TYPES.values()})


def submit(ctx: Any, session: Session, user: User, process_key: str, values: dict[str, Any]) -> Case:
    """A proposer's own new case from the portal: started in their name with the co-signers they picked (a
    proposal is then also submitted, which its model asks for as a task of its own)."""
    chosen = [n for n in values.pop("cosigners", []) or [] if n != user.username]
    data = {k: v for k, v in values.items() if k != "proposer"}
    if process_key == "proposal":
        data.update(submission_kind="joint" if chosen else "individual", cosigners=chosen)
    else:
        data["cosigners"] = chosen
    case = runtime.start_case(ctx, session, user, process_key, str(data.get("title") or ""), data)
    if process_key == "proposal":
        task = next((t for t in my_tasks(session, user, [case.id]) if t.element_id == "submit_proposal"), None)
        if task is not None:
            case = runtime.complete_task(ctx, session, user, task.id, {
                "title": data.get("title"), "body": data.get("body"), "category": data.get("category"),
                "submission_kind": data["submission_kind"], "cosigners_text": ", ".join(chosen),
                "in_session": bool(data.get("in_session"))})
    return case


WITHDRAW_MESSAGE = "withdraw"  # bpmn/suggestion.bpmn: on the pre-review; bpmn/proposal.bpmn: on each review level
# what the message carries into each model: the suggestion's revision step, the proposal's review record
WITHDRAW_DATA = {"suggestion": lambda reason, who: {"revise_action": "withdraw", "withdraw_reason": reason},
                 "proposal": lambda reason, who: {"review_outcome": "withdraw", "review_reason": reason,
                                                  "withdraw_reason": reason, "withdrawn_by": who}}
WITHDRAWABLE_STAGES = ("待审核",)
WITHDRAW_REASON_MAX = 500


# the departments' joint review of a proposal is a multi-instance sub-process: SpiffWorkflow 3.2 fails on a
# boundary message there, so the member withdraws before it or once it is back at the committee's decision
NOT_WITHDRAWABLE_AT = ("joint_review",)


def may_withdraw(case: Case, role: str, session: Session | None = None) -> bool:
    """The proposer (not a co-signer) may withdraw their own case while it waits for the review."""
    if not (role == "proposer" and case.status == "running" and case.stage in WITHDRAWABLE_STAGES):
        return False
    return session is None or session.scalar(select(TaskRow.id).where(
        TaskRow.case_id == case.id, TaskRow.state == "open", TaskRow.element_id.in_(NOT_WITHDRAWABLE_AT))) is None


def withdraw(ctx: Any, session: Session, user: User, case_id: Any, reason: str) -> Case:
    """Withdraw my own case before it is accepted: the engine delivers the model's message once the role and
    the stage are checked (a person never sends engine messages themselves)."""
    case, role = my_case(session, user, case_id)
    if role != "proposer":
        raise Forbidden("only the lead proposer withdraws a case; a co-signer may not")
    if not may_withdraw(case, role):
        raise Conflict("this case can no longer be withdrawn: it was reviewed already")
    if not may_withdraw(case, role, session):
        raise Conflict("this proposal cannot be withdrawn while the departments review it together; "
                       "it can once it is back with the committee")
    reason = (reason or "").strip()
    if len(reason) > WITHDRAW_REASON_MAX:
        raise Invalid("the reason is too long", [{"field": "withdraw_reason",
                                                  "message": f"at most {WITHDRAW_REASON_MAX} characters"}])
    try:
        data = WITHDRAW_DATA.get(case.process_key, WITHDRAW_DATA["suggestion"])(reason, user.username)
        return runtime.deliver_message(ctx, session, case, WITHDRAW_MESSAGE, data, user.username)
    except NotFound:
        raise Conflict("this case's process does not let a proposer withdraw it at this step") from None
