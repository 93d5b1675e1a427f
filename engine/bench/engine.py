"""`casework bench engine`: the cost of one user-task completion through the service, against raw
SpiffWorkflow doing the same work in memory, both measured in the same run.

Engine: load the case, check who may act, validate the form, complete, run to the next wait,
save the state and its projections under the optimistic lock, commit (SQLite, WAL).
Raw: deserialize the whole workflow from JSON, complete, run, serialize to JSON.
The two take turns case by case, so that other work on the machine weighs on both alike.
The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import config as config_module
from engine import identity, migrate
from engine.bpmn import library
from engine.cases import runtime
from engine.context import EngineContext
from engine.store import TaskRow

# Ten elements: start, parallel split, two user tasks (one with an interrupting boundary timer),
# parallel join, a third user task, an exclusive gateway and two end events.
REFERENCE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="bench_defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="bench" name="Reference process" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="split"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="consult" name="Consult" camunda:candidateGroups="clerks">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="notes" label="Notes" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="investigate" name="Investigate" camunda:candidateGroups="clerks">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="late" attachedToRef="investigate">
      <bpmn:outgoing>f9</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">'P30D'</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:parallelGateway id="join"><bpmn:incoming>f4</bpmn:incoming><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="reply" name="Reply" camunda:candidateGroups="clerks">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="approved" label="Approved" type="boolean" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="decide" default="f8"><bpmn:incoming>f7</bpmn:incoming>
      <bpmn:outgoing>f8</bpmn:outgoing><bpmn:outgoing>f10</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="closed"><bpmn:incoming>f8</bpmn:incoming><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="adopted"><bpmn:incoming>f10</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="consult"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="investigate"/>
    <bpmn:sequenceFlow id="f4" sourceRef="consult" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="investigate" targetRef="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="reply"/>
    <bpmn:sequenceFlow id="f7" sourceRef="reply" targetRef="decide"/>
    <bpmn:sequenceFlow id="f8" sourceRef="decide" targetRef="closed"/>
    <bpmn:sequenceFlow id="f9" sourceRef="late" targetRef="closed"/>
    <bpmn:sequenceFlow id="f10" sourceRef="decide" targetRef="adopted">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved == True</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>
"""
ANSWERS = {"consult": {"notes": "talked to the proposer"}, "investigate": {}, "reply": {"approved": True}}


def _cases_needed(completions: int) -> int:
    return -(-completions // len(ANSWERS))


def _engine_cases(workdir: Path, timings: list[float], cpu_timings: list[float]) -> Iterator[None]:
    """One whole case of the reference process through the service per step, each completion timed."""
    config = config_module.load(environ={}).replace(database__url=f"sqlite:///{workdir / 'bench.db'}")
    ctx = EngineContext.create(config)
    migrate.upgrade(ctx.db)
    with ctx.db.session() as session:
        library.deploy(session, {"bench.bpmn": REFERENCE.encode()}, "bench")
        identity.add_user(session, "clerk", "bench-password", ["clerks"])
    with ctx.db.session() as session:
        user = identity.get_user(session, "clerk")  # the signed-in user, as a request has it
        user.groups  # noqa: B018 (loaded now, used detached)
    try:
        while True:
            with ctx.db.session() as session:
                case = runtime.start_case(ctx, session, user, "bench", "bench case")
                case_id = case.id
            while True:
                with ctx.db.session() as session:
                    task = session.query(TaskRow).filter_by(case_id=case_id, state="open") \
                        .order_by(TaskRow.element_id).first()
                    task_id, element = (task.id, task.element_id) if task else (None, None)
                if task_id is None:
                    break
                started, cpu = time.perf_counter(), time.process_time()
                with ctx.db.session() as session:  # one request's unit of work: complete and commit
                    runtime.complete_task(ctx, session, user, task_id, ANSWERS[element])
                timings.append(time.perf_counter() - started)
                cpu_timings.append(time.process_time() - cpu)
            yield
    finally:
        ctx.db.dispose()


def _raw_cases(timings: list[float], cpu_timings: list[float]) -> Iterator[None]:
    """One whole case of the reference process in raw SpiffWorkflow per step, each completion timed."""
    parser = CamundaParser()
    parser.add_bpmn_str(REFERENCE.encode(), "bench.bpmn")
    spec, subs = parser.get_spec("bench"), parser.get_subprocess_specs("bench")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    while True:
        workflow = BpmnWorkflow(spec, subs)
        workflow.do_engine_steps()
        stored = serializer.serialize_json(workflow)
        while True:
            ready = sorted(BpmnWorkflow.get_tasks(serializer.deserialize_json(stored), state=TaskState.READY,
                                                  manual=True), key=lambda t: t.task_spec.name)
            if not ready:
                break
            task_id, element = ready[0].id, ready[0].task_spec.name
            started, cpu = time.perf_counter(), time.process_time()
            workflow = serializer.deserialize_json(stored)
            task = workflow.get_task_from_id(UUID(str(task_id)))
            task.data.update(ANSWERS[element])
            task.run()
            workflow.do_engine_steps()
            stored = serializer.serialize_json(workflow)
            timings.append(time.perf_counter() - started)
            cpu_timings.append(time.process_time() - cpu)
        yield


def _run(cases: Iterator[None], completions: int, timings: list[float], cpu_timings: list[float]) -> list[float]:
    for _ in range(_cases_needed(completions)):
        next(cases)
    del timings[completions:], cpu_timings[completions:]
    return timings


def bench_engine(completions: int, workdir: Path, cpu_timings: list[float] | None = None) -> list[float]:
    timings: list[float] = []
    cpu_timings = [] if cpu_timings is None else cpu_timings  # the process's CPU time: steadier on a busy machine
    cases = _engine_cases(workdir, timings, cpu_timings)
    try:
        return _run(cases, completions, timings, cpu_timings)
    finally:
        cases.close()


def bench_raw(completions: int, cpu_timings: list[float] | None = None) -> list[float]:
    timings: list[float] = []
    cpu_timings = [] if cpu_timings is None else cpu_timings
    return _run(_raw_cases(timings, cpu_timings), completions, timings, cpu_timings)


def bench_both(completions: int, workdir: Path) -> tuple[list[float], list[float], list[float], list[float]]:
    """Both halves taking turns case by case, so that whatever else the machine is doing meanwhile weighs
    on both alike: (engine, engine CPU, raw, raw CPU) timings of each completion."""
    engine, engine_cpu, raw, raw_cpu = [], [], [], []
    engine_cases, raw_cases = _engine_cases(workdir, engine, engine_cpu), _raw_cases(raw, raw_cpu)
    try:
        for _ in range(_cases_needed(completions)):
            next(raw_cases)
            next(engine_cases)
    finally:
        engine_cases.close()
    for timings in (engine, engine_cpu, raw, raw_cpu):
        del timings[completions:]
    return engine, engine_cpu, raw, raw_cpu


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)


def run(name: str, completions: int = 1000) -> int:
    if name != "engine":
        raise SystemExit(f"unknown benchmark {name!r}")
    completions = max(completions, 1)
    with tempfile.TemporaryDirectory() as tmp:
        engine, engine_cpu, raw, raw_cpu = bench_both(completions, Path(tmp))
    result: dict[str, Any] = {
        "benchmark": "engine",
        "completions": len(engine),
        "engine_median_ms": round(statistics.median(engine) * 1000, 3),
        "engine_p90_ms": _ms(engine, 0.9),
        "raw_spiff_median_ms": round(statistics.median(raw) * 1000, 3),
        "raw_spiff_p90_ms": _ms(raw, 0.9),
    }
    result["ratio"] = round(result["engine_median_ms"] / result["raw_spiff_median_ms"], 3)
    # CPU time of the process per completion: other work on a shared machine stretches the wall clock of
    # one half of the run more than the other, the CPU time much less
    result["engine_cpu_median_ms"] = round(statistics.median(engine_cpu) * 1000, 3)
    result["raw_spiff_cpu_median_ms"] = round(statistics.median(raw_cpu) * 1000, 3)
    result["cpu_ratio"] = round(result["engine_cpu_median_ms"] / result["raw_spiff_cpu_median_ms"], 3)
    print(f"engine (load, complete, save with projections, commit on SQLite): median {result['engine_median_ms']} ms")
    print(f"raw SpiffWorkflow (deserialize, complete, serialize in memory): median {result['raw_spiff_median_ms']} ms")
    print(f"ratio {result['ratio']} (target at most 2.0, aim 1.5)")
    print(f"CPU time per completion: engine {result['engine_cpu_median_ms']} ms, "
          f"raw {result['raw_spiff_cpu_median_ms']} ms, ratio {result['cpu_ratio']}")
    print(json.dumps(result))
    return 0
