"""The clerk's inbox page: tabs with counts, filters, sorting, paging, and the task actions
(claim, release, hand over to a colleague, a supervisor's reassign), each a CSRF-protected POST that
comes back to the same view with a flash message, never an error page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import select, update

from engine import clock, identity, migrate
from engine.cases import runtime, tasks
from engine.context import EngineContext
from engine.store import TaskRow

from .bpmn_util import one_task
from .conftest import deploy_xml, make_config


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[EngineContext]:
    context = EngineContext.create(make_config(db_url, uploads__attachments_dir=str(tmp_path / "files")))
    migrate.upgrade(context.db)
    yield context
    context.db.dispose()


@pytest.fixture
def web_app(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def sign_in(app, username: str):
    client = app.test_client()
    answer = client.post("/sign-in", data={"username": username, "password": "secret-pw"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def rows(page: str) -> list[str]:
    """The case titles of the listed tasks, in order."""
    return re.findall(r'<tr data-task-id="[^"]+" data-case-id="\d+" data-case-number="[^"]*" '
                      r'data-case-title="([^"]*)"', page)


def counts(page: str) -> dict[str, int]:
    return {tab: int(n) for tab, n in re.findall(r'data-tab="(\w+)"[^>]*>[^<]*<span class="count" data-count="(\d+)"',
                                                 page)}


def flashes(client, path: str = "/inbox") -> str:
    return " ".join(re.findall(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', client.get(path).get_data(as_text=True),
                               re.S))


def task_of(ctx, case_id: int) -> TaskRow:
    with ctx.db.session() as session:
        return session.scalars(select(TaskRow).where(TaskRow.case_id == case_id, TaskRow.state == "open")).one()


@pytest.fixture
def world(ctx, web_app):
    """ann (clerks, unit_a) with tasks in every tab; bob a colleague in clerks; carl of another unit;
    sue a supervisor. Process 'roads' offers to clerks, 'schools' to unit_a, 'mine' assigns to ann."""
    with ctx.db.session() as session:
        for name, groups in (("ann", ["clerks", "unit_a"]), ("bob", ["clerks"]), ("carl", ["unit_b"]),
                             ("sue", ["supervisors"]), ("starter", [])):
            identity.add_user(session, name, "secret-pw", groups, name.title())
    deploy_xml(ctx, one_task("roads", 'camunda:candidateGroups="clerks"'), "roads.bpmn")
    deploy_xml(ctx, one_task("schools", 'camunda:candidateGroups="unit_a"'), "schools.bpmn")
    deploy_xml(ctx, one_task("direct", 'camunda:assignee="ann"'), "direct.bpmn")
    now = clock.now()
    cases: dict[str, int] = {}
    plan = [  # title, process, due in days (None: no due date), priority, minutes ago created
        ("路灯维修", "roads", -2, 50, 50), ("校门口斑马线", "schools", 1, 80, 40), ("公交站台", "roads", 10, 20, 30),
        ("直接交办一", "direct", None, 50, 20), ("直接交办二", "direct", 5, 50, 10), ("已认领的", "roads", 20, 50, 5)]
    with ctx.db.session() as session:
        starter = identity.get_user(session, "starter")
        for title, key, due_days, priority, ago in plan:
            case = runtime.start_case(ctx, session, starter, key, title)
            session.flush()
            cases[title] = case.id
            session.execute(update(TaskRow).where(TaskRow.case_id == case.id).values(
                due_at=None if due_days is None else now + timedelta(days=due_days), priority=priority,
                created_at=now - timedelta(minutes=ago)))
        tasks.claim(session, identity.get_user(session, "ann"), task_of_session(session, cases["已认领的"]).id)
    return SimpleNamespace(cases=cases, ann=sign_in(web_app, "ann"), app=web_app)


def task_of_session(session, case_id: int) -> TaskRow:
    return session.scalars(select(TaskRow).where(TaskRow.case_id == case_id, TaskRow.state == "open")).one()


def test_the_inbox_needs_signing_in(client):
    answer = client.get("/inbox")
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


def test_tabs_list_their_tasks_with_counts(world):
    page = world.ann.get("/inbox").get_data(as_text=True)
    assert counts(page) == {"mine": 2, "claimed": 1, "groups": 3}
    assert sorted(rows(page)) == sorted(["直接交办一", "直接交办二"])
    assert rows(world.ann.get("/inbox?tab=claimed").get_data(as_text=True)) == ["已认领的"]
    groups = world.ann.get("/inbox?tab=groups").get_data(as_text=True)
    assert rows(groups) == ["路灯维修", "校门口斑马线", "公交站台"]  # by due date, soonest first
    # each row: the case page link, task name, due mark, claim action
    assert f'href="/cases/{world.cases["路灯维修"]}"' in groups
    assert "Do the work" in groups and 'class="badge badge-overdue"' in groups and 'class="badge badge-soon"' in groups
    assert groups.count('data-action="claim"') == 3
    # a bookmark with nonsense arguments still opens
    assert world.ann.get("/inbox?tab=nope&sort=x&page=abc&due=y").status_code == 200


def test_with_nothing_assigned_the_inbox_opens_on_the_tab_that_has_work(world):
    bob = sign_in(world.app, "bob")  # nothing assigned or claimed; three tasks offered to his group
    page = bob.get("/inbox").get_data(as_text=True)
    assert rows(page) == ["路灯维修", "公交站台"]  # the group's tab (ann holds the third)
    assert rows(bob.get("/inbox?tab=mine").get_data(as_text=True)) == []  # asked for: the empty tab


def test_filters_by_type_unit_due_and_text(world):
    def listed(query: str) -> list[str]:
        return rows(world.ann.get(f"/inbox?tab=groups&{query}").get_data(as_text=True))

    assert listed("type=schools") == ["校门口斑马线"]
    assert listed("unit=clerks") == ["路灯维修", "公交站台"]
    assert listed("unit=unit_b") == ["路灯维修", "校门口斑马线", "公交站台"]  # not one of my groups: ignored
    assert listed("due=overdue") == ["路灯维修"]
    assert listed("due=soon") == ["校门口斑马线"]
    assert listed("due=later") == ["公交站台"]
    assert rows(world.ann.get("/inbox?tab=mine&due=none").get_data(as_text=True)) == ["直接交办一"]
    assert listed("q=斑马") == ["校门口斑马线"]
    number = f"schools-{clock.now():%Y}-{world.cases['校门口斑马线']:05d}"
    assert listed(f"q={number}") == ["校门口斑马线"]
    # the counts follow the filters, and the filter form shows what was chosen
    page = world.ann.get("/inbox?tab=groups&type=roads").get_data(as_text=True)
    assert counts(page) == {"mine": 0, "claimed": 1, "groups": 2}
    assert '<option value="roads" selected>' in page
    assert 'href="/inbox?tab=mine&amp;type=roads"' in page  # the tabs keep the filters


def test_sorting_by_due_newest_and_priority(world):
    def listed(sort: str) -> list[str]:
        return rows(world.ann.get(f"/inbox?tab=groups&sort={sort}").get_data(as_text=True))

    assert listed("due") == ["路灯维修", "校门口斑马线", "公交站台"]
    assert listed("created") == ["公交站台", "校门口斑马线", "路灯维修"]
    assert listed("priority") == ["校门口斑马线", "路灯维修", "公交站台"]


def test_paging_keeps_the_filters(ctx, world):
    with ctx.db.session() as session:
        starter = identity.get_user(session, "starter")
        for n in range(23):
            runtime.start_case(ctx, session, starter, "roads", f"道路养护 {n:02d}")
    first = world.ann.get("/inbox?tab=groups&q=道路&sort=created").get_data(as_text=True)
    assert len(rows(first)) == 20 and counts(first)["groups"] == 23
    nxt = re.search(r'<a href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(nxt).query) == {"tab": ["groups"], "q": ["道路"], "sort": ["created"], "page": ["2"]}
    second = world.ann.get(nxt).get_data(as_text=True)
    assert len(rows(second)) == 3 and not set(rows(second)) & set(rows(first))
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # an action from page 2 comes back to page 2 with the same filters
    assert f'name="next" value="{nxt}"' in second.replace("&amp;", "&")


def test_claim_and_release_come_back_to_the_same_view(ctx, world):
    task = task_of(ctx, world.cases["公交站台"])
    back = "/inbox?tab=groups&q=公交&page=1"
    answer = world.ann.post(f"/tasks/{task.id}/claim", data={"next": back})
    assert answer.status_code == 302 and unquote(answer.headers["Location"]) == back
    assert task_of(ctx, world.cases["公交站台"]).assignee == "ann"
    assert "Do the work" in flashes(world.ann)
    claimed = world.ann.get("/inbox?tab=claimed").get_data(as_text=True)
    assert "公交站台" in rows(claimed) and 'data-action="unclaim"' in claimed
    answer = world.ann.post(f"/tasks/{task.id}/unclaim", data={"next": "/inbox?tab=claimed"})
    assert answer.headers["Location"] == "/inbox?tab=claimed"
    assert task_of(ctx, world.cases["公交站台"]).assignee is None


def test_a_claim_someone_else_won_is_a_message_not_an_error_page(ctx, world):
    task = task_of(ctx, world.cases["路灯维修"])
    bob = sign_in(world.app, "bob")
    assert bob.post(f"/tasks/{task.id}/claim", data={"next": "/inbox?tab=groups"}).status_code == 302
    answer = world.ann.post(f"/tasks/{task.id}/claim", data={"next": "/inbox?tab=groups"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/inbox?tab=groups"
    page = world.ann.get("/inbox?tab=groups").get_data(as_text=True)
    assert 'class="flash flash-error"' in page and "bob" in page
    assert task_of(ctx, world.cases["路灯维修"]).assignee == "bob"
    # an unknown task: a message too
    answer = world.ann.post("/tasks/no-such-task/claim", data={"next": "/inbox"})
    assert answer.status_code == 302 and 'flash-error' in world.ann.get("/inbox").get_data(as_text=True)


def test_hand_over_to_a_colleague_of_the_group(ctx, world):
    task = task_of(ctx, world.cases["已认领的"])
    page = world.ann.get("/inbox?tab=claimed").get_data(as_text=True)
    handover = re.search(rf'<select id="handover-{task.id}" name="user"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert 'value="bob"' in handover and 'value="carl"' not in handover and 'value="ann"' not in handover
    assert 'data-action="reassign"' not in page  # ann is no supervisor
    answer = world.ann.post(f"/tasks/{task.id}/assign", data={"user": "bob", "next": "/inbox?tab=claimed"})
    assert answer.headers["Location"] == "/inbox?tab=claimed"
    row = task_of(ctx, world.cases["已认领的"])
    assert (row.assignee, row.assignment) == ("bob", "assigned")
    assert "Bob" in flashes(world.ann, "/inbox?tab=claimed")


def test_hand_over_outside_the_group_is_refused(ctx, world):
    task = task_of(ctx, world.cases["已认领的"])
    answer = world.ann.post(f"/tasks/{task.id}/assign", data={"user": "carl", "next": "/inbox?tab=claimed"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/inbox?tab=claimed"
    assert "carl" in flashes(world.ann, "/inbox?tab=claimed")
    assert task_of(ctx, world.cases["已认领的"]).assignee == "ann"
    # no one chosen: told, nothing changed
    world.ann.post(f"/tasks/{task.id}/assign", data={"user": "", "next": "/inbox"})
    assert 'flash-error' in world.ann.get("/inbox").get_data(as_text=True)
    assert task_of(ctx, world.cases["已认领的"]).assignee == "ann"


def test_a_supervisor_reassigns_to_those_who_can_hold_the_task(ctx, world):
    task = task_of(ctx, world.cases["已认领的"])  # offered to clerks, held by ann
    with ctx.db.session() as session:  # a supervisor who is also a clerk, so the task may be given to them
        identity.add_user(session, "sam", "secret-pw", ["supervisors", "clerks"], "Sam")
        tasks.assign(session, identity.get_user(session, "sam"), task.id, "sam")
    sam = sign_in(world.app, "sam")
    page = sam.get("/inbox").get_data(as_text=True)
    options = re.search(rf'<select id="reassign-{task.id}" name="user"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert sorted(re.findall(r'value="(\w+)"', options)) == ["ann", "bob"]  # not carl, not the starter
    assert "(ann)" not in options and ">Ann<" in options  # people by their names, not their codes
    answer = sam.post(f"/tasks/{task.id}/assign", data={"user": "carl", "next": "/inbox"})
    assert answer.headers["Location"] == "/inbox"
    assert task_of(ctx, world.cases["已认领的"]).assignee == "sam"  # carl could not do it: refused
    sam.post(f"/tasks/{task.id}/assign", data={"user": "bob", "next": "/inbox"})
    assert task_of(ctx, world.cases["已认领的"]).assignee == "bob"


def test_reassign_by_a_non_supervisor_is_refused(ctx, world):
    task = task_of(ctx, world.cases["已认领的"])  # held by ann
    bob = sign_in(world.app, "bob")
    answer = bob.post(f"/tasks/{task.id}/assign", data={"user": "bob", "next": "/inbox?tab=groups"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/inbox?tab=groups"
    assert "flash-error" in bob.get("/inbox?tab=groups").get_data(as_text=True)
    assert task_of(ctx, world.cases["已认领的"]).assignee == "ann"
    # nor may bob release ann's task
    bob.post(f"/tasks/{task.id}/unclaim", data={"next": "/inbox"})
    assert task_of(ctx, world.cases["已认领的"]).assignee == "ann"


def test_actions_refuse_a_missing_csrf_token(ctx, world):
    task = task_of(ctx, world.cases["公交站台"])
    world.app.config["WTF_CSRF_ENABLED"] = True
    for action in ("claim", "unclaim", "assign"):
        answer = world.ann.post(f"/tasks/{task.id}/{action}", data={"next": "/inbox", "user": "bob"})
        assert answer.status_code == 400
    assert task_of(ctx, world.cases["公交站台"]).assignee is None
    # with the page's token it works
    page = world.ann.get("/inbox?tab=groups").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = world.ann.post(f"/tasks/{task.id}/claim", data={"next": "/inbox", "csrf_token": token})
    assert answer.status_code == 302 and task_of(ctx, world.cases["公交站台"]).assignee == "ann"


def test_after_an_action_the_way_back_stays_on_this_site(ctx, world):
    task = task_of(ctx, world.cases["公交站台"])
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = world.ann.post(f"/tasks/{task.id}/claim", data={"next": target})
        assert answer.headers["Location"] == "/inbox"
