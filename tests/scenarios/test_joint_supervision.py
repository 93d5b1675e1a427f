"""Issue 11, item 7: joint city-district supervision leads somewhere. The liaison office may send a hard case
(难点) to joint supervision directly, the city deputies and the on-site meeting (现场办公) are recorded, and
the deputy evaluates again afterwards; after the rounds and the joint supervision the evaluation ends."""

from __future__ import annotations

import pytest

from engine.errors import Invalid

from . import test_suggestion as suggestions
from .conftest import District

JOINT = {"inspection_date": "2026-07-01", "joint_findings": "纳入市级道路改造计划", "joint_participants": "市人大代表刘某"}


def test_a_hard_case_goes_to_joint_supervision_directly_and_is_evaluated_again(district: District):
    case = suggestions.signed_in(district)
    suggestions.reply(district, case, "B")
    district.complete("liaison_clerk", case, "review_reply", {"result_class": "B", "reply_review_outcome": "approve",
                                                              "joint_requested": True})
    assert district.open_elements(case) == ["joint_supervision"]  # not after two rounds: straight away
    assert district.case(case).stage == "联合督办" and district.case(case).flagged
    with pytest.raises(Invalid) as refused:  # an on-site meeting needs its date and what was agreed
        district.complete("congress_leader", case, "joint_supervision", {**JOINT, "onsite_meeting": True})
    assert sorted(d["field"] for d in refused.value.details) == ["onsite_date", "onsite_summary"]
    district.complete("congress_leader", case, "joint_supervision", {
        **JOINT, "onsite_meeting": True, "onsite_date": "2026-07-02", "onsite_summary": "市区分工打通道路"})

    assert district.open_elements(case) == ["evaluate"]  # the deputy is asked again
    evaluation = district.task(case, "evaluate")
    assert evaluation.due_at > district.now()
    record = district.data(case)["joint_records"][0]
    assert record["participants"] == "市人大代表刘某" and record["onsite_meeting"] is True
    assert record["reason"].startswith("难点")
    suggestions.evaluate(district, case, "satisfied")
    data = district.data(case)
    assert data["satisfaction_result"] == "satisfied" and data["rehandling_rounds"] == 0
    assert district.open_elements(case) == ["plan_checklist"]


def test_still_unsatisfied_after_the_rounds_and_joint_supervision_the_evaluation_ends(district: District):
    case = suggestions.replied(district)
    for _ in range(district.ctx.config["suggestion.max_rehandling_rounds"]):
        suggestions.evaluate(district, case, "unsatisfied")
        suggestions.rehandle(district, case)
    suggestions.evaluate(district, case, "unsatisfied")
    district.complete("congress_leader", case, "joint_supervision", JOINT)
    district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": "unsatisfied",
                                                       "satisfaction_result": "unsatisfied",
                                                       "evaluation_comment": "仍未解决"})
    assert district.open_elements(case) == ["disclose"]  # no endless loop: disclosure, then follow-up
    assert len(district.data(case)["evaluations"]) == 4
