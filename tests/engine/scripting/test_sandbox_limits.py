"""A designer's file cannot stall or break the service: the expressions and scripts that held the
interpreter for seconds or allocated gigabytes in C are refused or stopped (time and memory per
evaluation), and what a real model writes still runs. Times and sizes are measured by
`casework bench sandbox`, never asserted here."""

from __future__ import annotations

import json

import pytest

from engine.bench import sandbox as bench
from engine.scripting import limits
from engine.scripting.expressions import ExpressionError, evaluate
from engine.scripting.sandbox import ScriptError, run_script


@pytest.mark.parametrize("name,kind,text", [a for a in bench.ATTACKS if a[0] != "upper_in_loop"])
def test_each_known_attack_is_refused(name, kind, text):
    with pytest.raises(ScriptError if kind == "s" else ExpressionError) as refused:
        run_script(text, {}) if kind == "s" else evaluate(text, {})
    assert any(word in str(refused.value) for word in ("too large", "refused", "stopped", "sum() adds numbers"))


def test_a_script_growing_memory_is_stopped_at_the_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_MEMORY", 64 * 2**20)
    monkeypatch.setattr(limits.Limits.__init__, "__defaults__", (limits.MAX_SECONDS, 64 * 2**20))
    with pytest.raises(ScriptError, match="more than 64 MB of memory"):
        run_script("x = 'a' * 999999\ny = [x.upper() for i in range(100000)]", {})


def test_a_script_using_too_much_processor_time_is_stopped(monkeypatch):
    # a loop of cheap big-int steps: few lines, much C work between them
    monkeypatch.setattr(limits.Limits.__init__, "__defaults__", (0.05, limits.MAX_MEMORY))
    with pytest.raises(ScriptError, match="processor time"):
        run_script("x = 7 ** 30000\nfor i in range(20000):\n    y = x * 3 // 7", {}, line_budget=10**9)


def test_what_real_models_write_still_runs():
    data = {"amount": 12, "units": ["unit_a", "unit_b"], "title": "关于加装电梯的建议"}
    run_script("label = f'{title:.4} ({amount:>5}) {units!r}'\n"
               "total = sum([amount, 3.5])\n"
               "names = ', '.join(units)\n"
               "is_text = isinstance(title, str) and str(amount) == '12'\n"
               "code = '%05d' % amount\n"
               "square = pow(amount, 2, 97)\n"
               "big = 2 ** 62", data)
    assert data["label"] == "关于加装 (   12) ['unit_a', 'unit_b']" and data["total"] == 15.5
    assert data["names"] == "unit_a, unit_b" and data["is_text"] is True and data["code"] == "00012"
    assert data["square"] == 144 % 97 and data["big"] == 2 ** 62
    assert evaluate("f'{amount:>4}' + str(sum([1, 2]))", data) == "  123"


def test_the_sandbox_bench_prints_every_attack_refused_as_json(capsys):
    assert bench.run(baseline=False) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["attacks"] == len(bench.ATTACKS)
    assert all(r["sandbox"]["outcome"].startswith("refused") for r in figures["results"].values())


def test_a_garbage_collection_during_an_evaluation_is_not_charged_to_it():
    import time

    from engine.scripting import limits as limits_module

    def burn(seconds: float) -> None:
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass

    with limits_module.Limits(seconds=0.05) as limits:
        limits_module._not_charged_for_collections("start", {})
        burn(0.1)
        limits.check()  # no check while the collection runs
        limits_module._not_charged_for_collections("stop", {})
        limits.check()  # its time was taken off the clock
        burn(0.1)
        with pytest.raises(limits_module.LimitExceeded):
            limits.check()  # the evaluation's own time still counts
