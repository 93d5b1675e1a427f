"""掌上提案 at 390 px, the two other walks of issue 12: a member's proposal merged into another member's (the
merged member sees the similar case while typing, hears of the merge and reads the main proposal's reply), and a
suggestion the liaison office registered on a deputy's behalf (in 我的建议, with every notice). At each step the
notices, no internal entry in sight, and no page wider than the phone.

The office's and the units' steps go through the engine, except the committee's merge, which is picked from the
similar cases on its review page (the office's own pages are tested elsewhere).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import identity
from engine.cases import notes, runtime
from engine.store import Case, TaskRow

from .conftest import SCREENSHOTS, sign_in
from .test_portal import District, act, fits, note, phone, stage, told

HOUSING = "unit_housing"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[District]:
    server = District(tmp_path)
    yield server
    server.stop()


def _number(live: Any, case_id: int) -> str:
    with live.ctx.db.session() as session:
        return session.get(Case, case_id).number


def _submit(tab: Any, title: str, body: str, category: str) -> int:
    tab.goto(tab.base + "/portal/new")
    tab.fill("#field-title", title)
    tab.fill("#field-body", body)
    tab.select_option("#field-category", category)
    tab.click("button.p-wide")
    tab.wait_for_load_state()
    return int(tab.url.rstrip("/").rsplit("/", 1)[1])


def _review(live: Any, case_id: int, decide: bool = True) -> None:
    act(live, "committee", case_id, "initial_review", {"initial_outcome": "pass"})
    act(live, "committee", case_id, "re_review", {"re_review_outcome": "pass", "review_units": HOUSING})
    act(live, "housing_clerk", case_id, "joint_review", {"joint_decision": "confirm"})
    if decide:
        act(live, "committee", case_id, "review_decision", {"review_outcome": "accept"})


def _no_internal(tab: Any, *internal: str) -> None:
    text = tab.content()
    for words in internal:
        assert words not in text, f"internal entry {words!r} on {tab.url}"


def test_a_members_proposal_merged_into_anothers(browser, live):
    wu, zheng = phone(browser, live), phone(browser, live)
    sign_in(wu, "member_wu")
    main = _submit(wu, "关于加快老旧厂房改造利用的提案", "老旧厂房闲置较多，建议出台改造利用办法，盘活存量空间。", "经济")
    _review(live, main)
    act(live, "committee", main, "assign_proposal", {"category": "经济", "lead_unit": HOUSING,
                                                     "responsible_person": "林局长", "responsible_contact": "0532-81234567"})
    act(live, "director", main, "choose_key_proposal", {"priority": False, "leader_cppcc": "", "leader_government": ""})
    told(wu, live, "已受理：关于加快老旧厂房改造利用的提案", "已交办")
    main_number = _number(live, main)

    # the second member sees the earlier proposal while typing (its public facts: no link), and submits anyway
    sign_in(zheng, "member_zheng")
    zheng.goto(zheng.base + "/portal/new")
    zheng.fill("#field-title", "关于推进老旧厂房改造再利用的提案")
    zheng.fill("#field-body", "建议对老旧厂房改造利用给予政策支持。")
    listed = zheng.wait_for_selector(f"#similar-cases li[data-number='{main_number}']")
    assert "区住房和城乡建设局" in listed.inner_text() and listed.query_selector("a") is None
    fits(zheng)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    zheng.screenshot(path=str(SCREENSHOTS / "portal-similar-phone.png"), full_page=True)
    zheng.select_option("#field-category", "经济")
    zheng.click("button.p-wide")
    zheng.wait_for_load_state()
    merged = int(zheng.url.rstrip("/").rsplit("/", 1)[1])
    _review(live, merged, decide=False)

    # the committee picks the main proposal from the similar cases on its review page, at the phone's width too
    committee = phone(browser, live)
    sign_in(committee, "committee")
    with live.ctx.db.session() as session:
        task = session.query(TaskRow).filter_by(case_id=merged, element_id="review_decision", state="open").one()
    committee.goto(f"{committee.base}/tasks/{task.id}")
    committee.click(f"#similar-cases button.merge-pick[data-number='{main_number}']")
    assert committee.input_value("#field-merged_into") == main_number
    assert committee.input_value("#field-review_outcome") == "merge"
    committee.click("#complete-task")
    committee.wait_for_load_state()
    assert stage(live, merged) == "已并案"
    told(zheng, live, "已并案：关于推进老旧厂房改造再利用的提案")
    assert main_number in zheng.inner_text("main")

    # the main proposal is handled and replied; internal notes stay with the unit
    act(live, "housing_clerk", main, "sign_in_or_contest", {"sign_in_decision": "accept"})
    note(live, "housing_clerk", main, notes.COMMENT, "内部意见：需财政局配合")
    note(live, "housing_clerk", merged, notes.COMMENT, "内部意见：并案后一并办理")
    act(live, "housing_clerk", main, "consult", {"consult_date": "2026-12-01", "consult_summary": "与相关部门会商"})
    act(live, "housing_clerk", main, "investigate", {"investigation_summary": "走访园区"})
    act(live, "housing_clerk", main, "ask_member_view", {"member_view_date": "2026-12-02", "member_view": "赞同"})
    note(live, "housing_clerk", main, "contact_before", "了解委员意图")
    note(live, "housing_clerk", main, "contact_during", "通报办理进展")
    act(live, "housing_clerk", main, "draft_reply", {"reply_doc_no": "区住建〔2026〕66号", "result_class": "B",
                                                     "reply_text": "已纳入明年改造计划。", "reply_signer": "林局长"})
    act(live, "housing_head", main, "head_face_reply", {"face_reply_by": "林局长", "face_reply_place": "区政协委员工作室",
                                                        "face_reply_date": "2026-12-04"})
    zheng.goto(f"{zheng.base}/portal/cases/{merged}")
    assert "区住建〔2026〕66号" not in zheng.content()  # not before the committee released it
    act(live, "committee", main, "review_reply", {"result_class": "B", "reply_review": "approve"})
    assert stage(live, merged) == "待测评"  # the merged member evaluates the main reply too
    told(zheng, live, "答复已发出：关于推进老旧厂房改造再利用的提案", "请测评")
    told(wu, live, "答复已发出：关于加快老旧厂房改造利用的提案", "请测评")
    zheng.goto(f"{zheng.base}/portal/cases/{merged}")
    assert "区住建〔2026〕66号" in zheng.inner_text("#reply")
    _no_internal(zheng, "内部意见")
    fits(zheng)
    zheng.click("a[data-task=evaluate_merged]")
    fits(zheng)
    zheng.select_option("#field-satisfaction_work", "satisfied")
    zheng.select_option("#field-satisfaction_result", "basically_satisfied")
    zheng.click("button.p-wide")
    zheng.wait_for_load_state()
    assert stage(live, merged) != "待测评"  # evaluated from the phone
    zheng.goto(zheng.base + "/portal/")
    assert zheng.is_visible(f"li[data-case='{merged}']") and not zheng.is_visible(f"li[data-case='{main}']")
    _no_internal(zheng, "内部意见")
    fits(zheng)
    wu.goto(f"{wu.base}/portal/cases/{main}")
    _no_internal(wu, "内部意见")
    fits(wu)
    for tab in (wu, zheng, committee):
        tab.context.close()


def test_a_suggestion_the_liaison_office_registered_for_a_deputy(browser, live):
    title = "关于修缮东山社区活动中心的建议"
    with live.ctx.db.session() as session:  # a paper suggestion, typed in by the office
        office = identity.get_user(session, "liaison")
        case_id = runtime.start_case(live.ctx, session, office, "suggestion", title, {
            "title": title, "body": "活动中心屋顶漏雨，建议尽快修缮。", "category": "城建", "proposer": "deputy_sun",
            "proposer_name": "孙代表", "cosigners": []}).id
        session.commit()
    sun = phone(browser, live)
    sign_in(sun, "deputy_sun")
    assert sun.url.endswith("/portal/")
    assert title in sun.inner_text(f"li[data-case='{case_id}']")  # in 我的建议, though the office started it
    fits(sun)
    told(sun, live, f"已代为登记：{title}")

    act(live, "liaison", case_id, "pre_review", {"review_outcome": "accept"})
    told(sun, live, f"已受理：{title}")
    act(live, "liaison", case_id, "assign", {"category": "城建", "lead_unit": HOUSING, "responsible_person": "林局长",
                                             "responsible_contact": "0532-81234567"})
    told(sun, live, f"已交办：{title}")
    act(live, "housing_clerk", case_id, "sign_in_or_contest", {"sign_in_decision": "accept"})
    told(sun, live, "承办单位已签收")
    note(live, "housing_clerk", case_id, notes.COMMENT, "内部意见：维修资金待批")
    note(live, "housing_clerk", case_id, "contact_before", "电话了解代表对修缮范围的意见")
    told(sun, live, "沟通记录待确认")
    sun.goto(f"{sun.base}/portal/cases/{case_id}")
    _no_internal(sun, "内部意见")
    fits(sun)
    sun.click("#communications button[value=confirmed]")
    sun.wait_for_load_state()
    note(live, "housing_clerk", case_id, "contact_during", "通报修缮进展")
    act(live, "housing_clerk", case_id, "handle_suggestion", {"handling_summary": "已现场查看"})
    act(live, "housing_clerk", case_id, "draft_reply", {
        "reply_doc_no": "区住建〔2026〕77号", "reply_text": "屋顶已修缮完毕。", "result_class": "A", "face_reply": True,
        "reply_signer": "林局长"})
    act(live, "housing_head", case_id, "head_face_reply", {
        "face_reply_by": "林局长", "face_reply_place": "东山社区代表联络站", "face_reply_date": "2026-12-04"})
    act(live, "liaison", case_id, "review_reply", {"result_class": "A", "reply_review_outcome": "approve"})
    told(sun, live, f"答复已发出：{title}", "请测评")
    sun.goto(f"{sun.base}/portal/cases/{case_id}")
    assert "区住建〔2026〕77号" in sun.inner_text("#reply")
    _no_internal(sun, "内部意见")
    sun.click("a[data-task=evaluate]")
    fits(sun)
    sun.select_option("#field-satisfaction_work", "satisfied")
    sun.select_option("#field-satisfaction_result", "satisfied")
    sun.click("button.p-wide")
    sun.wait_for_load_state()
    assert stage(live, case_id) != "待测评"  # evaluated from the phone
    sun.goto(sun.base + "/portal/")
    _no_internal(sun, "内部意见")
    fits(sun)
    sun.context.close()
