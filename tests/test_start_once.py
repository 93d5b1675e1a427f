"""A submission starts one case however often it is sent: the new-case form twice (double click, Back then
send), the API retried with the same Idempotency-Key, two attempts racing each other. A different key or
person starts a new case; a key that cannot be one is a 422 naming it, and nothing is started."""

from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from engine import identity
from engine.cases import runtime, starts
from engine.store import Case, StartKey
from tests.bpmn_util import one_task
from tests.conftest import deploy_xml
from tests.test_web_start_case import GOOD, csrf, sign_in
from tests.test_web_start_case import district as district  # the fixture, shared


def _count(ctx) -> int:
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_the_new_case_form_sent_twice_starts_one_case(district, ctx):
    deputy = sign_in(district, "deputy_zhao")
    page = deputy.get("/cases/new/suggestion").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    form = {**GOOD, "csrf_token": csrf(page), "submission_key": key}
    first = deputy.post("/cases/new/suggestion", data=form)
    second = deputy.post("/cases/new/suggestion", data=form)  # Back, then send again
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(ctx) == 1
    shown = deputy.get(second.headers["Location"]).get_data(as_text=True)
    assert "已经提交过" in shown  # told why no second case appeared
    fresh = deputy.get("/cases/new/suggestion").get_data(as_text=True)
    assert re.search(r'name="submission_key" value="([^"]+)"', fresh).group(1) != key  # a new form, a new key


def test_a_form_sent_back_with_errors_keeps_its_key(district, ctx):
    deputy = sign_in(district, "deputy_zhao")
    page = deputy.get("/cases/new/suggestion").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    refused = deputy.post("/cases/new/suggestion", data={**GOOD, "field.title": "", "csrf_token": csrf(page),
                                                          "submission_key": key})
    assert refused.status_code == 422 and f'name="submission_key" value="{key}"' in refused.get_data(as_text=True)
    assert _count(ctx) == 0


def test_the_api_retried_with_the_same_key_gives_the_same_case(api, ctx):
    api.user("ann", ("clerks",))
    api.user("bob", ("clerks",))
    deploy_xml(ctx, one_task("once"))
    body = {"process_key": "once", "title": "一次"}
    key = {"Idempotency-Key": "retry-1234-abcd"}
    first = api.client.post("/api/v1/cases", json=body, headers={**api.headers("ann"), **key})
    again = api.client.post("/api/v1/cases", json=body, headers={**api.headers("ann"), **key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    other_key = api.client.post("/api/v1/cases", json=body, headers={**api.headers("ann"),
                                                                      "Idempotency-Key": "retry-5678-abcd"})
    other_person = api.client.post("/api/v1/cases", json=body, headers={**api.headers("bob"), **key})
    without = api.post("/cases", "ann", json=body)
    assert {other_key.status_code, other_person.status_code, without.status_code} == {201}
    assert _count(ctx) == 4


def test_a_key_that_cannot_be_one_is_refused_and_nothing_started(api, ctx):
    api.user("ann", ("clerks",))
    deploy_xml(ctx, one_task("once"))
    for bad in ("short", "x" * 101, "white space key", "中文的键值中文的键值"):
        answer = api.client.post("/api/v1/cases", json={"process_key": "once"},
                                 headers={**api.headers("ann"), "Idempotency-Key": bad})
        assert answer.status_code == 422 and answer.get_json()["details"][0]["field"] == "Idempotency-Key"
    assert _count(ctx) == 0


def test_racing_attempts_with_one_key_start_one_case(ctx):
    deploy_xml(ctx, one_task("once"))
    with ctx.db.session() as session:
        identity.add_user(session, "ann", "secret-pw", ["clerks"])
    results, barrier = [], threading.Barrier(4)

    def attempt() -> None:
        with ctx.db.session() as session:
            ann = identity.get_user(session, "ann")
            barrier.wait()
            case, started = starts.start_once(session, ann, "race-key-0001",
                                              lambda: runtime.start_case(ctx, session, ann, "once", "赛跑"))
            results.append((case.id, started))

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and len({case_id for case_id, _ in results}) == 1
    assert sum(started for _, started in results) == 1
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert session.scalar(select(func.count()).select_from(StartKey)) == 1
