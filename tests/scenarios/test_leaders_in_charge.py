"""Issue 11, item 13 (and item 5's leaders): leaders in charge (包案) are users of the organisation, picked by the
office from the directory's leaders, one per body; they become case participants, find the case under
我包案的案件, are told at assignment, reply and evaluation, and act where the process needs their word."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import identity
from engine.cases import queries, roles, runtime
from engine.errors import Forbidden, Invalid, NotFound
from engine.store import OutboxMessage
from tests.conftest import BACKENDS
from workflows import caselist, units

from . import test_proposal as proposals
from . import test_suggestion as suggestions
from .conftest import PASSWORD, District

pytestmark = pytest.mark.parametrize("backend", BACKENDS)  # SQLite and PostgreSQL

LEAD = suggestions.LEAD


def key_suggestion(district: District, **leaders) -> int:
    case = suggestions.accepted(district)
    suggestions.assign(district, case, priority=True, **(leaders or {"leader_congress": "congress_leader",
                                                                    "leader_government": "government_leader"}))
    district.complete(f"{LEAD}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    return case


def attempt(district: District, who: str, case: int, element: str, data: dict) -> None:
    """`who` tries to complete the case's open task `element`, whoever it is offered to."""
    row = district.task(case, element)
    with district.ctx.db.session() as session:
        runtime.complete_task(district.ctx, session, identity.get_user(session, who), row.id, data)


def notices(district: District, who: str) -> list[str]:
    with district.ctx.db.session() as session:
        return list(session.scalars(select(OutboxMessage.subject).where(
            OutboxMessage.recipient == who, OutboxMessage.kind == "leader_in_charge", OutboxMessage.channel == "in_app")
            .order_by(OutboxMessage.id)))


def sees(district: District, who: str, case: int, in_charge: bool = False) -> bool:
    with district.ctx.db.session() as session:
        user = identity.get_user(session, who)
        if in_charge:
            return case in {c.id for c, _f in caselist.find(session, user, caselist.Filters(in_charge=True))}
        return case in {c.id for c in queries.list_cases(session, user)}


def test_a_key_suggestion_names_a_congress_and_a_government_leader_who_follow_it(district: District):
    case = key_suggestion(district)
    with district.ctx.db.session() as session:
        assert roles.role_names(session, case)["leader_in_charge"] == ["congress_leader", "government_leader"]
    for leader in ("congress_leader", "government_leader"):
        assert sees(district, leader, case) and sees(district, leader, case, in_charge=True)
        assert notices(district, leader) == [f"包案：{district.case(case).number}"]  # told at the assignment
    assert not sees(district, "cppcc_leader", case)  # a leader not named does not see it
    assert not sees(district, "congress_leader", case + 1000, in_charge=True)

    suggestions.reply(district, case)
    district.complete("liaison_clerk", case, "review_reply", {"result_class": "A", "reply_review_outcome": "approve"})
    number = district.case(case).number
    assert notices(district, "congress_leader")[-1] == f"包案答复：{number}"  # the reply reached the deputy
    suggestions.evaluate(district, case, "satisfied")
    assert notices(district, "government_leader")[-1] == f"包案测评：{number}"
    assert len(notices(district, "government_leader")) == 3  # once each: named, reply, evaluation


@pytest.mark.parametrize(("field", "who"), [("leader_congress", "deputy_li"), ("leader_government", "congress_leader"),
                                             ("leader_congress", "nobody_here")])
def test_a_key_suggestion_refuses_a_leader_not_in_the_directory(district: District, field: str, who: str):
    case = suggestions.accepted(district)
    leaders = {"leader_congress": "congress_leader", "leader_government": "government_leader", field: who}
    with pytest.raises(Invalid) as refused:
        suggestions.assign(district, case, priority=True, **leaders)
    assert [d["field"] for d in refused.value.details] == [field]
    assert district.open_elements(case) == ["assign"]  # nothing lost: the assignment is still to be made


def test_a_key_suggestion_needs_both_leaders(district: District):
    case = suggestions.accepted(district)
    with pytest.raises(Invalid) as refused:
        suggestions.assign(district, case, priority=True, leader_congress="congress_leader")
    assert [d["field"] for d in refused.value.details] == ["leader_government"]


def test_each_rehandling_round_names_its_leaders_who_take_charge(district: District):
    with district.ctx.db.session() as session:  # a second congress leader, not named on this case
        identity.add_user(session, "congress_leader_2", PASSWORD, ["congress_leaders"])
    case = suggestions.replied(district)
    suggestions.evaluate(district, case, "unsatisfied")
    assert district.open_elements(case) == ["name_leaders"]
    with pytest.raises(Invalid) as refused:  # a unit clerk is no leader; a congress leader is not the government's
        district.complete("liaison_clerk", case, "name_leaders", {"round_leader_body": f"{LEAD}_clerk",
                                                                  "round_leader_government": "congress_leader"})
    assert sorted(d["field"] for d in refused.value.details) == ["round_leader_body", "round_leader_government"]
    with pytest.raises(NotFound):  # only the office names them; a leader not named yet does not even see the case
        attempt(district, "congress_leader", case, "name_leaders", {"round_leader_body": "congress_leader",
                                                                    "round_leader_government": "government_leader"})
    suggestions.name_leaders(district, case)
    assert district.task(case, "take_charge").candidate_users == ["congress_leader", "government_leader"]
    assert notices(district, "congress_leader") == [f"包案：{district.case(case).number}"]
    # neither another congress leader nor a leader of another case may take charge
    for other in ("congress_leader_2", "cppcc_leader"):
        with pytest.raises((Forbidden, NotFound)):
            attempt(district, other, case, "take_charge", {"supervision_opinion": "x", "interview": False})
    assert not sees(district, "congress_leader_2", case)
    district.complete("government_leader", case, "take_charge", {"supervision_opinion": "限期办结", "interview": True})
    district.complete("congress_leader", case, "interview_head", {"interview_date": "2026-05-20",
                                                                  "interview_summary": "约谈局长"})
    suggestions.reply(district, case, "B", face=False)
    district.complete("liaison_clerk", case, "review_rehandled", {"result_class": "B"})
    suggestions.evaluate(district, case, "unsatisfied")
    # the second round: the office names again; the first round's leaders stay on the case
    suggestions.name_leaders(district, case, body="congress_leader_2")
    data = district.data(case)
    assert data["leaders_in_charge"] == ["congress_leader", "government_leader"]
    assert sees(district, "congress_leader_2", case, in_charge=True) and sees(district, "congress_leader", case)
    assert district.task(case, "take_charge").candidate_users == ["congress_leader_2", "government_leader"]


def test_the_office_picks_leaders_from_the_directory(district: District):
    with district.ctx.db.session() as session:
        lists = units.directory(session, "proposal")
    assert [name for name, _shown in lists["leaders_body"]] == ["cppcc_leader"]
    assert [name for name, _shown in lists["leaders_government"]] == ["government_leader"]


def key_proposal(district: District) -> int:
    case = proposals.accepted(district)
    proposals.assign(district, case, key=True)
    proposals.sign_in(district, case, (proposals.LEAD,))
    proposals.handle(district, case)
    district.complete("committee_clerk", case, "review_reply", {"result_class": "B", "reply_review": "approve"})
    return case


def test_the_supervising_leader_of_a_key_proposal_reads_the_reply_before_it_goes_out(district: District):
    case = key_proposal(district)
    assert district.open_elements(case) == ["leader_review_reply"]
    assert notices(district, "cppcc_leader") == [f"包案：{district.case(case).number}"]
    # the government leader of the same case and a leader of another case cannot give the supervising leader's word
    for other in ("government_leader", "congress_leader"):
        with pytest.raises((Forbidden, NotFound)):
            attempt(district, other, case, "leader_review_reply", {"leader_reply_opinion": "同意"})
    with pytest.raises(Invalid) as refused:
        district.complete("cppcc_leader", case, "leader_review_reply", {"leader_reply_opinion": ""})
    assert [d["field"] for d in refused.value.details] == ["leader_reply_opinion"]
    district.complete("cppcc_leader", case, "leader_review_reply", {"leader_reply_opinion": "同意，抓好落实"})
    assert district.open_elements(case) == ["evaluate"] and district.data(case)["reply_released_at"]
    assert notices(district, "cppcc_leader")[-1] == f"包案答复：{district.case(case).number}"


def test_a_key_proposal_refuses_a_supervising_leader_who_is_no_cppcc_leader(district: District):
    case = proposals.accepted(district)
    district.complete("committee_clerk", case, "assign_proposal", {
        "category": "经济", "lead_unit": proposals.LEAD, "responsible_person": "王科长"})
    with pytest.raises(Invalid) as refused:
        district.complete("committee_director", case, "choose_key_proposal", {
            "priority": True, "leader_cppcc": "congress_leader", "leader_government": "government_leader"})
    assert [d["field"] for d in refused.value.details] == ["leader_cppcc"]
    assert district.open_elements(case) == ["choose_key_proposal"]
