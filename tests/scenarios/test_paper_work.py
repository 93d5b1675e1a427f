"""Issue 11, item 16: paper work. The office enters a proposer's paper evaluation form (征询意见表) and registers
a paper proposal on a member's behalf, marked as entered by the clerk; nobody else may (403), and a case the
person cannot see does not exist for them (404)."""

from __future__ import annotations

import pytest

from engine.errors import Conflict, Forbidden, Invalid, NotFound
from workflows import paper, statistics

from ..conftest import BACKENDS
from . import test_proposal as proposals
from . import test_suggestion as suggestions
from .conftest import ZONE, District

FORM = {"satisfaction_work": "satisfied", "satisfaction_result": "basically_satisfied", "evaluation_comment": "纸质意见"}

pytestmark = pytest.mark.parametrize("backend", BACKENDS)  # every scenario on SQLite and PostgreSQL


def enter(district: District, who: str, case: int, answers: dict) -> None:
    with district.ctx.db.session() as session:
        paper.enter_evaluation(district.ctx, session, district._user(session, who), case, answers)


def paper_entries(district: District, case: int) -> list[paper.PaperEntry]:
    with district.ctx.db.session() as session:
        return paper.entries(session, district.case(case))


def year_figures(district: District, case_type: str) -> dict:
    with district.ctx.db.session() as session:
        return statistics.compute(session, 2026, ZONE, district.now().astimezone(ZONE).date(), case_type).overall.as_dict()


def test_the_liaison_office_enters_a_deputys_paper_evaluation_form(district: District):
    case = suggestions.replied(district)
    online = suggestions.replied(district)  # the same rating given online, for the statistics
    district.complete("deputy_wang", online, "evaluate", FORM)
    before = year_figures(district, "suggestion")

    enter(district, "liaison_clerk", case, FORM)

    data = district.data(case)
    assert (data["satisfaction_work"], data["satisfaction_result"]) == ("satisfied", "basically_satisfied")
    assert data["evaluations"][-1]["comment"] == "纸质意见" and district.case(case).stage == "已测评"
    # marked: the clerk completed it, on the deputy's behalf, from a paper form
    [event] = district.events(case, paper.ENTERED)
    assert event.actor == "liaison_clerk" and event.data == {"on_behalf_of": "deputy_wang", "source": "paper"}
    [completed] = [e for e in district.events(case, "task_completed") if e.element_id == "evaluate"]
    assert completed.actor == "liaison_clerk"
    assert [(e.clerk, e.on_behalf_of) for e in paper_entries(district, case)] == [("liaison_clerk", "deputy_wang")]
    # the statistics count it as the online rating: both cases alike
    after = year_figures(district, "suggestion")
    assert after["counts"]["evaluated_work"] == before["counts"]["evaluated_work"] + 1
    assert after["counts"]["satisfied_result"] == before["counts"]["satisfied_result"] + 1
    assert after["satisfaction_rate"] == {"work": 1.0, "result": 1.0}


def test_only_the_office_of_the_cases_body_enters_a_paper_form(district: District):
    case = suggestions.replied(district)
    for who in ("unit_transport_clerk", "deputy_li", "deputy_wang", "inspector", "committee_clerk"):
        # the lead unit, a co-signer, the proposer themselves, a supervisor: they see the case, and may not
        # the proposal committee is the other body's office: this suggestion is not its case
        expected = NotFound if who == "committee_clerk" else Forbidden
        with pytest.raises(expected):
            enter(district, who, case, FORM)
    with pytest.raises(NotFound):  # a deputy with no part in it: the case does not exist for them
        enter(district, "deputy_zhao", case, FORM)
    assert district.open_elements(case) == ["evaluate"]
    assert district.events(case, paper.ENTERED) == []


def test_a_paper_form_with_a_bad_answer_is_refused_naming_the_field(district: District):
    case = suggestions.replied(district)
    with pytest.raises(Invalid) as refused:
        enter(district, "liaison_clerk", case, {"satisfaction_work": "unsatisfied", "satisfaction_result": "meh"})
    assert {d["field"] for d in refused.value.details} == {"satisfaction_result", "evaluation_comment"}
    assert district.open_elements(case) == ["evaluate"]  # nothing entered
    with pytest.raises(Conflict):  # no evaluation waits yet on a case still in handling
        enter(district, "liaison_clerk", suggestions.signed_in(district), FORM)


def test_the_committee_enters_a_members_paper_evaluation_form(district: District):
    case = proposals.accepted(district)
    proposals.assign(district, case)
    proposals.sign_in(district, case, (proposals.LEAD,))
    proposals.handle(district, case)
    district.complete("committee_clerk", case, "review_reply", {"result_class": "B", "reply_review": "approve"})
    with pytest.raises(NotFound):  # the liaison office does not register the CPPCC's papers
        enter(district, "liaison_clerk", case, FORM)
    with pytest.raises(Forbidden):
        enter(district, f"{proposals.LEAD}_clerk", case, FORM)
    enter(district, "committee_clerk", case, {"satisfaction_work": "unsatisfied", "satisfaction_result": "unsatisfied",
                                              "evaluation_comment": "办理不到位"})
    assert district.data(case)["unsatisfied"] is True  # re-handled exactly as an online 不满意
    assert "name_leaders" in district.open_elements(case)  # the round's leaders in charge are named first
    assert paper_entries(district, case)[-1].on_behalf_of == "member_chen"


def register(district: District, who: str, data: dict) -> int:
    with district.ctx.db.session() as session:
        return paper.register(district.ctx, session, district._user(session, who), "proposal", data["title"], data).id


def test_the_committee_registers_a_paper_proposal_for_a_member(district: District):
    case = register(district, "committee_clerk", {**proposals.PROPOSAL, "proposer": "member_liu"})
    data = district.data(case)
    # no online submission left to the member: the registration was the submission
    assert district.open_elements(case) == ["initial_review"] and district.case(case).stage == "待审核"
    assert data["proposer"] == "member_liu" and data["submitted_at"]
    assert district.case(case).started_by == "committee_clerk"
    assert [(e.what, e.clerk, e.on_behalf_of) for e in paper_entries(district, case)] == [
        ("registered", "committee_clerk", "member_liu"), ("填写并提交提案", "committee_clerk", "member_liu")]
    # a member submitting for themselves still fills in the submission form
    own = district.start("member_he", "proposal", {"title": "关于老旧小区加装电梯的提案", "proposer": "member_he"})
    assert district.open_elements(own) == ["submit_proposal"] and paper_entries(district, own) == []


def test_a_paper_proposal_is_registered_by_the_committee_only_and_whole(district: District):
    for who in ("member_chen", "unit_housing_clerk", "liaison_clerk"):
        with pytest.raises(Forbidden):
            register(district, who, {**proposals.PROPOSAL, "proposer": "member_liu"})
    with pytest.raises(Invalid) as refused:  # the submission needs the body: nothing is half-registered
        register(district, "committee_clerk", {"title": "关于X的提案", "category": "经济", "proposer": "member_liu"})
    assert [d["field"] for d in refused.value.details] == ["body"]
    with district.ctx.db.session() as session:
        from engine.store import Case
        assert session.query(Case).count() == 0
