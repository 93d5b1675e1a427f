"""Numbers a person can type are bounded: ids and paging values past 64 bits are a 404 or a 422
on every API route and page, never a 500; and assigning a task says nothing about user names to
someone who may not assign it."""

from __future__ import annotations

import re

import pytest

from engine import identity

from .bpmn_util import one_task

HUGE = "10000000000000000000"  # past a signed 64-bit integer
HUGER = "417765949558588610445312"


@pytest.fixture
def case(api):
    api.user("designer", ("designers",))
    api.user("clerk", ("clerks",))
    api.user("outsider", ("others",))
    api.user("boss", ("supervisors", "admins"))
    assert api.deploy("designer", one_task()).status_code == 201
    answer = api.start("clerk", "p")
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


@pytest.mark.parametrize("path", [
    f"/cases/{HUGE}", f"/cases/{HUGER}", f"/cases/-{HUGE}", f"/cases/{HUGE}/diagram.svg",
    f"/cases?offset={HUGER}", f"/cases?limit={HUGER}", f"/tasks?offset={HUGER}", f"/tasks?limit=-{HUGE}",
    f"/tasks?scope=groups&offset={HUGE}", f"/notifications?offset={HUGER}", f"/tasks/{HUGE}",
])
def test_api_reads_with_huge_numbers_are_404_or_4xx(api, case, path):
    answer = api.get(path, "boss")
    assert answer.status_code in (400, 404, 422), (path, answer.status_code, answer.get_data(as_text=True)[:300])
    assert answer.get_json()["error"]


@pytest.mark.parametrize("path,body", [
    (f"/notifications/{HUGE}/read", None), (f"/notifications/{HUGER}/read", None),
    ("/messages", {"name": "m", "case_id": int(HUGER)}), ("/messages", {"name": "m", "case_id": HUGE}),
    ("/messages", {"name": "m", "case_id": -int(HUGE)}), ("/messages", {"name": "m", "case_id": 1.5e300}),
    (f"/tasks/{HUGE}/claim", None), (f"/tasks/{HUGE}/complete", {"data": {}}),
])
def test_api_writes_with_huge_numbers_are_404_or_422(api, case, path, body):
    answer = api.post(path, "boss", body)
    assert answer.status_code in (404, 422), (path, answer.status_code, answer.get_data(as_text=True)[:300])


def test_paging_past_the_end_is_an_empty_page_not_an_error(api, case):
    answer = api.get("/cases?offset=1000000", "boss")
    assert answer.status_code == 200 and answer.get_json() == []


def _signed_in(app, ctx, name: str, groups: tuple[str, ...]):
    with ctx.db.session() as session:
        if identity.get_user(session, name) is None:
            identity.add_user(session, name, "secret-pw", list(groups))
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/sign-in", data={"username": name, "password": "secret-pw", "csrf_token": csrf})
    assert answer.status_code == 302
    return client, csrf


@pytest.mark.parametrize("path", [
    f"/cases/{HUGE}", f"/cases/{HUGER}", f"/cases/{HUGE}/diagram.svg", f"/attachments/{HUGE}",
    f"/attachments/{HUGER}", f"/cases?page={HUGER}", f"/cases?page=-{HUGE}", f"/inbox?page={HUGER}",
    f"/inbox?tab=groups&page={HUGE}", f"/designer/p/{HUGE}", f"/designer/p/{HUGER}/file",
    f"/supervise?page={HUGER}", f"/notifications?page={HUGER}",
])
def test_pages_with_huge_numbers_are_404_or_shown(app, ctx, case, path):
    web, _csrf = _signed_in(app, ctx, "boss", ("supervisors", "designers"))
    answer = web.get(path)
    assert answer.status_code in (200, 404, 422), (path, answer.status_code)


@pytest.mark.parametrize("path", [f"/cases/{HUGE}/flag", f"/cases/{HUGE}/comments", f"/cases/{HUGER}/contacts",
                                  f"/cases/{HUGE}/attachments", f"/notifications/{HUGER}/read"])
def test_forms_posted_to_huge_numbers_are_404(app, ctx, case, path):
    web, csrf = _signed_in(app, ctx, "boss", ("supervisors", "designers"))
    answer = web.post(path, data={"csrf_token": csrf, "flagged": "1", "body": "x"})
    assert answer.status_code == 404, (path, answer.status_code)


# ---------------------------------------------------------------------------- hole 5: no enumeration

def test_assigning_without_permission_is_403_whatever_the_name(api, case):
    task = case["active_tasks"][0]["id"]
    api.user("colleague", ("clerks",))
    for name in ("nosuch", "colleague", "clerk", ""):
        answer = api.post(f"/tasks/{task}/assign", "clerk", {"user": name})
        assert answer.status_code == 403, (name, answer.get_json())


def test_a_supervisor_still_learns_that_a_name_is_unknown(api, case):
    task = case["active_tasks"][0]["id"]
    answer = api.post(f"/tasks/{task}/assign", "boss", {"user": "nosuch"})
    assert answer.status_code == 422 and answer.get_json()["details"][0]["field"] == "user"
