"""Serialization of workflows, their specs, and their state without the spec.

The design stores a deployed version's specs once and only the instance state per case:
``state_to_dict`` / ``state_to_json`` leave out 'spec' and 'subprocess_specs', and
``workflow_from_state`` puts them back, from dicts or (faster) from spec objects already
restored and cached in memory.  Spec objects are only read while a workflow runs, so one
restored spec may serve many workflows.

A ``BpmnWorkflowSerializer`` is not thread-safe (``serialize_json`` flips a flag on its
registry), so make one per thread or per use; ``make_serializer`` is cheap.
"""
from __future__ import annotations

import json
import threading
from datetime import date
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    TaskConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.serializer.task_spec import UserTaskConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.parser import USER_TASK_ATTRS, CaseworkUserTask, HandlerServiceTask

VERSION_KEY = BpmnWorkflowSerializer.VERSION_KEY
STATE_ONLY_KEYS = ('spec', 'subprocess_specs')


class CaseworkUserTaskConverter(UserTaskConverter):

    def to_dict(self, spec):
        dct = super().to_dict(spec)
        for attr in USER_TASK_ATTRS.values():
            dct[attr] = getattr(spec, attr)
        return dct


class HandlerServiceTaskConverter(BpmnTaskSpecConverter):

    def to_dict(self, spec):
        dct = self.get_default_attributes(spec)
        dct['topic'] = spec.topic
        dct['implementation'] = spec.implementation
        return dct


# A workflow names each task id several times (the task, its parent's children, its children's parent):
# each text is parsed, and each id printed, once (bounded caches of immutable values, shared by threads)
_IDS: dict[str, UUID] = {}
_TEXTS: dict[UUID, str] = {}
_IDS_MAX = 2048  # a few workflows' ids: a load finds its own again; about 0.3 MB each when full


def _cached(cache: dict, key: Any, make: Any) -> Any:
    found = cache.get(key)
    if found is None:
        if len(cache) >= _IDS_MAX:
            cache.clear()
        found = cache[key] = make(key)
    return found


def _uuid(text: str) -> UUID:
    return _cached(_IDS, text, UUID)


def _text(value: UUID) -> str:
    return _cached(_TEXTS, value, str)


class CaseworkTaskConverter(TaskConverter):
    """SpiffWorkflow's task converter giving and taking the same dicts, with the ids parsed and printed
    through the caches above and the parent looked up once: loading and saving a case run these for
    every task of its workflow."""

    def to_dict(self, task):
        parent = task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            data = {}
            delta = {'updates': DeepMerge.get_updated_keys(parent.data, task.data),
                     'deletions': DeepMerge.get_deleted_keys(parent.data, task.data)}
        return {
            'id': _text(task.id),
            'parent': _text(task._parent) if parent is not None else None,
            'children': [_text(child) for child in task._children],
            'last_state_change': task.last_state_change,
            'state': task.state,
            'task_spec': task.task_spec.name,
            'triggered': task.triggered,
            'internal_data': self.registry.convert(task.internal_data),
            'data': data,
            'delta': delta,
        }

    def from_dict(self, dct, workflow):
        task_spec = workflow.spec.task_specs.get(dct['task_spec'])
        task = self.target_class(workflow, task_spec, state=dct['state'], id=_uuid(dct['id']))
        task._parent = _uuid(dct['parent']) if dct['parent'] is not None else None
        task._children = [_uuid(child) for child in dct['children']]
        task.last_state_change = dct['last_state_change']
        task.triggered = dct['triggered']
        task.internal_data = self.registry.restore(dct['internal_data'])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get('delta')
        parent = task.parent
        if delta and parent is not None:
            data = DeepMerge.merge({}, parent.data)
            data.update(self.registry.restore(delta.get('updates', {})))
            for key in delta.get('deletions', {}):
                if key in data:
                    del data[key]
        else:
            data = self.registry.restore(dct['data'])
        task.data = data
        return task


class CaseworkWorkflowConverter(BpmnWorkflowConverter):
    """The stock workflow converter, plus state-only conversions."""

    def mapping_to_dict(self, mapping, **kwargs):
        return {_text(k) if type(k) is UUID else str(k): self.registry.convert(v, **kwargs) for k, v in mapping.items()}

    def state_to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct['subprocesses'] = self.mapping_to_dict(workflow.subprocesses)
        dct['bpmn_events'] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_state(self, dct, spec, subprocess_specs):
        # BpmnWorkflowConverter.from_dict without restoring the specs.
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct['tasks'], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct['root']))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct['subprocesses'], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop('bpmn_events', []))
        return workflow


class CaseworkSerializer(BpmnWorkflowSerializer):

    def __init__(self, registry, **kwargs):
        super().__init__(registry, **kwargs)
        self.workflow_converter = CaseworkWorkflowConverter(BpmnWorkflow, self.registry)


def make_serializer() -> CaseworkSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[CaseworkUserTask] = CaseworkUserTaskConverter
    config[HandlerServiceTask] = HandlerServiceTaskConverter
    config[Task] = CaseworkTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # scripts and forms may leave plain dates in task data; SpiffWorkflow only knows datetimes
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    return CaseworkSerializer(registry)


_local = threading.local()


def thread_serializer() -> CaseworkSerializer:
    """One serializer per thread: SpiffWorkflow's registry flips a flag while it encodes."""
    s = getattr(_local, "serializer", None)
    if s is None:
        s = _local.serializer = make_serializer()
    return s


def _serializer(serializer):
    return serializer if serializer is not None else make_serializer()


def specs_to_json(spec, subprocess_specs: dict) -> str:
    """A version's process spec and its call activities' specs, as stored once per deployed version."""
    s = thread_serializer()
    return json.dumps({"spec": spec_to_dict(spec, s),
                       "subprocess_specs": subprocess_specs_to_dict(subprocess_specs, s)})


# ---------------------------------------------------------------------------- specs

def spec_to_dict(spec, serializer=None) -> dict:
    """A process spec (top-level or subprocess) as a JSON-ready dict."""
    return _serializer(serializer).to_dict(spec)


def spec_from_dict(dct: dict, serializer=None):
    # restore() consumes keys of nested dicts: work on a copy so cached dicts stay usable.
    return _serializer(serializer).from_dict(json.loads(json.dumps(dct)))


def subprocess_specs_to_dict(specs: dict, serializer=None) -> dict:
    s = _serializer(serializer)
    return {name: s.to_dict(spec) for name, spec in specs.items()}


def subprocess_specs_from_dict(dct: dict, serializer=None) -> dict:
    s = _serializer(serializer)
    return {name: spec_from_dict(spec, s) for name, spec in dct.items()}


# ---------------------------------------------------------------------------- state

def state_to_dict(workflow, serializer=None) -> dict:
    """The workflow's state without 'spec'/'subprocess_specs', JSON-ready, with the serializer version."""
    # Through JSON on purpose: the stock to_dict leaves task data deltas unconverted
    # (a datetime stays a datetime); only the encoder path converts everything.
    return json.loads(state_to_json(workflow, serializer))


def state_to_json(workflow, serializer=None) -> str:
    """Like state_to_dict, dumped with SpiffWorkflow's encoder (faster than dict + json.dumps)."""
    s = _serializer(serializer)
    s.registry._encoder_mode = True
    try:
        dct = s.workflow_converter.state_to_dict(workflow)
        dct['typename'] = s.registry.typenames[BpmnWorkflow]
        dct[VERSION_KEY] = s.VERSION
        return json.dumps(dct, cls=s._encoder_cls)
    finally:
        s.registry._encoder_mode = False


def workflow_from_state(state: dict | str, spec_dict: dict | None = None,
                        subprocess_specs_dict: dict | None = None, script_engine=None,
                        serializer=None, spec=None, subprocess_specs=None) -> BpmnWorkflow:
    """Rebuild a workflow from its state and its version's specs.

    Give either the spec dicts (as from spec_to_dict / subprocess_specs_to_dict) or already
    restored spec objects (``spec=``, ``subprocess_specs=``), which skips restoring the specs.
    ``state`` may be the dict or its JSON; it is not modified.
    """
    s = _serializer(serializer)
    # Loading consumes the dict: work on a copy (the encoder also handles raw datetimes).
    state = json.loads(state if isinstance(state, str) else json.dumps(state, cls=s._encoder_cls))
    version = state.pop(VERSION_KEY, s.VERSION)
    if version != s.VERSION and version in MIGRATIONS:
        # Migrations rewrite specs too: run them on the whole document.
        full = dict(state, spec=spec_dict or spec_to_dict(spec, s),
                    subprocess_specs=subprocess_specs_dict
                    if subprocess_specs_dict is not None else subprocess_specs_to_dict(subprocess_specs or {}, s))
        MIGRATIONS[version](full)
        workflow = s.from_dict(full)
    else:
        if spec is None:
            spec = spec_from_dict(spec_dict, s)
            subprocess_specs = subprocess_specs_from_dict(subprocess_specs_dict or {}, s)
        state.pop('typename', None)
        workflow = s.workflow_converter.from_state(state, spec, subprocess_specs or {})
    if script_engine is not None:
        workflow.script_engine = script_engine
    return workflow


def workflow_to_json(workflow, serializer=None) -> str:
    """The whole workflow, specs included (exports, debugging)."""
    return _serializer(serializer).serialize_json(workflow)


def workflow_from_json(text: str, script_engine=None, serializer=None) -> BpmnWorkflow:
    workflow = _serializer(serializer).deserialize_json(text)
    if script_engine is not None:
        workflow.script_engine = script_engine
    return workflow
