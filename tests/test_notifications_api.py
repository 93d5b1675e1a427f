"""GET /notifications, POST /notifications/{id}/read and /notifications/read-all: each user sees and
marks only their own notifications."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from engine import clock, identity
from engine.notify import channels, outbox


def _notify(api, names, subject, body="案件编号：建议 2026-0001"):
    with api.ctx.db.session() as session:
        channels.queue(api.ctx, session, [identity.get_user(session, n) for n in names], None, "reminder",
                        subject, body)
    outbox.deliver_due(api.ctx)


def test_a_user_sees_and_marks_only_their_own_notifications(api):
    api.user("ann", ("unit_a",))
    api.user("bob", ("unit_a",))
    _notify(api, ["ann", "bob"], "提醒：「答复」将于 2026-05-08 到期")
    with time_machine.travel(clock.now() + timedelta(minutes=5)):
        _notify(api, ["ann"], "督办：「答复」已超期")
    listed = api.get("/notifications?unread=true", "ann").get_json()
    assert [n["title"] for n in listed] == ["督办：「答复」已超期", "提醒：「答复」将于 2026-05-08 到期"]  # newest first
    assert listed[0]["read_at"] is None and listed[0]["body"] == "案件编号：建议 2026-0001"
    [bobs] = api.get("/notifications?unread=true", "bob").get_json()

    assert api.post(f"/notifications/{bobs['id']}/read", "ann").status_code == 404  # not hers: not there
    answer = api.post(f"/notifications/{listed[0]['id']}/read", "ann")
    assert answer.status_code == 200 and answer.get_json()["read_at"] is not None
    assert [n["title"] for n in api.get("/notifications?unread=true", "ann").get_json()] == [listed[1]["title"]]
    assert len(api.get("/notifications", "ann").get_json()) == 2  # read ones stay in the full list
    assert api.get("/notifications?unread=true", "bob").get_json() == [bobs]  # bob's untouched

    assert api.post("/notifications/read-all", "ann").get_json() == {"marked": 1}
    assert api.get("/notifications?unread=true", "ann").get_json() == []
    assert api.post("/notifications/read-all", "ann").get_json() == {"marked": 0}


def test_notifications_need_a_token(api):
    api.user("ann")
    for answer in (api.get("/notifications"), api.post("/notifications/1/read"), api.post("/notifications/read-all")):
        assert answer.status_code == 401 and answer.get_json()["error"] == "unauthorized"


def test_bad_paging_and_unknown_ids_are_refused(api):
    api.user("ann")
    assert api.get("/notifications?limit=0", "ann").status_code == 422  # a paging value out of range names its field (issue 10)
    assert api.post("/notifications/abc/read", "ann").status_code == 404
    assert api.post("/notifications/999/read", "ann").status_code == 404


def _sign_in(app, username):
    client = app.test_client()
    answer = client.post("/sign-in", data={"username": username, "password": "secret-pw"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def test_the_notifications_page_shows_the_unread_count_and_marks_read(api, app):
    app.config["WTF_CSRF_ENABLED"] = False
    api.user("ann", ("unit_a",))
    api.user("bob", ("unit_a",))
    _notify(api, ["ann"], "提醒：「答复」将于 2026-05-08 到期")
    _notify(api, ["ann"], "督办：「答复」已超期")
    _notify(api, ["bob"], "提醒：bob 的事")
    ann = _sign_in(app, "ann")
    page = ann.get("/inbox").get_data(as_text=True)
    assert 'href="/notifications"' in page and 'data-unread="2"' in page  # the navigation says how many
    page = ann.get("/notifications").get_data(as_text=True)
    assert "督办：「答复」已超期" in page and "案件编号：建议 2026-0001" in page and "bob 的事" not in page
    first = int(re.findall(r'id="notification-(\d+)"', page)[0])
    answer = ann.post(f"/notifications/{first}/read", data={"next": "/notifications?show=unread"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/notifications?show=unread"
    page = ann.get("/notifications?show=unread").get_data(as_text=True)
    assert len(re.findall(r'id="notification-\d+"', page)) == 1 and 'data-unread="1"' in page
    assert ann.post(f"/notifications/{first + 2}/read").status_code == 404  # bob's
    ann.post("/notifications/read-all")
    page = ann.get("/notifications").get_data(as_text=True)
    assert "data-unread" not in page and len(re.findall(r'class="card notification"', page)) == 2
    assert app.test_client().get("/notifications").status_code == 302  # signed out: to the sign-in page
