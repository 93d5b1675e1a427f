"""Loops with an end (issue 11, item 4): a unit may contest an assignment, and the committee may return a
proposal's reply, only so many times (config.yaml: max_contest_rounds, max_return_rounds); then the
assigning office's decision stands, recorded on the case in `arbitrations`. Objections to a countersigned
draft end the same way in the model itself (unit_handling: arbitrate_countersign).

The handlers count the rounds; the completion check here refuses one round too many with a clear reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.errors import Invalid
from engine.store import Case

from .cases import CASE_TYPES


def record(data: dict[str, Any], kind: str, by: str, at: str, **details: Any) -> list[dict[str, Any]]:
    """The case's arbitrations with one more."""
    return [*(data.get("arbitrations") or []), {"kind": kind, "by": by, "at": at, **details}]


def assignment(data: dict[str, Any], office: str, at: str) -> dict[str, Any]:
    """What an assignment made after max_contest_rounds contests adds: it is the office's arbitration, which
    the units sign in to without a further contest."""
    rounds, limit = int(data.get("contest_rounds") or 0), int(data.get("max_contest_rounds") or 0)
    if not limit or rounds < limit:
        return {"assignment_arbitrated": False}
    return {"assignment_arbitrated": True,
            "arbitrations": record(data, "assignment", office, at, rounds=rounds,
                                   contested_by=data.get("contested_by") or "",
                                   reason=data.get("assign_note") or data.get("contest_reason") or "",
                                   lead_unit=data.get("lead_unit"))}


def loops_check(session: Session, case: Case, task: Any, submitted: dict[str, Any]) -> None:
    if case.process_key not in CASE_TYPES:
        return
    data = case.data or {}
    if task.element_id == "sign_in_or_contest" and submitted.get("sign_in_decision") == "contest" \
            and data.get("assignment_arbitrated"):
        raise Invalid("本次交办是退回多次后交办机关的裁决，不能再退回，请签收",
                      [{"field": "sign_in_decision", "message": "交办已经裁决，只能签收"}])
    if task.element_id == "review_reply" and submitted.get("reply_review") == "return":
        returns, limit = int(data.get("handling_round") or 1) - 1, int(data.get("max_return_rounds") or 0)
        if limit and returns >= limit:
            raise Invalid(f"答复已退回 {returns} 次，须由提案委员会作出审定（同意答复并写明审查意见）",
                          [{"field": "reply_review", "message": f"已退回 {returns} 次，不能再退回"}])
