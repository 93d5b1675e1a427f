"""The year-end selection (bpmn/year_end_selection.bpmn): the offices nominate outstanding suggestions
and proposals and advanced units, the committee decides (or sends the nomination back), the result is
published; who may do each step, and a nomination of something that does not exist is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from engine import identity
from engine.cases import runtime
from engine.errors import Forbidden, Invalid, NotFound
from workflows import selection
from workflows.cases import CaseFacts

from .conftest import District
from .test_suggestion import accepted, assign

UNIT = "unit_transport"


def replied_suggestion(district: District) -> str:
    """An accepted and assigned suggestion; its reply written on its facts row (the reply itself is
    test_suggestion's business): the selection reads the facts, as the statistics do."""
    case = accepted(district)
    assign(district, case)
    with district.ctx.db.session() as session:
        session.execute(update(CaseFacts).where(CaseFacts.case_id == case)
                        .values(replied_at=datetime(2026, 6, 1, tzinfo=UTC)))
    return district.case(case).number


def start(district: District, who: str = "committee_clerk") -> int:
    return district.start(who, selection.PROCESS, {"year": 2026}, title="2026年度评优")


def test_nominated_decided_and_published(district):
    number = replied_suggestion(district)
    case = start(district)
    assert district.open_elements(case) == ["nominate"]
    district.complete("liaison_clerk", case, "nominate", {"excellent_cases": number, "advanced_units": UNIT,
                                                          "nomination_note": "群众反映好"})
    assert district.open_elements(case) == ["decide"] and district.case(case).stage == "待评审"
    assert district.data(case)["excellent_case_list"] == [number]
    # back for another look, then approved
    district.complete("committee_director", case, "decide", {"decision": "return", "decision_note": "补充材料"})
    assert district.open_elements(case) == ["nominate"]
    district.complete("committee_clerk", case, "nominate", {"excellent_cases": number, "advanced_units": UNIT})
    district.complete("congress_leader", case, "decide", {"decision": "approve"})
    done = district.case(case)
    assert done.status == "completed" and done.stage == "已公布" and done.data["published_at"]
    with district.ctx.db.session() as session:
        [published] = selection.published(session, 2026)
        assert published["cases"][0][0] == number and published["units"] == [(UNIT, "区交通运输局")]
        assert selection.published(session, 2025) == []


def as_someone_else(district: District, who: str, case: int, element_id: str, data: dict) -> None:
    """Try to complete the open task as a person it is not offered to: the engine must refuse."""
    row = district.task(case, element_id)
    with district.ctx.db.session() as session:
        runtime.complete_task(district.ctx, session, identity.get_user(session, who), row.id, data)


def test_only_the_offices_nominate_and_only_the_committee_decides(district):
    with pytest.raises(Forbidden):
        start(district, "deputy_wang")
    number = replied_suggestion(district)
    case = start(district, "inspector")  # supervisors may open the selection too
    with pytest.raises(NotFound):  # a deputy does not even see the selection
        as_someone_else(district, "deputy_li", case, "nominate", {"excellent_cases": number, "advanced_units": UNIT})
    district.complete("liaison_clerk", case, "nominate", {"excellent_cases": number, "advanced_units": UNIT})
    with pytest.raises(Forbidden):
        as_someone_else(district, "liaison_clerk", case, "decide", {"decision": "approve"})
    assert district.open_elements(case) == ["decide"]


def test_a_nomination_of_what_does_not_exist_is_refused(district):
    number = replied_suggestion(district)
    unreplied = district.case(accepted(district)).number
    case = start(district)
    with pytest.raises(Invalid) as refused:
        district.complete("liaison_clerk", case, "nominate", {
            "excellent_cases": f"{number}\n{unreplied}\n建议 2026-9999", "advanced_units": f"{UNIT},unit_nowhere"})
    details = {d["field"]: d["message"] for d in refused.value.details}
    assert unreplied in details["excellent_cases"] and "建议 2026-9999" in details["excellent_cases"]
    assert number not in details["excellent_cases"] and "unit_nowhere" in details["advanced_units"]
    assert district.open_elements(case) == ["nominate"]  # nothing lost: the task waits
