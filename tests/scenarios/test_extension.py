"""The deadline extension (延期): at its reply the lead unit may instead ask the assigning office for more
months; the office approves or refuses; an approved extension moves the reply deadline, never past
6 months from the assignment (DOMAIN.md, suggestions step 3). Walked through the real models."""

from __future__ import annotations

from datetime import date

import pytest

from engine.errors import Invalid

from . import test_suggestion as suggestions
from .conftest import ZONE, District
from .test_suggestion import LEAD, evaluate, replied, signed_in
from .test_unit_handling import REPLY

CLERK = f"{LEAD}_clerk"
ASSIGNED_DUE = date(2026, 6, 2)  # assigned on Monday 2 March 2026: 3 months
LATEST = "2026-09-02"  # 6 months from the assignment


def at_reply(district: District, case: int, talks: bool = False) -> None:
    if talks:
        district.note(CLERK, case, "contact_before", "了解代表的真实意图")
        district.note(CLERK, case, "contact_during", "通报办理进展")
    district.complete(CLERK, case, "handle_suggestion", {"handling_summary": "已现场调研，需协调规划调整"})


def ask(district: District, case: int, months, reason: str = "需待规划调整后实施") -> None:
    district.complete(CLERK, case, "draft_reply", {"handling_action": "extend", "extension_months_requested": months,
                                                  "extension_reason": reason})


def due_date(row) -> date:
    return row.due_at.astimezone(ZONE).date()


def test_approved_extension_moves_the_reply_deadline_and_the_escalation(district: District):
    case = signed_in(district)
    at_reply(district, case)
    assert due_date(district.task(case, "draft_reply")) == ASSIGNED_DUE
    ask(district, case, 2)  # before any talk with the deputy: asking for time is not the reply

    approval = district.task(case, "approve_extension")
    assert approval.candidate_groups == ["liaison_office"]
    assert due_date(approval) == date(2026, 3, 9)  # 5 working days
    assert district.case(case).stage == "延期审批中"
    assert district.open_elements(case) == ["approve_extension"]
    with pytest.raises(AssertionError):
        district.task(case, "approve_extension", CLERK)  # the office decides, not the unit

    district.complete("liaison_clerk", case, "approve_extension", {"extension_decision": "approve",
                                                                   "extension_comment": "同意延期"})
    draft = district.task(case, "draft_reply", CLERK)
    assert due_date(draft) == date(2026, 8, 2)
    got = district.case(case)
    assert got.stage == "办理中" and got.due_at.astimezone(ZONE).date() == date(2026, 8, 2)
    data = got.data
    assert data["reply_due"] == data["case_deadline"] == "2026-08-02" and data["extension_months"] == 2
    [entry] = data["extensions"]
    assert entry["months"] == 2 and entry["decision"] == "approve" and entry["reason"] == "需待规划调整后实施"
    assert entry["requested_at"] and entry["decided_at"] and data["handling_action"] == "reply"

    # the old deadline passes without an escalation; the reply, once the talks are on record, is on time
    district.move_to(date(2026, 6, 10))
    district.fire_timers()
    assert district.case(case).overdue is False and district.events(case, "case_escalated") == []
    district.note(CLERK, case, "contact_before", "了解代表的真实意图")
    district.note(CLERK, case, "contact_during", "通报办理进展")
    district.complete(CLERK, case, "draft_reply", {**REPLY, "face_reply": False})
    assert district.open_elements(case) == ["review_reply"]
    assert district.data(case)["replied_on_time"] is True


def test_refused_extension_keeps_the_deadline(district: District):
    case = signed_in(district)
    at_reply(district, case)
    ask(district, case, 2)
    district.complete("liaison_clerk", case, "approve_extension", {"extension_decision": "reject",
                                                                   "extension_comment": "应按期办结"})
    assert due_date(district.task(case, "draft_reply", CLERK)) == ASSIGNED_DUE
    got = district.case(case)
    assert got.stage == "办理中" and got.data["reply_due"] == "2026-06-02" and got.data["extension_months"] == 0
    assert [(e["decision"], e["months"], e["comment"]) for e in got.data["extensions"]] == [("reject", 0, "应按期办结")]


def test_no_extension_past_six_months_from_the_assignment(district: District):
    case = signed_in(district)
    at_reply(district, case)
    with pytest.raises(Invalid) as refused:
        ask(district, case, 4)
    assert refused.value.status == 422 and LATEST in refused.value.message
    assert [d["field"] for d in refused.value.details] == ["extension_months_requested"]
    assert district.open_elements(case) == ["draft_reply"]
    with pytest.raises(Invalid) as typo:
        ask(district, case, 100000)
    assert LATEST in typo.value.message

    ask(district, case, 2)
    # the office may grant fewer months than asked, not more than the limit
    with pytest.raises(Invalid) as too_many:
        district.complete("liaison_clerk", case, "approve_extension", {"extension_decision": "approve",
                                                                       "extension_months_granted": 4})
    assert LATEST in too_many.value.message
    district.complete("liaison_clerk", case, "approve_extension", {"extension_decision": "approve",
                                                                   "extension_months_granted": 1})
    assert district.data(case)["reply_due"] == "2026-07-02"

    ask(district, case, 2)  # a second request, up to the limit
    district.complete("liaison_clerk", case, "approve_extension", {"extension_decision": "approve"})
    data = district.data(case)
    assert data["reply_due"] == LATEST and data["extension_months"] == 3 and len(data["extensions"]) == 2
    with pytest.raises(Invalid) as none_left:
        ask(district, case, 1)
    assert "不能再延期" in none_left.value.message and LATEST in none_left.value.message


def test_an_extension_request_names_its_months_and_reason(district: District):
    case = signed_in(district)
    at_reply(district, case)
    with pytest.raises(Invalid) as refused:
        district.complete(CLERK, case, "draft_reply", {"handling_action": "extend"})
    assert {d["field"] for d in refused.value.details} == {"extension_months_requested", "extension_reason"}
    with pytest.raises(Invalid):
        ask(district, case, 0)


def test_the_talks_gate_the_reply_but_not_an_extension_request(district: District):
    case = signed_in(district)
    at_reply(district, case)
    ask(district, case, 1)
    district.complete("liaison_clerk", case, "approve_extension", {"extension_decision": "approve"})
    with pytest.raises(Invalid) as refused:
        district.complete(CLERK, case, "draft_reply", {**REPLY, "face_reply": False})
    assert "办前沟通" in refused.value.message


def test_a_reply_names_every_missing_field(district: District):
    case = signed_in(district)
    at_reply(district, case, talks=True)
    with pytest.raises(Invalid) as refused:
        district.complete(CLERK, case, "draft_reply", {"reply_doc_no": "崂交建〔2026〕12号", "reply_text": " ",
                                                      "face_reply": False})
    details = refused.value.details
    assert [d["field"] for d in details] == ["reply_text", "result_class", "reply_signer"]
    assert [d["message"] for d in details] == ["提交答复须填写答复内容", "提交答复须填写办理结果分类", "提交答复须填写签发人"]
    assert district.open_elements(case) == ["draft_reply"]


def test_a_rehandling_round_can_be_extended_and_stays_rehandling(district: District):
    case = replied(district)
    evaluate(district, case, "unsatisfied")
    suggestions.name_leaders(district, case)
    district.complete("congress_leader", case, "take_charge", {"supervision_opinion": "限期办结", "interview": False})
    at_reply(district, case)
    due = district.data(case)["reply_due"]
    ask(district, case, 1)
    assert district.case(case).stage == "延期审批中"
    district.complete("liaison_clerk", case, "approve_extension", {"extension_decision": "approve"})
    got = district.case(case)
    assert got.stage == "二次办理" and got.data["reply_due"] > due
    assert due_date(district.task(case, "draft_reply", CLERK)).isoformat() == got.data["reply_due"]

