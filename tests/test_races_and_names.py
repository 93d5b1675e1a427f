"""A lost race is always a 409, even when the winner's completion closed the case the loser can then no
longer see; and a long attachment name keeps its extension when it is shortened."""

from __future__ import annotations

import io
import re
import threading

from engine import identity

from .bpmn_util import one_task


def _closing_case(api):
    api.user("designer", ("designers",))
    api.user("ann", ("clerks",))
    api.user("bob", ("clerks",))
    assert api.deploy("designer", one_task()).status_code == 201
    case = api.start("designer", "p").get_json()
    return case, case["active_tasks"][0]["id"]


def test_the_candidate_who_comes_second_to_a_closing_case_gets_409(api):
    case, task = _closing_case(api)
    first = api.post(f"/tasks/{task}/complete", "ann", {"data": {}})
    assert first.status_code == 200 and first.get_json()["status"] == "completed"
    assert api.get(f"/cases/{case['id']}", "bob").status_code == 404  # bob no longer sees the closed case
    for action, body in (("complete", {"data": {}}), ("claim", None), ("unclaim", None), ("assign", {"user": "bob"})):
        late = api.post(f"/tasks/{task}/{action}", "bob", body)
        assert late.status_code == 409, (action, late.get_json())
        assert "ann" in late.get_json()["message"] or action != "complete"
    # someone who was never offered it learns nothing
    api.user("eve", ("others",))
    assert api.post(f"/tasks/{task}/complete", "eve", {"data": {}}).status_code == 404


def _race(api, task: str, people: tuple[str, ...]) -> list[int]:
    statuses, start = [], threading.Barrier(len(people))

    def complete(who: str) -> None:
        client = api.client.application.test_client()
        start.wait()
        answer = client.post(f"/api/v1/tasks/{task}/complete", json={"data": {}},
                             headers={"Authorization": f"Bearer {api.tokens[who]}"})
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=complete, args=(who,)) for who in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_racing_candidates_get_one_200_and_the_rest_409(api):
    _case, task = _closing_case(api)
    assert _race(api, task, ("ann", "bob")) == [200, 409]
    for _round in range(2):
        task = api.start("designer", "p").get_json()["active_tasks"][0]["id"]
        assert _race(api, task, ("ann", "bob")) == [200, 409]


def test_a_long_attachment_name_keeps_its_extension(api, app, ctx, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the configured attachments folder is relative: var/attachments
    case, _task = _closing_case(api)
    with ctx.db.session() as session:
        identity.add_user(session, "uploader", "secret-pw", ["supervisors"])
    web = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/sign-in").get_data(as_text=True)).group(1)
    web.post("/sign-in", data={"username": "uploader", "password": "secret-pw", "csrf_token": csrf})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get(f"/cases/{case['id']}").get_data(as_text=True)).group(1)
    name = "关于加装电梯的调研报告" * 40 + ".pdf"  # 400 characters and more
    answer = web.post(f"/cases/{case['id']}/attachments", content_type="multipart/form-data",
                      data={"csrf_token": csrf, "file": (io.BytesIO(b"%PDF-1.4\n%fake but well-formed enough\n"), name)})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    page = web.get(f"/cases/{case['id']}").get_data(as_text=True)
    stored = re.search(r'href="/attachments/(\d+)"[^>]*>([^<]+)<', page)
    assert stored and stored.group(2).strip().endswith(".pdf") and len(stored.group(2).strip()) <= 200
    download = web.get(f"/attachments/{stored.group(1)}")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
