"""Issue 11, item 4: loops with an end. Countersign objections, returns of a proposal's reply and contests of an
assignment each end, after the configured number of rounds, in the assigning office's decision (arbitration),
recorded on the case; a contest goes back to the assigning office only."""

from __future__ import annotations

import pytest

from engine.errors import Invalid

from . import test_proposal as proposals
from . import test_suggestion as suggestions
from .conftest import District

LEAD = proposals.LEAD
ASSIST = "unit_civil"
DRAFT = {"reply_doc_no": "崂住建〔2026〕8号", "reply_text": "已纳入年度计划。", "result_class": "B", "reply_signer": "刘局长"}


def handled_to_draft(district: District) -> int:
    case = proposals.accepted(district)
    proposals.assign(district, case, (ASSIST,))
    proposals.sign_in(district, case, (LEAD, ASSIST))
    clerk = f"{LEAD}_clerk"
    district.complete(clerk, case, "consult", {"consult_date": "2026-04-10", "consult_summary": "会商"})
    district.complete(clerk, case, "investigate", {"investigation_summary": "调研"})
    district.complete(clerk, case, "ask_member_view", {"member_view_date": "2026-05-06", "member_view": "赞同"})
    district.note(clerk, case, "contact_before", "了解委员意图")
    district.note(clerk, case, "contact_during", "通报办理进展")
    return case


def test_countersign_objections_end_in_the_assigning_offices_arbitration(district: District):
    case = handled_to_draft(district)
    limit = district.ctx.config["unit_handling.max_countersign_rounds"]
    for _ in range(limit):
        district.complete(f"{LEAD}_clerk", case, "draft_reply", DRAFT)
        district.complete(f"{ASSIST}_clerk", case, "countersign", {"countersign_decision": "object",
                                                                  "countersign_comment": "不同意"})
    # not a further redraft: the committee (the assigning office) rules
    assert district.open_elements(case) == ["arbitrate_countersign"]
    assert district.task(case, "arbitrate_countersign").candidate_groups == ["proposal_committee"]
    district.complete("committee_clerk", case, "arbitrate_countersign", {
        "arbitration_decision": "redraft", "arbitration_reason": "按主办单位意见修改第二段后答复"})
    district.complete(f"{LEAD}_clerk", case, "draft_reply", DRAFT)
    assert district.open_elements(case) == ["head_face_reply"]  # the ruled draft is not countersigned again
    ruling = district.data(case)["arbitrations"]
    assert [(a["kind"], a["decision"], a["rounds"]) for a in ruling] == [("countersign", "redraft", limit)]


def test_countersign_arbitration_may_adopt_the_draft(district: District):
    case = handled_to_draft(district)
    for _ in range(district.ctx.config["unit_handling.max_countersign_rounds"]):
        district.complete(f"{LEAD}_clerk", case, "draft_reply", DRAFT)
        district.complete(f"{ASSIST}_clerk", case, "countersign", {"countersign_decision": "object"})
    district.complete("committee_clerk", case, "arbitrate_countersign", {"arbitration_decision": "adopt",
                                                                        "arbitration_reason": "意见已充分吸收"})
    assert district.open_elements(case) == ["head_face_reply"]


def test_returns_of_a_proposal_reply_are_bounded(district: District):
    case = proposals.accepted(district)
    proposals.assign(district, case)
    proposals.sign_in(district, case, (LEAD,))
    limit = district.ctx.config["proposal.max_return_rounds"]
    for _ in range(limit):
        proposals.handle(district, case)
        district.complete("committee_clerk", case, "review_reply", {"result_class": "B", "reply_review": "return",
                                                                    "reply_review_comment": "请补充资金安排"})
    proposals.handle(district, case)
    with pytest.raises(Invalid) as refused:
        district.complete("committee_clerk", case, "review_reply", {"result_class": "B", "reply_review": "return"})
    assert refused.value.details[0]["field"] == "reply_review"
    district.complete("committee_clerk", case, "review_reply", {"result_class": "C", "reply_review": "approve",
                                                                "reply_review_comment": "审定：按C类答复"})
    data = district.data(case)
    assert data["arbitrations"][-1]["kind"] == "reply_returns" and data["arbitrations"][-1]["rounds"] == limit
    assert district.open_elements(case) == ["evaluate"]


def test_repeated_contests_end_in_an_assignment_the_units_cannot_contest(district: District):
    case = suggestions.accepted(district)
    limit = district.ctx.config["suggestion.max_contest_rounds"]
    for _ in range(limit):
        suggestions.assign(district, case, lead="unit_civil")
        district.complete("unit_civil_clerk", case, "sign_in_or_contest", {"sign_in_decision": "contest",
                                                                           "contest_reason": "不属于本单位职责"})
        assert district.open_elements(case) == ["assign"]  # back to the liaison office only
    suggestions.assign(district, case, lead="unit_civil", assign_note="经研究，由区民政局主办")
    data = district.data(case)
    assert data["assignment_arbitrated"] is True
    assert data["arbitrations"][-1]["kind"] == "assignment" and data["arbitrations"][-1]["rounds"] == limit
    with pytest.raises(Invalid, match="裁决"):
        district.complete("unit_civil_clerk", case, "sign_in_or_contest", {"sign_in_decision": "contest",
                                                                           "contest_reason": "仍不属于"})
    district.complete("unit_civil_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    assert district.case(case).stage == "办理中"


def test_a_proposal_contest_goes_back_to_the_committee_not_the_directors(district: District):
    case = proposals.accepted(district)
    proposals.assign(district, case, key=True)
    district.complete(f"{LEAD}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "contest",
                                                                   "contest_reason": "不属于本单位职责"})
    district.complete("committee_clerk", case, "assign_proposal", {
        "category": "经济", "lead_unit": "unit_civil", "responsible_person": "王科长"})
    assert district.open_elements(case) == ["sign_in_or_contest"]
    data = district.data(case)
    assert data["priority"] is True and data["leader_cppcc"] == "cppcc_leader"  # the directors' choice stands
