"""A case's workflow object: built from its version's spec (restored once per process and cached)
plus the instance state stored on the case row."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import serializer as spiff_serializer
from engine.errors import Conflict
from engine.store import Case, ProcessDefinition

_serializer = spiff_serializer.thread_serializer


def _multi_instances(spec: Any, subprocess_specs: dict[str, Any]) -> list[Any]:
    return [ts for process in [spec, *subprocess_specs.values()] for ts in process.task_specs.values()
            if "MultiInstance" in type(ts).__name__]


def _shareable(spec: Any, subprocess_specs: dict[str, Any]) -> bool:
    """May one spec object serve every case (and thread)? SpiffWorkflow's Camunda multi-instance rewrites
    its spec when it starts: for loopCardinality it depends on what the expression gives in that case, so
    such processes get fresh specs per load. A camunda:collection is made the input at parse time
    (parser.collection_input), so the rewrite sets the same values every time; the one other change, hooking
    the instance's completion to the merge, is done here once, before any thread sees the spec."""
    instances = _multi_instances(spec, subprocess_specs)
    if any(mi.cardinality is not None or mi.data_input is None for mi in instances):
        return False
    for mi in instances:
        process = next(p for p in [spec, *subprocess_specs.values()] if p.task_specs.get(mi.name) is mi)
        child = process.task_specs[mi.task_spec]
        if not child.completed_event.is_connected(mi.merge_child):
            child.completed_event.connect(mi.merge_child)
    return True


class SpecCache:
    """Restored specs per definition version (immutable, so never invalidated; a bounded LRU).

    Bounded twice: at most `size` versions, and at most `max_chars` characters of their spec JSON (a
    restored spec holds about four bytes of Python objects per character: the proposal process, 150,000
    characters, is 0.6 MiB), so a worker that meets many versions of large processes keeps the recent ones
    only. A shareable spec is kept restored, without the parsed JSON it came from. Multi-instance task specs
    with a loopCardinality are mutated by SpiffWorkflow while they run, so processes that have them get
    fresh spec objects on every load, from the parsed JSON kept for them; see _shareable.
    """

    def __init__(self, size: int = 64, max_chars: int = 3_000_000):
        self.size, self.max_chars = size, max_chars
        # definition id -> (parsed JSON or None, spec or None, subprocess specs or None, characters of JSON)
        self._entries: OrderedDict[int, tuple[dict[str, Any] | None, Any, dict[str, Any] | None, int]] = \
            OrderedDict()
        self._lock = threading.Lock()

    def get(self, definition_id: int, load: Callable[[], ProcessDefinition]) -> tuple[Any, dict[str, Any]]:
        """The specs of a version; `load` fetches the definition row only when they are not cached."""
        with self._lock:
            entry = self._entries.get(definition_id)
            if entry is not None:
                self._entries.move_to_end(definition_id)
        if entry is None:
            text = load().spec_json
            dicts = json.loads(text)
            spec, subs = self._restore(dicts)
            entry = (None, spec, subs, len(text)) if _shareable(spec, subs) else (dicts, None, None, len(text))
            self._keep(definition_id, entry)
            return spec, subs
        dicts, spec, subs, _ = entry
        if spec is None:
            return self._restore(dicts)
        return spec, subs

    def _keep(self, definition_id: int, entry: tuple[dict[str, Any] | None, Any, dict[str, Any] | None, int]) -> None:
        with self._lock:
            self._entries[definition_id] = entry
            self._entries.move_to_end(definition_id)
            chars = sum(e[3] for e in self._entries.values())
            while len(self._entries) > 1 and (len(self._entries) > self.size or chars > self.max_chars):
                chars -= self._entries.popitem(last=False)[1][3]

    @staticmethod
    def _restore(dicts: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        s = _serializer()
        return (spiff_serializer.spec_from_dict(dicts["spec"], s),
                spiff_serializer.subprocess_specs_from_dict(dicts["subprocess_specs"], s))


def new_workflow(ctx: Any, definition: ProcessDefinition) -> BpmnWorkflow:
    spec, subs = ctx.specs.get(definition.id, lambda: definition)
    return BpmnWorkflow(spec, subs, script_engine=ctx.script_engine)


CLOSED = "casework_closed"  # the one key of an ended case's state: its diagram's element states


def closed_states(state: str | None) -> dict[str, str] | None:
    """The element states kept of an ended case, or None for a workflow kept whole."""
    if state and state.startswith('{"' + CLOSED + '"'):
        return json.loads(state)[CLOSED]
    return None


def stored_state(workflow: BpmnWorkflow) -> str:
    """What a case keeps of its workflow: all of it while it runs; once it has ended, only what its diagram
    shows. An ended workflow never runs again (its timeline is the events, its data the case row), and the
    tree of its tasks (ids, copies of the data at each step) was most of a closed case's bytes."""
    if workflow.is_completed():
        return json.dumps({CLOSED: _states(workflow)}, ensure_ascii=False, separators=(",", ":"))
    return dump(workflow)


def load(ctx: Any, case: Case) -> BpmnWorkflow:
    if closed_states(case.state) is not None:
        raise Conflict(f"case {case.number or case.id} has ended: its workflow cannot run again")
    spec, subs = ctx.specs.get(case.definition_id, lambda: case.definition)
    return spiff_serializer.workflow_from_state(case.state, spec=spec, subprocess_specs=subs,
                                                script_engine=ctx.script_engine, serializer=_serializer())


def dump(workflow: BpmnWorkflow) -> str:
    return spiff_serializer.state_to_json(workflow, _serializer())


def element_states(ctx: Any, case: Case) -> dict[str, str]:
    """BPMN element id -> completed / active / waiting / error, for drawing the case's diagram."""
    kept = closed_states(case.state)
    if kept is not None:
        return kept
    workflow = load(ctx, case)
    states = _states(workflow)
    if case.overdue:
        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            states[task.task_spec.bpmn_id] = "escalated"
    return states


def _states(workflow: BpmnWorkflow) -> dict[str, str]:
    states: dict[str, str] = {}
    rank = {"completed": 0, "waiting": 1, "active": 2, "error": 3}
    for task in workflow.get_tasks():
        element = getattr(task.task_spec, "bpmn_id", None)
        if not element:
            continue
        if task.state == TaskState.COMPLETED:
            state = "completed"
        elif task.state == TaskState.READY or task.state == TaskState.STARTED:
            state = "active"
        elif task.state == TaskState.WAITING:
            state = "waiting"
        elif task.state == TaskState.ERROR:
            state = "error"
        else:
            continue
        if rank[state] >= rank.get(states.get(element, "completed"), 0):
            states[element] = state
    return states
