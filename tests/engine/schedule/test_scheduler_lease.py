"""One scheduler at a time: the database lease, a standby taking over (only the holder fires timers
and delivers the outbox), web workers never scheduling, and two real `casework scheduler` processes
against one database (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from engine import clock, identity
from engine.cases import runtime
from engine.context import EngineContext
from engine.notify import outbox
from engine.schedule import timers
from engine.schedule.lease import Lease
from engine.store import EventRow, TimerRow
from engine.store import Lease as LeaseRow
from tests.bpmn_util import bpmn
from tests.conftest import BACKENDS, deploy_xml, make_config

ROOT = Path(__file__).resolve().parents[3]

WAIT = bpmn("""
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:intermediateCatchEvent id="cool_off"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeDuration>${wait}</bpmn:timeDuration></bpmn:timerEventDefinition>
  </bpmn:intermediateCatchEvent>
  <bpmn:userTask id="follow_up" name="回访" camunda:candidateGroups="clerks">
    <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="cool_off"/>
  <bpmn:sequenceFlow id="f2" sourceRef="cool_off" targetRef="follow_up"/>
  <bpmn:sequenceFlow id="f3" sourceRef="follow_up" targetRef="done"/>""", "wait", declare={"start:inputs": "wait"})


def _start_cases(ctx, count: int, wait: str) -> list[int]:
    with ctx.db.session() as session:
        user = identity.get_user(session, "ann") or identity.add_user(session, "ann", "secret-pw", ["clerks"])
        return [runtime.start_case(ctx, session, user, "wait", "t", {"wait": wait}).id for _ in range(count)]


def _firings(ctx, case_ids: list[int]) -> dict[int, int]:
    """timer_fired events per case."""
    with ctx.db.session() as session:
        counts = dict(session.execute(select(EventRow.case_id, func.count()).where(
            EventRow.kind == "timer_fired", EventRow.case_id.in_(case_ids)).group_by(EventRow.case_id)).all())
    return {case: counts.get(case, 0) for case in case_ids}


def _all_fired(ctx, case_ids: list[int]) -> bool:
    with ctx.db.session() as session:
        return not session.scalar(select(func.count()).select_from(TimerRow).where(
            TimerRow.case_id.in_(case_ids), TimerRow.state == "waiting"))


def _wait_until(condition, timeout: float) -> bool:
    """A bounded wait, not a speed assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_lease_has_one_holder_until_it_expires_or_is_released(ctx):
    first, second = Lease(ctx.db, "job", 15, "first"), Lease(ctx.db, "job", 15, "second")
    assert first.acquire()
    with ctx.db.session() as session:
        taken_at = session.get(LeaseRow, "job").acquired_at
    assert not second.acquire() and second.current_holder == "first"
    with time_machine.travel(clock.now() + timedelta(seconds=10)):
        assert first.acquire()  # renewed: holds it 15 s from now
        with ctx.db.session() as session:
            assert session.get(LeaseRow, "job").acquired_at == taken_at
    with time_machine.travel(clock.now() + timedelta(seconds=20)):
        assert not second.acquire()  # renewed at +10 s, so not expired at +20 s
    with time_machine.travel(clock.now() + timedelta(seconds=26)):
        assert second.acquire()  # the holder stopped renewing: taken over
        assert not first.acquire() and first.current_holder == "second"
        second.release()
        assert first.acquire()  # released: free at once


@pytest.mark.parametrize("backend", BACKENDS)
def test_of_four_processes_asking_at_once_one_gets_the_lease(ctx):
    leases = [Lease(EngineContext.create(ctx.config).db, "job", 15, f"p{i}") for i in range(4)]
    barrier, results = threading.Barrier(4), {}

    def ask(lease):
        barrier.wait(timeout=10)
        results[lease.holder] = lease.acquire()

    threads = [threading.Thread(target=ask, args=(lease,)) for lease in leases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == [False, False, False, True]
    winner = next(holder for holder, won in results.items() if won)
    assert {lease.current_holder for lease in leases} == {winner}
    for lease in leases:
        lease.db.dispose()


def test_only_the_lease_holder_fires_and_a_standby_takes_over_on_a_clean_stop(ctx, db_url, monkeypatch):
    deploy_xml(ctx, WAIT)
    config = make_config(db_url, scheduler__interval_seconds=0.1, scheduler__lease_seconds=2)
    first_ctx, second_ctx = EngineContext.create(config), EngineContext.create(config)
    passes, deliveries = [], []
    real_fire_due = timers.fire_due
    monkeypatch.setattr(timers, "fire_due", lambda c, **kw: passes.append(c) or real_fire_due(c, **kw))
    monkeypatch.setattr(outbox, "deliver_due", lambda c: deliveries.append(c) or 0)
    first, second = timers.TimerDispatcher(first_ctx, "first"), timers.TimerDispatcher(second_ctx, "second")
    first.start()
    try:
        assert _wait_until(lambda: first.leading, 10)
        second.start()
        assert _wait_until(lambda: second.leading is False, 10)
        cases = _start_cases(ctx, 5, "PT1S")
        assert _wait_until(lambda: _all_fired(ctx, cases), 20)
        assert set(map(id, passes)) == {id(first_ctx)}  # the standby never ran a pass
        assert set(map(id, deliveries)) == {id(first_ctx)}  # nor delivered the outbox
        first.stop()  # releases the lease
        assert _wait_until(lambda: second.leading, 5)
        later = _start_cases(ctx, 5, "PT1S")
        assert _wait_until(lambda: _all_fired(ctx, later), 20)
        assert id(passes[-1]) == id(second_ctx) and id(deliveries[-1]) == id(second_ctx)
        assert set(_firings(ctx, cases + later).values()) == {1}
    finally:
        first.stop()
        second.stop()
        first_ctx.db.dispose()
        second_ctx.db.dispose()


def test_the_web_app_never_starts_a_scheduler(db_url, ctx, monkeypatch):
    """Gunicorn workers import create_app: they must not schedule (only `serve` and `scheduler` do)."""
    from webui.app import create_app

    monkeypatch.setenv("CASEWORK_DATABASE_URL", db_url)
    monkeypatch.setenv("CASEWORK_CONFIG", str(ROOT / "config.yaml"))
    started = []
    monkeypatch.setattr(timers.TimerDispatcher, "start", lambda self: started.append(self))
    app = create_app()  # as `gunicorn 'webui.app:create_app()'` calls it
    assert app.test_client().get("/api/v1/openapi.json").status_code == 200
    app.extensions["casework"].db.dispose()
    assert started == []
    assert not [t for t in threading.enumerate() if t.name == "APScheduler"]
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(LeaseRow)) == 0


class SchedulerProcess:
    """`casework scheduler` in a process of its own, its log collected line by line."""

    def __init__(self, env: dict[str, str]):
        self.lines: list[str] = []
        self.process = subprocess.Popen([sys.executable, "-m", "webui.cli", "scheduler"], cwd=ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def log(self) -> str:
        return "\n".join(self.lines)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_two_scheduler_processes_fire_each_timer_once_and_the_standby_takes_over_from_a_killed_one(ctx, db_url):
    lease_seconds, interval = 4.0, 0.2  # short, yet long enough that a loaded machine's stall is no takeover
    deploy_xml(ctx, WAIT)
    env = {**os.environ, "CASEWORK_DATABASE_URL": db_url, "CASEWORK_CONFIG": str(ROOT / "config.yaml"),
           "CASEWORK_SCHEDULER_LEASE_SECONDS": str(lease_seconds),
           "CASEWORK_SCHEDULER_INTERVAL_SECONDS": str(interval)}
    leader = SchedulerProcess(env)
    standby = None
    try:
        assert _wait_until(lambda: leader.said("took the lease"), 60), leader.log()
        standby = SchedulerProcess(env)
        assert _wait_until(lambda: standby.said("standing by"), 60), leader.log() + "\n--\n" + standby.log()

        cases = _start_cases(ctx, 20, "PT1S")
        assert _wait_until(lambda: _all_fired(ctx, cases), 60)
        time.sleep(3 * interval)  # more passes by both: still nothing fires twice
        assert set(_firings(ctx, cases).values()) == {1}
        assert not standby.said("took the lease"), standby.log()

        leader.process.send_signal(signal.SIGKILL)  # dies without releasing the lease
        leader.process.wait(timeout=10)
        later = _start_cases(ctx, 10, "PT0.5S")
        assert _wait_until(lambda: _all_fired(ctx, later), lease_seconds + interval + 30), standby.log()
        assert standby.said("took the lease"), standby.log()
        assert set(_firings(ctx, cases + later).values()) == {1}
    finally:
        for proc in (leader, standby):
            if proc is not None and proc.process.poll() is None:
                proc.process.terminate()
                proc.process.wait(timeout=30)
    assert standby.process.returncode == 0, standby.log()
    with ctx.db.session() as session:  # the standby released the lease on its clean stop
        assert session.scalar(select(func.count()).select_from(LeaseRow)) == 0
