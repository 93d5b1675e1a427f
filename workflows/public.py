"""What a proposer or co-signer reads of a case's variables (the API's case answer, its history).

Their portal page is built from chosen facts (workflows.portal); the API hands out variables, so the same
line is drawn here as an allow-list: the submission, the review's outcome with the reason they are given,
the units and the contact, and the reply only once it is released to them. Review records, reviewers'
notes, countersign opinions, internal deadlines and everything added later stay with the office and units.
"""

from __future__ import annotations

from typing import Any

# the submission and the steps the proposer is told of
ALWAYS = frozenset({
    "title", "body", "category", "cosigners", "submission_kind", "term", "session", "session_label", "year", "proposer",
    "proposer_name", "submitted_at", "reviewed_at", "review_outcome", "return_ground", "reject_ground",
    "forward_as", "forward_to", "merged_into", "withdrawn_at", "withdraw_reason", "revise_action",
    "assigned_at", "lead_unit", "assist_units", "responsible_person", "responsible_contact", "signed_in_at",
    "stage", "closed_at", "in_session",
})
# the reviewer's reason is written for the proposer only when the case goes back to them or stops
REASON_STAGES = frozenset({"退回修改", "不立案", "已撤回"})
# the reply, the face-to-face reply and the evaluation window: once released
AFTER_RELEASE = frozenset({
    "reply_doc_no", "reply_text", "result_class", "reply_signer", "replied_at", "reply_released_at",
    "face_reply", "face_reply_by", "face_reply_date", "face_reply_place", "evaluation_due",
    "satisfaction_work", "satisfaction_result", "evaluation_comment", "rehandling_rounds",
})


def released(case_data: dict[str, Any]) -> bool:
    return bool(case_data.get("reply_released_at") or case_data.get("evaluation_due"))


def public_data(case: Any, values: dict[str, Any] | None) -> dict[str, Any]:
    """`values` (the case data, or the variables an event changed) as the proposer may read them."""
    case_data = case.data or {}
    allowed = set(ALWAYS)
    if case.stage in REASON_STAGES:
        allowed.add("review_reason")
    if released(case_data):
        allowed |= AFTER_RELEASE
    return {k: v for k, v in (values or {}).items() if k in allowed}
