"""Deputies' suggestions walked through bpmn/suggestion.bpmn (with unit_handling and evaluation_rehandling)
by the people of the district: every path of DOMAIN.md's suggestion section."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from engine.errors import Invalid

from .conftest import ZONE, District

SUGGESTION = {
    "title": "关于在实验小学门前增设交通信号灯的建议", "body": "上下学高峰时段学生过街不安全，建议增设信号灯并配备协管员。",
    "category": "交通", "proposer": "deputy_wang", "proposer_name": "王代表", "cosigners": ["deputy_li"],
    "term": 18, "session": 3, "session_label": "十八届人大三次会议", "in_session": True,
}
LEAD = "unit_transport"


def submit(district: District, **changes) -> int:
    return district.start("deputy_wang", "suggestion", {**SUGGESTION, **changes})


def accepted(district: District, **changes) -> int:
    """Submitted, co-signed by deputy_li and accepted at pre-review: waiting for assignment."""
    case = submit(district, **changes)
    if district.data(case)["cosigners"]:
        district.complete("deputy_li", case, "confirm_cosign", {"cosign_agree": True})
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "accept"})
    return case


def assign(district: District, case: int, lead: str = LEAD, assist: tuple[str, ...] = (), **extra) -> None:
    district.complete("liaison_clerk", case, "assign", {
        "category": "交通", "lead_unit": lead, "assist_unit_ids": ",".join(assist),
        "responsible_person": "张科长", **extra})


def signed_in(district: District, lead: str = LEAD, assist: tuple[str, ...] = (), **changes) -> int:
    """Accepted, assigned to `lead` (and `assist`), every unit signed in: the lead unit handles it."""
    case = accepted(district, **changes)
    assign(district, case, lead, assist)
    for unit in (lead, *assist):
        district.complete(f"{unit}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    return case


def reply(district: District, case: int, result_class: str = "A", unit: str = LEAD, face: bool = True) -> None:
    """The lead unit talks with the deputy before and during the handling, replies, its head replies face
    to face; assisting units' opinions (if any were asked) must be in already."""
    district.note(f"{unit}_clerk", case, "contact_before", "了解代表的真实意图")
    district.note(f"{unit}_clerk", case, "contact_during", "通报办理进展")
    district.complete(f"{unit}_clerk", case, "handle_suggestion", {"handling_summary": "已现场调研并制定方案"})
    district.complete(f"{unit}_clerk", case, "draft_reply", {
        "reply_doc_no": "崂交建〔2026〕12号", "reply_text": "经研究，拟于年内增设信号灯。", "result_class": result_class,
        "face_reply": face, "reply_signer": "李局长"})
    if face:
        district.complete(f"{unit}_chief", case, "head_face_reply", {
            "face_reply_by": "李局长", "face_reply_place": "沙子口街道代表联络站", "face_reply_date": "2026-04-20"})


def replied(district: District, result_class: str = "A", **changes) -> int:
    """Replied and reviewed as good: the deputy evaluates (the final reply is disclosed after that)."""
    case = signed_in(district, **changes)
    reply(district, case, result_class)
    district.complete("liaison_clerk", case, "review_reply",
                      {"result_class": result_class, "reply_review_outcome": "approve"})
    return case


def evaluate(district: District, case: int, work: str, result: str | None = None) -> None:
    """The deputy rates; when that ends the evaluation, the office discloses the final reply in full."""
    district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": work, "satisfaction_result": result or work,
                                                       "evaluation_comment": "评价意见"})
    disclose(district, case)


def disclose(district: District, case: int, **choice) -> None:
    if "disclose" in district.open_elements(case):
        district.complete("liaison_clerk", case, "disclose", choice or {"disclosure": "full"})


def name_leaders(district: District, case: int, body: str = "congress_leader",
                 government: str = "government_leader") -> None:
    """The liaison office names the round's leaders in charge (包案): one of the congress, one of the government."""
    district.complete("liaison_clerk", case, "name_leaders", {"round_leader_body": body,
                                                              "round_leader_government": government})


def rehandle(district: District, case: int, leader: str = "congress_leader", interview: bool = False) -> None:
    """One re-handling round: the office names the leaders, one takes charge, the unit replies again, the office
    reviews it."""
    name_leaders(district, case)
    district.complete(leader, case, "take_charge", {"supervision_opinion": "限期办结", "interview": interview})
    if interview:
        district.complete(leader, case, "interview_head", {"interview_date": "2026-05-20", "interview_summary": "约谈局长"})
    reply(district, case, "B", face=False)
    district.complete("liaison_clerk", case, "review_rehandled", {"result_class": "B"})


def close_out(district: District, case: int) -> None:
    """A/B result: for B the unit schedules milestones back from the target date and closes them out (A is
    solved already); the deputy accepts on site; the communication after handling is recorded and the
    implementation confirmed together."""
    if "plan_checklist" in district.open_elements(case):
        district.complete(f"{LEAD}_clerk", case, "plan_checklist", {
            "target_date": "2026-10-31", "milestones": "2026-07-15 完成设计\n完成施工\n组织验收"})
        assert district.complete_each(f"{LEAD}_clerk", case, "close_milestone", {"milestone_result": "已完成"}) == 3
    district.complete("deputy_wang", case, "acceptance", {"acceptance_date": "2026-10-20", "acceptance_confirmed": True})
    district.note(f"{LEAD}_clerk", case, "contact_after", "与代表、区人大分管领导共同确认")
    district.complete("liaison_clerk", case, "confirm_implementation", {
        "confirm_leader": "区人大常委会副主任", "confirm_summary": "信号灯已投入使用", "implemented": True})


# ---------------------------------------------------------------- the whole way


def test_accepted_and_satisfied_runs_to_closed(district: District):
    case = submit(district)
    assert district.case(case).stage == "待联名确认"
    assert district.task(case, "confirm_cosign").candidate_users == ["deputy_li"]
    district.complete("deputy_li", case, "confirm_cosign", {"cosign_agree": True})
    data = district.data(case)
    assert data["cosigners"] == ["deputy_li"] and "deputy_li" in data["cosigner_confirmations"]
    assert district.case(case).stage == "待审核"

    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "accept"})
    assert district.case(case).stage == "待交办"
    assign(district, case, priority=True, leader_congress="congress_leader", leader_government="government_leader")
    data = district.data(case)
    assert data["reply_due"] == "2026-06-02"  # three months from the assignment on 2 March
    assert data["case_deadline"] == "2026-06-02" and data["priority"] is True
    sign_in = district.task(case, "sign_in_or_contest")
    assert sign_in.candidate_groups == [LEAD]
    # five working days after Monday 2 March: the next Monday, at the time of the assignment
    assert sign_in.due_at == datetime.fromisoformat(data["assigned_at"]) + timedelta(days=7)
    assert sign_in.due_at.astimezone(ZONE).date() == date(2026, 3, 9)
    assert district.case(case).stage == "待签收"

    district.complete(f"{LEAD}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    assert district.case(case).stage == "办理中"
    district.advance(days=40)
    reply(district, case, "A")
    assert district.case(case).stage == "待审核答复"
    district.complete("liaison_clerk", case, "review_reply", {"result_class": "A", "reply_review_outcome": "approve"})
    assert district.case(case).stage == "待测评"
    evaluation = district.task(case, "evaluate")
    assert evaluation.candidate_users == ["deputy_wang"]
    assert evaluation.due_at is not None

    evaluate(district, case, "satisfied", "basically_satisfied")
    assert district.case(case).stage == "落实中"
    close_out(district, case)

    closed = district.case(case)
    assert (closed.status, closed.stage) == ("completed", "已办结")
    data = closed.data
    assert (data["satisfaction_work"], data["satisfaction_result"]) == ("satisfied", "basically_satisfied")
    assert data["implemented"] is True and data["rehandling_rounds"] == 0 and data["flagged"] is False
    # class A is solved already: no milestones to plan, the deputy accepted it on site
    assert not data.get("checklist") and data["acceptance_confirmed"] is True
    assert data["replied_on_time"] is True and data["disclosure"] == "full"


def test_returned_for_revision_then_accepted(district: District):
    case = submit(district, cosigners=[])
    assert district.case(case).stage == "待审核"
    district.complete("liaison_clerk", case, "pre_review", {
        "review_outcome": "return", "return_ground": "empty", "review_reason": "请写明具体路口和时段"})
    assert district.case(case).stage == "退回修改"
    revise = district.task(case, "revise")
    assert revise.candidate_users == ["deputy_wang"]
    assert next(f for f in revise.form if f["id"] == "review_reason")["readonly"]
    assert district.data(case)["review_reason"] == "请写明具体路口和时段"

    district.complete("deputy_wang", case, "revise", {
        "revise_action": "resubmit", "title": "关于在实验小学东门路口增设信号灯的建议",
        "body": "早七点至八点、下午四点至五点半学生集中过街，建议增设信号灯。"})
    assert district.case(case).stage == "待审核"
    assert district.open_elements(case) == ["pre_review"]
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "accept"})

    assert district.open_elements(case) == ["assign"]
    data = district.data(case)
    assert [(r["outcome"], r["reason"]) for r in data["review_records"]] == [
        ("return", "请写明具体路口和时段"), ("accept", "")]
    assert data["title"] == "关于在实验小学东门路口增设信号灯的建议" and data["revisions"] == 1


def test_withdrawn_by_the_deputy(district: District):
    case = submit(district, cosigners=[])
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "return", "return_ground": "personal",
                                                            "review_reason": "属个人事务"})
    district.complete("deputy_wang", case, "revise", {"revise_action": "withdraw", "withdraw_reason": "另行反映"})
    withdrawn = district.case(case)
    assert (withdrawn.status, withdrawn.stage) == ("completed", "已撤回")
    assert withdrawn.data["review_outcome"] == "withdraw"
    assert district.open_tasks(case) == []


def test_a_cosigner_who_declines_is_left_off(district: District):
    case = submit(district, cosigners=["deputy_li", "deputy_zhao"])
    district.complete("deputy_li", case, "confirm_cosign", {"cosign_agree": True})
    assert district.open_elements(case) == ["confirm_cosign"]
    district.complete("deputy_zhao", case, "confirm_cosign", {"cosign_agree": False, "cosign_comment": "不熟悉情况"})
    data = district.data(case)
    assert data["cosigners"] == ["deputy_li"] and data["cosigners_declined"] == ["deputy_zhao"]
    assert district.open_elements(case) == ["pre_review"]


# ---------------------------------------------------------------- assignment and sign-in


def test_contested_assignment_goes_back_and_is_reassigned(district: District):
    case = accepted(district)
    assign(district, case, "unit_education", ("unit_health",))
    assert sorted(t.candidate_groups[0] for t in district.open_tasks(case)) == ["unit_education", "unit_health"]
    district.complete("unit_health_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    district.complete("unit_education_clerk", case, "sign_in_or_contest", {
        "sign_in_decision": "contest", "contest_reason": "信号灯设置属交通部门职责"})

    assert district.open_elements(case) == ["assign"]
    assert district.case(case).stage == "待交办"
    data = district.data(case)
    assert data["contested_by"] == "unit_education" and "信号灯设置属交通部门职责" in data["contest_reason"]

    assign(district, case, LEAD, ("unit_health",))
    assert district.data(case)["contested_by"] == ""
    for unit in (LEAD, "unit_health"):
        district.complete(f"{unit}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    assert district.case(case).stage == "办理中"
    assert district.task(case, "handle_suggestion").candidate_groups == [LEAD]
    assert [a["lead_unit"] for a in district.data(case)["assignments"]] == ["unit_education", LEAD]


def test_assisting_units_send_their_opinions_to_the_lead(district: District):
    case = signed_in(district, assist=("unit_housing", "unit_civil"))
    opinions = [t.candidate_groups for t in district.open_tasks(case) if t.element_id == "assist_opinion"]
    assert sorted(opinions) == [["unit_civil"], ["unit_housing"]]
    district.complete("unit_housing_clerk", case, "assist_opinion", {"assist_opinion_text": "可结合道路改造同步实施"})
    district.complete("unit_civil_clerk", case, "assist_opinion", {"assist_opinion_text": "建议配备志愿者协管"})
    district.note(f"{LEAD}_clerk", case, "contact_before", "了解代表的真实意图")
    district.note(f"{LEAD}_clerk", case, "contact_during", "通报办理进展")
    district.complete(f"{LEAD}_clerk", case, "handle_suggestion", {"handling_summary": "已调研"})

    draft = district.task(case, "draft_reply", f"{LEAD}_clerk")
    assert draft.candidate_groups == [LEAD]
    texts = {unit: o["opinion"] for unit, o in district.data(case)["assist_opinions"].items()}
    assert texts == {"unit_housing": "可结合道路改造同步实施", "unit_civil": "建议配备志愿者协管"}


def test_reply_is_refused_until_the_communications_are_recorded(district: District):
    case = signed_in(district)
    district.complete(f"{LEAD}_clerk", case, "handle_suggestion", {"handling_summary": "已调研"})
    answer = {"reply_doc_no": "崂交建〔2026〕12号", "reply_text": "拟增设信号灯。", "result_class": "A",
              "face_reply": False, "reply_signer": "李局长"}
    with pytest.raises(Invalid) as refused:
        district.complete(f"{LEAD}_clerk", case, "draft_reply", answer)
    assert "办前沟通" in str(refused.value)
    district.note(f"{LEAD}_clerk", case, "contact_before", "了解代表的真实意图")
    with pytest.raises(Invalid):
        district.complete(f"{LEAD}_clerk", case, "draft_reply", answer)
    district.note(f"{LEAD}_clerk", case, "contact_during", "通报办理进展")
    district.complete(f"{LEAD}_clerk", case, "draft_reply", answer)
    assert district.open_elements(case) == ["review_reply"]


# ---------------------------------------------------------------- evaluation and re-handling


def test_unsatisfied_then_rehandled_then_satisfied(district: District):
    case = replied(district)
    evaluate(district, case, "basically_satisfied", "unsatisfied")
    data, stage = district.data(case), district.case(case).stage
    assert stage == "二次办理" and data["flagged"] is True and data["rehandling_rounds"] == 1
    assert district.open_elements(case) == ["name_leaders"]
    assert district.task(case, "name_leaders").candidate_groups == ["liaison_office"]
    # the re-handling deadline: one month from today, for the case and for the unit's new reply
    month_later = district.ctx.calendar.add_months(district.now().astimezone(ZONE).date(), 1).isoformat()
    assert data["case_deadline"] == data["reply_due"] == month_later and data["first_reply_due"] == "2026-06-02"

    rehandle(district, case, "government_leader", interview=True)
    data = district.data(case)
    assert data["interviewed"] is True
    assert (data["round_leader_body"], data["round_leader_government"]) == ("congress_leader", "government_leader")
    assert district.case(case).stage == "待测评"
    assert district.data(case)["satisfaction_result"] is None  # a fresh rating is asked for
    evaluate(district, case, "satisfied")

    data = district.data(case)
    assert data["satisfaction_result"] == "satisfied" and data["result_class"] == "B"
    assert [e["result"] for e in data["evaluations"]] == ["unsatisfied", "satisfied"]
    assert data["joint_supervision"] is False and district.open_elements(case) == ["plan_checklist"]


def test_poor_reply_and_rounds_used_up_end_in_joint_supervision(district: District):
    case = signed_in(district)
    reply(district, case, "C")
    district.complete("liaison_clerk", case, "review_reply", {
        "result_class": "D", "reply_review_outcome": "poor", "reply_review_note": "答复敷衍"})
    # a poor reply opens the second round straight away, without asking the deputy first
    assert district.open_elements(case) == ["name_leaders"]
    assert district.data(case)["rehandling_reason"] == "答复质量不高"
    rehandle(district, case)
    evaluate(district, case, "unsatisfied")
    assert district.data(case)["rehandling_rounds"] == 2
    rehandle(district, case)
    evaluate(district, case, "unsatisfied")  # max_rehandling_rounds (2) used up

    joint = district.task(case, "joint_supervision")
    assert joint.candidate_groups == ["congress_leaders"]
    assert district.case(case).stage == "联合督办"
    district.complete("congress_leader", case, "joint_supervision", {
        "inspection_date": "2026-07-01", "joint_findings": "纳入市级道路改造计划", "joint_participants": "市人大代表刘某"})
    # the deputy is asked again after the joint supervision; still unsatisfied, the evaluation ends there
    assert district.open_elements(case) == ["evaluate"]
    evaluate(district, case, "unsatisfied")
    disclose(district, case, disclosure="summary", disclosure_reason="涉及规划")
    data = district.data(case)
    assert data["joint_supervision"] is True and data["flagged"] is True and data["rehandling_rounds"] == 2
    assert data["satisfaction_result"] == "unsatisfied" and len(data["joint_records"]) == 1
    assert district.open_elements(case) == ["plan_checklist"]  # B after the re-handling: milestones


def test_evaluation_not_answered_in_time_is_not_evaluated(district: District):
    case = replied(district, "C")
    evaluation = district.task(case, "evaluate")
    district.move_to(evaluation.due_at - timedelta(hours=1))
    district.fire_timers()
    assert district.open_elements(case) == ["evaluate"]

    district.move_to(evaluation.due_at + timedelta(minutes=1))
    district.fire_timers()
    data = district.data(case)
    assert (data["satisfaction_work"], data["satisfaction_result"]) == ("not_evaluated", "not_evaluated")
    disclose(district, case)
    assert district.open_elements(case) == ["list_in_plan"]  # C: listed in the plan and followed up
    district.complete(f"{LEAD}_clerk", case, "list_in_plan", {"plan_name": "2027年度道路改造计划", "plan_due": "2027-06-30"})
    assert district.task(case, "follow_up_plan").due_at.date().isoformat() == "2027-06-30"
    district.complete(f"{LEAD}_clerk", case, "follow_up_plan", {"progress_note": "已立项", "next_follow_up": "2027-03-31"})
    assert district.task(case, "follow_up_plan").due_at.date().isoformat() == "2027-03-31"  # its own due date
    district.complete(f"{LEAD}_clerk", case, "follow_up_plan", {"progress_note": "已建成", "plan_solved": True})
    district.note(f"{LEAD}_clerk", case, "contact_after", "共同确认")
    district.complete("liaison_clerk", case, "confirm_implementation", {
        "confirm_leader": "区人大常委会副主任", "confirm_summary": "已建成", "implemented": True})
    closed = district.case(case)
    assert closed.stage == "已办结" and closed.data["in_plan"] is True and closed.data["implemented"] is True


def test_a_reply_kept_for_reference_is_closed_without_follow_up(district: District):
    case = replied(district, "D")
    evaluate(district, case, "satisfied")
    closed = district.case(case)
    assert (closed.status, closed.stage) == ("completed", "已办结")
    assert closed.data["implemented"] is False and closed.data["in_plan"] is False


def test_confirmation_waits_for_the_communication_after_handling(district: District):
    case = replied(district, "C")
    evaluate(district, case, "satisfied")
    district.complete(f"{LEAD}_clerk", case, "list_in_plan", {"plan_name": "2027年度计划", "plan_due": "2027-06-30"})
    district.complete(f"{LEAD}_clerk", case, "follow_up_plan", {"progress_note": "已建成", "plan_solved": True})
    with pytest.raises(Invalid) as refused:
        district.complete("liaison_clerk", case, "confirm_implementation", {
            "confirm_leader": "区人大常委会副主任", "confirm_summary": "已建成", "implemented": True})
    assert "办后沟通" in str(refused.value)


# ---------------------------------------------------------------- deadlines


def test_sign_in_deadline_passed_escalates(district: District):
    case = accepted(district)
    assign(district, case)
    sign_in = district.task(case, "sign_in_or_contest")
    district.move_to(sign_in.due_at + timedelta(minutes=1))
    district.fire_timers()
    overdue = district.case(case)
    assert overdue.overdue and overdue.flagged
    assert district.task(case, "sign_in_or_contest").overdue
    assert district.events(case, "case_escalated")
