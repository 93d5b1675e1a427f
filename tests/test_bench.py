"""`casework bench engine` runs and ends with one JSON line of figures (no timing is asserted)."""

from __future__ import annotations

import json

from engine import bench


def test_bench_engine_prints_its_figures_as_json(capsys):
    assert bench.run("engine", completions=9) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)
    assert figures["completions"] == 9
    assert figures["engine_median_ms"] > 0 and figures["raw_spiff_median_ms"] > 0
    assert figures["ratio"] == round(figures["engine_median_ms"] / figures["raw_spiff_median_ms"], 3)
