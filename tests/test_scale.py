"""What keeps a province's year of cases on one server: offers only of open tasks, the serialized
workflow compressed yet read as before, spent timer and outbox rows pruned, the watchlist paged
with whole-list counts, and `casework bench scale` (a smoke test at a small size: figures printed,
no timing asserted)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from engine import clock
from engine.cases import instances
from engine.errors import Conflict
from engine.schedule import prune
from engine.store import Case, OutboxMessage, TaskCandidate, TaskForm, TaskRow, TimerRow
from tests.bpmn_util import one_task
from webui import cli

TIMED = ('camunda:candidateGroups="clerks" camunda:dueDate="${due}"', "")


def _two_cases(api):
    api.user("designer", ("designers",))
    api.user("ann", ("clerks",))
    assert api.deploy("designer", one_task("t", TIMED[0], declare={"start:inputs": "due"})).status_code == 201
    due = (clock.now() + timedelta(days=40)).date().isoformat()
    done = api.start("ann", "t", {"due": due}).get_json()
    still = api.start("ann", "t", {"due": due}).get_json()
    answer = api.post(f"/tasks/{done['active_tasks'][0]['id']}/complete", "ann", {"data": {}})
    assert answer.get_json()["status"] == "completed"
    return done, still


def test_a_closed_task_is_offered_to_nobody_but_still_says_who_it_was_offered_to(api, ctx):
    done, still = _two_cases(api)
    with ctx.db.session() as session:
        offered = set(session.scalars(select(TaskCandidate.task_id)))
    assert offered == {still["active_tasks"][0]["id"]}
    case = api.get(f"/cases/{done['id']}", "ann").get_json()
    created = [e for e in case["history"] if e["kind"] == "task_created"]
    assert created[0]["data"]["candidate_groups"] == ["clerks"]
    assert [t["id"] for t in api.get("/tasks?scope=groups", "ann").get_json()] == [still["active_tasks"][0]["id"]]


def test_the_workflow_is_stored_compressed_and_read_back_whole(api, ctx):
    _done, still = _two_cases(api)
    with ctx.db.engine.connect() as conn:
        raw = conn.execute(text("SELECT state FROM cases WHERE id = :id"), {"id": still["id"]}).scalar()
    assert isinstance(raw, (bytes, memoryview)) and bytes(raw)[:1] == b"\x78"  # a zlib stream, not JSON text
    with ctx.db.session() as session:
        state = session.get(Case, still["id"]).state
    assert json.loads(state)["tasks"] and len(bytes(raw)) * 3 < len(state.encode())
    # and the case carries on from it
    answer = api.post(f"/tasks/{still['active_tasks'][0]['id']}/complete", "ann", {"data": {}})
    assert answer.status_code == 200 and answer.get_json()["status"] == "completed"


def test_prune_removes_spent_timer_and_outbox_rows_and_keeps_what_may_still_fire(api, ctx):
    done, still = _two_cases(api)
    with ctx.db.session() as session:
        before = {r.case_id: r.state for r in session.scalars(select(TimerRow))}
        assert set(before) == {done["id"], still["id"]}
        session.add_all([OutboxMessage(channel="in_app", recipient="ann", kind="x", state="sent",
                                       sent_at=clock.now() - timedelta(hours=3)),
                         OutboxMessage(channel="in_app", recipient="ann", kind="x", state="sent",
                                       sent_at=clock.now() - timedelta(minutes=10)),
                         OutboxMessage(channel="in_app", recipient="ann", kind="x", state="pending")])
    with ctx.db.session() as session:
        gone = prune.prune(session)
    assert gone["outbox"] == 1 and gone["timers"] >= 1
    with ctx.db.session() as session:
        left = session.execute(select(TimerRow.case_id, TimerRow.state)).all()
        assert left and all(case_id == still["id"] and state == "waiting" for case_id, state in left)
        assert session.query(OutboxMessage).count() == 2
    with ctx.db.session() as session:
        assert prune.prune(session) == {"timers": 0, "outbox": 0}


def test_the_watchlist_shows_a_page_of_each_list_and_counts_the_whole_list(app, api, ctx):
    from .test_web_cases import signed_in

    api.user("designer", ("designers",))
    api.user("ann", ("clerks",))
    api.user("sue", ("supervisors",), password="demo1234")
    assert api.deploy("designer", one_task("t", TIMED[0], declare={"start:inputs": "due"})).status_code == 201
    due = (clock.now() - timedelta(days=2)).date().isoformat()
    ids = [api.start("ann", "t", {"due": due}, title=f"case {i}").get_json()["id"] for i in range(23)]
    with ctx.db.session() as session:  # due one after the other, so the order is known
        for n, case_id in enumerate(ids):
            session.execute(update(Case).where(Case.id == case_id).values(due_at=clock.now() - timedelta(hours=30 - n)))
    web = signed_in(app, "sue")
    html = web.get("/supervise").get_data(as_text=True)
    overdue = html[html.index('id="overdue"'):html.index('id="due_soon"')]
    assert 'data-count="23"' in html and overdue.count("<tr data-case-id") == 20
    assert f'data-case-id="{ids[0]}"' in overdue and f'data-case-id="{ids[20]}"' not in overdue
    assert 'href="/supervise?overdue_page=2#overdue"' in overdue
    second = web.get("/supervise?overdue_page=2").get_data(as_text=True)
    rows = second[second.index('id="overdue"'):second.index('id="due_soon"')]
    assert [f'data-case-id="{i}"' in rows for i in ids[20:]] == [True] * 3 and rows.count("<tr data-case-id") == 3


def test_a_form_is_stored_once_and_each_task_still_shows_it(api, ctx):
    api.user("designer", ("designers",))
    api.user("ann", ("clerks",))
    form = '<camunda:formField id="reply" label="答复" type="string"/>'
    assert api.deploy("designer", one_task("f", form=form)).status_code == 201
    first, second = (api.start("ann", "f").get_json() for _ in range(2))
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(TaskForm)) == 1  # written at deploy, once
        ids = set(session.scalars(select(TaskRow.form_id)))
        assert len(ids) == 1 and None not in ids
    tasks = api.get("/tasks?scope=groups", "ann").get_json()
    assert {t["case_id"] for t in tasks} == {first["id"], second["id"]}
    for task in tasks:
        assert [f["id"] for f in task["form"]] == ["reply"] and task["form"][0]["label"] == "答复"


def test_an_ended_case_keeps_its_diagram_states_not_its_workflow(api, ctx):
    done, still = _two_cases(api)
    with ctx.db.session() as session:
        ended, running = session.get(Case, done["id"]), session.get(Case, still["id"])
        kept = instances.closed_states(ended.state)
        assert kept is not None and len(ended.state) < 200 and instances.closed_states(running.state) is None
        assert kept == {"start": "completed", "work": "completed", "done": "completed"}  # every element it passed
        assert instances.element_states(ctx, ended) == kept
        with pytest.raises(Conflict):
            instances.load(ctx, ended)
    # what a person sees of it is all there: the history and the data (the diagram's states above)
    case = api.get(f"/cases/{done['id']}", "ann").get_json()
    assert [e["kind"] for e in case["history"]][-2:] == ["task_completed", "case_completed"]
    assert case["status"] == "completed" and case["data"] == still["data"]


def test_bench_scale_builds_the_cases_and_prints_its_figures_as_json(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("CASEWORK_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    plans = tmp_path / "plans.md"
    assert cli.main(["bench", "scale", "--cases", "40", "--repeat", "2", "--seed", "example",
                     "--plans", str(plans)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    print("\n".join(out[-12:]))  # the figures, for the log
    figures = json.loads(out[-1])
    assert figures["benchmark"] == "scale" and figures["cases"] == 40
    for name in ("supervision_page", "statistics_page", "statistics_api", "inbox_page", "tasks_api_groups",
                 "cases_api", "case_page", "start", "complete"):
        assert 0 < figures[name]["p50_ms"] <= figures[name]["p95_ms"], name
    assert figures["whole_cases_per_second"] > 0 and figures["bytes_per_case"] > 0
    assert figures["row_bytes_per_open_case"] > 0
    # the plans of each page's slowest statements, as the database chose them at this size
    text = plans.read_text(encoding="utf-8")
    assert "# Query plans at 40 cases (sqlite)" in text
    for name in ("supervision_page", "statistics_page", "inbox_page", "tasks_api_groups", "cases_api", "case_page"):
        section = text.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert "```sql\nSELECT" in section and ("SEARCH " in section or "SCAN " in section), name
