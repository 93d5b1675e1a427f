"""The lead unit's handling (bpmn/unit_handling.bpmn) run on its own: the part both case types call.

Deployed alone, the file is a top-level process, so a case can start right in it with the data a
calling process would hand over.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine import identity
from engine.bpmn import library

from .conftest import BPMN_DIR, PASSWORD, PEOPLE, UNITS, ZONE, District, install_domain

ASSIGNED = "2026-03-02T09:00:00+08:00"


@pytest.fixture
def handling(ctx, traveller, password_hash, monkeypatch):
    """The district's people with unit_handling.bpmn deployed on its own (nothing else of bpmn/)."""
    monkeypatch.setattr(identity, "hash_password", lambda _password: password_hash)
    with ctx.db.session() as session:
        for unit, name in UNITS.items():
            identity.ensure_group(session, unit, name)
            identity.ensure_group(session, f"{unit}_head", f"{name}主要负责人")
        for name, groups in PEOPLE.items():
            identity.add_user(session, name, PASSWORD, list(groups))
    install_domain(ctx)
    with ctx.db.session() as session:
        library.deploy(session, library.read_files([BPMN_DIR / "unit_handling.bpmn"]), "designer")
    return District(ctx, traveller)


def start(district, case_type: str, assist: list[str], **extra) -> int:
    data = {"case_type": case_type, "title": "关于增设公交线路的建议", "proposer": "deputy_wang",
            "lead_unit": "unit_transport", "assist_units": assist, "assigned_at": ASSIGNED,
            "reply_due": "2026-06-02", **extra}
    return district.start("inspector", "unit_handling", data)


REPLY = {"reply_doc_no": "交复〔2026〕12号", "reply_text": "已开通 12 路支线。", "result_class": "A",
         "reply_signer": "张局长"}


@pytest.mark.parametrize("lead_first", [True, False], ids=["lead-first", "assist-first"])
def test_suggestion_assisting_opinions_run_beside_the_handling(handling, lead_first):
    district = handling
    case = start(district, "suggestion", ["unit_housing", "unit_civil"])
    assert district.open_elements(case) == ["assist_opinion", "assist_opinion", "handle_suggestion"]
    opinion = district.task(case, "assist_opinion", "unit_housing_clerk")
    assert opinion.candidate_groups == ["unit_housing"]
    # one month from assignment for the opinion, the reply deadline for the lead unit's handling
    assert opinion.due_at.astimezone(ZONE).date() == date(2026, 4, 2)
    assert district.task(case, "handle_suggestion").due_at.astimezone(ZONE).date() == date(2026, 6, 2)
    assert district.case(case).stage == "办理中"

    def opinions():
        district.complete("unit_housing_clerk", case, "assist_opinion", {"assist_opinion_text": "同步改造站台"})
        district.complete("unit_civil_clerk", case, "assist_opinion", {"assist_opinion_text": "无意见"})

    def lead():
        district.complete("unit_transport_clerk", case, "handle_suggestion", {"handling_summary": "已现场调研"})

    first, second = (lead, opinions) if lead_first else (opinions, lead)
    first()
    assert "draft_reply" not in district.open_elements(case)  # the reply waits for both sides
    second()
    assert district.open_elements(case) == ["draft_reply"]
    received = district.data(case)["assist_opinions"]
    assert {unit: entry["opinion"] for unit, entry in received.items()} == {
        "unit_housing": "同步改造站台", "unit_civil": "无意见"}
    assert all(entry["submitted_at"] for entry in received.values())

    district.complete("unit_transport_clerk", case, "draft_reply", {**REPLY, "face_reply": False})
    done = district.case(case)
    assert done.status == "completed" and done.stage == "待审核答复"
    assert done.data["replied_at"] and done.data["result_class"] == "A" and done.data["face_reply"] is False


def test_suggestion_without_assisting_units_goes_to_the_head_when_replied_face_to_face(handling):
    district = handling
    case = start(district, "suggestion", [])
    assert district.open_elements(case) == ["handle_suggestion"]
    district.complete("unit_transport_clerk", case, "handle_suggestion", {"handling_summary": "已办理"})
    district.complete("unit_transport_clerk", case, "draft_reply", {**REPLY, "face_reply": True})
    head = district.task(case, "head_face_reply")
    assert head.candidate_groups == ["unit_transport_head"]
    with pytest.raises(AssertionError):
        district.task(case, "head_face_reply", "unit_transport_clerk")  # the head's, not the clerks'
    district.complete("unit_transport_chief", case, "head_face_reply", {
        "face_reply_by": "张局长", "face_reply_place": "代表联络站", "face_reply_date": "2026-05-20"})
    data = district.data(case)
    assert data["face_reply"] is True and data["face_reply_by"] == "张局长" and data["stage"] == "待审核答复"
    assert "assist_opinions" not in data and "countersigns" not in data


def test_proposal_consults_investigates_asks_and_has_the_draft_countersigned(handling):
    district = handling
    case = start(district, "proposal", ["unit_housing", "unit_civil"], consult_working_days=15)
    # proposals: consultation first, within 15 working days (Qingming, 4-6 April 2026, is a holiday)
    assert district.open_elements(case) == ["consult"]
    assert district.task(case, "consult").due_at.astimezone(ZONE).date() == date(2026, 3, 23)
    district.complete("unit_transport_clerk", case, "consult", {"consult_date": "2026-03-10",
                                                                 "consult_summary": "与住建、民政会商"})
    district.complete("unit_transport_clerk", case, "investigate", {"investigation_summary": "走访三个社区"})
    district.complete("unit_transport_clerk", case, "ask_member_view", {
        "member_view_date": "2026-04-20", "member_view": "同意办理思路"})
    district.complete("unit_transport_clerk", case, "draft_reply", {**REPLY, "face_reply": False})
    assert district.open_elements(case) == ["countersign", "countersign"]
    assert district.case(case).stage == "办理中"

    district.complete("unit_housing_clerk", case, "countersign", {"countersign_decision": "agree"})
    district.complete("unit_civil_clerk", case, "countersign", {"countersign_decision": "object",
                                                                "countersign_comment": "补充养老设施内容"})
    # an objection sends the draft back to the lead unit
    assert district.open_elements(case) == ["draft_reply"]
    assert district.data(case)["countersign_objections"] == {"unit_civil": "补充养老设施内容"}

    district.complete("unit_transport_clerk", case, "draft_reply", {**REPLY, "reply_text": "已开通支线并增设养老站点。"})
    for unit in ("unit_housing", "unit_civil"):
        district.complete(f"{unit}_clerk", case, "countersign", {"countersign_decision": "agree"})
    # every proposal is replied to face to face, whatever the draft said
    district.complete("unit_transport_chief", case, "head_face_reply", {
        "face_reply_by": "张局长", "face_reply_place": "区政协", "face_reply_date": "2026-05-28",
        "three_party_meeting": True})
    data = district.data(case)
    assert district.case(case).status == "completed"
    assert data["face_reply"] is True and data["three_party_meeting"] is True
    assert {u: c["decision"] for u, c in data["countersigns"].items()} == {"unit_housing": "agree",
                                                                          "unit_civil": "agree"}
    assert data["reply_text"] == "已开通支线并增设养老站点。" and data["stage"] == "待审核答复"


def test_missing_handover_data_stops_the_case_with_a_message(handling):
    district = handling
    case = district.start("inspector", "unit_handling", {"case_type": "suggestion", "lead_unit": "unit_transport"})
    stopped = district.case(case)
    assert stopped.status == "error"
    assert "reply_due" in stopped.error_message and "assigned_at" in stopped.error_message


def test_a_proposal_extension_goes_to_the_proposal_committee(handling):
    district = handling
    case = start(district, "proposal", [], consult_working_days=15)
    clerk = "unit_transport_clerk"
    district.complete(clerk, case, "consult", {"consult_date": "2026-03-10", "consult_summary": "会商"})
    district.complete(clerk, case, "investigate", {"investigation_summary": "走访"})
    district.complete(clerk, case, "ask_member_view", {"member_view_date": "2026-04-20", "member_view": "同意"})
    district.complete(clerk, case, "draft_reply", {"handling_action": "extend", "extension_months_requested": 1,
                                                   "extension_reason": "需等待年度预算批复"})
    assert district.task(case, "approve_extension").candidate_groups == ["proposal_committee"]
    assert district.case(case).stage == "延期审批中"
    district.complete("committee_clerk", case, "approve_extension", {"extension_decision": "approve"})
    assert district.task(case, "draft_reply", clerk).due_at.astimezone(ZONE).date() == date(2026, 7, 2)
    assert district.case(case).stage == "办理中"
