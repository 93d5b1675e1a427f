"""CPPCC proposals (政协提案): the service-task handlers of bpmn/proposal.bpmn, the checks on its forms,
and the delivery of a main proposal's reply to the proposals merged into it (并案).

Merged proposals: the merged case waits at the message event `merged_reply`; when the main case's reply
is released (its data gains `reply_released_at`), the save listener of workflows.merging delivers the reply to
every running proposal whose `merged_into` is the main case's number and that waits for it, in the same
transaction.
So each proposer gets the reply on their own case.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Invalid
from engine.store import Case, Group

from . import arbitration, evaluation, merging, sessions, unit_handling
from .cases import CaseHandlers, names, task_days

KEY = "proposal"
DURATIONS = ("sign_in_working_days", "consult_working_days", "reply_months", "evaluation_working_days",
             "rehandling_months", "max_rehandling_rounds", "merged_wait_months", "max_contest_rounds",
             "max_return_rounds")
# the tasks whose deadline is config's task_working_days (evaluation_rehandling's included)
TASKS = ("submit_proposal", "confirm_cosign", "verify_collective", "initial_review", "re_review", "joint_review",
         "review_decision", "directors_second_look", "notify_rejection", "forward_rejected", "assign_proposal",
         "choose_key_proposal", "arbitrate", "review_reply", "disclose", "take_charge", "interview_head",
         "review_rehandled", "joint_supervision", "record_results",
         "name_leaders", "leader_review_reply")  # leaders in charge (workflows.leaders)
REPLY_FIELDS = ("reply_doc_no", "reply_text", "result_class", "reply_signer", "replied_at", "face_reply",
                "face_reply_by", "face_reply_date")
STAGES = {"accept": "待交办", "reject": "不立案", "merge": "已并案", "withdraw": "已撤回"}
LEVELS = (("initial", "initial_outcome", "initial_reason"), ("re_review", "re_review_outcome", "re_review_reason"))


class ProposalHandlers(CaseHandlers):
    """The handlers close over the settings and the business calendar (ctx.config, ctx.calendar)."""

    # ------------------------------------------------------------ submission

    def init(self, data: dict) -> dict:
        """proposal_init: the case type, the durations from config.yaml, defaults the gateways read."""
        if not data.get("proposer"):
            raise ValueError("a proposal needs its proposer (the member's user name) in the data")
        result = {name: self.config[f"{KEY}.{name}"] for name in DURATIONS}
        result["task_working_days"] = task_days(self.config, KEY, TASKS)
        result.update(case_type=KEY, submission_kind=data.get("submission_kind") or "individual",
                      cosigners=names(data.get("cosigners")), priority=bool(data.get("priority")),
                      # the start form's co-signers fill in the submission form's text field
                      cosigners_text=data.get("cosigners_text") or ", ".join(names(data.get("cosigners"))),
                      merged_into=data.get("merged_into") or "", forward_as="", review_records=[], key_chosen=False,
                      stage="待提交")
        result.update(sessions.fill(self.config, KEY, data))  # 届次: the one chosen, else config's current
        return result

    def submitted(self, data: dict) -> dict:
        """proposal_submitted: co-signers are asked to confirm (joint proposals); the review starts."""
        kind = data.get("submission_kind") or "individual"
        cosigners = [n for n in names(data.get("cosigners_text")) if n != data.get("proposer")]
        return {"submitted_at": self.now(), "stage": "待审核", "submission_problem": None,
                "cosigners": cosigners if kind == "joint" else [],
                "cosign_requests": {n: {"user": n} for n in cosigners} if kind == "joint" else {}}

    def returned(self, data: dict) -> dict:
        """proposal_returned: a collective proposal without the organisation's seal goes back to the member."""
        reason = data.get("collective_check_reason") or "集体提案须加盖提案单位公章"
        return {"stage": "退回修改", "submission_problem": reason}

    def cosign(self, data: dict) -> dict:
        request = dict(data["cosign"])
        request.update(decision=data.get("cosign_decision"), at=self.now())
        return {"cosign": request}

    def cosigned(self, data: dict) -> dict:
        """proposal_cosigned: only the members who confirmed stay co-signers; none left = an individual proposal."""
        requests = data.get("cosign_requests") or {}
        confirmed = {n: r["at"] for n, r in requests.items() if r.get("decision") == "confirm"}
        # one who did not answer by the deadline (the boundary timer ended their task: no `at`) is left off
        return {"cosigners": list(confirmed), "cosigner_confirmations": confirmed,
                "cosigners_declined": [n for n, r in requests.items() if n not in confirmed and r.get("at")],
                "cosigners_lapsed": [n for n, r in requests.items() if not r.get("at")],
                "submission_kind": "joint" if confirmed else "individual"}

    # ------------------------------------------------------------ three-level review

    def joint_review(self, data: dict) -> dict:
        """proposal_joint_review: the departments that would handle it review it together (部门联审)."""
        return {"joint_reviews": {u: {"unit": u} for u in names(data.get("review_units"))}}

    def joint_opinion(self, data: dict) -> dict:
        opinion = dict(data["joint_review"])
        opinion.update(decision=data.get("joint_decision"), reason=data.get("joint_reason") or "", at=self.now())
        return {"joint_review": opinion}

    def reviewed(self, data: dict) -> dict:
        """proposal_reviewed: the three levels and the decision become review records; the stage follows."""
        records = list(data.get("review_records") or [])
        for level, outcome, reason in LEVELS:
            if data.get(outcome):
                records.append({"level": level, "outcome": data[outcome], "reason": data.get(reason) or "",
                                "reviewer": "proposal_committee"})
        for unit, opinion in (data.get("joint_reviews") or {}).items():
            records.append({"level": "joint", "outcome": opinion.get("decision"), "reason": opinion.get("reason", ""),
                            "reviewer": unit})
        outcome = data.get("review_outcome")
        # withdrawn from the portal during the review: the member's own decision, not the committee's
        by_member = outcome == "withdraw" and data.get("withdrawn_by")
        records.append({"level": "decision", "outcome": outcome, "reason": data.get("review_reason") or "",
                        "reviewer": data["withdrawn_by"] if by_member else "proposal_committee"})
        result = {"review_records": records, "stage": STAGES[outcome], "reviewed_at": self.now()}
        if by_member:
            result["withdrawn_at"] = self.now()
        if outcome == "merge":
            # waiting for the main proposal's reply has a deadline too: it escalates when none came
            due = self.calendar.add_months(self.today(), int(data.get("merged_wait_months") or
                                                              self.config["proposal.merged_wait_months"]))
            result["case_deadline"] = due.isoformat()
        else:
            result["merged_into"] = ""
        if outcome != "reject":
            result["reject_ground"] = None
        return result

    def second_look(self, data: dict) -> dict:
        """proposal_second_look: the directors uphold the rejection or overturn it (then it is accepted)."""
        overturned = data.get("second_look") == "overturn"
        record = {"level": "directors", "outcome": "accept" if overturned else "reject",
                  "reason": data.get("second_look_reason") or "", "reviewer": "proposal_directors"}
        result = {"review_records": [*(data.get("review_records") or []), record],
                  "stage": "待交办" if overturned else "不立案"}
        if overturned:
            result.update(review_outcome="accept", reject_ground=None)
        return result

    def forward_consent(self, data: dict) -> dict:
        consent = data.get("forward_consent")
        return {"forward_as": consent if consent in ("social_conditions", "letter") else ""}

    # ------------------------------------------------------------ assignment and sign-in

    def assigned(self, data: dict) -> dict:
        """proposal_assigned (四定): units, the deadline counted from today, sign-in requests to every unit."""
        now, today = self.now(), self.today()
        lead = data["lead_unit"].strip()
        assist = [u for u in names(data.get("assist_unit_ids")) if u != lead]
        months = int(data.get("deadline_months") or data["reply_months"])
        units = {lead: {"unit": lead, "role": "lead"}, **{u: {"unit": u, "role": "assist"} for u in assist}}
        due = self.calendar.add_months(today, months).isoformat()
        # the sign-in has its own due date on its task; the case's deadline is the reply's
        return {"lead_unit": lead, "assist_units": assist, "assigned_at": now, "extension_months": 0,
                "contacts_from": now, "key_chosen": True,  # the directors choose key proposals once
                # a key proposal's supervising leader reads the reply before it goes out
                "leader_review_needed": bool(data.get("priority")) and bool(data.get("leader_cppcc")),
                **arbitration.assignment({**data, "lead_unit": lead}, "proposal_committee", now),
                "reply_due": due, "case_deadline": due, "sign_ins": units, "contested": False, "stage": "待签收"}

    def sign_in(self, data: dict) -> dict:
        entry = dict(data["sign_in"])
        entry.update(decision=data.get("sign_in_decision"), reason=data.get("contest_reason") or "", at=self.now())
        return {"sign_in": entry}

    def signed_in(self, data: dict) -> dict:
        """proposal_signed_in: any unit contesting sends the case back to the committee for a new assignment."""
        contested = {u: e for u, e in (data.get("sign_ins") or {}).items() if e.get("decision") == "contest"}
        if contested:
            return {"contested": True, "contested_by": "、".join(contested), "stage": "待交办",
                    "contest_rounds": int(data.get("contest_rounds") or 0) + 1,
                    "contest_reason": "；".join(f"{u}：{e['reason']}" for u, e in contested.items())}
        return {"contested": False, "contested_by": None, "contest_reason": None, "stage": "办理中"}

    # ------------------------------------------------------------ reply and after

    def reply_released(self, data: dict) -> dict:
        """proposal_reply_released: the reviewed reply goes to the member (and to merged proposals)."""
        returns, limit = int(data.get("handling_round") or 1) - 1, int(data.get("max_return_rounds") or 0)
        decided = {"arbitrations": arbitration.record(data, "reply_returns", "proposal_committee", self.now(),
                                                      rounds=returns, reason=data.get("reply_review_comment") or "")
                   } if limit and returns >= limit else {}
        if data.get("leader_reply_opinion"):
            review = {"leader": data.get("leader_cppcc"), "opinion": data["leader_reply_opinion"], "at": self.now()}
            decided["leader_reviews"] = [*(data.get("leader_reviews") or []), review]
            decided["leader_reply_opinion"] = None
        return {**decided, "reply_released_at": self.now(), "stage": "已答复",
                "class_changed": bool(data.get("unit_result_class")) and
                data.get("unit_result_class") != data.get("result_class")}

    def merged_reply(self, data: dict) -> dict:
        """proposal_merged_reply: the main proposal's reply arrived; its proposer evaluates it too."""
        return merging.reply_received(self, data)

    def merged_evaluated(self, data: dict) -> dict:
        """proposal_merged_evaluated: the merged proposer's rating, or not evaluated when the period ended."""
        return merging.evaluated(self, data)

    def main_ended(self, data: dict) -> dict:
        """proposal_main_ended: the main proposal ended without a reply (rejected, withdrawn, merged on):
        the merge is undone and the committee decides this proposal again."""
        record = {"level": "merge_undone", "outcome": "merge_undone", "reviewer": "proposal_committee",
                  "reason": data.get("main_case_ended") or "", "main_case": data.get("merged_into") or ""}
        return {"merged_into": "", "review_outcome": None, "stage": "待审核", "case_deadline": None,
                "review_records": [*(data.get("review_records") or []), record]}

    def closed(self, data: dict) -> dict:
        return {"stage": "已办结", "closed_at": self.now(), "case_deadline": None}

    def services(self) -> dict:
        return {
            "proposal_init": self.init, "proposal_submitted": self.submitted, "proposal_returned": self.returned,
            "proposal_cosign": self.cosign, "proposal_cosigned": self.cosigned,
            "proposal_joint_review": self.joint_review, "proposal_joint_opinion": self.joint_opinion,
            "proposal_reviewed": self.reviewed, "proposal_second_look": self.second_look,
            "proposal_forward_consent": self.forward_consent, "proposal_assigned": self.assigned,
            "proposal_sign_in": self.sign_in, "proposal_signed_in": self.signed_in,
            "proposal_reply_released": self.reply_released, "proposal_merged_reply": self.merged_reply,
            "proposal_merged_evaluated": self.merged_evaluated,
            "proposal_closed": self.closed, "proposal_main_ended": self.main_ended,
        }


# ---------------------------------------------------------------- form checks

def check_forms(session: Session, case: Case, task: Any, submitted: dict[str, Any]) -> None:
    """What a form's constraints cannot say: a joint proposal names co-signers, a collective one its
    organisation; a rejection names its ground, a merge an existing other proposal."""
    if case.process_key != KEY:
        return
    data = {**(case.data or {}), **submitted}
    problems = []
    if task.element_id == "submit_proposal":
        kind = data.get("submission_kind")
        others = [n for n in names(data.get("cosigners_text")) if n != data.get("proposer")]
        if kind == "joint" and not others:
            problems.append({"field": "cosigners_text", "message": "联名提案须填写联名委员"})
        if kind == "collective" and not str(data.get("collective_org") or "").strip():
            problems.append({"field": "collective_org", "message": "集体提案须填写提案单位"})
    elif task.element_id == "re_review":
        problems.extend(_unit_problems(session, names(data.get("review_units"))))
    elif task.element_id == "review_decision":
        outcome = data.get("review_outcome")
        if outcome == "reject" and not data.get("reject_ground"):
            problems.append({"field": "reject_ground", "message": "不立案须选择理由"})
        if outcome == "merge":
            problems.extend(_merge_problems(session, case, str(data.get("merged_into") or "").strip()))
    if problems:
        raise Invalid("；".join(p["message"] for p in problems), problems)


def _unit_problems(session: Session, units: list[str]) -> list[dict]:
    """会后再审's joint-review departments: each a unit's code the service knows (a group name)."""
    too_long = [u for u in units if len(u) > 100]
    if too_long:
        return [{"field": "review_units", "message": f"单位编码过长（{len(too_long[0])} 个字符，至多 100）"}]
    known = set(session.scalars(select(Group.name).where(Group.name.in_(units)))) if units else set()
    unknown = [u for u in units if u not in known]
    if unknown:
        return [{"field": "review_units", "message": f"没有编码为 {'、'.join(unknown[:5])} 的单位"}]
    return []


def _merge_problems(session: Session, case: Case, number: str) -> list[dict]:
    if not number:
        return [{"field": "merged_into", "message": "并案须填写并入的提案编号"}]
    if number == case.number:
        return [{"field": "merged_into", "message": "不能并入本案"}]
    main = session.scalar(select(Case).where(Case.number == number, Case.process_key == KEY))
    if main is None:
        return [{"field": "merged_into", "message": f"没有编号为 {number} 的提案"}]
    if (main.data or {}).get("reply_released_at") or main.status != "running":
        # its reply has gone out: nothing would bring it to this proposal, so it is handled on its own
        return [{"field": "merged_into", "message": f"提案 {number} 已答复，不能再并入，请立案单独办理"}]
    return []


# ---------------------------------------------------------------- merged proposals

def _reply(data: dict[str, Any]) -> dict[str, Any] | None:
    """The main proposal's reply once released, with what the merged proposer's rating counts under."""
    if not data.get("reply_released_at"):
        return None
    return {**{name: data.get(name) for name in REPLY_FIELDS}, **merging.main_facts(data)}


def register(ctx: Any) -> None:
    unit_handling.register(ctx)
    evaluation.register(ctx)  # also registered by the suggestions; the proposal calls it too
    for topic, handler in ProposalHandlers(ctx).services().items():
        ctx.script_engine.register_service(topic, handler)
    ctx.completion_checks.append(check_forms)
    ctx.save_listeners.append(merging.deliver_merged_replies(ctx, KEY, STAGES["merge"], _reply))
