"""The yearly appraisal of the handling units (考评): a score per unit from the statistics' rates and
the weights of appraisal.weights in config.yaml, and the ranking.

Each part is scored by a rate from workflows.statistics (`report`):
- on_time: the on-time reply rate (按期办复率);
- face_reply: face replies by the head against the quota (面复任务) where the unit has one (suggestions),
  else the face-reply rate;
- satisfaction: the mean of the satisfaction with the work and with the result;
- implementation: the implementation rate (落实率);
- rehandling: the share of the unit's cases NOT re-handled (二次办理 counts against it).
A part with no base (no case due yet, none evaluated, no A/B suggestion) is left out and the others
are scaled up to the full points, so that a unit is neither rewarded nor punished for what it did
not have. The score is out of 100.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PARTS = ("on_time", "face_reply", "satisfaction", "implementation", "rehandling")


def part_rates(unit: dict[str, Any]) -> dict[str, float | None]:
    counts = unit["counts"]
    quota = unit.get("face_reply_quota")
    if quota and quota.get("required"):
        face = min(1.0, quota["done"] / quota["required"])
    else:
        face = unit["face_reply_rate"]
    satisfaction = [r for r in (unit["satisfaction_rate"]["work"], unit["satisfaction_rate"]["result"])
                    if r is not None]
    return {"on_time": unit["on_time_rate"], "face_reply": face,
            "satisfaction": sum(satisfaction) / len(satisfaction) if satisfaction else None,
            "implementation": unit["implementation_rate"],
            "rehandling": 1 - unit["rehandled"] / counts["assigned"] if counts["assigned"] else None}


@dataclass
class Score:
    unit: str
    unit_name: str
    score: float | None
    rank: int | None
    parts: dict[str, float | None] = field(default_factory=dict)  # the rate of each part
    assigned: int = 0


def score(rates: dict[str, float | None], weights: dict[str, float]) -> float | None:
    used = {k: w for k, w in weights.items() if w and rates.get(k) is not None}
    total = sum(used.values())
    if not total:
        return None
    return round(100 * sum(w * rates[k] for k, w in used.items()) / total, 2)


def ranking(report: dict[str, Any], weights: dict[str, float]) -> list[Score]:
    """The units of a statistics report, best first; equal scores share a rank; no score, last."""
    scores = []
    for unit in report["units"]:
        rates = part_rates(unit)
        scores.append(Score(unit["unit"], unit["unit_name"], score(rates, weights), None, rates,
                            unit["counts"]["assigned"]))
    scores.sort(key=lambda s: (s.score is None, -(s.score or 0), s.unit_name))
    previous, rank = None, 0
    for index, entry in enumerate(scores, start=1):
        if entry.score is None:
            continue
        if entry.score != previous:
            rank, previous = index, entry.score
        entry.rank = rank
    return scores
