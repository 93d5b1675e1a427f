"""掌上提案 (issue 12): the proposer's own pages and the notices they get at each step of their case."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.notify import outbox
from engine.store import CaseNote, Notification, OutboxMessage

from .conftest import District
from .test_case_roles_web import csrf, signed_in, token
from .test_suggestion import LEAD, SUGGESTION, accepted, assign, evaluate, reply


def milestones_of(district: District, who: str) -> list[str]:
    """The subjects of the milestone notices queued for `who`, in order."""
    with district.ctx.db.session() as session:
        return list(session.scalars(select(OutboxMessage.subject).where(
            OutboxMessage.recipient == who, OutboxMessage.kind == "milestone", OutboxMessage.channel == "in_app")
            .order_by(OutboxMessage.id)))


def prefixes(subjects: list[str]) -> list[str]:
    return [s.split("：")[0] for s in subjects]


def test_the_proposer_and_cosigner_hear_of_each_step_once(district: District):
    case = district.start("deputy_wang", "suggestion", SUGGESTION)
    assert prefixes(milestones_of(district, "deputy_li")) == ["请确认联名"]
    district.complete("deputy_li", case, "confirm_cosign", {"cosign_agree": True})
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "accept"})
    assign(district, case, responsible_contact="0532-88886666")
    district.complete(f"{LEAD}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    reply(district, case)
    district.complete("liaison_clerk", case, "review_reply", {"result_class": "A", "reply_review_outcome": "approve"})
    wang = milestones_of(district, "deputy_wang")
    assert prefixes(wang) == ["已受理", "已交办", "承办单位已签收", "答复已发出", "请测评"]
    assigned = next(s for s in wang if s.startswith("已交办"))
    with district.ctx.db.session() as session:
        body = session.scalar(select(OutboxMessage.body).where(OutboxMessage.subject == assigned,
                                                               OutboxMessage.recipient == "deputy_wang"))
    assert "区交通运输局" in body and "张科长" in body and "0532-88886666" in body
    evaluate(district, case, "satisfied")
    # the co-signer hears the same milestones after the request to confirm
    assert prefixes(milestones_of(district, "deputy_li"))[1:6] == prefixes(wang)
    # nothing is told twice: a save that changes nothing new sends nothing
    before = len(milestones_of(district, "deputy_wang"))
    district.fire_timers()
    assert len(milestones_of(district, "deputy_wang")) == before


def test_returned_then_withdrawn_is_told_with_the_reason(district: District):
    case = district.start("deputy_wang", "suggestion", {**SUGGESTION, "cosigners": []})
    district.complete("liaison_clerk", case, "pre_review", {"review_outcome": "return", "return_ground": "empty",
                                                            "review_reason": "请补充具体路段"})
    returned = milestones_of(district, "deputy_wang")
    assert prefixes(returned) == ["已退回修改"]
    with district.ctx.db.session() as session:
        body = session.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == "deputy_wang",
                                                               OutboxMessage.kind == "milestone"))
    assert "请补充具体路段" in body


def test_a_member_cannot_cosign_a_suggestion(district: District, client):
    body = {"process_key": "suggestion", "data": {**SUGGESTION, "cosigners": ["member_chen"]}}
    answer = client.post("/api/v1/cases", json=body, headers=token(client, "deputy_wang"))
    assert answer.status_code == 422
    assert answer.get_json()["details"][0]["field"] == "cosigners"
    assert "member_chen" in answer.get_json()["details"][0]["message"]


def test_unsatisfied_needs_a_reason(district: District):
    case = accepted(district)
    assign(district, case)
    district.complete(f"{LEAD}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    reply(district, case)
    district.complete("liaison_clerk", case, "review_reply", {"result_class": "A", "reply_review_outcome": "approve"})
    import pytest

    from engine.errors import Invalid

    with pytest.raises(Invalid) as refused:
        district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": "satisfied",
                                                            "satisfaction_result": "unsatisfied"})
    assert refused.value.details[0]["field"] == "evaluation_comment"


def test_the_portal_lists_my_cases_with_their_steps_and_hides_internal_notes(district: District, app):
    mine = district.start("deputy_wang", "suggestion", {**SUGGESTION, "cosigners": []})
    registered = district.start("liaison_clerk", "suggestion",
                                {**SUGGESTION, "title": "代为登记的纸质建议", "proposer": "deputy_wang", "cosigners": []})
    other = district.start("deputy_zhao", "suggestion", {**SUGGESTION, "title": "赵代表的建议", "proposer": "deputy_zhao",
                                                     "cosigners": []})
    district.complete("liaison_clerk", mine, "pre_review", {"review_outcome": "accept"})
    assign(district, mine)
    district.complete(f"{LEAD}_clerk", mine, "sign_in_or_contest", {"sign_in_decision": "accept"})
    district.note(f"{LEAD}_clerk", mine, "comment", "内部意见：经费暂缺")
    district.note(f"{LEAD}_clerk", mine, "contact_before", "电话了解代表的真实意图")
    client = signed_in(app, "deputy_wang")
    assert client.get("/").headers["Location"].endswith("/portal/")
    page = client.get("/portal/").get_data(as_text=True)
    assert "代为登记的纸质建议" in page and "赵代表的建议" not in page
    assert re.search(rf'data-case="{mine}".*?data-step="assign" data-state="done"', page, re.S)
    assert re.search(rf'data-case="{mine}".*?data-step="handle" data-state="current"', page, re.S)
    assert re.search(rf'data-case="{registered}".*?data-step="review" data-state="current"', page, re.S)
    case_page = client.get(f"/portal/cases/{mine}").get_data(as_text=True)
    assert "电话了解代表的真实意图" in case_page and "内部意见" not in case_page
    assert client.get(f"/portal/cases/{other}").status_code == 404
    # confirm the communication from the portal, with the existing action
    with district.ctx.db.session() as session:
        note = session.scalar(select(CaseNote).where(CaseNote.case_id == mine, CaseNote.kind == "contact_before"))
    answer = client.post(f"/portal/cases/{mine}/contacts/{note.id}/answer",
                         data={"answer": "disputed", "comment": "", "csrf_token": csrf(case_page)})
    assert answer.status_code == 422
    answer = client.post(f"/portal/cases/{mine}/contacts/{note.id}/answer",
                         data={"answer": "confirmed", "csrf_token": csrf(case_page)})
    assert answer.status_code == 302
    with district.ctx.db.session() as session:
        assert session.get(CaseNote, note.id).data["answers"]["deputy_wang"]["answer"] == "confirmed"


def test_submit_from_the_portal_with_cosigners_picked_by_name(district: District, app):
    client = signed_in(app, "deputy_wang")
    form = client.get("/portal/new").get_data(as_text=True)
    assert 'value="deputy_li"' in form and 'value="member_chen"' not in form
    data = {"field.title": "关于增设公交站亭的建议", "field.body": "站台无遮挡。", "field.category": "交通",
            "field.in_session": "false", "cosigners": ["deputy_li"], "submission_key": "portal-key-0001", "csrf_token": csrf(form)}
    answer = client.post("/portal/new", data=data)
    assert answer.status_code == 302
    again = client.post("/portal/new", data=data)  # a double tap starts one case
    assert again.headers["Location"] == answer.headers["Location"]
    # a member smuggled into the form is refused, and nothing is started
    refused = client.post("/portal/new", data={**data, "cosigners": ["member_chen"],
                                               "submission_key": "portal-key-0002"})
    assert refused.status_code == 422
    # the co-signer confirms from their notice, on their own portal, as their own task
    outbox.deliver_due(district.ctx)
    with district.ctx.db.session() as session:
        told = [n.title for n in session.scalars(select(Notification).where(Notification.username == "deputy_li"))]
    assert told == ["请确认联名：关于增设公交站亭的建议"]
    li = signed_in(app, "deputy_li")
    page = li.get("/portal/").get_data(as_text=True)
    task = re.search(r'href="(/portal/tasks/[^"]+)" data-task="confirm_cosign"', page).group(1)
    form = li.get(task).get_data(as_text=True)
    assert li.post(task, data={"field.cosign_agree": "true", "field.cosign_comment": "同意",
                               "csrf_token": csrf(form)}).status_code == 302
    case_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    assert district.case(case_id).stage == "待审核"
    assert district.data(case_id)["cosigners"] == ["deputy_li"]


def test_withdraw_my_own_case_before_it_is_accepted(district: District, app):
    case = district.start("deputy_wang", "suggestion", SUGGESTION)
    li = signed_in(app, "deputy_li")
    page = li.get(f"/portal/cases/{case}").get_data(as_text=True)
    assert "p-withdraw" not in page  # a co-signer sees no such button
    district.complete("deputy_li", case, "confirm_cosign", {"cosign_agree": True})
    # a co-signer may not withdraw the lead deputy's case
    li.post(f"/portal/cases/{case}/withdraw", data={"csrf_token": csrf(page)})
    assert district.case(case).stage == "待审核"
    wang = signed_in(app, "deputy_wang")
    page = wang.get(f"/portal/cases/{case}").get_data(as_text=True)
    assert "p-withdraw" in page
    answer = wang.post(f"/portal/cases/{case}/withdraw", data={"withdraw_reason": "已另行反映",
                                                                "csrf_token": csrf(page)})
    assert answer.status_code == 302
    withdrawn = district.case(case)
    assert withdrawn.stage == "已撤回" and withdrawn.status == "completed"
    assert withdrawn.data["withdraw_reason"] == "已另行反映"
    assert prefixes(milestones_of(district, "deputy_li"))[-1] == "已撤回"
    # after acceptance it is too late
    other = accepted(district)
    page = wang.get(f"/portal/cases/{other}").get_data(as_text=True)
    assert "p-withdraw" not in page
    wang.post(f"/portal/cases/{other}/withdraw", data={"csrf_token": csrf(page)})
    assert district.case(other).stage == "待交办"
