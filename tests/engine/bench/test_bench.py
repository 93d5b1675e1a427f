"""`casework bench engine` and `casework bench timers` run and end with one JSON line of figures
(no timing is asserted)."""

from __future__ import annotations

import json

import pytest

from engine.bench import engine as bench
from webui import cli


def test_bench_engine_prints_its_figures_as_json(capsys):
    assert bench.run("engine", completions=9) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)
    assert figures["completions"] == 9
    assert figures["engine_median_ms"] > 0 and figures["raw_spiff_median_ms"] > 0
    assert figures["ratio"] == round(figures["engine_median_ms"] / figures["raw_spiff_median_ms"], 3)


@pytest.mark.slow
def test_bench_timers_fires_every_timer_and_prints_its_figures_as_json(capsys):
    assert cli.main(["bench", "timers", "--cases", "25", "--lone", "2"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)
    assert figures["benchmark"] == "timers"
    assert figures["created"] == 25 and figures["fired"] == 25
    assert figures["lone_runs"] == 2
    assert 0 <= figures["lag_p50_ms"] <= figures["lag_p99_ms"]
    assert 0 <= figures["lone_lag_p50_ms"] <= figures["lone_lag_p99_ms"]
    assert figures["seconds_to_fire_all"] >= 0 and figures["raw_spiff_ms_per_timer"] > 0
    assert figures["ratio"] == round(figures["engine_ms_per_timer"] / figures["raw_spiff_ms_per_timer"], 3)
