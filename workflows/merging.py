"""并案 of suggestions: the liaison office merges a suggestion into another at its pre-review; the merged one
waits at the message event `merged_reply` and, when the main suggestion's reply is released, gets that reply
on its own case (its deputy sees it there), as proposals do (workflows.proposal). A split main suggestion
(分办) delivers once every part's reply is released, with each part's reply. If the main case ends without
a reply, workflows.notices tells the merged one (`main_case_ended`) and it is reviewed again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import runtime
from engine.errors import Invalid
from engine.store import Case

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
    """The main suggestion's reply as the merged ones receive it, or None while it has not gone out."""
    parts = data.get("parts") if data.get("split_units") else None
    if parts:
        if not all(p.get("reply_released_at") for p in parts):
            return None
        return {"parts": [{k: p.get(k) for k in PART_FIELDS} for p in parts],
                "reply_doc_no": "；".join(str(p.get("reply_doc_no") or "") for p in parts),
                "replied_at": max(str(p.get("replied_at") or "") for p in parts)}
    if not data.get("reply_released_at"):
        return None
    return {name: data.get(name) for name in REPLY_FIELDS}


def deliver_merged_replies(ctx: Any):
    def listener(session: Session, case: Case, workflow: Any) -> None:
        data = case.data or {}
        if case.process_key != KEY or data.get("merged_into"):
            return
        reply = _reply(data)
        if reply is None:
            return
        waiting = session.scalars(select(Case).where(Case.process_key == KEY, Case.status == "running",
                                                     Case.stage == MERGED_STAGE, Case.id != case.id))
        for merged in list(waiting):
            if (merged.data or {}).get("merged_into") == case.number:
                runtime.deliver_message(ctx, session, merged, MERGED_REPLY, {**reply, "main_case": case.number}, None)
    return listener


def register(ctx: Any) -> None:
    ctx.completion_checks.append(check_merge)
    ctx.save_listeners.append(deliver_merged_replies(ctx))
