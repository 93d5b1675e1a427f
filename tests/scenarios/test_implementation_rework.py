"""Issue 11, item 6: implementation confirmed "not implemented" goes back to the unit with a new milestone
date, and is confirmed again; it never closes the case as if it were done."""

from __future__ import annotations

import pytest

from engine.errors import Invalid

from . import test_suggestion as suggestions
from .conftest import ZONE, District

LEAD = suggestions.LEAD


def test_not_implemented_goes_back_to_the_unit_with_a_new_milestone_date(district: District):
    case = suggestions.replied(district, "B")
    suggestions.evaluate(district, case, "satisfied")
    district.complete(f"{LEAD}_clerk", case, "plan_checklist", {"target_date": "2026-10-31", "milestones": "完成施工"})
    district.complete_each(f"{LEAD}_clerk", case, "close_milestone", {"milestone_result": "已完成"})
    district.complete("deputy_wang", case, "acceptance", {"acceptance_date": "2026-10-20", "acceptance_confirmed": True})
    district.note(f"{LEAD}_clerk", case, "contact_after", "与代表共同查看")
    confirmation = {"confirm_leader": "区人大常委会副主任", "confirm_summary": "信号灯未通电", "implemented": False}
    with pytest.raises(Invalid) as refused:  # the way back needs what is still to do, and by when
        district.complete("liaison_clerk", case, "confirm_implementation", confirmation)
    assert sorted(d["field"] for d in refused.value.details) == ["rework_due", "rework_milestone"]
    district.complete("liaison_clerk", case, "confirm_implementation",
                      {**confirmation, "rework_milestone": "信号灯通电并投入使用", "rework_due": "2026-12-15"})

    still = district.case(case)
    assert still.status == "running" and still.stage == "落实中"
    rework = district.task(case, "rework", f"{LEAD}_clerk")
    assert rework.candidate_groups == [LEAD]
    assert rework.due_at.astimezone(ZONE).date().isoformat() == "2026-12-15"
    district.complete(f"{LEAD}_clerk", case, "rework", {"rework_result": "已通电"})
    assert district.open_elements(case) == ["confirm_implementation"]
    district.complete("liaison_clerk", case, "confirm_implementation", {
        "confirm_leader": "区人大常委会副主任", "confirm_summary": "已投入使用", "implemented": True})
    closed = district.case(case)
    assert closed.status == "completed" and closed.data["implemented"] is True
    assert closed.data["checklist"][-1]["milestone"] == "信号灯通电并投入使用" and closed.data["rework_rounds"] == 1
