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


def test_repeated_failures_lock_the_name_for_a_while(web, ctx):
    limit = ctx.config["auth.max_failed_sign_ins"]
    for _ in range(limit):
        web.post("/sign-in", data={"username": "ann", "password": "nope", "csrf_token": _token(web)})
    answer = web.post("/sign-in", data={"username": "ann", "password": "secret-pw", "csrf_token": _token(web)})
    assert answer.status_code == 401
    assert str(ctx.config["auth.sign_in_lockout_minutes"]) in answer.get_data(as_text=True)
    # the API is throttled the same way
    assert web.post("/api/v1/auth/token", json={"username": "ann", "password": "secret-pw"}).status_code == 429
