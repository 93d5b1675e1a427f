"""CPPCC proposals walked through bpmn/proposal.bpmn (with unit_handling and evaluation_rehandling) by the
people of the district: every path of DOMAIN.md's proposal section."""

from __future__ import annotations

from datetime import date

import pytest

from engine.errors import Invalid

from .conftest import ZONE, District

PROPOSAL = {"title": "关于推动工业上楼的提案", "body": "建议出台工业上楼指导标准，盘活存量用地。", "category": "经济",
            "submission_kind": "individual"}
LEAD = "unit_housing"


def submit(district: District, who: str = "member_chen", **fields) -> int:
    case = district.start(who, "proposal", {"title": PROPOSAL["title"], "proposer": who})
    district.complete(who, case, "submit_proposal", {**PROPOSAL, **fields})
    return case


def review(district: District, case: int, units: tuple[str, ...] = (LEAD,), **decision) -> None:
    """Three levels: initial review at the plenary, re-review by field, joint review with the departments."""
    district.complete("committee_clerk", case, "initial_review", {"initial_outcome": "pass"})
    district.complete("committee_clerk", case, "re_review", {"re_review_outcome": "pass", "review_units": ",".join(units)})
    for unit in units:
        district.complete(f"{unit}_clerk", case, "joint_review", {"joint_decision": "confirm"})
    district.complete("committee_clerk", case, "review_decision", {"review_outcome": "accept", **decision})


def assign(district: District, case: int, assist: tuple[str, ...] = (), key: bool = False) -> None:
    district.complete("committee_clerk", case, "assign_proposal", {
        "category": "经济", "lead_unit": LEAD, "assist_unit_ids": "，".join(assist), "responsible_person": "王科长"})
    if "choose_key_proposal" in district.open_elements(case):  # once: not again after a contest
        district.complete("committee_director", case, "choose_key_proposal",
                          {"priority": key, "leader_cppcc": "cppcc_leader" if key else "",
                           "leader_government": "government_leader" if key else ""})


def sign_in(district: District, case: int, units: tuple[str, ...]) -> None:
    for unit in units:
        district.complete(f"{unit}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})


def handle(district: District, case: int, assist: tuple[str, ...] = (), result_class: str = "B") -> None:
    """Consult, investigate, ask the member, reply (countersigned by the assisting units), face reply."""
    clerk = f"{LEAD}_clerk"
    district.complete(clerk, case, "consult", {"consult_date": "2026-04-10", "consult_summary": "与相关部门会商"})
    district.complete(clerk, case, "investigate", {"investigation_summary": "走访园区企业"})
    district.complete(clerk, case, "ask_member_view", {"member_view_date": "2026-05-06", "member_view": "赞同"})
    district.note(clerk, case, "contact_before", "了解委员意图")
    district.note(clerk, case, "contact_during", "通报办理进展")
    district.complete(clerk, case, "draft_reply", {"reply_doc_no": "崂住建〔2026〕8号", "reply_text": "已纳入年度计划。",
                                                   "result_class": result_class, "reply_signer": "刘局长"})
    for unit in assist:
        district.complete(f"{unit}_clerk", case, "countersign", {"countersign_decision": "agree"})
    district.complete(f"{LEAD}_chief", case, "head_face_reply", {
        "face_reply_by": "刘局长", "face_reply_place": "区政协委员工作室", "face_reply_date": "2026-05-20"})


def accepted(district: District, **fields) -> int:
    case = submit(district, **fields)
    review(district, case)
    return case


# ---------------------------------------------------------------- the whole way


def test_accepted_handled_replied_satisfied_and_results_adopted(district: District):
    case = district.start("member_chen", "proposal", {"title": PROPOSAL["title"], "proposer": "member_chen"})
    assert district.case(case).number == "提案 2026-0001"
    assert district.task(case, "submit_proposal").candidate_users == ["member_chen"]
    district.complete("member_chen", case, "submit_proposal", PROPOSAL)
    assert district.case(case).stage == "待审核"
    assert district.data(case)["consult_working_days"] == 15  # the durations come from config.yaml

    # three-level review: initial, re-review, joint review with the two departments that would handle it
    district.complete("committee_clerk", case, "initial_review", {"initial_outcome": "pass"})
    district.complete("committee_clerk", case, "re_review", {"re_review_outcome": "pass",
                                                             "review_units": "unit_housing, unit_civil"})
    assert district.open_elements(case) == ["joint_review", "joint_review"]
    district.complete("unit_housing_clerk", case, "joint_review", {"joint_decision": "confirm"})
    district.complete("unit_civil_clerk", case, "joint_review", {"joint_decision": "object",
                                                                 "joint_reason": "不属于民政职责"})
    district.complete("committee_clerk", case, "review_decision", {"review_outcome": "accept"})
    data = district.data(case)
    assert [(r["level"], r["outcome"]) for r in data["review_records"]] == [
        ("initial", "pass"), ("re_review", "pass"), ("joint", "confirm"), ("joint", "object"), ("decision", "accept")]
    assert district.case(case).stage == "待交办"

    # four fixes; the chair's meeting makes it a key proposal with a supervising leader
    assign(district, case, ("unit_transport",), key=True)
    data = district.data(case)
    assert data["reply_due"] == "2026-06-02" and data["priority"] is True and data["leader_cppcc"] == "cppcc_leader"
    assert district.case(case).stage == "待签收"
    # five working days to sign in, at the hour of the assignment
    assert district.task(case, "sign_in_or_contest", f"{LEAD}_clerk").due_at.astimezone(ZONE).date() == date(2026, 3, 9)
    sign_in(district, case, (LEAD, "unit_transport"))
    assert district.case(case).stage == "办理中"
    # consultation within 15 working days of the assignment
    assert district.task(case, "consult").due_at.astimezone(ZONE).date() == date(2026, 3, 23)

    district.advance(days=50)
    clerk = f"{LEAD}_clerk"
    district.complete(clerk, case, "consult", {"consult_date": "2026-04-10", "consult_summary": "与交通部门会商"})
    district.complete(clerk, case, "investigate", {"investigation_summary": "走访园区企业"})
    district.complete(clerk, case, "ask_member_view", {"member_view_date": "2026-04-20", "member_view": "赞同"})
    with pytest.raises(Invalid, match="办前沟通"):  # no reply before the member was heard
        district.complete(clerk, case, "draft_reply", {"reply_doc_no": "x", "reply_text": "x", "result_class": "B",
                                                       "reply_signer": "x"})
    district.note(f"{LEAD}_clerk", case, "contact_before", "了解委员意图")
    district.note(f"{LEAD}_clerk", case, "contact_during", "通报办理进展")
    district.complete(f"{LEAD}_clerk", case, "draft_reply", {"reply_doc_no": "崂住建〔2026〕8号", "reply_text": "已纳入计划。",
                                                              "result_class": "B", "reply_signer": "刘局长"})
    district.complete("unit_transport_clerk", case, "countersign", {"countersign_decision": "agree"})
    head = district.task(case, "head_face_reply")
    assert head.candidate_groups == [f"{LEAD}_head"]
    district.complete(f"{LEAD}_chief", case, "head_face_reply", {
        "face_reply_by": "刘局长", "face_reply_place": "区政协", "face_reply_date": "2026-04-25",
        "three_party_meeting": True})
    assert district.case(case).stage == "待审核答复"

    # the committee reviews the reply and changes its class before it goes out
    district.complete("committee_clerk", case, "review_reply", {"result_class": "A", "reply_review": "approve"})
    # a key proposal: its supervising leader reads the reply before it goes out
    assert district.task(case, "leader_review_reply").candidate_users == ["cppcc_leader"]
    assert district.data(case).get("reply_released_at") is None
    district.complete("cppcc_leader", case, "leader_review_reply", {"leader_reply_opinion": "同意答复，抓好落实"})
    data = district.data(case)
    assert data["leader_reviews"][0]["leader"] == "cppcc_leader" and data["reply_released_at"]
    assert data["face_reply"] is True and data["class_changed"] is True and data["unit_result_class"] == "B"
    assert district.task(case, "evaluate").candidate_users == ["member_chen"]
    assert district.case(case).stage == "待测评"
    district.complete("member_chen", case, "evaluate", {"satisfaction_work": "satisfied",
                                                        "satisfaction_result": "satisfied"})
    # the final reply is disclosed after the evaluation, as for suggestions
    district.complete("committee_clerk", case, "disclose", {"disclosure": "full"})
    district.complete("committee_clerk", case, "record_results", {
        "adopted_results": "纳入区工业上楼指导标准", "outstanding": True})
    closed = district.case(case)
    assert closed.status == "completed" and closed.stage == "已办结"
    assert closed.data["adopted_results"] == "纳入区工业上楼指导标准"
    assert closed.data["satisfaction_result"] == "satisfied"


def test_a_returned_reply_is_handled_again(district: District):
    case = accepted(district)
    assign(district, case)
    sign_in(district, case, (LEAD,))
    handle(district, case)
    district.advance(days=60)
    district.complete("committee_clerk", case, "review_reply", {"result_class": "B", "reply_review": "return",
                                                                "reply_review_comment": "答复过于简单"})
    assert district.open_elements(case) == ["consult"]
    assert district.case(case).stage == "办理中"
    # a second round counts its consultation from its own start, not from the old assignment
    assert district.task(case, "consult").due_at.astimezone(ZONE).date() > date(2026, 5, 1)
    handle(district, case)
    assert district.data(case)["handling_round"] == 2
    district.complete("committee_clerk", case, "review_reply", {"result_class": "B", "reply_review": "approve"})
    assert district.open_elements(case) == ["evaluate"]


def test_a_unit_contesting_the_assignment_sends_it_back_to_the_committee(district: District):
    case = accepted(district)
    assign(district, case, ("unit_civil",))
    district.complete("unit_civil_clerk", case, "sign_in_or_contest", {"sign_in_decision": "contest",
                                                                       "contest_reason": "不属于本单位职责"})
    district.complete(f"{LEAD}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    assert district.open_elements(case) == ["assign_proposal"]
    data = district.data(case)
    assert data["contested_by"] == "unit_civil" and "不属于本单位职责" in data["contest_reason"]
    assert district.case(case).stage == "待交办"
    district.complete("committee_clerk", case, "assign_proposal", {
        "category": "经济", "lead_unit": LEAD, "assist_unit_ids": "", "responsible_person": "王科长"})
    assert district.open_elements(case) == ["sign_in_or_contest"]  # the directors are not asked again
    sign_in(district, case, (LEAD,))
    assert district.open_elements(case) == ["consult"]


# ---------------------------------------------------------------- submission


def test_joint_proposal_keeps_the_cosigners_who_confirm(district: District):
    with pytest.raises(Invalid, match="联名委员"):
        submit(district, submission_kind="joint", cosigners_text="")
    case = district.start("member_chen", "proposal", {"title": "关于联名的提案", "proposer": "member_chen"})
    district.complete("member_chen", case, "submit_proposal", {**PROPOSAL, "submission_kind": "joint",
                                                               "cosigners_text": "member_liu，member_he"})
    assert district.task(case, "confirm_cosign", "member_liu").candidate_users == ["member_liu"]
    district.complete("member_liu", case, "confirm_cosign", {"cosign_decision": "confirm"})
    assert district.open_elements(case) == ["confirm_cosign"]
    district.complete("member_he", case, "confirm_cosign", {"cosign_decision": "decline"})
    data = district.data(case)
    assert data["cosigners"] == ["member_liu"] and list(data["cosigner_confirmations"]) == ["member_liu"]
    assert data["cosigners_declined"] == ["member_he"] and data["submission_kind"] == "joint"
    assert district.open_elements(case) == ["initial_review"]


def test_collective_proposal_needs_the_organisation_and_its_seal(district: District):
    case = district.start("member_chen", "proposal", {"title": "关于民营经济的提案", "proposer": "member_chen"})
    with pytest.raises(Invalid, match="提案单位"):
        district.complete("member_chen", case, "submit_proposal", {**PROPOSAL, "submission_kind": "collective"})
    district.complete("member_chen", case, "submit_proposal", {**PROPOSAL, "submission_kind": "collective",
                                                               "collective_org": "区工商联"})
    district.complete("committee_clerk", case, "verify_collective", {"collective_check": "unsealed"})
    assert district.open_elements(case) == ["submit_proposal"]
    assert district.case(case).stage == "退回修改"
    assert district.data(case)["submission_problem"] == "集体提案须加盖提案单位公章"
    district.complete("member_chen", case, "submit_proposal", {**PROPOSAL, "submission_kind": "collective",
                                                               "collective_org": "区工商联"})
    district.complete("committee_clerk", case, "verify_collective", {"collective_check": "sealed"})
    assert district.open_elements(case) == ["initial_review"]
    assert district.data(case)["collective_org"] == "区工商联" and district.case(case).stage == "待审核"


# ---------------------------------------------------------------- not accepted


def test_rejected_upheld_by_the_directors_and_forwarded_with_consent(district: District):
    case = submit(district)
    # the initial review already finds it inadmissible: straight to the decision
    district.complete("committee_clerk", case, "initial_review", {"initial_outcome": "reject",
                                                                  "initial_reason": "属个人事务"})
    assert district.open_elements(case) == ["review_decision"]
    with pytest.raises(Invalid, match="不立案须选择理由"):
        district.complete("committee_clerk", case, "review_decision", {"review_outcome": "reject"})
    district.complete("committee_clerk", case, "review_decision", {"review_outcome": "reject",
                                                                   "reject_ground": "personal"})
    assert district.case(case).stage == "不立案"
    district.complete("committee_director", case, "directors_second_look", {"second_look": "uphold"})
    notice = district.task(case, "notify_rejection")
    assert notice.candidate_users == ["member_chen"]
    district.complete("member_chen", case, "notify_rejection", {"forward_consent": "social_conditions"})
    district.complete("committee_clerk", case, "forward_rejected", {"forward_to": "区委办公室",
                                                                    "forward_date": "2026-03-20"})
    done = district.case(case)
    assert done.status == "completed" and done.stage == "不立案"
    assert done.data["forward_as"] == "social_conditions" and done.data["reject_ground"] == "personal"
    assert [r["level"] for r in done.data["review_records"]] == ["initial", "decision", "directors"]


def test_rejected_without_consent_is_not_forwarded(district: District):
    case = submit(district)
    review(district, case, review_outcome="reject", reject_ground="empty")
    district.complete("committee_director", case, "directors_second_look", {"second_look": "uphold"})
    district.complete("member_chen", case, "notify_rejection", {"forward_consent": "none"})
    done = district.case(case)
    assert done.status == "completed" and done.data["forward_as"] == "" and done.stage == "不立案"


def test_rejection_overturned_by_the_directors_is_accepted(district: District):
    case = submit(district)
    district.complete("committee_clerk", case, "initial_review", {"initial_outcome": "pass"})
    district.complete("committee_clerk", case, "re_review", {"re_review_outcome": "reject"})
    district.complete("committee_clerk", case, "review_decision", {"review_outcome": "reject",
                                                                   "reject_ground": "academic"})
    district.complete("committee_director", case, "directors_second_look", {
        "second_look": "overturn", "second_look_reason": "有现实意义"})
    assert district.open_elements(case) == ["assign_proposal"]
    data = district.data(case)
    assert data["review_outcome"] == "accept" and data["reject_ground"] is None
    assert district.case(case).stage == "待交办"


def test_withdrawn_at_the_members_request(district: District):
    case = submit(district)
    review(district, case, review_outcome="withdraw", review_reason="委员申请撤回")
    done = district.case(case)
    assert done.status == "completed" and done.stage == "已撤回"
    assert district.open_elements(case) == []


def test_merged_proposals_each_get_the_reply(district: District):
    main = submit(district, "member_chen")
    merged = submit(district, "member_liu")
    main_number = district.case(main).number
    with pytest.raises(Invalid, match="没有编号"):
        review(district, merged, review_outcome="merge", merged_into="提案 2026-9999")
    district.complete("committee_clerk", merged, "review_decision", {"review_outcome": "merge",
                                                                     "merged_into": main_number})
    assert district.case(merged).stage == "已并案" and district.case(merged).status == "running"
    assert district.open_elements(merged) == []  # it waits for the main proposal's reply

    review(district, main)
    assign(district, main)
    sign_in(district, main, (LEAD,))
    handle(district, main)
    assert district.case(merged).stage == "已并案"  # not before the committee approved the reply
    district.complete("committee_clerk", main, "review_reply", {"result_class": "B", "reply_review": "approve"})

    got = district.case(merged)
    # the merged proposer evaluates the main case's reply on their own case (issue 11, item 12)
    assert got.status == "running" and got.stage == "待测评"
    assert district.task(merged, "evaluate_merged").candidate_users == ["member_liu"]
    assert got.data["main_case"] == main_number and got.data["reply_doc_no"] == "崂住建〔2026〕8号"
    assert got.data["result_class"] == "B" and got.data["reply_text"] == "已纳入年度计划。"
    assert any(e.kind == "message_received" for e in district.events(merged))
    assert district.open_elements(main) == ["evaluate"]

    late = submit(district, "member_liu")  # a proposal on the same matter after the reply went out
    with pytest.raises(Invalid, match="已答复，不能再并入"):
        review(district, late, review_outcome="merge", merged_into=main_number)
