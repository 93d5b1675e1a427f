"""New case in the browser: a deputy sees the processes he may start, fills in the suggestion's start form
(bpmn/suggestion.bpmn), is told what is missing with everything typed kept, and lands on his new case with
its number; the case then waits in the liaison office's inbox. A clerk registers a paper submission for a
deputy by naming him."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

import workflows
from engine import identity
from engine.bpmn import library
from engine.store import Case

BPMN_DIR = Path(__file__).resolve().parents[1] / "bpmn"

GOOD = {"field.title": "关于在实验小学门前增设交通信号灯的建议", "field.body": "上下学高峰时段学生过街不安全，建议增设信号灯。",
        "field.category": "交通", "field.cosigners": "", "field.in_session": ["false", "true"], "field.proposer": ""}


@pytest.fixture
def district(ctx, app):
    workflows.install(ctx)
    with ctx.db.session() as session:
        for name, groups in (("deputy_zhao", ["deputies"]), ("deputy_qian", ["deputies"]),
                             ("member_wu", ["members"]), ("member_zheng", ["members"]), ("member_feng", ["members"]),
                             ("liaison", ["liaison_office"]),
                             ("edu_clerk", ["unit_education"])):
            identity.add_user(session, name, "secret-pw", groups)
        library.deploy(session, library.read_files(sorted(BPMN_DIR.glob("*.bpmn"))), "designer")
    return app


def sign_in(app, username: str):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    answer = client.post("/sign-in", data={"username": username, "password": "secret-pw",
                                           "csrf_token": csrf(page)})
    assert answer.status_code == 302
    return client


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def field_html(page: str, field_id: str) -> str:
    match = re.search(rf'<div class="field[^"]*" data-field="{field_id}".*?\n</div>', page, re.S)
    assert match, f"no field {field_id}"
    return match.group(0)


def only_case(ctx) -> Case:
    with ctx.db.session() as session:
        case = session.scalars(select(Case)).one()
        session.expunge(case)
        return case


def test_a_deputy_sees_only_what_he_may_start(district):
    deputy = sign_in(district, "deputy_zhao")
    home = deputy.get("/inbox").get_data(as_text=True)
    assert 'href="/cases/new"' in home  # the New case link
    choices = deputy.get("/cases/new").get_data(as_text=True)
    assert 'data-process-key="suggestion"' in choices and "人大代表建议办理" in choices
    assert 'data-process-key="proposal"' not in choices
    assert deputy.get("/cases/new/proposal").status_code == 403
    member = sign_in(district, "member_wu").get("/cases/new").get_data(as_text=True)
    assert 'data-process-key="proposal"' in member and 'data-process-key="suggestion"' not in member
    clerk = sign_in(district, "edu_clerk")
    assert 'href="/cases/new"' not in clerk.get("/inbox").get_data(as_text=True)
    assert 'id="no-processes"' in clerk.get("/cases/new").get_data(as_text=True)


def test_the_start_form_is_drawn_like_a_task_form(district):
    page = sign_in(district, "deputy_zhao").get("/cases/new/suggestion").get_data(as_text=True)
    title = field_html(page, "title")
    assert "案由" in title and 'type="text"' in title and '<span class="required"' in title
    assert "<textarea" in field_html(page, "body")
    category = field_html(page, "category")
    assert "<select" in category and all(f'<option value="{c}"' in category for c in ("教育", "交通", "其他"))
    assert 'type="checkbox"' in field_html(page, "in_session")
    assert "多个用逗号分隔" in field_html(page, "cosigners")
    assert 'name="csrf_token"' in page


def test_a_missing_field_is_marked_and_what_was_typed_is_kept(district, ctx):
    deputy = sign_in(district, "deputy_zhao")
    token = csrf(deputy.get("/cases/new/suggestion").get_data(as_text=True))
    answer = deputy.post("/cases/new/suggestion", data={**GOOD, "field.body": "", "field.cosigners": "deputy_qian",
                                                        "csrf_token": token})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="form-errors"' in page
    body = field_html(page, "body")
    assert 'class="field-error"' in body and 'aria-invalid="true"' in body
    assert 'class="field-error"' not in field_html(page, "title")
    assert f'value="{GOOD["field.title"]}"' in field_html(page, "title")
    assert '<option value="交通" selected>' in field_html(page, "category")
    assert 'value="deputy_qian"' in field_html(page, "cosigners")
    assert " checked" in field_html(page, "in_session")
    with ctx.db.session() as session:
        assert session.scalar(select(Case.id)) is None
    # without the form's token nothing is started either
    assert deputy.post("/cases/new/suggestion", data=GOOD).status_code == 400


def test_a_mistyped_cosigner_is_told_beside_the_field(district, ctx):
    deputy = sign_in(district, "deputy_zhao")
    token = csrf(deputy.get("/cases/new/suggestion").get_data(as_text=True))
    answer = deputy.post("/cases/new/suggestion", data={**GOOD, "field.cosigners": "deputy_qian, deputy_chian",
                                                        "csrf_token": token})
    assert answer.status_code == 422
    cosigners = field_html(answer.get_data(as_text=True), "cosigners")
    assert "没有用户名为 deputy_chian 的用户" in cosigners and 'value="deputy_qian, deputy_chian"' in cosigners
    with ctx.db.session() as session:
        assert session.scalar(select(Case.id)) is None


def test_a_submitted_suggestion_opens_with_its_number_and_waits_for_the_liaison_office(district, ctx):
    deputy = sign_in(district, "deputy_zhao")
    token = csrf(deputy.get("/cases/new/suggestion").get_data(as_text=True))
    answer = deputy.post("/cases/new/suggestion", data={**GOOD, "csrf_token": token})
    assert answer.status_code == 302
    case = only_case(ctx)
    assert answer.headers["Location"].endswith(f"/cases/{case.id}")
    assert re.fullmatch(r"建议 \d{4}-0001", case.number)
    assert case.title == GOOD["field.title"] and case.status == "running" and case.stage == "待审核"
    assert case.data["proposer"] == "deputy_zhao" and case.data["cosigners"] == []
    assert case.data["in_session"] is True and case.data["body"] == GOOD["field.body"]
    page = deputy.get(answer.headers["Location"]).get_data(as_text=True)
    assert case.number in page and 'role="status"' in page  # the flash names the number
    assert "建议内容" in page  # the data is shown with the start form's labels
    inbox = sign_in(district, "liaison").get("/inbox?tab=groups").get_data(as_text=True)
    assert f'data-case-number="{case.number}"' in inbox and "审核把关" in inbox


def test_a_clerk_registers_a_paper_suggestion_for_a_deputy(district, ctx):
    clerk = sign_in(district, "liaison")
    token = csrf(clerk.get("/cases/new/suggestion").get_data(as_text=True))
    refused = clerk.post("/cases/new/suggestion", data={**GOOD, "field.proposer": "deputy_nobody", "csrf_token": token})
    assert refused.status_code == 422
    proposer = field_html(refused.get_data(as_text=True), "proposer")
    assert 'class="field-error"' in proposer and 'value="deputy_nobody"' in proposer
    answer = clerk.post("/cases/new/suggestion", data={**GOOD, "field.proposer": "deputy_qian",
                                                       "field.cosigners": "deputy_zhao", "csrf_token": token})
    assert answer.status_code == 302
    case = only_case(ctx)
    assert case.started_by == "liaison" and case.data["proposer"] == "deputy_qian"
    assert case.data["cosigners"] == ["deputy_zhao"] and case.stage == "待联名确认"


def test_a_members_proposal_waits_for_him_to_submit_it_with_what_he_typed(district, ctx):
    member = sign_in(district, "member_wu")
    token = csrf(member.get("/cases/new/proposal").get_data(as_text=True))
    answer = member.post("/cases/new/proposal", data={
        "field.title": "关于推动工业上楼的提案", "field.body": "建议出台工业上楼指导标准。", "field.category": "经济",
        "field.submission_kind": "joint", "field.cosigners": "member_zheng, member_feng", "field.collective_org": "",
        "field.in_session": "false", "field.proposer": "", "csrf_token": token})
    assert answer.status_code == 302
    case = only_case(ctx)
    assert case.number.startswith("提案 ") and case.data["proposer"] == "member_wu"
    task = re.search(r'href="/tasks/([^"]+)"', member.get(f"/cases/{case.id}").get_data(as_text=True)).group(1)
    form = member.get(f"/tasks/{task}").get_data(as_text=True)
    assert "填写并提交提案" in form
    assert "建议出台工业上楼指导标准。" in field_html(form, "body")
    assert ">member_zheng, member_feng</textarea>" in field_html(form, "cosigners_text")
    assert '<option value="joint" selected>' in field_html(form, "submission_kind")
