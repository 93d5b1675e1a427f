"""分办: one suggestion assigned to two lead units, each answering its own part (signs in, handles behind the
four communications gate of its own, replies, is reviewed and evaluated), closed when every part is; and the
refusals that keep each unit to its own part."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases import runtime
from engine.errors import Forbidden, Invalid
from engine.notify import outbox
from engine.store import Notification

from ..conftest import BACKENDS
from .conftest import District
from .test_suggestion import accepted, name_leaders

A, B = "unit_transport", "unit_housing"


def split_assigned(district: District) -> int:
    case = accepted(district)
    district.complete("liaison_clerk", case, "assign", {
        "category": "交通", "lead_unit": A, "split_unit_ids": B, "responsible_person": "张科长"})
    return case


def signed_in(district: District) -> int:
    case = split_assigned(district)
    for unit in (A, B):
        district.complete(f"{unit}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    return case


def part_reply(district: District, case: int, unit: str, result_class: str, doc: str) -> None:
    district.note(f"{unit}_clerk", case, "contact_before", f"{unit} 了解代表诉求")
    district.note(f"{unit}_clerk", case, "contact_during", f"{unit} 通报进展")
    district.complete(f"{unit}_clerk", case, "handle_suggestion", {"handling_summary": f"{unit} 已调研"})
    district.complete(f"{unit}_clerk", case, "draft_reply", {
        "reply_doc_no": doc, "reply_text": f"{unit} 对本单位部分的答复", "result_class": result_class,
        "face_reply": False, "reply_signer": "局长"})


def parts(district: District, case: int) -> dict[str, dict]:
    return {p["unit"]: p for p in district.data(case)["parts"]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_split_unit_answers_its_part_and_the_case_closes_when_every_part_has(district: District):
    case = split_assigned(district)
    data = district.data(case)
    assert data["split_units"] == [A, B] and [p["unit"] for p in data["parts"]] == [A, B]
    assert sorted(s["role"] for s in data["sign_ins"]) == ["split", "split"]
    for unit in (A, B):
        district.complete(f"{unit}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    # each unit handles its own part: one handling task each, offered to that unit alone
    assert [district.task(case, "handle_suggestion", f"{u}_clerk").candidate_groups for u in (A, B)] == [[A], [B]]
    assert {p["state"] for p in parts(district, case).values()} == {"办理中"}

    part_reply(district, case, A, "A", "崂交〔2026〕1号")
    assert parts(district, case)[A]["state"] == "待审核答复" and parts(district, case)[B]["state"] == "办理中"
    district.complete("liaison_clerk", case, "review_part_reply", {"result_class": "A", "reply_review_outcome": "approve"})
    assert parts(district, case)[A]["reply_released_at"]
    district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": "satisfied",
                                                        "satisfaction_result": "satisfied"})
    assert parts(district, case)[A]["state"] == "已测评" and parts(district, case)[A]["satisfaction_work"] == "satisfied"
    district.complete("liaison_clerk", case, "disclose_part", {"disclosure": "summary", "disclosure_reason": "涉及规划"})
    now = parts(district, case)
    assert now[A]["disclosure"] == "summary"
    assert now[A]["state"] == "已办结" and now[A]["satisfaction_work"] == "satisfied"
    assert now[B]["state"] == "办理中" and district.case(case).status == "running"

    part_reply(district, case, B, "C", "崂住建〔2026〕2号")
    district.complete("liaison_clerk", case, "review_part_reply", {"result_class": "C", "reply_review_outcome": "approve"})
    district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": "basically_satisfied",
                                                        "satisfaction_result": "unsatisfied",
                                                        "evaluation_comment": "未解决根本问题"})
    # an unsatisfied part is handled again by its unit alone, as any reply is, under the round's leaders (包案)
    assert "name_leaders" in district.open_elements(case)
    name_leaders(district, case)
    assert "take_charge" in district.open_elements(case)
    assert district.case(case).status == "running"
    # the deputy heard of each part's reply
    outbox.deliver_due(district.ctx)
    with district.ctx.db.session() as session:
        told = [n.body for n in session.scalars(select(Notification).where(Notification.username == "deputy_wang",
                                                                           Notification.case_id == case))]
    parts_told = [body for body in told if "负责的部分已答复" in body]
    assert len(parts_told) == 2 and any("区交通运输局" in b for b in parts_told)
    district.complete("congress_leader", case, "take_charge", {"supervision_opinion": "限期办结", "interview": False})
    part_reply(district, case, B, "B", "崂住建〔2026〕3号")
    assert "take_charge" not in district.open_elements(case)
    district.complete("liaison_clerk", case, "review_rehandled", {"result_class": "B"})
    district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": "satisfied",
                                                        "satisfaction_result": "satisfied"})
    district.complete("liaison_clerk", case, "disclose_part", {"disclosure": "full"})
    closed = district.case(case)
    assert closed.status == "completed" and closed.stage == "已办结"
    assert [(p["unit"], p["state"], p["result_class"]) for p in closed.data["parts"]] == [
        (A, "已办结", "A"), (B, "已办结", "B")]
    assert closed.data["parts"][1]["rehandling_rounds"] == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_unit_cannot_act_on_the_other_units_part(district: District):
    case = split_assigned(district)
    sign_in_b = district.task(case, "sign_in_or_contest", f"{B}_clerk")
    with pytest.raises(Forbidden):
        with district.ctx.db.session() as session:
            runtime.complete_task(district.ctx, session, district._user(session, f"{A}_clerk"), sign_in_b.id,
                                  {"sign_in_decision": "accept"})
    for unit in (A, B):
        district.complete(f"{unit}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    # B's communications do not open A's reply: the gate counts each unit's own
    district.note(f"{B}_clerk", case, "contact_before", "B 了解诉求")
    district.note(f"{B}_clerk", case, "contact_during", "B 通报进展")
    district.complete(f"{A}_clerk", case, "handle_suggestion", {"handling_summary": "A 已调研"})
    with pytest.raises(Invalid) as refused:
        district.complete(f"{A}_clerk", case, "draft_reply", {
            "reply_doc_no": "1号", "reply_text": "答复", "result_class": "A", "face_reply": False, "reply_signer": "局长"})
    assert {d["field"] for d in refused.value.details} == {"contact_before", "contact_during"}
    handle_a = district.task(case, "draft_reply", f"{A}_clerk")
    with pytest.raises(Forbidden):
        with district.ctx.db.session() as session:
            runtime.complete_task(district.ctx, session, district._user(session, f"{B}_clerk"), handle_a.id,
                                  {"reply_doc_no": "1号", "reply_text": "答复", "result_class": "A", "face_reply": False,
                                   "reply_signer": "局长"})


# ---------------------------------------------------------------- 并案 of suggestions


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_suggestion_merged_into_another_gets_the_main_suggestions_reply(district: District):
    from .test_suggestion import assign, reply, submit

    main = accepted(district)
    number = district.case(main).number
    other = submit(district, title="关于学校门口交通安全的建议", cosigners=[])
    with pytest.raises(Invalid) as refused:
        district.complete("liaison_clerk", other, "pre_review", {"review_outcome": "merge", "merged_into": "建议 1999-0001"})
    assert refused.value.details[0]["field"] == "merged_into"
    district.complete("liaison_clerk", other, "pre_review", {"review_outcome": "merge", "merged_into": number})
    assert district.case(other).stage == "已并案" and district.data(other)["case_deadline"]

    assign(district, main)
    district.complete("unit_transport_clerk", main, "sign_in_or_contest", {"sign_in_decision": "accept"})
    reply(district, main, "B", face=False)
    assert district.case(other).stage == "已并案"  # not before the office releases the reply
    district.complete("liaison_clerk", main, "review_reply", {"result_class": "B", "reply_review_outcome": "approve"})
    merged = district.case(other)
    assert merged.stage == "待测评" and district.open_elements(other) == ["evaluate_merged"]
    assert merged.data["reply_text"] == district.data(main)["reply_text"] and merged.data["main_case"] == number


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_merged_suggestion_is_reviewed_again_when_the_main_one_ends_without_a_reply(district: District):
    from .test_suggestion import submit

    main = submit(district, cosigners=[])
    other = submit(district, title="关于学校门口交通安全的建议", cosigners=[])
    district.complete("liaison_clerk", other, "pre_review",
                      {"review_outcome": "merge", "merged_into": district.case(main).number})
    district.complete("liaison_clerk", main, "pre_review", {"review_outcome": "return", "return_ground": "empty",
                                                           "review_reason": "请补充具体建议"})
    district.complete("deputy_wang", main, "revise", {"revise_action": "withdraw"})
    assert district.case(main).status == "completed"
    assert district.case(other).stage == "待审核" and "pre_review" in district.open_elements(other)
    assert district.data(other)["review_records"][-1]["outcome"] == "merge_undone"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_statistics_count_each_part_for_its_own_unit(district: District):
    from workflows import statistics

    case = signed_in(district)
    part_reply(district, case, A, "A", "崂交〔2026〕1号")
    district.complete("liaison_clerk", case, "review_part_reply", {"result_class": "A", "reply_review_outcome": "approve"})
    district.complete("deputy_wang", case, "evaluate", {"satisfaction_work": "satisfied",
                                                        "satisfaction_result": "satisfied"})
    with district.ctx.db.session() as session:
        stats = statistics.compute(session, 2026, district.ctx.zone, district.now().date())
    units = {f.unit: f for f in stats.units}
    assert (units[A].assigned, units[A].replied, units[A].on_time, units[A].satisfied_work) == (1, 1, 1, 1)
    assert units[A].classes["A"] == 1
    assert (units[B].assigned, units[B].replied) == (1, 0)
    assert stats.overall.assigned == 2  # one suggestion, two parts


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_case_and_task_pages_show_each_part(district: District, app):
    from .test_case_roles_web import signed_in as web_user

    case = signed_in(district)
    part_reply(district, case, A, "A", "崂交〔2026〕1号")
    clerk = web_user(app, f"{B}_clerk")
    page = clerk.get(f"/cases/{case}").get_data(as_text=True)
    assert "分办情况" in page and "崂交〔2026〕1号" in page and "待审核答复" in page and "办理中" in page
    office = web_user(app, "liaison_clerk")
    task = district.task(case, "review_part_reply")
    page = office.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "分办情况" in page and "崂交〔2026〕1号" in page


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_suggestion_merged_into_a_split_one_gets_every_parts_reply(district: District):
    from .test_suggestion import submit

    case = split_assigned(district)
    other = submit(district, title="关于学校周边违章建筑的建议", cosigners=[])
    district.complete("liaison_clerk", other, "pre_review",
                      {"review_outcome": "merge", "merged_into": district.case(case).number})
    for unit in (A, B):
        district.complete(f"{unit}_clerk", case, "sign_in_or_contest", {"sign_in_decision": "accept"})
    part_reply(district, case, A, "A", "崂交〔2026〕1号")
    district.complete("liaison_clerk", case, "review_part_reply", {"result_class": "A", "reply_review_outcome": "approve"})
    assert district.case(other).stage == "已并案"  # one part's reply is not the whole reply
    part_reply(district, case, B, "B", "崂住建〔2026〕2号")
    district.complete("liaison_clerk", case, "review_part_reply", {"result_class": "B", "reply_review_outcome": "approve"})
    merged = district.case(other)
    assert merged.stage == "待测评" and district.open_elements(other) == ["evaluate_merged"]
    assert [(p["unit"], p["reply_doc_no"]) for p in merged.data["parts"]] == [
        (A, "崂交〔2026〕1号"), (B, "崂住建〔2026〕2号")]


# README.md, "Who may do what": the split unit's row, (own case, other case)
SPLIT_ROW = {"see": ("yes", "404"), "list": ("yes", "no"), "record_communication": ("yes", "404"),
             "answer_communication": ("403", "404"), "send_message": ("403", "404"),
             "read_internal_note": ("yes", "404"), "download_internal_file": ("yes", "404"), "start": ("403", "403")}


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_split_units_row_of_the_permission_table(district: District, tmp_path):
    from . import test_case_roles as table

    district.ctx.config = district.ctx.config.replace(uploads__attachments_dir=str(tmp_path / "files"))
    own = signed_in(district)  # unit_housing answers a part of it
    other = table.suggestion_in_handling(district)  # unit_transport and unit_civil: unit_housing has no role
    checks = {side: {**table.actions(district, case, table.entries(district, case, "liaison_clerk", side)),
                     "start": table.start_as(district, side == "own")} for side, case in (("own", own), ("other", other))}
    found = {action: tuple(table.outcome(district, f"{B}_clerk", checks[side][action]) for side in ("own", "other"))
             for action in SPLIT_ROW}
    assert found == SPLIT_ROW
