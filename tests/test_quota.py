"""The face-reply quota (面复): a unit's head replies face to face to all of its suggestions of a session
up to three, to at least three beyond; a unit short of it near its deadline is warned, and its head
group notified in the app once a day."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

import workflows
from engine import identity
from engine.cases import runtime
from engine.store import OutboxMessage, TaskRow
from workflows import quota

from .bpmn_util import one_task
from .conftest import deploy_xml

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)  # a Friday; 15 working days on is 18 December
THIRD, FOURTH = "十八届人大三次会议", "十八届人大四次会议"


def suggestion(unit, due, replied=False, face=False, session=THIRD):
    return {"lead_unit": unit, "assigned_at": "2026-03-10T09:00:00+08:00", "reply_due": due, "session_label": session,
            "replied_at": "2026-06-01T09:00:00+08:00" if replied else None, "face_reply": face}


CASES = [
    # education, third session: 5 suggestions, so 3 face replies needed; 2 done, 2 open, the first due 10 December
    suggestion("unit_education", "2026-06-10", True, True), suggestion("unit_education", "2026-06-10", True, True),
    suggestion("unit_education", "2026-06-10", True), suggestion("unit_education", "2026-12-10"),
    suggestion("unit_education", "2027-01-20"),
    # education, fourth session: 1 suggestion, open, due 5 December
    suggestion("unit_education", "2026-12-05", session=FOURTH),
    # transport: 2, one face to face, the other open until February: short, but time remains
    suggestion("unit_transport", "2026-06-10", True, True), suggestion("unit_transport", "2027-02-01"),
    # health: both replied, one face to face: short for good
    suggestion("unit_health", "2026-06-10", True, True), suggestion("unit_health", "2026-06-10", True),
    # civil affairs: 4, three face to face: the quota is met
    *[suggestion("unit_civil", "2026-06-10", True, True) for _ in range(3)], suggestion("unit_civil", "2026-12-01"),
]


@pytest.fixture
def district(ctx):
    workflows.install(ctx)
    deploy_xml(ctx, one_task("suggestion", 'camunda:candidateGroups="liaison_office"',
                                  declare={"start:inputs": "lead_unit, assigned_at, reply_due, session_label, replied_at, face_reply"}), "suggestion.bpmn")
    with time_machine.travel(TODAY), ctx.db.session() as session:
        identity.add_user(session, "liaison", "secret-pw", ["liaison_office"])
        for unit in ("unit_education", "unit_transport", "unit_health", "unit_civil"):
            identity.ensure_group(session, unit, {"unit_education": "区教育局"}.get(unit, ""))
            identity.add_user(session, f"{unit}_clerk", "secret-pw", [unit])
            identity.add_user(session, f"{unit}_chief", "secret-pw", [f"{unit}_head"])
        identity.add_user(session, "edu_deputy_head", "secret-pw", ["unit_education_head"])
    ids = []
    for data in CASES:
        with time_machine.travel(TODAY), ctx.db.session() as session:
            ids.append(runtime.start_case(ctx, session, identity.get_user(session, "liaison"), "suggestion", "s",
                                          data).id)
    return ids


def current(ctx):
    with time_machine.travel(TODAY), ctx.db.session() as session:
        return {(q.unit, q.session_label): q for q in quota.current(ctx, session)}


def messages(ctx):
    with ctx.db.session() as session:
        return sorted((m.recipient, m.subject, m.channel) for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "face_reply_quota")))


def test_required_is_all_up_to_three_and_three_beyond():
    assert [quota.required(n, 3) for n in (0, 1, 2, 3, 4, 9)] == [0, 1, 2, 3, 3, 3]


def test_each_unit_and_session_has_its_quota_and_the_warned_ones_are_marked(ctx, district):
    found = current(ctx)
    figures = {key: (q.suggestions, q.required, q.done, q.short, q.open, q.warning) for key, q in found.items()}
    assert figures == {
        ("unit_education", THIRD): (5, 3, 2, 1, 2, True),  # earliest open deadline 10 Dec, within 15 working days
        ("unit_education", FOURTH): (1, 1, 0, 1, 1, True),  # due 5 December
        ("unit_transport", THIRD): (2, 2, 1, 1, 1, False),  # short, but its deadline is in February
        ("unit_health", THIRD): (2, 2, 1, 1, 0, True),  # nothing left open to make it up
        ("unit_civil", THIRD): (4, 3, 3, 0, 1, False),
    }
    assert found[("unit_education", THIRD)].earliest_due.isoformat() == "2026-12-10"


def test_the_head_groups_of_warned_units_are_notified_once_a_day(ctx, district):
    expected = [
        ("edu_deputy_head", "面复未达要求：区教育局（十八届人大三次会议）", "in_app"),
        ("edu_deputy_head", "面复未达要求：区教育局（十八届人大四次会议）", "in_app"),
        ("unit_education_chief", "面复未达要求：区教育局（十八届人大三次会议）", "in_app"),
        ("unit_education_chief", "面复未达要求：区教育局（十八届人大四次会议）", "in_app"),
        ("unit_health_chief", "面复未达要求：unit_health（十八届人大三次会议）", "in_app"),
    ]
    assert messages(ctx) == expected
    with ctx.db.session() as session:
        body = session.scalar(select(OutboxMessage.body).where(OutboxMessage.recipient == "unit_education_chief")
                              .order_by(OutboxMessage.id))
    assert "应由主要负责人当面答复 3 件" in body and "尚差 1 件" in body

    def touch(case_id, when):  # any change to one of the unit's suggestions looks at its quota again
        with time_machine.travel(when), ctx.db.session() as session:
            task = session.scalar(select(TaskRow).where(TaskRow.case_id == case_id, TaskRow.state == "open"))
            runtime.complete_task(ctx, session, identity.get_user(session, "liaison"), task.id,
                                  {"replied_at": when.isoformat(), "face_reply": False})

    touch(district[3], TODAY + timedelta(hours=2))  # education replies without meeting: still short, same day
    assert messages(ctx) == expected
    touch(district[4], TODAY + timedelta(days=1))  # the next day: both heads again, for both sessions
    assert len(messages(ctx)) == len(expected) + 4


def test_meeting_the_quota_ends_the_warning(ctx, district):
    with time_machine.travel(TODAY), ctx.db.session() as session:
        task = session.scalar(select(TaskRow).where(TaskRow.case_id == district[3], TaskRow.state == "open"))
        runtime.complete_task(ctx, session, identity.get_user(session, "liaison"), task.id,
                              {"replied_at": TODAY.isoformat(), "face_reply": True})
    third = current(ctx)[("unit_education", THIRD)]
    assert (third.done, third.short, third.warning) == (3, 0, False)


def test_the_statistics_api_gives_each_unit_its_quota(ctx, district, api):
    api.user("boss", ("supervisors",))
    with time_machine.travel(TODAY):
        body = api.get("/statistics?year=2026&case_type=suggestion", "boss").get_json()
        proposals = api.get("/statistics?year=2026&case_type=proposal", "boss").get_json()
    units = {u["unit"]: u["face_reply_quota"] for u in body["units"]}
    edu = units["unit_education"]
    assert (edu["required"], edu["done"], edu["short"], edu["warning"]) == (4, 2, 2, True)
    assert [s["session_label"] for s in edu["sessions"]] == [THIRD, FOURTH]
    assert units["unit_transport"]["warning"] is False and units["unit_civil"]["short"] == 0
    assert sorted((w["unit"], w["session_label"]) for w in body["face_reply_warnings"]) == [
        ("unit_education", THIRD), ("unit_education", FOURTH), ("unit_health", THIRD)]
    assert proposals["units"] == [] and proposals["face_reply_warnings"] == []


def test_the_supervision_and_statistics_pages_show_the_units_short(ctx, district, api, app):
    from .test_statistics import signed_in

    api.user("boss", ("supervisors",))
    with time_machine.travel(TODAY):
        web = signed_in(app, "boss")
        supervise = web.get("/supervise").get_data(as_text=True)
        stats = web.get("/statistics?year=2026&case_type=suggestion").get_data(as_text=True)
    short = supervise[supervise.index('id="face-reply-short"'):].split("</p>", 1)[0]
    assert re.findall(r'data-unit="(\w+)"', short) == ["unit_education", "unit_education", "unit_health"]
    assert "区教育局 2/3" in short and "unit_transport" not in short
    warnings = stats[stats.index('id="face-reply-warnings"'):].split("</section>", 1)[0]
    assert sorted(set(re.findall(r'data-unit="(\w+)"', warnings))) == ["unit_education", "unit_health"]
    row = re.search(r'<tr data-unit="unit_education">.*?</tr>', stats, re.S).group(0)
    assert 'data-warning="face_reply_quota"' in row and "2 / 4" in row


def test_the_scheduler_warns_again_the_next_day_without_any_change(ctx, district):
    job = next(j for j in ctx.periodic_jobs if j.name == "face_reply_quota")
    first = len(messages(ctx))
    with time_machine.travel(TODAY + timedelta(hours=3)):
        job.run(ctx)
    assert len(messages(ctx)) == first  # once a day
    with time_machine.travel(TODAY + timedelta(days=1)):
        job.run(ctx)
    assert len(messages(ctx)) == first + 5  # the four education heads' warnings and health's


def test_the_warning_goes_by_the_channels_each_person_chose(ctx):
    """The warning was written as an in-app row only: a unit head who keeps e-mail and SMS on heard nothing."""
    ctx.config = ctx.config.replace(mail__enabled=True, sms__enabled=True)
    workflows.install(ctx)
    deploy_xml(ctx, one_task("suggestion", 'camunda:candidateGroups="liaison_office"',
                             declare={"start:inputs": "lead_unit, assigned_at, reply_due, session_label, replied_at, face_reply"}),
               "suggestion.bpmn")
    with time_machine.travel(TODAY), ctx.db.session() as session:
        identity.add_user(session, "liaison", "secret-pw", ["liaison_office"])
        identity.ensure_group(session, "unit_education", "区教育局")
        chief = identity.add_user(session, "unit_education_chief", "secret-pw", ["unit_education_head"])
        chief.email, chief.phone, chief.notify_email, chief.notify_sms = "chief@edu.example", "+8613800138000", True, True
        quiet = identity.add_user(session, "edu_deputy_head", "secret-pw", ["unit_education_head"])
        quiet.email, quiet.notify_email, quiet.notify_sms = "deputy@edu.example", False, False
    for data in CASES:
        if data["lead_unit"] == "unit_education":
            with time_machine.travel(TODAY), ctx.db.session() as session:
                runtime.start_case(ctx, session, identity.get_user(session, "liaison"), "suggestion", "s", data)
    got = {(m[0], m[2]) for m in messages(ctx)}
    assert got == {("unit_education_chief", "in_app"), ("unit_education_chief", "email"),
                   ("unit_education_chief", "sms"), ("edu_deputy_head", "in_app")}
