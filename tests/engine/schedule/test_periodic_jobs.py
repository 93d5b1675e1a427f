"""Periodic sweeps of the domain (ctx.periodic_jobs) run in the scheduler that holds the lease, each at its
own interval, never in a standby."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from engine import clock
from engine.context import PeriodicJob
from engine.schedule.timers import TimerDispatcher


def test_the_leader_runs_each_job_at_its_interval_and_a_standby_never(ctx):
    runs: list[str] = []
    ctx.periodic_jobs.append(PeriodicJob("count", 3600, lambda c: runs.append("count")))
    ctx.periodic_jobs.append(PeriodicJob("broken", 60, lambda c: 1 / 0))  # a failing job stops no other
    leader, standby = TimerDispatcher(ctx, "leader"), TimerDispatcher(ctx, "standby")
    start = clock.now()
    with time_machine.travel(start, tick=False):
        leader.tick()
        standby.tick()
        leader.tick()
    assert runs == ["count"] and leader.leading and not standby.leading
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        leader.tick()
        standby.tick()
    assert runs == ["count", "count"]
