"""Issue 11, item 12: a suggestion merged (并案) into a main one gets the main reply, and its deputy evaluates
that reply as a merged proposer does: their own task (told 请测评 with the last day, on their portal), the
period counted from the release of the main reply, not evaluated when it ends, the rating in the statistics
of the main case's lead unit; merged into a split suggestion, once, counted for the first part's unit."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from engine import identity
from engine.cases import runtime
from engine.errors import Forbidden, Invalid, NotFound
from engine.store import OutboxMessage
from tests.conftest import BACKENDS
from workflows import portal, statistics

from .conftest import District
from .test_merged_evaluation import let_evaluation_lapse
from .test_split import A, B, part_reply, split_assigned
from .test_suggestion import LEAD, SUGGESTION, accepted, assign, reply

pytestmark = pytest.mark.parametrize("backend", BACKENDS)  # SQLite and PostgreSQL

OTHER = {**SUGGESTION, "title": "关于学校门口交通安全的建议", "proposer": "deputy_zhao", "proposer_name": "赵代表",
         "cosigners": []}


def merge_into(district: District, main: int) -> int:
    """deputy_zhao's suggestion, merged at pre-review into `main`."""
    other = district.start("deputy_zhao", "suggestion", OTHER)
    district.complete("liaison_clerk", other, "pre_review",
                      {"review_outcome": "merge", "merged_into": district.case(main).number})
    return other


def merged_pair(district: District) -> tuple[int, int]:
    """deputy_wang's main suggestion and deputy_zhao's merged into it; the main reply released 30 days on."""
    main = accepted(district)
    merged = merge_into(district, main)
    assign(district, main)
    district.complete(f"{LEAD}_clerk", main, "sign_in_or_contest", {"sign_in_decision": "accept"})
    reply(district, main, "B", face=False)
    district.advance(days=30)  # the office is slow to review: the period counts from the release
    district.complete("liaison_clerk", main, "review_reply", {"result_class": "B", "reply_review_outcome": "approve"})
    return main, merged


def unit_figures(district: District, unit: str = LEAD) -> dict:
    with district.ctx.db.session() as session:
        report = statistics.report(district.ctx, session, 2026, "suggestion")
    return next(u for u in report["units"] if u["unit"] == unit)


def told(district: District, who: str) -> list[tuple[str, str]]:
    with district.ctx.db.session() as session:
        return list(session.execute(select(OutboxMessage.subject, OutboxMessage.body).where(
            OutboxMessage.recipient == who, OutboxMessage.kind == "milestone",
            OutboxMessage.channel == "in_app").order_by(OutboxMessage.id)).all())


def test_the_merged_deputy_evaluates_the_main_reply(district: District):
    main, merged = merged_pair(district)
    released = datetime.fromisoformat(district.data(main)["reply_released_at"])
    data = district.data(merged)
    assert data["reply_released_at"] == district.data(main)["reply_released_at"]
    due = district.ctx.calendar.add_working_days(released, data["evaluation_working_days"]).isoformat()
    assert data["evaluation_due"] == due and district.case(merged).stage == "待测评"
    task = district.task(merged, "evaluate_merged")
    assert task.candidate_users == ["deputy_zhao"] and task.due_at == datetime.fromisoformat(due)

    # told to evaluate, with the last day; the task is on their portal
    evaluate_notice = [body for subject, body in told(district, "deputy_zhao") if subject.startswith("请测评")]
    assert len(evaluate_notice) == 1 and datetime.fromisoformat(due).astimezone(district.ctx.zone).date().isoformat() \
        in evaluate_notice[0]
    with district.ctx.db.session() as session:
        mine = portal.my_tasks(session, identity.get_user(session, "deputy_zhao"))
        assert [(t.case_id, t.element_id) for t in mine] == [(merged, "evaluate_merged")]
        assert portal.task_name(mine[0], english=False) == "请对并案主案的答复进行测评"
        assert portal.my_tasks(session, identity.get_user(session, "deputy_wang"), [merged]) == []

    # the main deputy evaluates on their own case, not this one
    with pytest.raises((Forbidden, NotFound)):
        with district.ctx.db.session() as session:
            runtime.complete_task(district.ctx, session, identity.get_user(session, "deputy_wang"), task.id,
                                  {"satisfaction_work": "satisfied", "satisfaction_result": "satisfied"})
    # 不满意 needs a reason
    with pytest.raises(Invalid) as refused:
        district.complete("deputy_zhao", merged, "evaluate_merged",
                          {"satisfaction_work": "satisfied", "satisfaction_result": "unsatisfied"})
    assert refused.value.details[0]["field"] == "evaluation_comment"
    assert district.open_elements(merged) == ["evaluate_merged"]  # nothing lost
    district.complete("deputy_zhao", merged, "evaluate_merged", {
        "satisfaction_work": "satisfied", "satisfaction_result": "unsatisfied", "evaluation_comment": "路口仍无人值守"})
    got = district.case(merged)
    assert got.status == "completed" and got.stage == "并案办结"
    assert got.data["evaluations"][0]["comment"] == "路口仍无人值守"

    district.complete("deputy_wang", main, "evaluate", {"satisfaction_work": "satisfied",
                                                        "satisfaction_result": "satisfied"})
    figures = unit_figures(district)  # both deputies' ratings count for the unit that replied
    assert figures["counts"]["evaluated_result"] == 2 and figures["counts"]["satisfied_result"] == 1
    assert figures["satisfaction_rate"]["result"] == 0.5 and figures["satisfaction_rate"]["work"] == 1.0


def test_a_merged_deputy_who_does_not_answer_is_recorded_not_evaluated(district: District):
    _main, merged = merged_pair(district)
    let_evaluation_lapse(district, merged)
    got = district.case(merged)
    assert got.status == "completed" and got.stage == "并案办结（未测评）"
    assert got.data["satisfaction_work"] == got.data["satisfaction_result"] == "not_evaluated"
    assert unit_figures(district)["counts"]["evaluated_result"] == 0  # no rating is no rating


def test_merged_into_a_split_suggestion_evaluated_once_for_the_first_parts_unit(district: District):
    case = split_assigned(district)
    merged = merge_into(district, case)
    for unit in (A, B):
        district.complete(f"{unit}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    for unit, klass, doc in ((A, "A", "崂交〔2026〕1号"), (B, "B", "崂住建〔2026〕2号")):
        part_reply(district, case, unit, klass, doc)
        district.complete("liaison_clerk", case, "review_part_reply",
                          {"result_class": klass, "reply_review_outcome": "approve"})
    data = district.data(merged)
    assert [p["unit"] for p in data["parts"]] == [A, B] and data["lead_unit"] == A
    assert district.open_elements(merged) == ["evaluate_merged"]
    district.complete("deputy_zhao", merged, "evaluate_merged",
                      {"satisfaction_work": "basically_satisfied", "satisfaction_result": "satisfied"})
    assert district.case(merged).stage == "并案办结"
    assert unit_figures(district, A)["counts"]["evaluated_work"] == 1
    assert unit_figures(district, B)["counts"]["evaluated_work"] == 0


def test_the_merged_deputy_sees_the_task_page_and_the_main_deputy_does_not(district: District, app):
    from .test_case_roles_web import signed_in as web_user

    _main, merged = merged_pair(district)
    task = district.task(merged, "evaluate_merged")
    page = web_user(app, "deputy_zhao").get(f"/tasks/{task.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "对办理结果的评价" in text and "经研究，拟于年内增设信号灯。" in text  # the main reply, to rate
    # the main deputy is sent back to their inbox, told the task is not theirs to see
    refused = web_user(app, "deputy_wang").get(f"/tasks/{task.id}", follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert refused.request.path != f"/tasks/{task.id}" and "对办理结果的评价" not in text
