"""The `casework` command: lint, deploy, render, users, init."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lxml import etree

from .bpmn_util import one_task

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "CASEWORK_CONFIG": str(ROOT / "config.yaml")}
    return subprocess.run([sys.executable, "-m", "webui.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_lint_prints_one_line_per_problem_and_exits_1(tmp_path):
    good, bad = tmp_path / "good.bpmn", tmp_path / "bad.bpmn"
    good.write_text(one_task("good"), encoding="utf-8")
    bad.write_text(one_task("bad").replace('targetRef="done"', 'targetRef="nowhere"'), encoding="utf-8")
    result = run(tmp_path, "lint", str(good))
    assert result.returncode == 0 and "no problems" in result.stdout
    result = run(tmp_path, "lint", str(good), str(bad))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines and all(line.startswith(str(bad) + ":") for line in lines)
    file, line, element, message = lines[0].split(":", 3)
    assert int(line) > 0 and element.strip() == "f2" and "nowhere" in message


def test_deploy_is_all_or_nothing_then_versions(tmp_path):
    good, bad = tmp_path / "good.bpmn", tmp_path / "bad.bpmn"
    good.write_text(one_task("good"), encoding="utf-8")
    bad.write_text("<not-bpmn/>", encoding="utf-8")
    result = run(tmp_path, "deploy", str(good), str(bad))
    assert result.returncode == 1 and "nothing was deployed" in result.stderr
    result = run(tmp_path, "deploy", str(good))
    assert result.returncode == 0 and "good version 1 (new version)" in result.stdout
    result = run(tmp_path, "deploy", str(good))
    assert "good version 1 (unchanged)" in result.stdout


def test_render_draws_every_element_with_its_id(tmp_path):
    out = tmp_path / "quick.svg"
    result = run(tmp_path, "render", str(ROOT / "examples" / "quick-reply.bpmn"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    svg = etree.parse(str(out))
    drawn = {g.get("data-element-id") for g in svg.iter() if g.get("data-element-id")}
    assert {"review", "handle", "reply_overdue", "flow_accept", "Lane_unit"} <= drawn
    assert run(tmp_path, "render", str(tmp_path / "missing.bpmn"), "-o", str(out)).returncode == 1


def test_users_add_and_init_with_demo(tmp_path):
    result = run(tmp_path, "users", "add", "ann", "--password", "secret-pw", "--groups", "clerks,unit_a")
    assert result.returncode == 0 and "clerks, unit_a" in result.stdout
    result = run(tmp_path, "users", "add", "ann", "--password", "secret-pw")
    assert result.returncode == 1 and "already exists" in result.stderr
    result = run(tmp_path, "users", "add", "bob", "--password", "123")
    assert result.returncode == 1 and "at least 6" in result.stderr
    result = run(tmp_path, "init", "--demo")
    assert result.returncode == 0, result.stderr
    assert "demo users ready" in result.stdout and "quick_reply v1" in result.stdout
