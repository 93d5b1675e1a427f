"""Cycle timers (`R5/P1D`) after a pause: missed rounds are skipped, not replayed.

SpiffWorkflow moves a cycle's `next` on by one period per firing, and `do_engine_steps` refreshes
the timers again, so a case whose scheduler was down for three days would get three reminders in a
burst. Before a case's timers are refreshed, each cycle that fell behind has its `next` moved to the
last round that is already due, so it fires once and its next round lies in the future. A skipped
round counts as one of the cycle's repetitions: `R5/P1D` still ends five days after its first
round, and if every remaining round was missed it fires once and ends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition

from engine.cases import projections


def skip_missed_rounds(workflow: Any, now: datetime) -> dict[str, int]:
    """Move lagging cycles to their last due round; returns {timer task id: rounds skipped}."""
    skipped = {}
    for task in projections.waiting_timers(workflow):
        if not isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
            continue
        value = task.internal_data.get("event_value")
        if not isinstance(value, dict) or value.get("cycles") == 0 or not value.get("duration"):
            continue
        period = timedelta(seconds=value["duration"])
        first = datetime.fromisoformat(value["next"])
        if first >= now or period <= timedelta(0):
            continue
        # rounds at first, first + period, ... strictly before now (SpiffWorkflow's own comparison)
        due_rounds = (now - first - timedelta(microseconds=1)) // period + 1
        left = value["cycles"]  # -1: repeats without end
        skip = due_rounds - 1 if left < 0 else min(due_rounds, left) - 1
        if skip <= 0:
            continue
        value["next"] = (first + skip * period).isoformat()
        if left > 0:
            value["cycles"] = left - skip
        skipped[str(task.id)] = skip
    return skipped


def next_round(task: Any) -> str | None:
    """A cycle's next round as SpiffWorkflow keeps it (None for other timers, or once it has ended)."""
    value = task.internal_data.get("event_value")
    return value.get("next") if isinstance(value, dict) else None
