"""Issue 11, item 14 (清单式管理): a unit reports a milestone done, or delayed with a reason and a new date; the
deputy is invited to the on-site acceptance (验收) and confirms; a class A case is not forced to plan
milestones; each follow-up of a plan gets its own due date."""

from __future__ import annotations

from datetime import date

import pytest

from engine.errors import Invalid
from tests.conftest import BACKENDS

from . import test_suggestion as suggestions
from .conftest import ZONE, District

LEAD = suggestions.LEAD


def test_a_milestone_delayed_with_a_reason_comes_back_on_its_new_date(district: District):
    case = suggestions.replied(district, "B")
    suggestions.evaluate(district, case, "satisfied")
    district.complete(f"{LEAD}_clerk", case, "plan_checklist", {"target_date": "2026-10-31",
                                                                "milestones": "2026-08-15 完成施工"})
    with pytest.raises(Invalid) as refused:
        district.complete(f"{LEAD}_clerk", case, "close_milestone", {"milestone_status": "delayed",
                                                                     "milestone_result": "管材供货延迟"})
    assert [d["field"] for d in refused.value.details] == ["milestone_new_due"]
    district.complete(f"{LEAD}_clerk", case, "close_milestone", {"milestone_status": "delayed",
                                                                 "milestone_result": "管材供货延迟",
                                                                 "milestone_new_due": "2026-09-15"})
    again = district.task(case, "close_milestone")
    assert again.due_at.astimezone(ZONE).date().isoformat() == "2026-09-15"
    district.complete(f"{LEAD}_clerk", case, "close_milestone", {"milestone_status": "done",
                                                                 "milestone_result": "已完工"})
    assert district.open_elements(case) == ["acceptance"]
    item = district.data(case)["checklist"][0]
    assert item["done"] is True and item["due"] == "2026-09-15"
    assert item["delays"][0]["from"] == "2026-08-15" and item["delays"][0]["reason"] == "管材供货延迟"


def test_class_a_goes_to_the_deputys_acceptance_without_milestones(district: District):
    case = suggestions.replied(district, "A")
    suggestions.evaluate(district, case, "satisfied")
    acceptance = district.task(case, "acceptance")
    assert acceptance.candidate_users == ["deputy_wang"] and acceptance.due_at is not None
    with pytest.raises(Invalid) as refused:  # not confirmed: say what is missing
        district.complete("deputy_wang", case, "acceptance", {"acceptance_date": "2026-07-01"})
    assert [d["field"] for d in refused.value.details] == ["acceptance_comment"]
    district.complete("deputy_wang", case, "acceptance", {"acceptance_date": "2026-07-01",
                                                         "acceptance_comment": "信号灯尚未通电"})
    assert district.open_elements(case) == ["confirm_implementation"]
    data = district.data(case)
    assert data["acceptance_confirmed"] is False and data["acceptance_comment"] == "信号灯尚未通电"


def test_each_follow_up_of_a_plan_has_its_own_due_date(district: District):
    case = suggestions.replied(district, "C")
    suggestions.evaluate(district, case, "satisfied")
    district.complete(f"{LEAD}_clerk", case, "list_in_plan", {"plan_name": "2027年度计划", "plan_due": "2027-06-30",
                                                              "next_follow_up": "2026-12-31"})
    assert district.task(case, "follow_up_plan").due_at.astimezone(ZONE).date().isoformat() == "2026-12-31"
    with pytest.raises(Invalid) as refused:
        district.complete(f"{LEAD}_clerk", case, "follow_up_plan", {"progress_note": "已立项"})
    assert [d["field"] for d in refused.value.details] == ["next_follow_up"]
    district.complete(f"{LEAD}_clerk", case, "follow_up_plan", {"progress_note": "已立项", "next_follow_up": "2027-03-31"})
    assert district.task(case, "follow_up_plan").due_at.astimezone(ZONE).date().isoformat() == "2027-03-31"


@pytest.mark.parametrize("backend", BACKENDS)  # SQLite and PostgreSQL
def test_a_class_c_suggestion_solved_next_year_counts_as_implemented_in_its_own_year(district: District):
    """Issue 11, item 9: 落实率 counts a class C case (列入计划逐步解决) once its implementation is confirmed, for
    the year it was assigned in, even when that is confirmed the year after."""
    from workflows import statistics

    def figures(year: int) -> dict:
        with district.ctx.db.session() as session:
            report = statistics.report(district.ctx, session, year, "suggestion")
        return report["overall"]["counts"]

    case = suggestions.replied(district, "C")
    suggestions.evaluate(district, case, "satisfied")
    district.complete(f"{LEAD}_clerk", case, "list_in_plan", {"plan_name": "2027年度计划", "plan_due": "2027-06-30",
                                                              "next_follow_up": "2026-12-31"})
    assert (figures(2026)["promised"], figures(2026)["implemented"]) == (0, 0)  # not solved yet: not counted
    district.move_to(date(2027, 3, 15))
    district.complete(f"{LEAD}_clerk", case, "follow_up_plan", {"progress_note": "已建成投用，再次答复代表",
                                                                "plan_solved": True})
    if "acceptance" in district.open_elements(case):
        district.complete("deputy_wang", case, "acceptance", {"acceptance_date": "2027-03-16",
                                                             "acceptance_confirmed": True})
    district.note(f"{LEAD}_clerk", case, "contact_after", "与代表共同确认")
    district.complete("liaison_clerk", case, "confirm_implementation", {
        "confirm_leader": "区人大常委会副主任", "confirm_summary": "已解决", "implemented": True})
    assert district.case(case).status == "completed" and district.data(case)["implemented"] is True
    counts = figures(2026)
    assert (counts["promised"], counts["implemented"]) == (1, 1)
    assert figures(2027)["implemented"] == 0  # not counted again in the year of the confirmation
