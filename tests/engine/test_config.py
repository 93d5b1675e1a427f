"""Configuration: config.yaml holds every setting with its default; CASEWORK_* overrides; bad values stop start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from engine import config

ROOT = Path(__file__).resolve().parents[2]


def _flat(tree, prefix=""):
    for key, value in tree.items():
        if isinstance(value, dict) and f"{prefix}{key}" not in {s.key for s in config.SETTINGS}:
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def test_config_yaml_lists_every_setting_with_its_default():
    listed = dict(_flat(yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))))
    assert listed == {s.key: s.default for s in config.SETTINGS}


def test_environment_overrides_the_file():
    loaded = config.load(ROOT / "config.yaml", {"CASEWORK_SERVER_PORT": "8080", "CASEWORK_SCHEDULER_ENABLED": "false",
                                                "CASEWORK_DATABASE_URL": "postgresql+psycopg://u@h/db"})
    assert loaded["server.port"] == 8080 and loaded["scheduler.enabled"] is False
    assert loaded["database.url"] == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("name,value,words", [
    ("CASEWORK_SERVER_PORT", "eighty", "server.port"),
    ("CASEWORK_SERVER_PORT", "70000", "1-65535"),
    ("CASEWORK_TIMEZONE", "Mars/Olympus", "IANA time zone"),
    ("CASEWORK_DATABASE_URL", "mysql://x", "sqlite://"),
    ("CASEWORK_SCHEDULER_ENABLED", "maybe", "true or false"),
    ("CASEWORK_SCHEDULER_INTERVAL_SECONDS", "-1", "positive"),
])
def test_an_invalid_value_names_the_key_and_what_is_allowed(name, value, words):
    with pytest.raises(config.ConfigError) as err:
        config.load(ROOT / "config.yaml", {name: value})
    assert name in str(err.value) and words in str(err.value)


def test_unknown_keys_in_the_file_are_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("server:\n  prot: 5000\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="unknown config key 'server.prot'"):
        config.load(path, {})


def test_the_command_stops_with_the_message(tmp_path):
    result = subprocess.run([sys.executable, "-m", "webui.cli", "init"], cwd=ROOT, capture_output=True, text=True,
                            env={"CASEWORK_SERVER_PORT": "zero", "PATH": "/usr/bin:/bin",
                                 "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode != 0
    assert "server.port" in result.stderr and "CASEWORK_SERVER_PORT" in result.stderr
