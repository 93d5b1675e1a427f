"""Deputies' suggestions (人大代表建议): the service-task handlers bpmn/suggestion.bpmn calls by name.

The model holds the flow; these handlers keep the case data the way DOMAIN.md names it: the settings
the deadlines are computed from, the review records, the units of an assignment with their sign-in,
the checklist milestones, and `stage`, the step a person would name on the case list.
Each handler gets a copy of the task data and returns what changes.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from engine.errors import Invalid

from . import arbitration, evaluation, merging, sessions, split
from .cases import CaseHandlers, names, task_days

SETTINGS = ("sign_in_working_days", "reply_months", "max_reply_months", "assist_opinion_months",
            "evaluation_working_days", "rehandling_months", "max_rehandling_rounds", "max_contest_rounds")
# the tasks whose deadline is config's task_working_days (evaluation_rehandling's included)
TASKS = ("confirm_cosign", "pre_review", "revise", "assign", "arbitrate", "review_reply", "disclose", "take_charge",
         "interview_head", "review_rehandled", "joint_supervision", "plan_checklist", "list_in_plan", "acceptance",
         "confirm_implementation",
         "name_leaders")  # the office names each re-handling round's leaders in charge (workflows.leaders)
_DATED_LINE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*[:：、,，]?\s*(.+)$")


class SuggestionHandlers(CaseHandlers):
    """The handlers, bound to the context's settings, calendar and zone."""

    # ------------------------------------------------------------ 1 submit

    def init(self, data: dict) -> dict:
        """suggestion_init: the settings deadlines are computed from, and the co-signers to ask."""
        if not data.get("proposer"):
            raise ValueError("a suggestion names its lead deputy: the user name in `proposer`")
        cosigners = [n for n in names(data.get("cosigners")) if n != data["proposer"]]
        return {
            **{key: self.config[f"suggestion.{key}"] for key in SETTINGS},
            "task_working_days": task_days(self.config, "suggestion", TASKS),
            "case_type": "suggestion", "submitted_at": self.now(), "stage": "待联名确认" if cosigners else "待审核",
            "proposer_name": data.get("proposer_name") or data["proposer"],
            "cosigners": cosigners, "cosign_requests": [{"cosigner": name} for name in cosigners],
            "cosigner_confirmations": {}, "review_records": [], "in_session": bool(data.get("in_session")),
            "priority": bool(data.get("priority")), "flagged": bool(data.get("flagged")),
            "rehandling_rounds": 0, "joint_supervision": False, "reply_poor": False,
            **sessions.fill(self.config, "suggestion", data),  # 届次: the one chosen, else config's current
        }

    def cosign(self, data: dict) -> dict:
        """suggestion_cosign (one co-signer, inside the multi-instance): their answer and its time."""
        request = dict(data["cosign_request"])
        request.update(agreed=bool(data.get("cosign_agree")), comment=data.get("cosign_comment") or "", at=self.now())
        return {"cosign_request": request}

    def cosigned(self, data: dict) -> dict:
        """suggestion_cosigned: co-signers who agreed stay on the suggestion, with the time they signed; one
        who did not answer by the deadline (the boundary timer ended their task: no `at`) is left off."""
        answers = data.get("cosign_requests") or []
        agreed = [a for a in answers if a.get("agreed")]
        return {"cosigners": [a["cosigner"] for a in agreed],
                "cosigner_confirmations": {a["cosigner"]: a["at"] for a in agreed},
                "cosigners_declined": [a["cosigner"] for a in answers if not a.get("agreed") and a.get("at")],
                "cosigners_lapsed": [a["cosigner"] for a in answers if not a.get("at")],
                "stage": "待审核"}

    # ------------------------------------------------------------ 2 pre-review

    def review(self, data: dict) -> dict:
        """suggestion_review: the pre-review's outcome on the record; returned ones go back to the deputy."""
        outcome = data.get("review_outcome")
        record = {"level": "pre_review", "outcome": outcome, "reason": data.get("review_reason") or "",
                  "ground": data.get("return_ground") or "", "at": self.now()}
        if outcome == "merge":  # 并案: it waits for the main suggestion's reply, with a deadline of its own
            due = self.calendar.add_months(self.today(), int(self.config["suggestion.merged_wait_months"]))
            record["main_case"] = data.get("merged_into") or ""
            return {"review_records": [*(data.get("review_records") or []), record], "stage": "已并案",
                    "case_deadline": due.isoformat()}
        return {"review_records": [*(data.get("review_records") or []), record], "merged_into": "",
                "stage": "待交办" if outcome == "accept" else "退回修改"}

    def revised(self, data: dict) -> dict:
        """suggestion_revised: resubmitted for review, or withdrawn by the deputy."""
        if data.get("revise_action") == "withdraw":
            return {"review_outcome": "withdraw", "withdrawn_at": self.now(), "stage": "已撤回"}
        # the next review is a new one: its outcome and reason are asked afresh (the old ones are on record)
        return {"revisions": int(data.get("revisions") or 0) + 1, "review_outcome": None, "review_reason": "",
                "return_ground": None, "stage": "待审核"}

    # ------------------------------------------------------------ 3 assign, 4 sign in

    def assign(self, data: dict) -> dict:
        """suggestion_assign (四定): the units, the deadline from the assignment, the sign-ins to collect."""
        lead = str(data.get("lead_unit") or "").strip()
        assist = [u for u in names(data.get("assist_unit_ids")) if u != lead]
        parts = split.plan(lead, split.split_of(data), assist)  # 分办: each split unit answers its own part
        role = "split" if parts["split_units"] else "lead"
        months = int(data.get("deadline_months") or data["reply_months"])
        months = max(1, min(months, int(data["max_reply_months"])))
        assigned_at = self.now()
        reply_due = self.calendar.add_months(date.fromisoformat(assigned_at[:10]), months).isoformat()
        sign_in_due = self.calendar.add_working_days(assigned_at, data["sign_in_working_days"])
        assignment = {"lead_unit": lead, "assist_units": assist, "responsible_person": data.get("responsible_person"),
                      "assigned_at": assigned_at, "reply_due": reply_due, "split_units": parts["split_units"]}
        return {
            "lead_unit": lead, "assist_units": assist, "assigned_at": assigned_at, "reply_due": reply_due,
            "extension_months": max(0, months - int(data["reply_months"])), "sign_in_due": sign_in_due[:10],
            "case_deadline": reply_due, "priority": bool(data.get("priority")),
            "sign_ins": [{"unit": lead, "role": role},
                         *({"unit": u, "role": "split"} for u in parts["split_units"][1:]),
                         *({"unit": u, "role": "assist"} for u in assist)], **parts,
            "assignments": [*(data.get("assignments") or []), assignment],
            "contested_by": "", "contest_reason": "", "stage": "待签收",
            # the communications about the handling date from the assignment on (engine.cases.notes)
            "contacts_from": assigned_at,
            **arbitration.assignment({**data, "lead_unit": lead}, "liaison_office", assigned_at),
        }

    def sign_in(self, data: dict) -> dict:
        """suggestion_sign_in (one unit, inside the multi-instance): signed in, or contested with a reason."""
        entry = dict(data["sign_in"])
        entry.update(decision=data.get("sign_in_decision"), reason=data.get("contest_reason") or "", at=self.now())
        return {"sign_in": entry}

    def signed_in(self, data: dict) -> dict:
        """suggestion_signed_in: any contest sends the case back to the assigning office with the reasons."""
        contests = [s for s in data.get("sign_ins") or [] if s.get("decision") == "contest"]
        if contests:
            return {"sign_in_contested": True, "contest_rounds": int(data.get("contest_rounds") or 0) + 1,
                    "contested_by": ", ".join(s["unit"] for s in contests),
                    "contest_reason": "；".join(f"{s['unit']}：{s['reason']}" for s in contests), "stage": "待交办"}
        return {"sign_in_contested": False, "signed_in_at": self.now(), "stage": "办理中"}

    # ------------------------------------------------------------ merge (并案)

    def merged_reply(self, data: dict) -> dict:
        """suggestion_merged_reply: the main suggestion's reply arrived on this merged one; its deputy evaluates
        it too (evaluate_merged), counted for the main suggestion's lead unit."""
        return merging.reply_received(self, data)

    def merged_evaluated(self, data: dict) -> dict:
        """suggestion_merged_evaluated: the merged deputy's rating, or not evaluated when the period ended."""
        return merging.evaluated(self, data)

    def main_ended(self, data: dict) -> dict:
        """suggestion_main_ended: the main suggestion ended without a reply: the merge is undone and the
        liaison office reviews this one again."""
        record = {"level": "merge_undone", "outcome": "merge_undone", "reason": data.get("main_case_ended") or "",
                  "main_case": data.get("merged_into") or "", "at": self.now()}
        return {"merged_into": "", "review_outcome": None, "stage": "待审核", "case_deadline": None,
                "review_records": [*(data.get("review_records") or []), record]}

    # ------------------------------------------------------------ 7 reply

    def replied(self, data: dict) -> dict:
        """suggestion_replied: the unit's reply reaches the assigning office; its class is the unit's proposal."""
        replied_at = data.get("replied_at") or self.now()
        due = data.get("reply_due")
        return {"replied_at": replied_at, "proposed_result_class": data.get("result_class"),
                "replied_on_time": bool(due) and str(replied_at)[:10] <= str(due)[:10],
                "first_replied_at": data.get("first_replied_at") or replied_at,
                "case_deadline": None, "stage": "待审核答复"}

    def reply_reviewed(self, data: dict) -> dict:
        """suggestion_reply_reviewed: the office may change the class, or judge the reply poor (二次办理)."""
        poor = data.get("reply_review_outcome") == "poor"
        record = {"level": "reply_review", "outcome": data.get("reply_review_outcome"),
                  "reason": data.get("reply_review_note") or "", "result_class": data.get("result_class"),
                  "at": self.now()}
        # an approved reply goes to the deputy now: the evaluation period counts from here
        return {"reply_poor": poor, "review_records": [*(data.get("review_records") or []), record],
                "reply_released_at": None if poor else self.now(),
                "result_class_changed": data.get("result_class") != data.get("proposed_result_class"),
                "stage": "已答复"}

    # ------------------------------------------------------------ 10 implement

    def implementation(self, data: dict) -> dict:
        """suggestion_implementation: after the evaluation, the results are followed up (清单式管理); a D
        result (kept for reference) goes straight on to be closed."""
        return {"case_deadline": None, "stage": "落实中"}

    def checklist(self, data: dict) -> dict:
        """suggestion_checklist: milestones scheduled back from the target date (倒排工期), one per line;
        a line without its own date is spread evenly between today and the target date."""
        target = date.fromisoformat(str(data["target_date"])[:10])
        lines = [line.strip() for line in str(data.get("milestones") or "").splitlines() if line.strip()]
        items, undated = [], []
        for line in lines:
            match = _DATED_LINE.match(line)
            if match:
                items.append({"milestone": match.group(2).strip(), "due": match.group(1), "done": False})
            else:
                undated.append(len(items))
                items.append({"milestone": line, "due": None, "done": False})
        start, count = self.today(), len(undated)
        for rank, index in enumerate(undated, start=1):
            due = start + (target - start) * rank / count if target > start else target
            items[index]["due"] = due.isoformat()
        items.sort(key=lambda item: item["due"])
        return {"checklist": items, "case_deadline": target.isoformat(), "implemented": False, "in_plan": False}

    def milestone(self, data: dict) -> dict:
        """suggestion_milestone (one milestone, inside the multi-instance): closed out (销号), or delayed with
        its reason and a new date (the task comes back, due then)."""
        item = dict(data["milestone"])
        if data.get("milestone_status") == "delayed":
            delay = {"reason": data.get("milestone_result") or "", "from": item.get("due"), "at": self.now(),
                     "to": str(data.get("milestone_new_due") or "")[:10]}
            item.update(due=delay["to"] or item.get("due"), done=False, delays=[*(item.get("delays") or []), delay])
            return {"milestone": item}
        item.update(done=True, done_at=self.now(), result=data.get("milestone_result") or "")
        return {"milestone": item}

    def rework(self, data: dict) -> dict:
        """suggestion_rework: confirmed not implemented, the unit went on to a new milestone date; the item
        joins the checklist, closed out with its result, and the implementation is confirmed again."""
        item = {"milestone": data.get("rework_milestone") or "继续落实", "due": str(data.get("rework_due") or "")[:10],
                "done": True, "done_at": self.now(), "result": data.get("rework_result") or "", "rework": True}
        return {"checklist": [*(data.get("checklist") or []), item],
                "rework_rounds": int(data.get("rework_rounds") or 0) + 1, "implemented": False}

    def close(self, data: dict) -> dict:
        """suggestion_close: 已办结. Implemented when confirmed together and every milestone is closed out."""
        checklist = data.get("checklist") or []
        implemented = bool(data.get("implemented")) and all(item.get("done") for item in checklist)
        return {"implemented": implemented, "in_plan": bool(data.get("plan_name")),
                "interviewed": bool(data.get("interviewed")), "closed_at": self.now(),
                "case_deadline": None, "stage": "已办结"}


def check_checklist(session: Any, case: Any, task: Any, submitted: dict[str, Any]) -> None:
    """制定落实清单: every dated milestone line names a real day (2027-02-30 is refused beside the field,
    not left for the checklist's deadlines to trip over)."""
    if task.element_id != "plan_checklist":
        return
    problems = []
    for number, line in enumerate(str(submitted.get("milestones") or "").splitlines(), start=1):
        match = _DATED_LINE.match(line)
        if not match:
            continue
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            problems.append(f"第{number}行的日期 {match.group(1)} 不存在")
            continue
        if not 2000 <= day.year <= 2100:
            problems.append(f"第{number}行的日期 {match.group(1)} 不在 2000 至 2100 年之间")
    if problems:
        raise Invalid("；".join(problems), [{"field": "milestones", "message": "；".join(problems)}])


def register(ctx: Any) -> None:
    """Register the suggestion handlers (and the shared evaluation ones) on the context's script engine."""
    h = SuggestionHandlers(ctx)
    for topic, handler in {
        "suggestion_init": h.init, "suggestion_cosign": h.cosign, "suggestion_cosigned": h.cosigned,
        "suggestion_review": h.review, "suggestion_revised": h.revised, "suggestion_assign": h.assign,
        "suggestion_sign_in": h.sign_in, "suggestion_signed_in": h.signed_in, "suggestion_replied": h.replied,
        "suggestion_reply_reviewed": h.reply_reviewed, "suggestion_implementation": h.implementation,
        "suggestion_checklist": h.checklist, "suggestion_milestone": h.milestone, "suggestion_close": h.close,
        "suggestion_rework": h.rework, "suggestion_merged_reply": h.merged_reply,
        "suggestion_merged_evaluated": h.merged_evaluated,
        "suggestion_main_ended": h.main_ended,
    }.items():
        ctx.script_engine.register_service(topic, handler)
    ctx.completion_checks.append(check_checklist)
    split.register(ctx, h)
    merging.register(ctx)
    evaluation.register(ctx)
