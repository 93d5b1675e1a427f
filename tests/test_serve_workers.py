"""`casework serve --workers N`: gunicorn web workers answer, and the timer scheduler runs in a process of
its own (it holds the lease; no web worker does), firing a timer due a few seconds after the start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from webui.cli import build_parser

from .test_serve import ROOT, TIMED, _casework, _free_port, _request


def test_workers_must_be_a_small_whole_number(capsys):
    assert build_parser().parse_args(["serve", "--workers", "4"]).workers == 4
    assert build_parser().parse_args(["serve"]).workers == 1
    for bad in ("0", "-1", "two", "65"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["serve", "--workers", bad])
        assert "a whole number from 1 to 64" in capsys.readouterr().err


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads processes from /proc")
def test_serve_with_workers_runs_the_scheduler_in_its_own_process(tmp_path):
    port = _free_port()
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_SERVER_PORT": str(port),
           "CASEWORK_CONFIG": str(ROOT / "config.yaml"),
           "CASEWORK_SERVER_SECRET_KEY": "a-key-for-this-test-only-0123456789abcdef"}
    (tmp_path / "timed.bpmn").write_text(TIMED, encoding="utf-8")
    assert _casework(env, "users", "add", "clerk", "--password", "secret-pw", "--groups", "clerks").returncode == 0
    assert _casework(env, "users", "add", "boss", "--password", "secret-pw", "--groups", "supervisors").returncode == 0
    assert _casework(env, "deploy", str(tmp_path / "timed.bpmn")).returncode == 0
    server = subprocess.Popen([sys.executable, "-m", "webui.cli", "serve", "--workers", "2"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(300):
            try:
                _request(base, "GET", "/openapi.json")
                break
            except OSError:
                time.sleep(0.1)
        token = _request(base, "POST", "/auth/token", body={"username": "clerk", "password": "secret-pw"})["token"]
        boss = _request(base, "POST", "/auth/token", body={"username": "boss", "password": "secret-pw"})["token"]
        case = _request(base, "POST", "/cases", token, {"process_key": "timed", "title": "计时"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            case = _request(base, "GET", f"/cases/{case['id']}", boss)
            if any(t["element_id"] == "escalate" for t in case["active_tasks"]):
                break
            time.sleep(0.2)
        assert any(e["kind"] == "timer_fired" for e in case["history"])
        db = create_engine(url)
        with db.connect() as conn:
            holder = conn.scalar(text("SELECT holder FROM leases WHERE name = 'timer-scheduler'"))
        db.dispose()
        pid = int(holder.split(":")[1])
        assert pid != server.pid
        assert "webui.cli scheduler" in _cmdline(pid)  # the scheduler process, not a web worker
    finally:
        server.terminate()
        output = server.communicate(timeout=40)[0]
    assert server.returncode == 0, output
    assert not Path(f"/proc/{pid}").exists() or "scheduler" not in _cmdline(pid)  # stopped with serve
    db = create_engine(url)
    with db.connect() as conn:  # and it gave the lease up: a standby takes over at once
        assert conn.scalar(text("SELECT count(*) FROM leases WHERE name = 'timer-scheduler'")) == 0
    db.dispose()
