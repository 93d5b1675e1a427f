"""Evaluation and re-handling (满意度测评与二次办理): the handlers of bpmn/evaluation.bpmn, which both
suggestions and proposals call. Who takes charge, who reviews and who supervises jointly depends on the
case type; the numbers (working days, months, rounds) come from the data the case's init handler set.
"""

from __future__ import annotations

from typing import Any

from engine import clock

from .cases import CaseHandlers

# the case types this process serves; each re-handling round's leaders in charge (包案) are named by the office
# (name_leaders: one of the body's leaders and one of the government's, workflows.leaders)
CASE_TYPE_NAMES = ("suggestion", "proposal")
# the office that assigned the case reviews the re-handled reply
REVIEW_OFFICE = {"suggestion": "liaison_office", "proposal": "proposal_committee"}
# still unsatisfied when the rounds are used up: who supervises jointly (联合督办), and how
JOINT = {"suggestion": (["congress_leaders"], "市、区两级人大代表联合视察、联合督办"),
         "proposal": (["cppcc_leaders"], "政协领导带领委员调研督导")}
NOT_EVALUATED = "not_evaluated"
RATINGS = ("satisfied", "basically_satisfied", "unsatisfied")


def _case_type(data: dict) -> str:
    case_type = data.get("case_type")
    if case_type not in CASE_TYPE_NAMES:
        raise ValueError(f"evaluation_rehandling needs case_type 'suggestion' or 'proposal', not {case_type!r}")
    return case_type


def _earlier_leaders(data: dict) -> list[str]:
    """The leaders of the rounds so far, the last round's included."""
    found = [*(data.get("leaders_in_charge") or []), data.get("round_leader_body"), data.get("round_leader_government")]
    return list(dict.fromkeys(n for n in found if isinstance(n, str) and n))


class EvaluationHandlers(CaseHandlers):

    def open(self, data: dict) -> dict:
        """evaluation_open: a fresh rating is asked for each reply, due so many working days after the reply
        reached the proposer: its release by the assigning office (reply_released_at), not the unit's
        submission. A re-handled reply is released when the office's review of it ends, which is now."""
        case_type = _case_type(data)
        released = data.get("reply_released_at") or self.now()
        due = self.calendar.add_working_days(released, data["evaluation_working_days"])
        return {"reply_released_at": released, "evaluation_from": released, "evaluation_due": due,
                "case_deadline": due[:10], "stage": "待测评",
                "satisfaction_work": None, "satisfaction_result": None, "unsatisfied": False,
                "rehandling_rounds": int(data.get("rehandling_rounds") or 0),
                "max_rehandling_rounds": int(data["max_rehandling_rounds"]),
                "reply_poor": bool(data.get("reply_poor")), "flagged": bool(data.get("flagged")),
                "joint_supervision": bool(data.get("joint_supervision")),
                # a hard case the office sends to joint supervision at once (难点), not only when rounds run out
                "joint_requested": bool(data.get("joint_requested")) and not data.get("joint_supervision"),
                "review_office": REVIEW_OFFICE[case_type], "evaluations": data.get("evaluations") or []}

    def _evaluation(self, data: dict, work: str, result: str) -> dict:
        return {"round": int(data.get("rehandling_rounds") or 0), "work": work, "result": result,
                "comment": data.get("evaluation_comment") or "", "at": self.now()}

    def recorded(self, data: dict) -> dict:
        """evaluation_recorded: unsatisfied when either the handling work or the result is."""
        work, result = data.get("satisfaction_work"), data.get("satisfaction_result")
        return {"unsatisfied": "unsatisfied" in (work, result), "evaluated_at": self.now(), "case_deadline": None,
                "stage": "已测评",
                "evaluations": [*(data.get("evaluations") or []), self._evaluation(data, work, result)]}

    def not_answered(self, data: dict) -> dict:
        """evaluation_not_answered: the period ended without an answer (the boundary timer)."""
        return {"satisfaction_work": NOT_EVALUATED, "satisfaction_result": NOT_EVALUATED, "unsatisfied": False,
                "case_deadline": None, "stage": "未测评",
                "evaluations": [*(data.get("evaluations") or []),
                                self._evaluation(data, NOT_EVALUATED, NOT_EVALUATED)]}

    def rehandling_open(self, data: dict) -> dict:
        """rehandling_open (二次办理): the case is flagged, the unit gets a new deadline, and the office names this
        round's leaders in charge next (name_leaders). The last round's leaders stay on the case
        (leaders_in_charge: they keep seeing it and hear of its end).

        The unit's reply deadline (reply_due) becomes the re-handling deadline, so the tasks of the
        unit's handling fall due then; the first one is kept as first_reply_due."""
        case_type = _case_type(data)
        today = clock.now().astimezone(self.zone).date()
        due = self.calendar.add_months(today, data["rehandling_months"]).isoformat()
        return {"rehandling_rounds": int(data.get("rehandling_rounds") or 0) + 1, "flagged": True,
                "rehandling_reason": "答复质量不高" if data.get("reply_poor") else "提出人对办理不满意",
                "rehandling_due": due, "first_reply_due": data.get("first_reply_due") or data.get("reply_due"),
                "reply_due": due, "case_deadline": due, "leaders_in_charge": _earlier_leaders(data),
                "round_leader_body": None, "round_leader_government": None,
                "review_office": REVIEW_OFFICE[case_type], "interview": False, "reply_poor": False,
                "stage": "二次办理"}

    def rehandling_replied(self, data: dict) -> dict:
        """rehandling_replied: the re-handled reply is on record; the office reviews it next."""
        replied_at = self.now()
        reply = {"round": data.get("rehandling_rounds"), "reply_doc_no": data.get("reply_doc_no"),
                 "result_class": data.get("result_class"), "replied_at": replied_at}
        # not released until the office has reviewed it: evaluation_open then counts from that moment
        return {"replied_at": replied_at, "rehandling_replies": [*(data.get("rehandling_replies") or []), reply],
                "reply_released_at": None, "stage": "二次办理"}

    def joint_open(self, data: dict) -> dict:
        """joint_supervision_open (联合督办): the rounds are used up and the proposer is still unsatisfied, or the
        office sent a hard case (难点) straight here."""
        groups, partner = JOINT[_case_type(data)]
        why = "难点建议，交办机关直接提请" if data.get("joint_requested") else "二次办理轮次已满仍不满意"
        return {"joint_supervision": True, "flagged": True, "joint_groups": groups, "joint_partner": partner,
                "joint_reason": why, "joint_supervision_at": self.now(), "case_deadline": None, "stage": "联合督办"}

    def joint_recorded(self, data: dict) -> dict:
        """joint_supervision_recorded: the inspection, the city and district deputies who took part and the
        on-site meeting (现场办公) on record; then the proposer evaluates again, counted from now."""
        record = {"at": self.now(), "reason": data.get("joint_reason") or "",
                  "inspection_date": data.get("inspection_date"), "participants": data.get("joint_participants"),
                  "findings": data.get("joint_findings"), "onsite_meeting": bool(data.get("onsite_meeting")),
                  "onsite_date": data.get("onsite_date"), "onsite_summary": data.get("onsite_summary") or ""}
        return {"joint_records": [*(data.get("joint_records") or []), record], "joint_requested": False,
                "reply_poor": False, "reply_released_at": None, "stage": "联合督办后再测评"}


def register(ctx: Any) -> None:
    h = EvaluationHandlers(ctx)
    for topic, handler in {
        "evaluation_open": h.open, "evaluation_recorded": h.recorded, "evaluation_not_answered": h.not_answered,
        "rehandling_open": h.rehandling_open, "rehandling_replied": h.rehandling_replied,
        "joint_supervision_open": h.joint_open, "joint_supervision_recorded": h.joint_recorded,
    }.items():
        ctx.script_engine.register_service(topic, handler)

