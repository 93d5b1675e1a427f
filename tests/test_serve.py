"""`casework serve` end to end in a real process: the API answers and the embedded scheduler fires a
PT3S boundary timer on a user task within a second or two of its due time."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from .bpmn_util import bpmn

ROOT = Path(__file__).resolve().parents[1]

TIMED = bpmn("""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="sign_in" name="签收" camunda:candidateGroups="clerks">
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:boundaryEvent id="sign_in_late" attachedToRef="sign_in">
    <bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT3S</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:boundaryEvent>
  <bpmn:userTask id="escalate" name="督办" camunda:candidateGroups="supervisors">
    <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign_in"/>
  <bpmn:sequenceFlow id="f2" sourceRef="sign_in" targetRef="done"/>
  <bpmn:sequenceFlow id="f3" sourceRef="sign_in_late" targetRef="escalate"/>
  <bpmn:sequenceFlow id="f4" sourceRef="escalate" targetRef="done"/>""", "timed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _casework(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "webui.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def _request(base: str, method: str, path: str, token: str | None = None, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
def test_serve_answers_and_fires_a_boundary_timer_on_time(tmp_path):
    port = _free_port()
    env = {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
           "CASEWORK_SERVER_PORT": str(port), "CASEWORK_CONFIG": str(ROOT / "config.yaml"),
           "CASEWORK_SERVER_SECRET_KEY": "a-key-for-this-test-only-0123456789abcdef"}  # serve refuses the shipped one
    (tmp_path / "timed.bpmn").write_text(TIMED, encoding="utf-8")
    assert _casework(env, "users", "add", "clerk", "--password", "secret-pw", "--groups", "clerks").returncode == 0
    assert _casework(env, "users", "add", "boss", "--password", "secret-pw", "--groups", "supervisors").returncode == 0
    deployed = _casework(env, "deploy", str(tmp_path / "timed.bpmn"))
    assert deployed.returncode == 0, deployed.stderr
    server = subprocess.Popen([sys.executable, "-m", "webui.cli", "serve"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                _request(base, "GET", "/openapi.json")
                break
            except OSError:
                time.sleep(0.1)
        token = _request(base, "POST", "/auth/token", body={"username": "clerk", "password": "secret-pw"})["token"]
        boss = _request(base, "POST", "/auth/token", body={"username": "boss", "password": "secret-pw"})["token"]
        case = _request(base, "POST", "/cases", token, {"process_key": "timed", "title": "计时"})
        assert [t["element_id"] for t in case["active_tasks"]] == ["sign_in"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            case = _request(base, "GET", f"/cases/{case['id']}", boss)
            if any(t["element_id"] == "escalate" for t in case["active_tasks"]):
                break
            time.sleep(0.1)
        fired = next(e for e in case["history"] if e["kind"] == "timer_fired")
        lag = (datetime.fromisoformat(fired["at"]) - datetime.fromisoformat(fired["data"]["due_at"])).total_seconds()
        assert 0 <= lag < 2.0, f"the timer fired {lag:.2f}s after its due time"
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert server.returncode == 0, output
