"""engine.bpmn.serializer: whole workflows, specs alone, and state without the spec."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import serializer as S
from engine.bpmn.parser import CaseworkUserTask, HandlerServiceTask, parse_bpmn
from tests.engine.bpmn.test_parser import FORM, HandlerEngine, chain, definitions, process

USER_TASK = ('userTask id="Review" name="审核" camunda:assignee="${starter}" camunda:candidateUsers="alice" '
             'camunda:candidateGroups="office" camunda:dueDate="${due}" camunda:followUpDate="P1D" '
             'camunda:priority="80"|' + FORM)
MAIN = definitions(process('Main', chain(
    'serviceTask id="Number" camunda:type="external" camunda:topic="assign_number"|',
    USER_TASK,
    'callActivity id="Call" calledElement="Reply"|',
    'userTask id="Rate"|', start='Start', end='End')))
REPLY = definitions(process('Reply', chain('userTask id="Write" camunda:candidateGroups="unit"|',
                                           'userTask id="Check"|')))
HANDLERS = {'assign_number': lambda data: {'number': '建议 2026-0042'}}


def package():
    return parse_bpmn({'main.bpmn': MAIN, 'reply.bpmn': REPLY})


def started():
    pkg = package()
    wf = BpmnWorkflow(pkg.specs['Main'], pkg.subprocess_specs['Main'], script_engine=HandlerEngine(HANDLERS))
    wf.do_engine_steps()
    return pkg, wf


def ready_ids(wf):
    return [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.READY, manual=True)]


def complete_one(wf, **data):
    task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data.update(data)
    task.run()
    wf.do_engine_steps()


def assert_specs_equal(a, b):
    review_a, review_b = a.task_specs['Review'], b.task_specs['Review']
    assert isinstance(review_b, CaseworkUserTask)
    for attr in ('assignee', 'candidate_users', 'candidate_groups', 'due_date', 'follow_up_date',
                 'priority', 'form_key', 'lane', 'bpmn_id', 'bpmn_name'):
        assert getattr(review_b, attr) == getattr(review_a, attr), attr
    assert review_b.form_fields() == review_a.form_fields() and len(review_b.form_fields()) == 6
    number = b.task_specs['Number']
    assert isinstance(number, HandlerServiceTask)
    assert (number.topic, number.implementation) == ('assign_number', 'external')
    assert {s.bpmn_id for s in b.task_specs.values() if s.bpmn_id} == \
        {s.bpmn_id for s in a.task_specs.values() if s.bpmn_id}


def test_whole_workflow_round_trip_keeps_every_attribute():
    _, wf = started()
    s = S.make_serializer()
    wf2 = s.deserialize_json(s.serialize_json(wf))
    assert_specs_equal(wf.spec, wf2.spec)
    assert ready_ids(wf2) == ['Review']
    assert s.serialize_json(wf2) == s.serialize_json(wf)
    wf3 = S.workflow_from_json(S.workflow_to_json(wf), script_engine=HandlerEngine(HANDLERS))
    assert ready_ids(wf3) == ['Review']


def test_spec_round_trip_and_cached_dicts_stay_usable():
    pkg = package()
    spec_dict = S.spec_to_dict(pkg.specs['Main'])
    subs_dict = S.subprocess_specs_to_dict(pkg.subprocess_specs['Main'])
    frozen = json.dumps([spec_dict, subs_dict], sort_keys=True)
    for _ in range(2):  # restoring twice from the same dicts must work and not change them
        spec = S.spec_from_dict(spec_dict)
        assert_specs_equal(pkg.specs['Main'], spec)
        assert set(S.subprocess_specs_from_dict(subs_dict)) == {'Reply'}
    assert json.dumps([spec_dict, subs_dict], sort_keys=True) == frozen


def test_state_leaves_the_spec_out_and_is_json():
    _, wf = started()
    state = S.state_to_dict(wf)
    assert 'spec' not in state and 'subprocess_specs' not in state
    assert state[S.VERSION_KEY] == S.make_serializer().VERSION
    assert json.loads(json.dumps(state)) == state
    assert json.loads(S.state_to_json(wf)) == state
    full = json.loads(S.make_serializer().serialize_json(wf))
    assert len(S.state_to_json(wf)) < len(json.dumps(full)) / 2


def run_through(wf):
    """Complete the case from wherever it is, through the call activity."""
    seen = []
    while ready_ids(wf):
        seen.append(ready_ids(wf)[0])
        complete_one(wf, at=datetime(2026, 3, 1, 9, tzinfo=UTC), who=seen[-1])
    return seen


def test_state_round_trip_from_dicts_and_from_spec_objects():
    pkg, wf = started()
    complete_one(wf, title='路灯', when=datetime(2026, 3, 1, 9, tzinfo=UTC))  # now inside Reply
    assert ready_ids(wf) == ['Write']
    state = S.state_to_dict(wf)
    spec_dict = S.spec_to_dict(pkg.specs['Main'])
    subs_dict = S.subprocess_specs_to_dict(pkg.subprocess_specs['Main'])
    spec, subs = S.spec_from_dict(spec_dict), S.subprocess_specs_from_dict(subs_dict)

    engine = HandlerEngine(HANDLERS)
    from_dicts = S.workflow_from_state(state, spec_dict, subs_dict, script_engine=engine)
    from_objects = S.workflow_from_state(json.dumps(state), spec=spec, subprocess_specs=subs)
    from_objects_again = S.workflow_from_state(state, spec=spec, subprocess_specs=subs)  # one spec, many cases
    assert from_dicts.script_engine is engine
    for restored in (from_dicts, from_objects, from_objects_again):
        assert S.state_to_dict(restored) == state
        assert ready_ids(restored) == ['Write']
        task = restored.get_tasks(state=TaskState.READY, manual=True)[0]
        assert task.data['when'] == datetime(2026, 3, 1, 9, tzinfo=UTC)
        assert task.data['number'] == '建议 2026-0042'
    assert run_through(from_objects) == ['Write', 'Check', 'Rate']
    assert from_objects.completed
    assert ready_ids(from_objects_again) == ['Write']  # unaffected by the other case
    assert run_through(from_objects_again) == ['Write', 'Check', 'Rate']
    ends = [t for t in from_objects.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == 'End']
    assert len(ends) == 1  # the end event with the reserved id End ran


def test_state_dict_is_not_modified_by_loading():
    pkg, wf = started()
    state = S.state_to_dict(wf)
    before = json.dumps(state, sort_keys=True)
    spec_dict = S.spec_to_dict(pkg.specs['Main'])
    subs_dict = S.subprocess_specs_to_dict(pkg.subprocess_specs['Main'])
    S.workflow_from_state(state, spec_dict, subs_dict)
    assert json.dumps(state, sort_keys=True) == before


def test_load_complete_save_is_fast():
    pkg, wf = started()
    s = S.make_serializer()
    spec = S.spec_from_dict(S.spec_to_dict(pkg.specs['Main'], s), s)
    subs = S.subprocess_specs_from_dict(S.subprocess_specs_to_dict(pkg.subprocess_specs['Main'], s), s)
    text = S.state_to_json(wf, s)
    rounds = 50
    began = time.perf_counter()
    for _ in range(rounds):
        loaded = S.workflow_from_state(text, spec=spec, subprocess_specs=subs, serializer=s,
                                       script_engine=HandlerEngine(HANDLERS))
        complete_one(loaded, title='x')
        S.state_to_json(loaded, s)
    per_round = (time.perf_counter() - began) / rounds
    assert per_round < 0.05, per_round
