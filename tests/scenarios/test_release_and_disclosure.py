"""Issue 11, items 1, 8 and 15: the evaluation period counts from the release of the reply to the proposer;
the final reply (after re-handling) is disclosed after the evaluation, for suggestions and proposals; the
reasons a choice needs (return, withholding, 不满意) are required exactly when that choice is made."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.bpmn import lint
from engine.errors import Invalid

from . import test_proposal as proposals
from . import test_suggestion as suggestions
from .conftest import District


def _released_due(district: District, case: int, days: int) -> datetime:
    released = district.data(case)["reply_released_at"]
    return datetime.fromisoformat(district.ctx.calendar.add_working_days(released, days))


def test_suggestion_evaluation_counts_from_the_release_not_the_units_reply(district: District):
    case = suggestions.signed_in(district)
    suggestions.reply(district, case, "A")
    district.advance(days=35)  # the office takes its time: more than 20 working days after the unit's reply
    district.fire_timers()
    district.complete("liaison_clerk", case, "review_reply", {"result_class": "A", "reply_review_outcome": "approve"})
    district.fire_timers()
    assert district.open_elements(case) == ["evaluate"]  # not recorded 未测评
    assert district.case(case).stage == "待测评"
    assert district.task(case, "evaluate").due_at == _released_due(district, case, 20)
    assert district.data(case)["reply_released_at"] > district.data(case)["replied_at"]


def test_proposal_evaluation_counts_from_the_release_not_the_units_reply(district: District):
    case = proposals.accepted(district)
    proposals.assign(district, case)
    proposals.sign_in(district, case, (proposals.LEAD,))
    proposals.handle(district, case)
    district.advance(days=30)
    district.fire_timers()
    district.complete("committee_clerk", case, "review_reply", {"result_class": "B", "reply_review": "approve"})
    district.fire_timers()
    assert district.open_elements(case) == ["evaluate"]
    assert district.task(case, "evaluate").due_at == _released_due(district, case, 15)


def test_a_rehandled_reply_is_evaluated_from_its_own_release(district: District):
    case = suggestions.replied(district)
    suggestions.evaluate(district, case, "unsatisfied")
    suggestions.rehandle(district, case)
    evaluation = district.task(case, "evaluate")
    assert evaluation.due_at == _released_due(district, case, 20)
    assert evaluation.due_at > district.now()


def test_suggestion_final_reply_is_disclosed_after_the_evaluation_and_rehandling(district: District):
    case = suggestions.signed_in(district)
    suggestions.reply(district, case, "C")
    district.complete("liaison_clerk", case, "review_reply", {"result_class": "C", "reply_review_outcome": "approve"})
    assert district.open_elements(case) == ["evaluate"]  # nothing disclosed before the deputy has rated it
    district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": "unsatisfied",
                                                       "satisfaction_result": "unsatisfied",
                                                       "evaluation_comment": "没有实质解决"})
    assert "disclose" not in district.open_elements(case)
    suggestions.rehandle(district, case)
    district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": "satisfied",
                                                       "satisfaction_result": "satisfied"})
    disclose = district.task(case, "disclose")
    shown = {f["id"] for f in disclose.form}
    assert {"reply_text", "disclosure", "disclosure_reason"} <= shown
    # withheld needs a reason; full text does not
    with pytest.raises(Invalid) as refused:
        district.complete("liaison_clerk", case, "disclose", {"disclosure": "withheld"})
    assert [d["field"] for d in refused.value.details] == ["disclosure_reason"]
    district.complete("liaison_clerk", case, "disclose", {"disclosure": "withheld", "disclosure_reason": "涉及个人隐私"})
    data = district.data(case)
    assert data["disclosure"] == "withheld" and data["rehandling_rounds"] == 1
    assert district.open_elements(case) == ["plan_checklist"]  # B after the re-handling


def test_proposal_final_reply_is_disclosed_after_the_evaluation(district: District):
    case = proposals.accepted(district)
    proposals.assign(district, case)
    proposals.sign_in(district, case, (proposals.LEAD,))
    proposals.handle(district, case)
    district.complete("committee_clerk", case, "review_reply", {"result_class": "B", "reply_review": "approve"})
    district.complete("member_chen", case, "evaluate", {"satisfaction_work": "satisfied",
                                                        "satisfaction_result": "basically_satisfied"})
    assert district.open_elements(case) == ["disclose"]
    assert district.task(case, "disclose").candidate_groups == ["proposal_committee"]
    district.complete("committee_clerk", case, "disclose", {"disclosure": "summary"})
    assert district.data(case)["disclosure"] == "summary"
    assert district.open_elements(case) == ["record_results"]


def test_reasons_are_required_exactly_when_the_choice_needs_them(district: District):
    case = suggestions.submit(district, cosigners=[])
    with pytest.raises(Invalid) as refused:
        district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "return"})
    assert sorted(d["field"] for d in refused.value.details) == ["return_ground", "review_reason"]
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "accept"})  # no reason needed

    case = suggestions.replied(district)
    with pytest.raises(Invalid) as refused:
        district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": "satisfied",
                                                           "satisfaction_result": "unsatisfied"})
    assert [d["field"] for d in refused.value.details] == ["evaluation_comment"]
    district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": "satisfied",
                                                       "satisfaction_result": "satisfied"})

    case = proposals.submit(district)
    district.complete("committee_clerk", case, "initial_review", {"initial_outcome": "pass"})
    district.complete("committee_clerk", case, "re_review", {"re_review_outcome": "pass",
                                                             "review_units": proposals.LEAD})
    district.complete(f"{proposals.LEAD}_clerk", case, "joint_review", {"joint_decision": "confirm"})
    with pytest.raises(Invalid) as refused:
        district.complete("committee_clerk", case, "review_decision", {"review_outcome": "reject"})
    assert [d["field"] for d in refused.value.details] == ["reject_ground"]


def test_lint_refuses_a_condition_on_a_field_the_form_does_not_have():
    model = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="t" camunda:candidateGroups="g">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="choice" label="choice" type="string"/>
        <camunda:formField id="why" label="why" type="string">
          <camunda:validation><camunda:constraint name="required_if" config="decision=no"/></camunda:validation>
        </camunda:formField>
        <camunda:formField id="how" label="how" type="string">
          <camunda:validation><camunda:constraint name="required_if" config="choice"/></camunda:validation>
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""
    problems = [p.message for p in lint.lint_files({"p.bpmn": model})]
    assert any("names 'decision'" in m for m in problems)
    assert any("needs 'field=value'" in m for m in problems)
