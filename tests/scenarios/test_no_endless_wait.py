"""Issue 11, items 2, 3 and 11: no task waits for ever. Every person's task has a deadline from config.yaml,
with reminders and escalation; a silent co-signer is left off; a merged proposal whose main proposal ends
unreplied is told and decided again; the flag re-handling sets is the case's flag; the overdue mark follows
the open deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine.cases import supervision
from engine.store import CaseNote, OutboxMessage, User

from . import test_proposal as proposals
from . import test_suggestion as suggestions
from .conftest import BPMN_DIR, District

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
DUE = "{http://camunda.org/schema/1.0/bpmn}dueDate"


def told(district: District, who: str, kind: str | None = None) -> list[OutboxMessage]:
    with district.ctx.db.session() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.recipient == who, OutboxMessage.channel == "in_app")
        if kind:
            stmt = stmt.where(OutboxMessage.kind == kind)
        return list(session.scalars(stmt))


@pytest.mark.parametrize("path", sorted(BPMN_DIR.glob("*.bpmn")), ids=lambda p: Path(p).name)
def test_every_persons_task_in_the_models_has_a_deadline(path):
    root = etree.parse(str(path)).getroot()
    without = [t.get("id") for t in root.iterfind(".//bpmn:userTask", NS) if not t.get(DUE)]
    assert without == []


def test_a_cosigner_who_does_not_confirm_in_time_is_left_off_with_a_note(district: District):
    case = suggestions.submit(district)  # deputy_li is asked to co-sign
    data = district.data(case)
    confirm = district.task(case, "confirm_cosign", "deputy_li")
    days = district.ctx.config["suggestion.task_working_days"]["confirm_cosign"]
    assert confirm.due_at == datetime.fromisoformat(district.ctx.calendar.add_working_days(data["submitted_at"], days))

    district.move_to(confirm.due_at - timedelta(hours=1))
    district.fire_timers()
    assert district.open_elements(case) == ["confirm_cosign"]
    with district.ctx.db.session() as session:  # deputy_li reads English: the notice comes in English
        session.scalar(select(User).where(User.username == "deputy_li")).language = "en"
        session.commit()
    district.move_to(confirm.due_at + timedelta(minutes=1))
    district.fire_timers()

    data = district.data(case)
    assert district.open_elements(case) == ["pre_review"]  # the review goes on without them
    assert data["cosigners"] == [] and data["cosigners_lapsed"] == ["deputy_li"] and data["cosigners_declined"] == []
    with district.ctx.db.session() as session:
        notes = [n.body for n in session.scalars(select(CaseNote).where(CaseNote.case_id == case))]
    assert any("deputy_li" in body and "未在期限内确认" in body for body in notes)
    assert told(district, "deputy_wang", "cosigner_dropped") and told(district, "deputy_li", "cosigner_dropped")
    assert len(district.events(case, "cosigner_dropped")) == 1
    english, chinese = told(district, "deputy_li", "cosigner_dropped")[0], told(district, "deputy_wang", "cosigner_dropped")[0]
    assert english.subject.startswith("Co-signing not confirmed") and "no longer co-sign" in english.body
    assert chinese.subject.startswith("联名未确认") and "未在期限内确认联名" in chinese.body


def test_a_proposal_cosigner_who_does_not_confirm_in_time_is_left_off(district: District):
    case = proposals.submit(district, submission_kind="joint", cosigners_text="member_liu")
    confirm = district.task(case, "confirm_cosign", "member_liu")
    district.move_to(confirm.due_at + timedelta(minutes=1))
    district.fire_timers()
    data = district.data(case)
    assert data["cosigners"] == [] and data["cosigners_lapsed"] == ["member_liu"]
    assert data["submission_kind"] == "individual" and district.open_elements(case) == ["initial_review"]
    assert told(district, "member_chen", "cosigner_dropped")


def test_the_offices_review_of_a_reply_has_a_deadline_and_escalates(district: District):
    case = suggestions.signed_in(district)
    suggestions.reply(district, case)
    review = district.task(case, "review_reply")
    assert review.due_at is not None
    district.move_to(review.due_at + timedelta(minutes=1))
    district.fire_timers()
    escalated = district.case(case)
    assert escalated.overdue and escalated.flagged
    assert district.task(case, "review_reply").overdue
    assert told(district, "liaison_clerk", "escalation") and told(district, "inspector", "escalation")


@pytest.mark.parametrize("element", ["submit_proposal", "review_decision", "choose_key_proposal",
                                     "notify_rejection"])
def test_proposal_tasks_fall_due(district: District, element: str):
    case = district.start("member_chen", "proposal", {"title": proposals.PROPOSAL["title"], "proposer": "member_chen"})
    if element != "submit_proposal":
        district.complete("member_chen", case, "submit_proposal", proposals.PROPOSAL)
        district.complete("committee_clerk", case, "initial_review", {"initial_outcome": "pass"})
        district.complete("committee_clerk", case, "re_review", {"re_review_outcome": "pass",
                                                                 "review_units": proposals.LEAD})
        district.complete(f"{proposals.LEAD}_clerk", case, "joint_review", {"joint_decision": "confirm"})
    if element == "choose_key_proposal":
        district.complete("committee_clerk", case, "review_decision", {"review_outcome": "accept"})
        district.complete("committee_clerk", case, "assign_proposal", {
            "category": "经济", "lead_unit": proposals.LEAD, "responsible_person": "王科长"})
    if element == "notify_rejection":
        district.complete("committee_clerk", case, "review_decision", {"review_outcome": "reject",
                                                                       "reject_ground": "empty"})
        district.complete("committee_director", case, "directors_second_look", {"second_look": "uphold"})
    task = district.task(case, element)
    days = district.ctx.config["proposal.task_working_days"][element]
    expected = district.ctx.calendar.add_working_days(task.created_at, days)
    assert abs(task.due_at - expected) < timedelta(minutes=1)


def test_a_merged_proposal_whose_main_one_ends_unreplied_is_told_and_decided_again(district: District):
    main = proposals.submit(district, "member_chen")
    merged = proposals.submit(district, "member_liu")
    proposals.review(district, merged, review_outcome="merge", merged_into=district.case(main).number)
    waiting = district.case(merged)
    assert waiting.stage == "已并案" and waiting.due_at is not None  # the wait itself has a deadline

    # the main proposal is withdrawn: no reply will ever come from it
    proposals.review(district, main, review_outcome="withdraw")
    assert district.case(main).status == "completed"
    again = district.case(merged)
    assert again.status == "running" and again.stage == "待审核" and again.data["merged_into"] == ""
    assert district.open_elements(merged) == ["review_decision"]
    assert told(district, "member_liu", "main_case_ended") and told(district, "committee_clerk", "main_case_ended")
    assert again.data["review_records"][-1]["outcome"] == "merge_undone"
    district.complete("committee_clerk", merged, "review_decision", {"review_outcome": "accept"})
    assert district.open_elements(merged) == ["assign_proposal"]


def test_rehandling_flags_the_case_itself_with_a_reason_and_the_unit_is_told(district: District):
    case = suggestions.replied(district)
    assert not district.case(case).flagged
    suggestions.evaluate(district, case, "unsatisfied")
    flagged = district.case(case)
    assert flagged.flagged and flagged.stage == "二次办理"
    events = district.events(case, "case_flagged")
    assert len(events) == 1 and "提出人对办理不满意" in events[0].message
    assert told(district, f"{suggestions.LEAD}_clerk", "flagged") and told(district, f"{suggestions.LEAD}_chief",
                                                                            "flagged")
    with district.ctx.db.session() as session:
        assert case in [c.id for c in supervision.watchlist(session).lists["flagged"]]
    # a second round flags it anew (and tells the unit again), the same round never twice
    suggestions.rehandle(district, case)
    suggestions.evaluate(district, case, "unsatisfied")
    assert len(district.events(case, "case_flagged")) == 2


def test_the_overdue_mark_clears_when_no_deadline_is_past(district: District):
    case = suggestions.accepted(district)
    suggestions.assign(district, case)
    sign_in = district.task(case, "sign_in_or_contest")
    district.move_to(sign_in.due_at + timedelta(minutes=1))
    district.fire_timers()
    assert district.case(case).overdue
    with district.ctx.db.session() as session:
        assert case in [c.id for c in supervision.watchlist(session).lists["escalated"]]

    district.complete(f"{suggestions.LEAD}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    after = district.case(case)
    assert not after.overdue  # the reply is not due for months
    assert district.events(case, "case_escalated")  # the escalation stays on the history
    with district.ctx.db.session() as session:
        assert case not in [c.id for c in supervision.watchlist(session).lists["escalated"]]
