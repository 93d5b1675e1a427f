"""The demo district (`casework init --demo`): loaded once into a fresh database by running the real
processes, it leaves work in every role's inbox and cases at every stage, some overdue, some
re-handled, many closed with their evaluations; and the README's demo logins all exist."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

import workflows
from engine import identity, migrate
from engine.bpmn import library
from engine.cases import attachments, inbox, roles
from engine.context import EngineContext
from engine.store import Attachment, Case, Notification
from workflows import demo, paper, quota, results, statistics, tracking
from workflows.cases import CaseFacts
from workflows.demo_plans import PLANS

from .conftest import _drop_postgres_database, _postgres_database, make_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """One load for the whole module: it plays a year of work and takes a while."""
    postgres = os.environ.get("CASEWORK_TEST_BACKEND") == "postgresql"
    url = _postgres_database() if postgres else f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    files = tmp_path_factory.mktemp('files')  # the demo's reply letters and site photos
    ctx = EngineContext.create(make_config(url, uploads__attachments_dir=str(files)))
    workflows.install(ctx)
    migrate.upgrade(ctx.db)
    with ctx.db.session() as session:  # as `casework init` does before loading the demo
        library.deploy(session, library.read_files(sorted(str(p) for p in (ROOT / "bpmn").glob("*.bpmn"))), "init")
    lines: list[str] = []
    demo.load(ctx, progress=lines.append)
    yield ctx, lines
    ctx.db.dispose()
    if postgres:
        _drop_postgres_database(url)


def test_the_load_reports_its_progress(district):
    _ctx, lines = district
    bar = [line for line in lines if re.match(r"\[[#.]+\] \d+/\d+ ", line)]
    assert len(bar) >= 10 and bar[-1].startswith(f"[{'#' * 30}] {len(PLANS)}/{len(PLANS)} ")
    assert lines[0].startswith("demo users ready (password demo1234)") and "demo district ready" in lines[-1]


def test_about_sixty_cases_of_both_types_spread_over_the_year(district):
    ctx, _lines = district
    with ctx.db.session() as session:
        cases = list(session.scalars(select(Case).where(Case.process_key.in_(("suggestion", "proposal")))))
        assert 55 <= len(cases) <= 75
        types = Counter(c.process_key for c in cases)
        assert types["suggestion"] >= 28 and types["proposal"] >= 28
        assert [c for c in cases if c.status == "error"] == []
        months = {c.created_at.astimezone(ctx.zone).strftime("%Y-%m") for c in cases}
        assert len(months) >= 8  # from the plenary sessions to last week
        numbers = sorted(c.number for c in cases if c.process_key == "suggestion")
        assert numbers[0].startswith("建议 ") and numbers[0].endswith("-0001") and len(set(numbers)) == len(numbers)


def test_cases_wait_at_every_stage_and_some_are_overdue_or_re_handled(district):
    ctx, _lines = district
    with ctx.db.session() as session:
        stages = dict(session.execute(select(Case.stage, func.count()).where(
            Case.process_key.in_(("suggestion", "proposal"))).group_by(Case.stage)).all())
        # 已答复 passes at once now: the evaluation opens on the release, disclosure follows it (已测评)
        for stage in ("待联名确认", "待审核", "退回修改", "待交办", "待签收", "办理中", "待审核答复", "待测评", "已测评",
                      "二次办理", "联合督办", "落实中", "已办结", "不立案", "已撤回"):
            assert stages.get(stage, 0) >= 1, f"no case at {stage}: {stages}"
        assert stages["已办结"] >= 15 and stages["办理中"] >= 8
        running = select(Case).where(Case.status == "running")
        assert len(list(session.scalars(running.where(Case.overdue.is_(True))))) >= 4
        assert len(list(session.scalars(running.where(Case.flagged.is_(True))))) >= 4
        rehandled = session.scalar(select(func.count()).select_from(CaseFacts).where(CaseFacts.rehandling_rounds > 0))
        assert rehandled >= 5
        evaluated_and_closed = session.scalar(select(func.count()).select_from(CaseFacts).where(
            CaseFacts.closed.is_(True), CaseFacts.satisfaction_work.in_(statistics.RATED)))
        assert evaluated_and_closed >= 12
        not_evaluated = session.scalar(select(func.count()).select_from(CaseFacts).where(
            CaseFacts.satisfaction_work == "not_evaluated"))
        assert not_evaluated >= 1  # an evaluation nobody answered: the timer recorded it


def open_work(session, username: str) -> int:
    user = identity.get_user(session, username)
    page = inbox.inbox(session, user, "groups")
    return sum(page.counts.values())


def test_every_role_has_work_in_its_inbox(district):
    ctx, _lines = district
    people = ["liaison", "committee", "director", "congress_leader", "gov_leader", "cppcc_leader",
              "deputy_li", "deputy_sun", "member_feng", "member_zheng", "transport_head",
              *[f"{short}_clerk" for _name, short, _clerk, _head in demo.UNITS.values()]]
    with ctx.db.session() as session:
        idle = [name for name in people if open_work(session, name) == 0]
        assert idle == []
        claimed = sum(inbox.inbox(session, identity.get_user(session, f"{short}_clerk"), "claimed").total
                      for _name, short, _clerk, _head in demo.UNITS.values())
        assert claimed >= 3  # some clerks have taken their task
        # the supervisor's work is the watchlist and the statistics; the reminders reached people's lists
        assert session.scalar(select(func.count()).select_from(Notification)) > 50


def test_the_statistics_and_the_face_reply_quota_have_something_to_say(district):
    ctx, _lines = district
    with ctx.db.session() as session:
        year = max(statistics.years(session))
        report = statistics.report(ctx, session, year)
        assert len(report["units"]) == 12
        overall = report["overall"]
        assert overall["counts"]["assigned"] >= 40 and 0.5 < overall["reply_rate"] < 1
        assert overall["satisfaction_rate"]["work"] is not None and overall["rehandled"] >= 5
        warned = {w["unit"] for w in report["face_reply_warnings"]}
        assert warned and "unit_health" in warned  # its two suggestions were replied without the head
        heads = session.scalar(select(func.count()).select_from(Notification).where(
            Notification.kind == quota.KIND, Notification.username == "health_head"))
        assert heads >= 1


def test_the_readme_lists_demo_logins_that_exist(district):
    ctx, _lines = district
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Demo logins", 1)[1].split("\n\n", 2)[1]
    listed = set(re.findall(r"`([a-z_]+)`", table))
    assert {"admin", "designer", "supervisor", "liaison", "edu_clerk", "edu_head", "transport_clerk",
            "deputy_zhao", "committee", "director", "congress_leader", "member_wu"} <= listed
    with ctx.db.session() as session:
        for name in sorted(listed):
            user = identity.get_user(session, name)
            assert user is not None and identity.verify_password(user, demo.DEMO_PASSWORD), name


def test_replied_cases_carry_their_reply_letter_and_some_site_photos(district):
    ctx, _lines = district
    with ctx.db.session() as session:
        cases = session.scalars(select(Case).where(Case.process_key.in_(("suggestion", "proposal")))).all()
        files = session.scalars(select(Attachment)).all()
        by_case: dict[int, list[Attachment]] = {}
        for row in files:
            by_case.setdefault(row.case_id, []).append(row)
        # a merged proposal (并案) is answered by its main proposal's letter
        replied = [c for c in cases if (c.data or {}).get("replied_at") and not (c.data or {}).get("merged_into")]
        assert len(replied) >= 20
        for case in replied:
            letters = [f for f in by_case.get(case.id, []) if f.file_name.startswith("答复函")]
            assert letters and all(f.content_type == "application/pdf" and f.public for f in letters), case.title
        photos = [f for f in files if f.content_type == "image/png"]
        assert 5 <= len(photos) and all(f.public for f in photos)
        for row in (letters[0], photos[0]):  # whole files on disk that a browser opens
            _row, path = attachments.open_for(session, ctx.config, identity.get_user(session, "supervisor"),
                                              row.id, ctx.declarations)
            head = path.read_bytes()[:8]
            assert head.startswith(b"%PDF-") if row.content_type == "application/pdf" else head == b"\x89PNG\r\n\x1a\n"
        # the proposer sees them on their case
        case = replied[0]
        proposer = identity.get_user(session, str(case.data.get("proposer")))
        assert roles.public_only(session, ctx.declarations.for_case(case), proposer, case)
        assert [f.id for f in attachments.list_for_case(session, case.id, public_only=True)] == \
            [f.id for f in sorted(by_case[case.id], key=lambda f: (f.uploaded_at, f.id))]


def test_the_new_paths_of_issue_11_are_walked(district):
    """A joint supervision followed by a new evaluation, a milestone reported late with its reason, a paper
    evaluation form entered by the committee, a tracked proposal and results adopted counted."""
    ctx, _lines = district
    with ctx.db.session() as session:
        cases = session.scalars(select(Case).where(Case.process_key.in_(("suggestion", "proposal")))).all()
        rejudged = [c for c in cases if any(e.get("at", "") > r.get("at", "") for r in c.data.get("joint_records") or []
                                            for e in c.data.get("evaluations") or [])]
        assert rejudged, "no case evaluated again after its joint supervision"
        delayed = [c for c in cases if any(item.get("delays") for item in c.data.get("checklist") or [])]
        assert delayed and delayed[0].data["checklist"][0]["delays"][0]["reason"]
        entered = [e for c in cases for e in paper.entries(session, c) if e.what != "registered"]
        assert [(e.clerk, e.on_behalf_of) for e in entered] == [("committee", "member_feng")]
        assert tracking.tracked(session).count == 1
        overall, _units = results.counts(session, max(statistics.years(session)), "proposal")
        assert overall["items"] == 4 and overall["funds_amount"] == 2050.0


def test_loading_again_adds_no_twins(district):
    ctx, _lines = district
    count = select(func.count()).select_from(Case).where(Case.process_key.in_(("suggestion", "proposal")))
    with ctx.db.session() as session:
        before = session.scalar(count)
    again: list[str] = []
    demo.load(ctx, progress=again.append)
    assert "not loaded again" in again[-1]
    with ctx.db.session() as session:
        assert session.scalar(count) == before


def test_the_demo_has_a_split_suggestion_closed_and_one_still_open(district):
    """分办: two units answer a part each; one such suggestion is closed with both parts, one waits for a unit."""
    ctx, _lines = district
    with ctx.db.session() as session:
        split = {c.title: c for c in session.scalars(select(Case).where(Case.process_key == "suggestion"))
                 if (c.data or {}).get("split_units")}
    closed = split["关于整治学校周边交通和违章建筑的建议"]
    assert closed.status == "completed" and closed.stage == "已办结"
    assert [(p["unit"], p["state"]) for p in closed.data["parts"]] == [("unit_transport", "已办结"),
                                                                       ("unit_housing", "已办结")]
    assert all(p.get("satisfaction_work") and p.get("reply_doc_no") for p in closed.data["parts"])
    open_one = split["关于改善老旧小区停车和绿化的建议"]
    assert open_one.status == "running"
    assert sorted(p["state"] for p in open_one.data["parts"]) == ["办理中", "已办结"]
def test_leaders_in_charge_are_named_users_in_the_demo(district):
    """Issue 11, item 13: a key suggestion with its congress and government leaders in charge, a re-handling
    round with the leaders the office named, both on the leaders' lists (我包案的案件)."""
    ctx, _lines = district
    from workflows import caselist

    with ctx.db.session() as session:
        cases = list(session.scalars(select(Case).where(Case.process_key == "suggestion")))
        key = [c for c in cases if (c.data or {}).get("priority") and (c.data or {}).get("leader_congress")]
        assert key and {c.data["leader_government"] for c in key} == {"gov_leader"}
        rounds = [c for c in cases if (c.data or {}).get("round_leader_body") == "congress_leader"]
        assert rounds
        leader = identity.get_user(session, "congress_leader")
        mine = {c.id for c, _f in caselist.find(session, leader, caselist.Filters(in_charge=True), limit=None)}
        assert {c.id for c in key + rounds} <= mine
        from engine.store import TaskRow
        waiting = session.scalars(select(TaskRow.candidate_users).where(
            TaskRow.element_id == "take_charge", TaskRow.state == "open"))
        assert ["congress_leader", "gov_leader"] in [list(users) for users in waiting]  # the round held in the demo
