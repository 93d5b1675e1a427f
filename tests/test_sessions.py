"""Sessions: signing out ends the session on the server (a copied cookie opens nothing), the sign-in
throttle slows guessing per user name and per address without locking the owner out, and the shipped
session key is replaced by one `casework init` generates; `serve` refuses the shipped key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from engine import clock, identity
from engine import config as config_module

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def web(app, ctx):
    with ctx.db.session() as session:
        identity.add_user(session, "ann", "secret-pw", ["clerks"])
    return app.test_client()


def _token(client, path="/sign-in") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _sign_in(client, name="ann", password="secret-pw", address="10.0.0.1"):
    return client.post("/sign-in", data={"username": name, "password": password, "csrf_token": _token(client)},
                       environ_base={"REMOTE_ADDR": address})


def test_a_cookie_captured_before_sign_out_no_longer_opens_the_inbox(web, app):
    assert _sign_in(web).status_code == 302
    assert web.get("/inbox").status_code == 200
    captured = web.get_cookie("session").value
    assert web.post("/sign-out", data={"csrf_token": _token(web, "/settings")}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", captured)
    answer = thief.get("/inbox")
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


def test_signing_out_in_one_browser_leaves_the_other_signed_in(web, app):
    other = app.test_client()
    assert _sign_in(web).status_code == 302 and _sign_in(other).status_code == 302
    web.post("/sign-out", data={"csrf_token": _token(web, "/settings")})
    assert other.get("/inbox").status_code == 200


def test_a_cookie_forged_with_the_shipped_key_opens_nothing(app, ctx):
    from flask.sessions import SecureCookieSessionInterface

    with ctx.db.session() as session:
        admin = identity.add_user(session, "root", "secret-pw", ["admins"])
        admin_id = admin.id
    forged_app = app.__class__("forger")
    forged_app.secret_key = app.secret_key  # the attacker knows the key (here: the shipped one)
    cookie = SecureCookieSessionInterface().get_signing_serializer(forged_app).dumps(
        {"_user_id": str(admin_id), "_fresh": True, "sid": "guessed"})
    client = app.test_client()
    client.set_cookie("session", cookie)
    assert client.get("/inbox").status_code == 302  # the session id names no server-side session


def test_anonymous_wrong_tries_delay_the_owner_but_never_lock_them_out(web, ctx):
    limit = ctx.config["auth.max_failed_sign_ins"]
    with time_machine.travel(clock.now(), tick=False) as traveller:
        for _ in range(limit):
            assert _sign_in(web, password="guess", address="203.0.113.9").status_code == 401
        # right away, even the owner waits (1 s after the fifth failure): slowed, told how long
        assert _sign_in(web, address="10.0.0.1").status_code == 401
        traveller.shift(timedelta(seconds=2))
        assert _sign_in(web, address="10.0.0.1").status_code == 302  # the owner's password works
    # and the guesser keeps being slowed: the delay doubles with each further failure, up to the cap
    assert identity.sign_in_delay(limit, limit, 30) == 1 and identity.sign_in_delay(limit + 3, limit, 30) == 8
    assert identity.sign_in_delay(limit + 40, limit, 30) == 30


def test_forty_names_from_one_address_are_slowed(api, ctx):
    refused = []
    with time_machine.travel(clock.now(), tick=False):
        for n in range(40):
            answer = api.client.post("/api/v1/auth/token", json={"username": f"user{n}", "password": "guess"},
                                     environ_base={"REMOTE_ADDR": "198.51.100.7"})
            refused.append(answer.status_code == 429)
            if answer.status_code == 429:
                assert int(answer.headers["Retry-After"]) >= 1
        assert not any(refused[:ctx.config["auth.max_failed_sign_ins_per_address"]])
        assert all(refused[ctx.config["auth.max_failed_sign_ins_per_address"] + 1:])
        # another address is not slowed by it
        api.user("bea", ("clerks",))


def test_init_generates_the_session_key_and_serve_refuses_the_shipped_one(tmp_path):
    env = {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
           "CASEWORK_SERVER_INSTANCE_DIR": str(tmp_path / "instance"), "CASEWORK_CONFIG": str(ROOT / "config.yaml"),
           "CASEWORK_SERVER_PORT": "1"}  # never reached: serve stops before it listens
    env.pop("CASEWORK_SERVER_SECRET_KEY", None)

    def casework(*args):
        return subprocess.run([sys.executable, "-m", "webui.cli", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)

    refused = casework("serve")
    assert refused.returncode == 2 and "dev-only-change-me" in refused.stderr and "--dev" in refused.stderr
    made = casework("init", "--bpmn-dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    key_file = tmp_path / "instance" / "secret_key"
    key = key_file.read_text().strip()
    assert len(key) >= 32 and key != config_module.SHIPPED_SECRET_KEY
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = casework("init", "--bpmn-dir", str(tmp_path))  # init again keeps the key
    assert again.returncode == 0 and key_file.read_text().strip() == key
    config = config_module.load(ROOT / "config.yaml", environ={"CASEWORK_SERVER_INSTANCE_DIR": str(tmp_path / "instance")})
    assert config_module.secret_key(config) == key


def test_a_browser_session_ends_after_its_lifetime_and_its_row_is_swept(web, app, ctx):
    from sqlalchemy import func, select

    from engine.schedule import prune
    from engine.store import WebSession

    assert _sign_in(web).status_code == 302
    later = clock.now() + timedelta(days=ctx.config["auth.web_session_days"], minutes=1)
    with time_machine.travel(later - timedelta(days=1), tick=False):
        assert web.get("/inbox").status_code == 200  # still within its lifetime
        assert prune.run(ctx)["web_sessions"] == 0
    with time_machine.travel(later, tick=False):
        answer = web.get("/inbox")
        assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]
        assert prune.run(ctx)["web_sessions"] == 1
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0
