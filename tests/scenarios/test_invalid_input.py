"""What a clerk types into the shipped models is checked beside the field (422), not left for the
engine to trip over later (a 500 on every retry, or on PostgreSQL only)."""

from __future__ import annotations

import pytest

from engine.errors import Invalid

from .conftest import District
from .test_proposal import submit as submit_proposal
from .test_suggestion import LEAD, evaluate, replied


def _at_checklist(district: District) -> int:
    case = replied(district, "B")  # class A needs no milestones: it goes straight to the on-site acceptance
    evaluate(district, case, "satisfied")
    assert district.open_elements(case) == ["plan_checklist"]
    return case


@pytest.mark.parametrize("milestones,word", [("2027-02-30 完成选址\n组织验收", "2027-02-30"),
                                             ("2026-13-01 完成设计", "2026-13-01"),
                                             ("9999-01-01 完成设计", "9999-01-01")])
def test_a_milestone_on_a_day_that_does_not_exist_is_refused_beside_the_field(district: District, milestones, word):
    case = _at_checklist(district)
    with pytest.raises(Invalid) as refused:
        district.complete(f"{LEAD}_clerk", case, "plan_checklist",
                          {"target_date": "2026-10-31", "milestones": milestones})
    assert refused.value.details[0]["field"] == "milestones" and word in refused.value.details[0]["message"]
    assert district.open_elements(case) == ["plan_checklist"]  # nothing lost: the task is still there
    district.complete(f"{LEAD}_clerk", case, "plan_checklist",
                      {"target_date": "2026-10-31", "milestones": "2026-07-15 完成设计\n组织验收"})
    assert district.open_elements(case) == ["close_milestone", "close_milestone"]


@pytest.mark.parametrize("units,word", [("unit_" + "x" * 150, "过长"), ("unit_housing, unit_nowhere", "unit_nowhere")])
def test_joint_review_units_must_be_known_units_of_a_sane_length(district: District, units, word):
    case = submit_proposal(district)
    district.complete("committee_clerk", case, "initial_review", {"initial_outcome": "pass"})
    with pytest.raises(Invalid) as refused:
        district.complete("committee_clerk", case, "re_review", {"re_review_outcome": "pass", "review_units": units})
    assert refused.value.details[0]["field"] == "review_units" and word in refused.value.details[0]["message"]
    assert district.open_elements(case) == ["re_review"]
