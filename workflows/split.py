"""分办 (split assignment): several units each answer their own part of one suggestion.

The assigning office names split units beside the lead unit; each of them (the lead unit included) then has
a part (`parts`, one entry per unit) that bpmn/suggestion.bpmn walks in a parallel multi-instance over the
collection: the unit signs in with the others, handles it through the shared unit_handling call activity
(its own four communications, its own reply), the liaison office reviews that reply, the proposer
evaluates it (evaluation_rehandling, re-handling included) and the office decides how the part's final reply
is disclosed. The case closes when every part is closed.

Inside a part the unit is `lead_unit` (the call activities read it), so a unit's tasks are offered to that
unit alone. A running part's progress lives in the data of its own instance under `split_part_<index>`
(one key per part, so that the case's data, merged from every waiting task, keeps them all); the save
listener here folds them into `parts` on the case, which the case page and the statistics read: each part
counts for its own unit (workflows.cases.CaseUnit).
"""

from __future__ import annotations

from typing import Any

from engine.cases.projections import all_tasks

from .cases import names

LIVE = "split_part_"  # + the part's index: its progress while it runs
PART_FIELDS = ("reply_doc_no", "result_class", "reply_signer", "face_reply", "face_reply_by", "face_reply_date",
               "replied_at", "reply_due", "replied_on_time", "reply_released_at", "satisfaction_work",
               "satisfaction_result", "evaluation_comment", "rehandling_rounds",
               "joint_supervision", "reply_poor", "disclosure", "disclosure_reason")
RATED = ("satisfaction_work", "satisfaction_result", "evaluation_comment", "rehandling_rounds", "joint_supervision")


def plan(lead: str, split: list[str], assist: list[str]) -> dict[str, Any]:
    """The parts of an assignment: none unless split units are named (the lead unit then answers a part too)."""
    others = [u for u in dict.fromkeys(split) if u and u != lead and u not in assist]
    if not others:
        return {"split_units": [], "parts": []}
    units = [lead, *others]
    return {"split_units": units,
            "parts": [{"index": i, "unit": unit, "state": "待签收"} for i, unit in enumerate(units)]}


def split_of(data: dict[str, Any]) -> list[str]:
    return names(data.get("split_unit_ids"))


def _key(part: dict[str, Any]) -> str:
    return f"{LIVE}{int(part.get('index') or 0)}"


def _progress(data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    part = data["part"]
    entry = {**part, **(data.get(_key(part)) or {}), **changes}
    return {_key(part): entry}


class PartHandlers:
    """The service tasks inside a part; `suggestion` is the case type's own handlers (reply, review)."""

    def __init__(self, suggestion: Any):
        self.s = suggestion

    def start(self, data: dict) -> dict:
        """suggestion_part_start: the unit of this part handles it as its lead unit; the assisting units
        send their opinion to the first (the lead) unit's part only."""
        part = data["part"]
        assist = list(data.get("assist_units") or []) if int(part.get("index") or 0) == 0 else []
        return {"lead_unit": part["unit"], "assist_units": assist, "reply_poor": False, "rehandling_rounds": 0,
                **_progress(data, state="办理中", signed_in_at=data.get("signed_in_at"))}

    def replied(self, data: dict) -> dict:
        """suggestion_part_replied: this unit's reply reaches the assigning office."""
        result = self.s.replied(data)
        merged = {**data, **result}
        return {**result, **_progress(merged, state="待审核答复", reply_due=data.get("reply_due"),
                                      **{k: merged.get(k) for k in ("replied_at", "replied_on_time", "reply_doc_no",
                                                                     "result_class", "face_reply")})}

    def reviewed(self, data: dict) -> dict:
        """suggestion_part_reviewed: the office approves (the part's reply goes to the proposer) or judges it poor."""
        result = self.s.reply_reviewed(data)
        poor = result.get("reply_poor")
        return {**result, **_progress({**data, **result}, state="二次办理" if poor else "已答复",
                                      result_class=data.get("result_class"),
                                      reply_released_at=result.get("reply_released_at"))}

    def evaluated(self, data: dict) -> dict:
        """suggestion_part_evaluated: the proposer's rating of this part (after any re-handling) is on record;
        the office decides how the part's final reply is disclosed."""
        return _progress(data, state="已测评", **{k: data.get(k) for k in RATED},
                         result_class=data.get("result_class"))

    def closed(self, data: dict) -> dict:
        """suggestion_part_closed: the part is done; what it came to goes back into `parts`."""
        live = data.get(_key(data["part"])) or {}
        part = {**data["part"], **live, **{k: data.get(k) for k in PART_FIELDS},
                "state": "已办结", "closed_at": self.s.now()}
        part["first_replied_at"] = live.get("replied_at") or data.get("first_replied_at") or data.get("replied_at")
        return {"part": part}

    def close_all(self, data: dict) -> dict:
        """suggestion_close_parts: every part is closed, so is the case."""
        parts = data.get("parts") or []
        replied = [str(p.get("replied_at")) for p in parts if p.get("replied_at")]
        return {"closed_at": self.s.now(), "case_deadline": None, "stage": "已办结",
                "replied_at": max(replied) if replied else None, "parts_closed": len(parts)}


def parts_view(data: dict[str, Any], workflow: Any = None) -> list[dict[str, Any]] | None:
    """The parts as they stand now: the collection (its finished entries written back by the engine), each
    running part overlaid with its progress. None for a case that is not split."""
    if not data.get("split_units"):
        return None
    parts = None
    if workflow is not None and not workflow.is_completed():
        # the multi-instance task holds the collection the finished parts were written into; a running
        # part's data still has the copy taken when it started
        for task in all_tasks(workflow):
            if task.task_spec.name == "split_parts" and isinstance(task.data.get("parts"), list):
                parts = task.data["parts"]
    parts = parts if parts is not None else data.get("parts") or []
    return [p if p.get("closed_at") else {**p, **(data.get(_key(p)) or {})} for p in parts if isinstance(p, dict)]


def keep_parts(session: Any, case: Any, workflow: Any) -> None:
    """Save listener (before the facts): the case's `parts` show each part's progress."""
    data = case.data or {}
    view = parts_view(data, workflow)
    if view is None:
        return
    case.data = {**{k: v for k, v in data.items() if not k.startswith(LIVE)}, "parts": view}


def register(ctx: Any, suggestion: Any) -> None:
    h = PartHandlers(suggestion)
    for topic, handler in {"suggestion_part_start": h.start, "suggestion_part_replied": h.replied,
                           "suggestion_part_reviewed": h.reviewed, "suggestion_part_evaluated": h.evaluated,
                           "suggestion_part_closed": h.closed,
                           "suggestion_close_parts": h.close_all}.items():
        ctx.script_engine.register_service(topic, handler)
    ctx.save_listeners.insert(0, keep_parts)
