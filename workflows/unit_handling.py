"""Service-task handlers of bpmn/unit_handling.bpmn (承办单位办理), the lead unit's handling shared by
suggestions and proposals.

The call activity hands over the whole case data. In: case_type, lead_unit, assist_units, reply_due,
assigned_at, and the durations assist_opinion_months (suggestions) and consult_working_days
(proposals), counted from handling_from (the assignment, or the start of a later round).
Out: the reply fields (reply_doc_no, reply_text, result_class, reply_signer, face_reply,
face_reply_by/place/date), replied_at, stage, and the assisting units' assist_opinions (suggestions)
or countersigns (proposals), each a dict by unit.

The multi-instance collections are dicts keyed by unit, not lists: the data of parallel branches is
merged key by key at the join, so a unit's entry gains its opinion without another branch's copy of
the same entry overwriting it.
"""

from __future__ import annotations

from typing import Any

from engine import clock

REQUIRED = ("case_type", "lead_unit", "reply_due", "assigned_at")


def _now() -> str:
    return clock.now().isoformat()


def _units(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.replace("，", ",").split(",")
    return [u.strip() for u in (value or []) if isinstance(u, str) and u.strip()]


def init(config: Any):
    def unit_handling_init(data: dict[str, Any]) -> dict[str, Any]:
        missing = [name for name in REQUIRED if not data.get(name)]
        if missing:
            raise ValueError(f"the handling needs {', '.join(missing)} in the case data")
        lead = data["lead_unit"]
        assist = [u for u in _units(data.get("assist_units")) if u != lead]
        suggestion = data["case_type"] == "suggestion"
        # a second call (the reply returned for handling again) does not ask the assisting units again
        collect = suggestion and bool(assist) and not data.get("assist_opinions")
        handling_round = int(data.get("handling_round") or 0) + 1
        result = {
            "assist_units": assist, "handling_round": handling_round,
            # deadlines inside the handling count from the assignment, in a later round from its start
            "handling_from": data["assigned_at"] if handling_round == 1 else _now(),
            # a re-handling round keeps the name supervisors look for
            "stage": "二次办理" if int(data.get("rehandling_rounds") or 0) > 0 else "办理中",
            "case_deadline": data["reply_due"],
            "collect_assist_opinions": collect,
            "countersign_needed": data["case_type"] == "proposal" and bool(assist),
            "countersign_agreed": False,
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
    return {"countersigns": {unit: {"unit": unit} for unit in _units(data.get("assist_units"))}}


def record_countersign(data: dict[str, Any]) -> dict[str, Any]:
    item = dict(data["countersign"])
    item.update(decision=data.get("countersign_decision"), comment=data.get("countersign_comment") or "",
                signed_at=_now())
    return {"countersign": item}


def collect_countersigns(data: dict[str, Any]) -> dict[str, Any]:
    objections = {unit: item.get("comment", "") for unit, item in (data.get("countersigns") or {}).items()
                  if item.get("decision") != "agree"}
    return {"countersign_agreed": not objections, "countersign_objections": objections}


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
        "reply_submitted": reply_submitted,
    }
    for topic, handler in services.items():
        ctx.script_engine.register_service(topic, handler)
