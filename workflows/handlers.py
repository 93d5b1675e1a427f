"""What both case types share at run time: the communications gate (四沟通) on the reply and on the
confirmation of what was implemented, and the rules of the reply form that depend on its chosen action
(reply, or ask for an extension) and of the extension's approval. Registered in ctx.completion_checks by
workflows.install."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases import notes
from engine.errors import Invalid
from engine.store import Case, CaseNote, Group, TaskRow, User, UserGroup

from .cases import CASE_TYPES
from .unit_handling import extended_due, reply_limit

CONTACT_NAMES = {"contact_before": "办前沟通", "contact_during": "办中沟通", "contact_at_reply": "答复时沟通",
                 "contact_after": "办后沟通"}

GATE_CODE = "communication_missing"  # in each detail of the gate's refusal, whose field is the communication's kind

# task element id -> (the communications that must be on record first, the message when they are not)
GATES: dict[str, tuple[tuple[str, ...], str]] = {
    "draft_reply": (("contact_before", "contact_during"), "先记录办前沟通和办中沟通后才能提交答复"),
    "confirm_implementation": (("contact_after",), "先记录办后沟通后才能确认落实情况"),
}


def communications_gate(session: Session, case: Case, task: Any, data: dict[str, Any]) -> None:
    """Refuse the reply until the deputy or member was heard before and during the handling, and the
    confirmation of the results until they confirmed them together (DOMAIN.md, suggestions step 5)."""
    gate = GATES.get(task.element_id)
    if gate is None or case.process_key not in CASE_TYPES:
        return
    if task.element_id == "draft_reply" and _action(case, data) == "extend":
        return  # asking for more time is not the reply: the talks may still be ahead
    needed, message = gate
    # only records dated between the assignment and today count: a back- or forward-dated one proves nothing
    rows = list(session.scalars(select(CaseNote).where(CaseNote.case_id == case.id, CaseNote.kind.in_(needed))))
    if (case.data or {}).get("split_units") and task.element_id == "draft_reply":
        rows = _by_unit(session, rows, task.candidate_groups or [])
    # and one the proposer disputed (said was not so) counts no more until it is recorded again
    dated = [note for note in rows if notes.dated_within(note, case)]
    recorded = {note.kind for note in dated if not notes.disputed(note)}
    disputed = {note.kind for note in dated if notes.disputed(note)}
    missing = [kind for kind in needed if kind not in recorded]
    if missing:
        # the code lets a page say it in its reader's language and point to where communications are recorded
        raise Invalid(message, [{"field": kind, "code": GATE_CODE,
                                 "message": (f"{CONTACT_NAMES[kind]}的记录有异议，请重新沟通并记录（{kind}）"
                                             if kind in disputed else f"尚未记录{CONTACT_NAMES[kind]}（{kind}）")}
                                for kind in missing])


def _by_unit(session: Session, rows: list[CaseNote], units: list[str]) -> list[CaseNote]:
    """分办: a part's reply counts the communications its own unit recorded (the one its task is offered to),
    not another unit's talks about another part."""
    authors = {note.author for note in rows}
    if not authors or not units:
        return []
    members = set(session.scalars(select(User.username).join(UserGroup, UserGroup.user_id == User.id)
                                  .join(Group, Group.id == UserGroup.group_id)
                                  .where(Group.name.in_(units), User.username.in_(authors))))
    return [note for note in rows if note.author in members]


REPLY_DRAFT = "draft_reply"  # the unit's reply draft (bpmn/unit_handling.bpmn)


def reply_drafted_on(session: Session, case: Case, zone: Any) -> date | None:
    """The day (in the configured zone) the latest reply draft of the case was made, None before any."""
    at = session.scalar(select(func.max(TaskRow.completed_at)).where(
        TaskRow.case_id == case.id, TaskRow.element_id == REPLY_DRAFT, TaskRow.state == "completed"))
    return at.astimezone(zone).date() if at is not None else None


def contact_floors(session: Session, case: Case, zone: Any) -> dict[str, tuple[date | None, str]]:
    """The communication at the reply (答复时沟通) is not dated before the reply draft it talks about, and cannot
    be recorded before there is one (issue 11, item 10)."""
    if case.process_key not in CASE_TYPES:
        return {}
    return {"contact_at_reply": (reply_drafted_on(session, case, zone), "the reply draft")}


def record_communication(ctx: Any, session: Session, user: Any, case: Case, kind: str, body: str,
                         data: dict[str, Any]) -> CaseNote:
    """A communication with the proposer (四沟通) recorded through the pages: the engine's checks and the
    domain's floors on its date."""
    return notes.add_note(session, ctx.declarations.for_case(case), user, case, kind, body, data,
                          kinds=notes.CONTACT_KINDS, zone=ctx.zone, floors=contact_floors(session, case, ctx.zone))


# the reply's fields that a submitted reply must have (the form cannot mark them required: an extension
# request leaves them empty)
REPLY_REQUIRED = ("reply_doc_no", "reply_text", "result_class", "reply_signer")


def _action(case: Case, submitted: dict[str, Any]) -> str:
    value = submitted.get("handling_action")
    if value in (None, ""):
        value = (case.data or {}).get("handling_action")
    return value or "reply"


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _months(value: Any) -> int | None:
    """A count of months as typed (2, '2', 2.0); None when it is not a whole number."""
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _labels(task: Any) -> dict[str, str]:
    return {f["id"]: str(f.get("label") or f["id"]).split("（")[0] for f in (task.form or [])}


def handling_check(calendar: Any, config: Any):
    """The reply task's form (the one with `handling_action`) and the extension's approval (the one with
    `extension_decision`): what a form's constraints cannot say because it depends on another field."""

    def check(session: Session, case: Case, task: Any, submitted: dict[str, Any]) -> None:
        fields = {f["id"] for f in (task.form or [])}
        data = {**(case.data or {}), **submitted}
        data.setdefault("max_reply_months", config["suggestion.max_reply_months"])
        if "handling_action" in fields and _action(case, submitted) == "extend":
            problems = _extension_problems(calendar, data, "extension_months_requested")
            if _empty(data.get("extension_reason")):
                problems.append({"field": "extension_reason", "message": "申请延期须填写延期理由"})
        elif "handling_action" in fields:
            problems = _reply_problems(task, data)
        elif "extension_decision" in fields and data.get("extension_decision") == "approve":
            problems = _extension_problems(calendar, data, "extension_months_granted")
        else:
            return
        if problems:
            raise Invalid("；".join(p["message"] for p in problems), problems)

    return check


def _reply_problems(task: Any, data: dict[str, Any]) -> list[dict[str, Any]]:
    labels = _labels(task)
    return [{"field": name, "label": labels.get(name, name), "message": f"提交答复须填写{labels.get(name, name)}"}
            for name in REPLY_REQUIRED if name in labels and _empty(data.get(name))]


def _extension_problems(calendar: Any, data: dict[str, Any], field: str) -> list[dict[str, Any]]:
    months = _months(data.get(field))
    if months is None or months < 1:
        return [{"field": field, "message": "延期月数须为不少于 1 的整数"}]
    latest, limit = reply_limit(calendar, data), int(data["max_reply_months"])
    # more months than the whole limit cannot fit (and a typo of 100000 must not overflow the calendar)
    wanted = extended_due(calendar, data, months) if months <= limit else None
    if wanted is not None and wanted <= latest:
        return []
    if str(data["reply_due"])[:10] >= latest.isoformat():
        message = f"答复期限已是自交办之日起 {limit} 个月的最长期限（{latest.isoformat()}），不能再延期"
    else:
        after = f"延期 {months} 个月后答复期限为 {wanted.isoformat()}，" if wanted else f"延期 {months} 个月"
        message = f"{after}超过自交办之日起 {limit} 个月的最长期限，最晚只能延至 {latest.isoformat()}"
    return [{"field": field, "message": message}]
