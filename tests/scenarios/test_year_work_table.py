"""README's second permission table (paper forms, registering for someone, tracked handling, results adopted)
checked cell by cell on SQLite and PostgreSQL: own case = one where the person holds a role, other = one where
they hold none (for the offices: a case of the other body)."""

from __future__ import annotations

import pytest

from engine.errors import Forbidden, NotFound
from workflows import paper, results, tracking

from ..conftest import BACKENDS
from . import test_proposal as proposals
from . import test_suggestion as suggestions
from .conftest import District

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

PERSONS = {"proposer": "member_chen", "co_signer": "member_liu", "lead_unit": "unit_housing_clerk",
           "assisting_unit": "unit_civil_clerk", "assigning_office": "committee_clerk", "supervisor": "inspector"}
EXPECTED = {  # paper form (own, other), register for someone, tracking (own, other), results (own, other)
    "proposer": (("403", "404"), "403", ("403", "404"), ("403", "404")),
    "co_signer": (("403", "404"), "403", ("403", "404"), ("403", "404")),
    "lead_unit": (("403", "404"), "403", ("403", "404"), ("yes", "404")),
    "assisting_unit": (("403", "404"), "403", ("403", "404"), ("403", "404")),
    "assigning_office": (("yes", "404"), "yes", ("yes", "404"), ("yes", "404")),
    "supervisor": (("403", "403"), "403", ("403", "403"), ("403", "403")),
}
FORM = {"satisfaction_work": "satisfied", "satisfaction_result": "satisfied"}
RESULT = {"kind": "policy", "title": "政策", "adopted_on": "2026-03-02"}


def outcome(district: District, who: str, action) -> str:
    try:
        with district.ctx.db.session() as session:
            action(district.ctx, session, district._user(session, who))
        return "yes"
    except Forbidden:
        return "403"
    except NotFound:
        return "404"


def joint_replied_proposal(district: District) -> int:
    """member_chen's joint proposal with member_liu, led by housing with civil assisting, awaiting evaluation."""
    case = district.start("member_chen", "proposal", {"title": "关于联名的提案", "proposer": "member_chen"})
    district.complete("member_chen", case, "submit_proposal", {**proposals.PROPOSAL, "submission_kind": "joint",
                                                               "cosigners_text": "member_liu"})
    district.complete("member_liu", case, "confirm_cosign", {"cosign_decision": "confirm"})
    proposals.review(district, case)
    proposals.assign(district, case, ("unit_civil",))
    proposals.sign_in(district, case, (proposals.LEAD, "unit_civil"))
    proposals.handle(district, case, ("unit_civil",))
    district.complete("committee_clerk", case, "review_reply", {"result_class": "B", "reply_review": "approve"})
    assert district.open_elements(case) == ["evaluate"]
    return case


def other_proposal(district: District) -> int:
    """member_he's proposal led by education: none of PERSONS but the committee and supervisors holds a role."""
    case = proposals.submit(district, "member_he")
    proposals.review(district, case, ("unit_education",))
    district.complete("committee_clerk", case, "assign_proposal", {
        "category": "经济", "lead_unit": "unit_education", "assist_unit_ids": "", "responsible_person": "赵科长"})
    district.complete("committee_director", case, "choose_key_proposal", {"priority": False, "leader_cppcc": "", "leader_government": ""})
    district.complete("unit_education_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    return case


def test_the_year_work_permission_table_holds_in_every_cell(district: District):
    own, other = joint_replied_proposal(district), other_proposal(district)
    suggestion = suggestions.replied(district)  # the committee's "other": a case of the congress
    found = {}
    for role, who in PERSONS.items():
        theirs = suggestion if role == "assigning_office" else other

        def enter(case):
            return lambda ctx, session, user: paper.enter_evaluation(ctx, session, user, case, FORM)

        def track(case):
            def act(ctx, session, user):
                tracking.start(ctx, session, user, case, "社会关注度高")
                tracking.end(ctx, session, user, case)  # the next person finds it untracked
            return act

        def record(case):
            return lambda ctx, session, user: results.add(ctx, session, user, case, RESULT)

        def register(ctx, session, user):
            paper.register(ctx, session, user, "proposal", "关于Y的提案", {**proposals.PROPOSAL, "proposer": "member_he"})

        paper_cells = (outcome(district, who, enter(own)) if role != "assigning_office" else None,
                       outcome(district, who, enter(theirs)))
        found[role] = [paper_cells, outcome(district, who, register),
                       (outcome(district, who, track(own)), outcome(district, who, track(theirs))),
                       (outcome(district, who, record(own)), outcome(district, who, record(theirs)))]
    # the office enters the form last: it consumes the evaluation the others were refused
    found["assigning_office"][0] = (outcome(district, "committee_clerk", enter(own)), found["assigning_office"][0][1])
    wrong = [f"{role}: expected {EXPECTED[role]}, found {tuple(found[role])}" for role in PERSONS
             if tuple(found[role]) != EXPECTED[role]]
    assert wrong == []
    assert district.events(own, paper.ENTERED)[0].actor == "committee_clerk"
