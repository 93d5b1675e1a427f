"""并案 of suggestions and proposals. The office merges a case into another of its type at its review; the merged
one waits at the message event `merged_reply` and, when the main case's reply is released, gets that reply on
its own case (one save listener for both types, `deliver_merged_replies`). Its proposer then evaluates that
reply (`evaluate_merged`), within the evaluation period counted from the main reply's release, and the rating
counts for the main case's lead unit. A split main suggestion (分办) delivers once every part's reply is
released, with each part's reply; the merged deputy evaluates it once, counted for the first part's unit.
If the main case ends without a reply, workflows.notices tells the merged one (`main_case_ended`) and it is
reviewed again. The suggestion's merge check is here; the proposal's is in workflows.proposal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import runtime
from engine.errors import Invalid
from engine.store import Case

from . import evaluation
from .cases import CaseHandlers

KEY = "suggestion"
MERGED_REPLY = "merged_reply"
MERGED_STAGE = "已并案"
REPLY_FIELDS = ("reply_doc_no", "reply_text", "result_class", "reply_signer", "replied_at", "face_reply",
                "face_reply_by", "face_reply_date")
PART_FIELDS = ("unit", "reply_doc_no", "reply_text", "result_class", "replied_at", "reply_released_at")


def check_merge(session: Session, case: Case, task: Any, submitted: dict[str, Any]) -> None:
    """审核把关 with 并案: the suggestion merged into is another existing one whose reply has not gone out."""
    if case.process_key != KEY or task.element_id != "pre_review" or submitted.get("review_outcome") != "merge":
        return
    number = str(submitted.get("merged_into") or "").strip()
    problem = None  # (code, Chinese message): the page says the code in the reader's language
    if not number:
        problem = "merge_number_required", "并案须填写并入的建议编号"
    elif number == case.number:
        problem = "merge_into_itself", "不能并入本案"
    else:
        main = session.scalar(select(Case).where(Case.number == number, Case.process_key == KEY))
        if main is None:
            problem = "no_such_suggestion", f"没有编号为 {number} 的建议"
        elif main.status != "running" or (main.data or {}).get("reply_released_at") \
                or (main.data or {}).get("merged_into"):
            # its reply has gone out (or it waits for another itself): nothing would bring a reply here
            problem = "merge_target_closed", f"建议 {number} 已答复、已办结或已并入其他建议，不能再并入，请单独交办"
    if problem:
        code, message = problem
        raise Invalid(message, [{"field": "merged_into", "code": code, "params": {"number": number},
                                 "message": message}])


def _reply(data: dict[str, Any]) -> dict[str, Any] | None:
    """The main suggestion's reply as the merged ones receive it, or None while it has not gone out.

    With it the facts the merged deputy's rating counts under: released (the evaluation period counts from
    it), the lead unit, its assignment, deadline and first reply. A split main suggestion is whole when every
    part's reply is released; the merged deputy then evaluates it once, counted for the first part's unit."""
    parts = data.get("parts") if data.get("split_units") else None
    if parts:
        if not all(p.get("reply_released_at") for p in parts):
            return None
        first = parts[0]
        return {"parts": [{k: p.get(k) for k in PART_FIELDS} for p in parts],
                "reply_doc_no": "；".join(str(p.get("reply_doc_no") or "") for p in parts),
                "reply_text": "\n\n".join(str(p.get("reply_text") or "") for p in parts),
                "replied_at": max(str(p.get("replied_at") or "") for p in parts),
                "result_class": first.get("result_class"), "face_reply": bool(first.get("face_reply")),
                "main_reply_released_at": max(str(p["reply_released_at"]) for p in parts),
                "lead_unit": first.get("unit"), "assigned_at": data.get("assigned_at"),
                "reply_due": first.get("reply_due") or data.get("first_reply_due") or data.get("reply_due"),
                "first_replied_at": first.get("first_replied_at") or first.get("replied_at")}
    if not data.get("reply_released_at"):
        return None
    return {**{name: data.get(name) for name in REPLY_FIELDS}, **main_facts(data)}


def main_facts(data: dict[str, Any]) -> dict[str, Any]:
    """What a merged case's rating counts under: the main case's release, lead unit and dates."""
    return {"main_reply_released_at": data.get("reply_released_at"), "lead_unit": data.get("lead_unit"),
            "assigned_at": data.get("assigned_at"),
            "reply_due": data.get("first_reply_due") or data.get("reply_due"),
            "first_replied_at": data.get("first_replied_at")}


def reply_received(h: CaseHandlers, data: dict[str, Any]) -> dict[str, Any]:
    """The main case's reply arrived on a merged one (suggestion or proposal): its proposer evaluates it too,
    within the evaluation period counted from the main reply's release; the main case's lead unit and dates
    came with the reply, so the rating reaches that unit's statistics."""
    released = data.get("main_reply_released_at") or h.now()
    due = h.calendar.add_working_days(released, data["evaluation_working_days"])
    return {"stage": "待测评", "reply_released_at": released, "evaluation_from": released,
            "evaluation_due": due, "case_deadline": due[:10], "satisfaction_work": None,
            "satisfaction_result": None}


def evaluated(h: CaseHandlers, data: dict[str, Any]) -> dict[str, Any]:
    """The merged proposer's rating, or not evaluated when the period ended (the boundary timer)."""
    work, result = data.get("satisfaction_work"), data.get("satisfaction_result")
    if work not in evaluation.RATINGS or result not in evaluation.RATINGS:
        work = result = evaluation.NOT_EVALUATED
    rating = {"round": 0, "work": work, "result": result, "comment": data.get("evaluation_comment") or "",
              "at": h.now()}
    return {"satisfaction_work": work, "satisfaction_result": result, "case_deadline": None,
            "unsatisfied": "unsatisfied" in (work, result), "evaluated_at": h.now(), "closed_at": h.now(),
            "evaluations": [*(data.get("evaluations") or []), rating],
            "stage": "并案办结" if work != evaluation.NOT_EVALUATED else "并案办结（未测评）"}


def deliver_merged_replies(ctx: Any, case_type: str, merged_stage: str,
                           read_reply: Callable[[dict[str, Any]], dict[str, Any] | None]):
    """The save listener of 并案 for one case type: when a main case's reply is out (read_reply gives it, or
    None), every case of the type merged into it and waiting (at merged_stage) gets it by the message
    `merged_reply`, in the same transaction."""
    def listener(session: Session, case: Case, workflow: Any) -> None:
        data = case.data or {}
        if case.process_key != case_type or data.get("merged_into"):
            return
        reply = read_reply(data)
        if reply is None:
            return
        waiting = session.scalars(select(Case).where(Case.process_key == case_type, Case.status == "running",
                                                     Case.stage == merged_stage, Case.id != case.id))
        for merged in list(waiting):
            if (merged.data or {}).get("merged_into") == case.number:
                runtime.deliver_message(ctx, session, merged, MERGED_REPLY, {**reply, "main_case": case.number}, None)
    return listener


def register(ctx: Any) -> None:
    ctx.completion_checks.append(check_merge)
    ctx.save_listeners.append(deliver_merged_replies(ctx, KEY, MERGED_STAGE, _reply))
