"""Service-task handlers of bpmn/unit_handling.bpmn (承办单位办理), the lead unit's handling shared by
suggestions and proposals.

The call activity hands over the whole case data. In: case_type, lead_unit, assist_units, reply_due,
assigned_at, and the durations assist_opinion_months (suggestions) and consult_working_days
(proposals), counted from handling_from (the assignment, or the start of a later round).
Out: the reply fields (reply_doc_no, reply_text, result_class, reply_signer, face_reply,
face_reply_by/place/date), replied_at, stage, and the assisting units' assist_opinions (suggestions)
or countersigns (proposals), each a dict by unit.

Extension (延期): instead of replying, the lead unit may ask the assigning office for more months.
An approved extension moves reply_due (and with it the reply task's due date and case_deadline), never
past max_reply_months from the assignment; every request is kept in `extensions`. The form's rules
(months, reason, the limit) are checked on completion by workflows.handlers.handling_check.

The multi-instance collections are dicts keyed by unit, not lists: the data of parallel branches is
merged key by key at the join, so a unit's entry gains its opinion without another branch's copy of
the same entry overwriting it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engine import clock

from .cases import names
from .evaluation import REVIEW_OFFICE

REQUIRED = ("case_type", "lead_unit", "reply_due", "assigned_at")


def _now() -> str:
    return clock.now().isoformat()


def _stage(data: dict[str, Any]) -> str:
    # a re-handling round keeps the name supervisors look for
    return "二次办理" if int(data.get("rehandling_rounds") or 0) > 0 else "办理中"


def reply_limit(calendar: Any, data: dict[str, Any]) -> date:
    """The latest reply deadline an extension may reach: max_reply_months from the assignment."""
    return calendar.add_months(calendar.local_date(data["assigned_at"]), int(data["max_reply_months"]))


def extended_due(calendar: Any, data: dict[str, Any], months: int) -> date:
    return calendar.add_months(date.fromisoformat(str(data["reply_due"])[:10]), months)


def init(config: Any):
    def unit_handling_init(data: dict[str, Any]) -> dict[str, Any]:
        missing = [name for name in REQUIRED if not data.get(name)]
        if missing:
            raise ValueError(f"the handling needs {', '.join(missing)} in the case data")
        lead = data["lead_unit"]
        assist = [u for u in names(data.get("assist_units")) if u != lead]
        suggestion = data["case_type"] == "suggestion"
        office = data.get("assigning_office") or REVIEW_OFFICE.get(data["case_type"])
        if not office:
            raise ValueError(f"no assigning office for case_type {data['case_type']!r}: set assigning_office")
        # a second call (the reply returned for handling again) does not ask the assisting units again
        collect = suggestion and bool(assist) and not data.get("assist_opinions")
        handling_round = int(data.get("handling_round") or 0) + 1
        result = {
            "assist_units": assist, "handling_round": handling_round,
            # deadlines inside the handling count from the assignment, in a later round from its start
            "handling_from": data["assigned_at"] if handling_round == 1 else _now(),
            "stage": _stage(data),
            "case_deadline": data["reply_due"],
            # who decides on an extension, and how far it may go (proposals have no setting of their own)
            "assigning_office": office, "handling_action": "reply",
            "max_reply_months": data.get("max_reply_months") or config["suggestion.max_reply_months"],
            "extension_months": int(data.get("extension_months") or 0),
            "collect_assist_opinions": collect,
            "countersign_needed": data["case_type"] == "proposal" and bool(assist),
            "countersign_agreed": False, "countersign_rounds": 0,
            # objections to the draft this many times: the assigning office arbitrates (no endless redrafting)
            "max_countersign_rounds": data.get("max_countersign_rounds")
            or config["unit_handling.max_countersign_rounds"],
            "assist_opinion_months": data.get("assist_opinion_months") or config["suggestion.assist_opinion_months"],
            "consult_working_days": data.get("consult_working_days") or config["proposal.consult_working_days"],
        }
        if collect:
            result["assist_opinions"] = {unit: {"unit": unit} for unit in assist}
        return result
    return unit_handling_init


def record_assist_opinion(data: dict[str, Any]) -> dict[str, Any]:
    item = dict(data["assist_opinion"])
    item.update(opinion=data.get("assist_opinion_text") or "", submitted_at=_now())
    return {"assist_opinion": item}


def prepare_countersign(data: dict[str, Any]) -> dict[str, Any]:
    # rebuilt for every draft: a revised draft is countersigned afresh
    return {"countersigns": {unit: {"unit": unit} for unit in names(data.get("assist_units"))}}


def record_countersign(data: dict[str, Any]) -> dict[str, Any]:
    item = dict(data["countersign"])
    item.update(decision=data.get("countersign_decision"), comment=data.get("countersign_comment") or "",
                signed_at=_now())
    return {"countersign": item}


def collect_countersigns(data: dict[str, Any]) -> dict[str, Any]:
    objections = {unit: item.get("comment", "") for unit, item in (data.get("countersigns") or {}).items()
                  if item.get("decision") != "agree"}
    rounds = int(data.get("countersign_rounds") or 0) + (1 if objections else 0)
    return {"countersign_agreed": not objections, "countersign_objections": objections, "countersign_rounds": rounds}


def record_countersign_arbitration(data: dict[str, Any]) -> dict[str, Any]:
    """record_countersign_arbitration: the assigning office's ruling on objections that would not end. The draft
    goes out as it is, or is revised as ruled and then goes out without another countersign round."""
    decision = data.get("arbitration_decision")
    record = {"kind": "countersign", "decision": decision, "reason": data.get("arbitration_reason") or "",
              "objections": data.get("countersign_objections") or {}, "rounds": data.get("countersign_rounds"),
              "by": data.get("assigning_office"), "at": _now()}
    return {"arbitrations": [*(data.get("arbitrations") or []), record], "countersign_needed": False,
            "countersign_agreed": decision == "adopt"}


def extension_requested(data: dict[str, Any]) -> dict[str, Any]:
    """extension_requested: the request waits for the assigning office; it grants the months asked unless it
    says otherwise."""
    months = int(data["extension_months_requested"])
    request = {"requested_at": _now(), "months_requested": months, "reason": data.get("extension_reason") or "",
               "reply_due_before": data["reply_due"]}
    return {"extension_request": request, "extension_months_granted": months, "extension_decision": None,
            "extension_comment": "", "stage": "延期审批中"}


def extension_decided(calendar: Any):
    def handler(data: dict[str, Any]) -> dict[str, Any]:
        """extension_decided: an approved extension moves the reply deadline; either way the unit is back at
        its reply, with the form set to reply and the request on record in `extensions`."""
        approved = data.get("extension_decision") == "approve"
        granted = int(data.get("extension_months_granted") or 0) if approved else 0
        due = str(data["reply_due"])[:10]
        if granted > 0:
            # the completion check refuses more; a changed setting must not stretch it either
            due = min(extended_due(calendar, data, granted), reply_limit(calendar, data)).isoformat()
        entry = {**(data.get("extension_request") or {}), "months": granted, "decision": data.get("extension_decision"),
                 "comment": data.get("extension_comment") or "", "decided_at": _now(), "reply_due": due}
        return {"reply_due": due, "case_deadline": due,
                "extension_months": int(data.get("extension_months") or 0) + granted,
                "extensions": [*(data.get("extensions") or []), entry], "extension_request": None,
                "handling_action": "reply", "extension_months_requested": None, "extension_reason": None,
                "stage": _stage(data)}
    return handler


def reply_submitted(data: dict[str, Any]) -> dict[str, Any]:
    proposal = data.get("case_type") == "proposal"
    return {
        "replied_at": _now(), "stage": "待审核答复",
        # proposals are always replied to face to face (面复率 100%)
        "face_reply": True if proposal else bool(data.get("face_reply")),
        # the class the unit gave, kept beside the one the reviewing office may set
        "unit_result_class": data.get("result_class"),
        # the unit's deadline is met; the next step sets its own
        "case_deadline": None,
    }


def register(ctx: Any) -> None:
    services = {
        "unit_handling_init": init(ctx.config),
        "record_assist_opinion": record_assist_opinion,
        "prepare_countersign": prepare_countersign,
        "record_countersign": record_countersign,
        "collect_countersigns": collect_countersigns,
        "record_countersign_arbitration": record_countersign_arbitration,
        "extension_requested": extension_requested,
        "extension_decided": extension_decided(ctx.calendar),
        "reply_submitted": reply_submitted,
    }
    for topic, handler in services.items():
        ctx.script_engine.register_service(topic, handler)
