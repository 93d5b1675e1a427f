"""Sign-in through the web pages: CSRF on every form, a clear message for a wrong password, a throttle."""

from __future__ import annotations

import re

import pytest

from engine import identity


@pytest.fixture
def web(app, ctx):
    with ctx.db.session() as session:
        identity.add_user(session, "ann", "secret-pw", ["clerks"], "安")
    return app.test_client()


def _token(client, path="/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_sign_in_needs_the_form_token(web):
    answer = web.post("/sign-in", data={"username": "ann", "password": "secret-pw"})
    assert answer.status_code == 400
    assert "expired" in answer.get_data(as_text=True) or "过期" in answer.get_data(as_text=True)


def test_wrong_password_is_told_and_the_name_kept(web):
    answer = web.post("/sign-in", data={"username": "ann", "password": "nope", "csrf_token": _token(web)})
    assert answer.status_code == 401
    body = answer.get_data(as_text=True)
    assert 'id="sign-in-error"' in body and 'value="ann"' in body


def test_sign_in_and_out(web):
    answer = web.post("/sign-in", data={"username": "ann", "password": "secret-pw", "csrf_token": _token(web),
                                        "next": "/settings"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/settings"
    assert web.get("/settings").status_code == 200
    answer = web.post("/sign-out", data={"csrf_token": _token(web, "/settings")})
    assert answer.status_code == 302
    assert web.get("/settings").status_code == 302  # back to the sign-in page


def test_next_never_leaves_the_site(web):
    answer = web.post("/sign-in", data={"username": "ann", "password": "secret-pw", "csrf_token": _token(web),
                                        "next": "//evil.example/x"})
    assert "evil.example" not in answer.headers["Location"]
    web.post("/sign-out", data={"csrf_token": _token(web, "/settings")})
    answer = web.post("/sign-in", data={"username": "ann", "password": "secret-pw", "csrf_token": _token(web),
                                        "next": "/\\evil.example/x"})  # browsers read /\ as //
    assert "evil.example" not in answer.headers["Location"]


def test_repeated_failures_slow_the_name_down(web, ctx):
    # issue 10: a delay, no longer a lock-out (tests/test_sessions.py: the owner gets in after it)
    limit = ctx.config["auth.max_failed_sign_ins"]
    for _ in range(limit):
        web.post("/sign-in", data={"username": "ann", "password": "nope", "csrf_token": _token(web)})
    answer = web.post("/sign-in", data={"username": "ann", "password": "secret-pw", "csrf_token": _token(web)})
    assert answer.status_code == 401
    assert "seconds" in answer.get_data(as_text=True) or "秒" in answer.get_data(as_text=True)
    # the API is throttled the same way
    assert web.post("/api/v1/auth/token", json={"username": "ann", "password": "secret-pw"}).status_code == 429


def _signed_in(web):
    web.post("/sign-in", data={"username": "ann", "password": "secret-pw", "csrf_token": _token(web)})
    return web


def test_chinese_first_then_english_per_user(web):
    assert "<h1>登录</h1>" in web.get("/sign-in").get_data(as_text=True)
    _signed_in(web)
    answer = web.post("/language", data={"language": "en", "next": "/settings",
                                         "csrf_token": _token(web, "/settings")})
    assert answer.headers["Location"] == "/settings"
    assert "<h1>Settings</h1>" in web.get("/settings").get_data(as_text=True)
    # kept with the user: a new session in another browser is in English too
    again = _signed_in(web.application.test_client())
    assert "<h1>Settings</h1>" in again.get("/settings").get_data(as_text=True)


def test_dates_are_shown_in_each_persons_time_zone(web, ctx):
    from engine.cases import runtime

    from .bpmn_util import one_task
    from .conftest import deploy_xml

    deploy_xml(ctx, one_task("dated", 'camunda:assignee="ann" camunda:dueDate="2026-12-01T09:00:00+08:00"'))
    with ctx.db.session() as session:
        runtime.start_case(ctx, session, identity.get_user(session, "ann"), "dated", "有期限的案件")
    _signed_in(web)
    assert "2026-12-01 09:00" in web.get("/inbox").get_data(as_text=True)  # the service's zone, Asia/Shanghai
    web.post("/settings", data={"timezone": "Europe/Berlin", "language": "zh_CN",
                                "csrf_token": _token(web, "/settings")})
    page = web.get("/inbox").get_data(as_text=True)
    assert "2026-12-01 02:00" in page and "2026-12-01 09:00" not in page
    answer = web.post("/settings", data={"timezone": "Mars/Olympus", "csrf_token": _token(web, "/settings")})
    assert answer.status_code == 422 and "Mars/Olympus" in answer.get_data(as_text=True)  # told, not saved
    assert "2026-12-01 02:00" in web.get("/inbox").get_data(as_text=True)
