"""The appraisal of the handling units: scores from the statistics' rates and the configured weights,
worked out by hand; a part without a base is left out, not counted as zero; equal scores share a rank."""

from __future__ import annotations

import pytest

from workflows import appraisal

WEIGHTS = {"on_time": 25, "face_reply": 20, "satisfaction": 30, "implementation": 15, "rehandling": 10}


def unit(name, assigned, on_time, face, work, result, implementation, rehandled, quota=None):
    return {"unit": name, "unit_name": name, "counts": {"assigned": assigned}, "on_time_rate": on_time,
            "face_reply_rate": face, "satisfaction_rate": {"work": work, "result": result},
            "implementation_rate": implementation, "rehandled": rehandled, "face_reply_quota": quota}


def test_scores_by_hand():
    report = {"units": [
        # 25*1 + 20*(2/3 from the quota, not the 0.5 rate) + 30*(0.9+0.7)/2 + 15*0.5 + 10*(1-1/4) = 25+13.333+24+7.5+7.5
        unit("a", 4, 1.0, 0.5, 0.9, 0.7, 0.5, 1, {"required": 3, "done": 2}),
        # nothing due, none evaluated, no A/B: only face replies (20) and not re-handled (10) count, scaled to 100
        unit("b", 2, None, 1.0, None, None, None, 0),
        unit("c", 0, None, None, None, None, None, 0),  # nothing at all: no score, last
    ]}
    scores = {s.unit: s for s in appraisal.ranking(report, WEIGHTS)}
    assert scores["a"].score == pytest.approx(77.33, abs=0.01)
    assert scores["b"].score == 100.0 and scores["b"].rank == 1 and scores["a"].rank == 2
    assert scores["c"].score is None and scores["c"].rank is None
    assert [s.unit for s in appraisal.ranking(report, WEIGHTS)] == ["b", "a", "c"]


def test_other_weights_change_the_order_and_ties_share_a_rank():
    report = {"units": [unit("a", 2, 1.0, 0.0, None, None, None, 0), unit("b", 2, 0.0, 1.0, None, None, None, 0)]}
    first = appraisal.ranking(report, {"on_time": 80, "face_reply": 20})
    assert [s.unit for s in first] == ["a", "b"] and first[0].score == 80.0
    assert [s.unit for s in appraisal.ranking(report, {"on_time": 20, "face_reply": 80})] == ["b", "a"]
    tied = appraisal.ranking(report, {"on_time": 50, "face_reply": 50})
    assert [s.rank for s in tied] == [1, 1]


def test_weights_in_config_are_checked():
    from pathlib import Path

    from engine import config

    base = config.load(Path(__file__).resolve().parents[1] / "config.yaml", environ={})
    assert base["appraisal.weights"]["satisfaction"] == 30
    with pytest.raises(config.ConfigError, match="appraisal.weights"):
        base.replace(appraisal__weights={"speed": 10})
    with pytest.raises(config.ConfigError, match="appraisal.weights"):
        base.replace(appraisal__weights={"on_time": -1})
