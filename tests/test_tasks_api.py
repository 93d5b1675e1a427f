"""Task life-cycle and who may do what, through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .bpmn_util import one_task

FORM = """
<camunda:formField id="title" label="Title" type="string">
  <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="maxlength" config="10" /></camunda:validation>
</camunda:formField>
<camunda:formField id="count" label="Count" type="long">
  <camunda:validation><camunda:constraint name="min" config="1" /><camunda:constraint name="max" config="9" /></camunda:validation>
</camunda:formField>
<camunda:formField id="when" label="When" type="date" />
<camunda:formField id="ok" label="OK" type="boolean" />
<camunda:formField id="kind" label="Kind" type="enum"><camunda:value id="a" name="A" /><camunda:value id="b" name="B" /></camunda:formField>
<camunda:formField id="fixed" label="Fixed" type="string" defaultValue="keep">
  <camunda:validation><camunda:constraint name="readonly" /></camunda:validation>
</camunda:formField>
"""


def _setup(api, task_attrs='camunda:candidateGroups="clerks"', form=""):
    api.user("designer", ("designers",))
    api.user("ann", ("clerks",))
    api.user("bob", ("clerks",))
    api.user("eve", ("others",))
    api.user("sue", ("supervisors",))
    assert api.deploy("designer", one_task("t", task_attrs, form)).status_code == 201
    case = api.start("ann", "t").get_json()
    return case, case["active_tasks"][0]


def test_invalid_form_data_gets_422_naming_each_field_and_changes_nothing(api):
    case, task = _setup(api, form=FORM)
    before = api.get(f"/cases/{case['id']}", "ann").get_json()
    bad = {"title": "far too long a title", "count": "many", "when": "31/02/2026", "ok": "perhaps",
           "kind": "z", "fixed": "changed", "extra": 1}
    answer = api.post(f"/tasks/{task['id']}/complete", "ann", {"data": bad})
    assert answer.status_code == 422
    details = {d["field"]: d["message"] for d in answer.get_json()["details"]}
    assert set(details) == {"title", "count", "when", "ok", "kind", "fixed", "extra"}
    assert "at most 10" in details["title"] and "whole number" in details["count"]
    assert api.post(f"/tasks/{task['id']}/complete", "ann", {"data": {"count": 0}}).get_json()["details"] == [
        {"field": "title", "label": "Title", "code": "required", "message": "is required"},
        {"field": "count", "label": "Count", "code": "below_min", "message": "must be at least 1",
         "params": {"min": 1}}]
    codes = {d["field"]: (d["code"], d.get("params")) for d in answer.get_json()["details"]}
    assert codes["title"] == ("too_long", {"max": 10}) and codes["count"] == ("not_whole_number", None)
    assert codes["extra"][0] == "unknown_field" and codes["fixed"][0] == "read_only"
    assert codes["kind"][0] == "not_option" and codes["when"][0] == "not_date"
    after = api.get(f"/cases/{case['id']}", "ann").get_json()
    assert after["data"] == before["data"] and after["active_tasks"] == before["active_tasks"]
    assert after["history"] == before["history"]
    good = {"title": "ok", "count": "3", "when": "2026-12-01", "ok": "true", "kind": "b"}
    done = api.post(f"/tasks/{task['id']}/complete", "ann", {"data": good}).get_json()
    assert done["status"] == "completed"
    assert {k: done["data"][k] for k in good} == {"title": "ok", "count": 3, "when": "2026-12-01", "ok": True,
                                                  "kind": "b"}
    assert done["data"]["fixed"] == "keep"


def test_a_completed_task_answers_409(api):
    _, task = _setup(api)
    assert api.post(f"/tasks/{task['id']}/complete", "ann", {"data": {}}).status_code == 200
    again = api.post(f"/tasks/{task['id']}/complete", "ann", {"data": {}})
    assert again.status_code == 409 and "no longer open" in again.get_json()["message"]


def test_claim_unclaim_assign_and_who_may_complete(api):
    _, task = _setup(api)
    tid = task["id"]
    assert [t["id"] for t in api.tasks("bob", "groups")] == [tid]
    assert api.post(f"/tasks/{tid}/claim", "eve").status_code == 404  # eve cannot see the case
    assert api.post(f"/tasks/{tid}/claim", "ann").get_json()["assignee"] == "ann"
    assert api.post(f"/tasks/{tid}/claim", "ann").status_code == 200  # twice is harmless
    answer = api.post(f"/tasks/{tid}/claim", "bob")
    assert answer.status_code == 409 and "ann" in answer.get_json()["message"]
    assert api.tasks("bob", "groups") == []
    answer = api.post(f"/tasks/{tid}/complete", "bob", {"data": {}})
    assert answer.status_code == 403 and "assigned to ann" in answer.get_json()["message"]
    assert api.post(f"/tasks/{tid}/unclaim", "bob").status_code == 403
    # ann hands it over to bob, a colleague of the group; not to eve
    assert api.post(f"/tasks/{tid}/assign", "ann", {"user": "eve"}).status_code == 422
    assert api.post(f"/tasks/{tid}/assign", "ann", {"user": "nobody"}).status_code == 422
    assert api.post(f"/tasks/{tid}/assign", "ann", {"user": "bob"}).get_json()["assignee"] == "bob"
    assert api.post(f"/tasks/{tid}/assign", "ann", {"user": "ann"}).status_code == 403  # no longer hers
    # a supervisor reassigns within the group too: eve could not do the task
    assert api.post(f"/tasks/{tid}/assign", "sue", {"user": "eve"}).status_code == 422
    assert api.post(f"/tasks/{tid}/assign", "sue", {"user": "ann"}).get_json()["assignee"] == "ann"
    assert api.post(f"/tasks/{tid}/unclaim", "sue").get_json()["assignee"] is None
    assert api.post(f"/tasks/{tid}/complete", "bob", {"data": {}}).status_code == 200


def test_assignee_and_candidate_users_from_expressions(api):
    api.user("designer", ("designers",))
    api.user("ann")
    api.user("bob")
    api.user("cat")
    xml = one_task("expr", 'camunda:assignee="${owner}" camunda:candidateUsers="cat, ${helper}"',
                   declare={"start:inputs": "owner, helper"})
    assert api.deploy("designer", xml).status_code == 201
    case = api.start("ann", "expr", {"owner": "bob", "helper": "ann"}).get_json()
    [task] = case["active_tasks"]
    assert task["assignee"] == "bob" and task["candidate_users"] == ["cat", "ann"]
    assert api.post(f"/tasks/{task['id']}/complete", "cat", {"data": {}}).status_code == 403
    assert api.post(f"/tasks/{task['id']}/complete", "bob", {"data": {}}).status_code == 200


def test_visibility_of_cases(api):
    case, _ = _setup(api)
    assert api.get(f"/cases/{case['id']}", "eve").status_code == 404
    assert api.get(f"/cases/{case['id']}", "bob").status_code == 200  # candidate group of an open task
    assert api.get(f"/cases/{case['id']}", "sue").status_code == 200
    assert [c["id"] for c in api.get("/cases", "eve").get_json()] == []
    assert [c["id"] for c in api.get("/cases", "sue").get_json()] == [case["id"]]
    assert api.get("/cases?q=zzz", "sue").get_json() == []
    assert api.get("/cases?status=bogus", "sue").status_code == 400
    assert api.get("/cases?limit=5000", "sue").status_code == 422


def test_authentication_errors(api):
    api.user("ann")
    assert api.post("/auth/token", json={"username": "ann", "password": "wrong"}).status_code == 401
    assert api.post("/auth/token", json={"username": "nobody", "password": "x"}).status_code == 401
    answer = api.client.get("/api/v1/cases", headers={"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"
    assert api.client.get("/api/v1/cases").status_code == 401


def test_unknown_api_paths_answer_in_the_api_error_shape(api):
    answer = api.client.get("/api/v1/nothing-here")
    assert answer.status_code == 404 and answer.get_json()["error"] == "not_found"
    answer = api.client.delete("/api/v1/cases")
    assert answer.status_code == 405 and answer.get_json()["error"] == "method_not_allowed"


def test_a_revoked_token_a_deactivated_user_and_a_lost_group_count_from_the_next_call(api):
    """The API keeps each token's user between calls, but reads the token's rows on every call: a change
    made by anyone (another process, a database console) counts from the very next call."""
    from sqlalchemy import delete, update

    from engine.store import ApiToken, Group, User, UserGroup

    case, _task = _setup(api)
    assert api.get(f"/cases/{case['id']}", "bob").status_code == 200  # a clerk: the task is offered to them
    assert api.get(f"/cases/{case['id']}", "bob").status_code == 200  # (kept between calls)
    with api.ctx.db.session() as session:  # bob leaves the clerks
        bob = session.query(User).filter_by(username="bob").one()
        clerks = session.query(Group).filter_by(name="clerks").one()
        session.execute(delete(UserGroup).where(UserGroup.user_id == bob.id, UserGroup.group_id == clerks.id))
    assert api.get(f"/cases/{case['id']}", "bob").status_code == 404
    with api.ctx.db.session() as session:  # and comes back
        session.add(UserGroup(user_id=bob.id, group_id=clerks.id))
    assert api.get(f"/cases/{case['id']}", "bob").status_code == 200

    assert api.get("/cases", "ann").status_code == 200
    with api.ctx.db.session() as session:
        session.execute(update(User).where(User.username == "ann").values(active=False))
    answer = api.get("/cases", "ann")
    assert answer.status_code == 401 and "no longer active" in answer.get_json()["message"]
    with api.ctx.db.session() as session:
        session.execute(update(User).where(User.username == "ann").values(active=True))
    assert api.get("/cases", "ann").status_code == 200

    assert api.get("/cases", "eve").status_code == 200
    with api.ctx.db.session() as session:  # the token revoked
        eve = session.query(User).filter_by(username="eve").one()
        session.execute(delete(ApiToken).where(ApiToken.user_id == eve.id))
    assert api.get("/cases", "eve").status_code == 401

    assert api.get("/cases", "sue").status_code == 200
    with api.ctx.db.session() as session:  # the token expired
        sue = session.query(User).filter_by(username="sue").one()
        session.execute(update(ApiToken).where(ApiToken.user_id == sue.id)
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert api.get("/cases", "sue").status_code == 401


def test_an_answer_without_the_history_when_asked(api):
    """`?history=false` on a call answered with the case: the same case, its open tasks and data, without the
    history; a wrong value is refused before anything is done."""
    case, task = _setup(api)
    full = api.get(f"/cases/{case['id']}", "ann").get_json()
    short = api.get(f"/cases/{case['id']}?history=false", "ann").get_json()
    assert "history" not in short and short == {k: v for k, v in full.items() if k != "history"}
    assert api.get(f"/cases/{case['id']}?history=true", "ann").get_json() == full
    answer = api.post(f"/tasks/{task['id']}/complete?history=maybe", "ann", {"data": {}})
    assert answer.status_code == 422 and answer.get_json()["details"][0]["field"] == "history"
    assert api.get(f"/cases/{case['id']}", "ann").get_json()["active_tasks"] == full["active_tasks"]  # not done
    done = api.post(f"/tasks/{task['id']}/complete?history=false", "ann", {"data": {}})
    assert done.status_code == 200 and "history" not in done.get_json()
    assert done.get_json()["status"] == "completed"
    started = api.post("/cases?history=0", "ann", {"process_key": "t"})
    assert started.status_code == 201 and "history" not in started.get_json()
    assert started.get_json()["active_tasks"]
