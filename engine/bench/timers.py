"""`casework bench timers`: many timers due at one moment, fired by the real scheduler.

Bulk: N cases are started through the engine (500 to a transaction), each waiting on a timer due at
the same moment, a few seconds after their creation is expected to end. The dispatcher (APScheduler,
lease, batches, one transaction per case) then fires them all; each firing runs the case on to a
user task. Measured: seconds from the due moment to the last firing (and the CPU seconds spent, as
a check on a machine that is busy with other work), and each timer's lag (fired_at - due_at).
Lone: one case at a time, its timer written by another engine context (as another process would)
and due 1.2 s later, so the poll must find it and the wake-up fire it.
Baseline, same run: raw SpiffWorkflow doing each firing's work in memory (deserialize, refresh
timers, run, serialize) for as many workflows. Temporary SQLite database; the last line is JSON.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from engine import clock, identity, migrate
from engine import config as config_module
from engine.bpmn import library
from engine.cases import runtime
from engine.context import EngineContext
from engine.schedule.timers import TimerDispatcher
from engine.store import Case, TimerRow

TIMED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="bench_timer_defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="Timer benchmark" isExecutable="true">
    <bpmn:extensionElements><camunda:properties>
      <camunda:property name="start:inputs" value="due" /></camunda:properties></bpmn:extensionElements>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="Wait">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>{expr}</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="follow_up" name="Follow up" camunda:candidateGroups="clerks">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="follow_up"/>
    <bpmn:sequenceFlow id="f3" sourceRef="follow_up" targetRef="done"/>
  </bpmn:process>
</bpmn:definitions>
"""
CHUNK = 500  # cases started per transaction
CALIBRATION = 200  # cases timed first (due in a year) to choose the due moment


def _model(key: str, expression: str) -> bytes:
    return TIMED.replace("{key}", key).replace("{expr}", expression).encode()


def _context(db_path: Path) -> EngineContext:
    config = config_module.load(environ={}).replace(database__url=f"sqlite:///{db_path}")
    return EngineContext.create(config)


def _start_cases(ctx: EngineContext, user: Any, key: str, count: int, due: datetime) -> None:
    data = {"due": due.isoformat()}
    for first in range(0, count, CHUNK):
        with ctx.db.session() as session:
            for _ in range(min(CHUNK, count - first)):
                runtime.start_case(ctx, session, user, key, "bench", data)


def _lags(ctx: EngineContext, key_cases: Any) -> list[tuple[datetime, datetime]]:
    with ctx.db.session() as session:
        return list(session.execute(select(TimerRow.due_at, TimerRow.fired_at)
                                    .where(TimerRow.state == "fired", key_cases)))


def _wait_fired(ctx: EngineContext, where: Any, count: int, timeout: float, poll: float = 0.05) -> int:
    deadline = time.monotonic() + timeout
    fired = 0
    while time.monotonic() < deadline:
        with ctx.db.session() as session:
            fired = session.scalar(select(func.count()).select_from(TimerRow)
                                   .where(TimerRow.state == "fired", where))
        if fired >= count:
            break
        time.sleep(poll)  # fired_at is the measure; the poll only says when to stop waiting
    return fired


def _pct_ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else 0.0


def bench_engine(cases: int, lone: int, workdir: Path) -> dict[str, Any]:
    ctx = _context(workdir / "bench.db")
    migrate.upgrade(ctx.db)
    with ctx.db.session() as session:
        library.deploy(session, {f"{k}.bpmn": _model(k, "${due}") for k in ("bulk", "lone", "warm")},
                       "bench")
        identity.add_user(session, "clerk", "bench-password", ["clerks"])
    with ctx.db.session() as session:
        user = identity.get_user(session, "clerk")
        user.groups  # noqa: B018 (loaded now, used detached)

    calibration = min(CALIBRATION, cases)
    started = time.perf_counter()
    _start_cases(ctx, user, "warm", calibration, clock.now() + timedelta(days=365))
    per_case = (time.perf_counter() - started) / calibration
    due = clock.now() + timedelta(seconds=per_case * cases * 1.3 + 3)
    started = time.perf_counter()
    _start_cases(ctx, user, "bulk", cases, due)
    create_seconds = time.perf_counter() - started
    created_late = max(0.0, (clock.now() - due).total_seconds())

    bulk = TimerRow.case_id.in_(select(Case.id).where(Case.process_key == "bulk"))
    dispatcher = TimerDispatcher(ctx)
    dispatcher.start()
    start_at = max(due, clock.now())  # if creating overran the due moment, count from the scheduler's start
    try:
        wait = max(0.0, (due - clock.now()).total_seconds())
        cpu = time.process_time()  # this thread mostly sleeps: the process's CPU is the scheduler's
        fired = _wait_fired(ctx, bulk, cases, wait + max(120.0, cases * 0.05), poll=0.5)
        cpu = time.process_time() - cpu
        rows = _lags(ctx, bulk)
        lone_lags = _lone_timers(ctx, lone, workdir / "bench.db", user)
    finally:
        dispatcher.stop()
        ctx.db.dispose()
    lags = [(fired_at - due_at).total_seconds() for due_at, fired_at in rows]
    last = max((fired_at for _, fired_at in rows), default=due)
    return {"created": cases, "create_seconds": round(create_seconds, 2), "created_after_due_s": round(created_late, 2),
            "fired": fired, "seconds_to_fire_all": round((last - start_at).total_seconds(), 2),
            "cpu_seconds_to_fire_all": round(cpu, 2),
            "lag_p50_ms": _pct_ms(lags, 0.5), "lag_p99_ms": _pct_ms(lags, 0.99),
            "lone_runs": len(lone_lags), "lone_lag_p50_ms": _pct_ms(lone_lags, 0.5),
            "lone_lag_p99_ms": _pct_ms(lone_lags, 0.99)}


def _lone_timers(ctx: EngineContext, runs: int, db_path: Path, user: Any) -> list[float]:
    """Each lone timer is written by another context (no wake-up call into the dispatcher)."""
    other = _context(db_path)
    lags = []
    try:
        for _ in range(runs):
            with other.db.session() as session:
                case = runtime.start_case(other, session, user, "lone", "lone", {"due": (
                    clock.now() + timedelta(seconds=1.2)).isoformat()})
            if _wait_fired(ctx, TimerRow.case_id == case.id, 1, 30) == 1:
                [(due_at, fired_at)] = _lags(ctx, TimerRow.case_id == case.id)
                lags.append((fired_at - due_at).total_seconds())
    finally:
        other.db.dispose()
    return lags


def bench_raw(workflows: int) -> float:
    """Seconds for raw SpiffWorkflow to fire as many stored workflows' timers, one after another."""
    parser = CamundaParser()
    parser.add_bpmn_str(_model("bulk", "due"), "bulk.bpmn")  # plain SpiffWorkflow evaluates Python, not JUEL
    spec, subs = parser.get_spec("bulk"), parser.get_subprocess_specs("bulk")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    workflow = BpmnWorkflow(spec, subs)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data["due"] = (clock.now() + timedelta(milliseconds=100)).isoformat()
    workflow.do_engine_steps()
    stored = serializer.serialize_json(workflow)
    time.sleep(0.2)
    check = serializer.deserialize_json(stored)
    check.refresh_timers()
    check.do_engine_steps()
    if not check.get_tasks(state=TaskState.READY, manual=True):
        raise RuntimeError("the raw baseline's timer did not fire")
    started = time.perf_counter()
    for _ in range(workflows):
        loaded = serializer.deserialize_json(stored)
        loaded.refresh_timers()
        loaded.do_engine_steps()
        serializer.serialize_json(loaded)
    return time.perf_counter() - started


def run(cases: int = 10000, lone: int = 20) -> int:
    cases, lone = max(cases, 1), max(lone, 0)
    with tempfile.TemporaryDirectory() as tmp:
        result: dict[str, Any] = {"benchmark": "timers", **bench_engine(cases, lone, Path(tmp))}
    raw_seconds = bench_raw(cases)
    engine_ms = result["seconds_to_fire_all"] * 1000 / max(result["fired"], 1)
    result["engine_ms_per_timer"] = round(engine_ms, 3)
    result["raw_spiff_ms_per_timer"] = round(raw_seconds * 1000 / cases, 3)
    result["ratio"] = round(result["engine_ms_per_timer"] / result["raw_spiff_ms_per_timer"], 3)
    print(f"created {result['created']} cases in {result['create_seconds']} s, each with a timer due at one moment")
    print(f"fired {result['fired']} in {result['seconds_to_fire_all']} s after the due moment "
          f"({result['cpu_seconds_to_fire_all']} s of CPU; target: all within 60 s); "
          f"lag p50 {result['lag_p50_ms']} ms, p99 {result['lag_p99_ms']} ms")
    print(f"lone timer ({result['lone_runs']} runs): lag p50 {result['lone_lag_p50_ms']} ms, "
          f"p99 {result['lone_lag_p99_ms']} ms (target p99 under 1000 ms)")
    print(f"per timer: scheduler {result['engine_ms_per_timer']} ms (claim, load, fire, save, commit on SQLite), "
          f"raw SpiffWorkflow {result['raw_spiff_ms_per_timer']} ms (in memory); ratio {result['ratio']}")
    print(json.dumps(result))
    return 0
