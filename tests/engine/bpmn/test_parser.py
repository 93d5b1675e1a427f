"""engine.bpmn.parser: Camunda attributes, forms, lanes, handlers, starters, reserved ids, safe XML."""
from __future__ import annotations

import glob
import itertools
import os

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.parser import (
    BpmnFileError,
    CaseworkParser,
    CaseworkUserTask,
    HandlerServiceTask,
    parse_bpmn,
    parse_xml,
    process_infos,
    safe_xml_parser,
)

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
      'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
      'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
      'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"')
CORPUS = '/work/shared/bpmn-corpus/miwg'


def definitions(*body: str) -> bytes:
    """A Camunda Modeler style document around the given processes (and diagram)."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<bpmn:definitions {NS} id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn" '
            'exporter="Camunda Modeler" exporterVersion="5.23.0">\n'
            + '\n'.join(body) + '\n</bpmn:definitions>\n').encode()


def process(pid: str, inner: str, attrs: str = '') -> str:
    return f'  <bpmn:process id="{pid}" isExecutable="true" {attrs}>\n{inner}\n  </bpmn:process>'


def chain(*nodes: str, start: str = 'StartEvent_1', end: str = 'EndEvent_1') -> str:
    """Start event -> the given elements (tag, id and attributes, optional body after '|') -> end event."""
    ids = [start]
    parts = [f'    <bpmn:startEvent id="{start}" />']
    for node in nodes:
        head, _, body = node.partition('|')
        parts.append(f'    <bpmn:{head}>{body}</bpmn:{head.split()[0]}>')
        ids.append(head.split('id="')[1].split('"')[0])
    ids.append(end)
    parts.append(f'    <bpmn:endEvent id="{end}" />')
    for i, (src, dst) in enumerate(itertools.pairwise(ids)):
        parts.append(f'    <bpmn:sequenceFlow id="Flow_{i}" sourceRef="{src}" targetRef="{dst}" />')
    return '\n'.join(parts)


def line_of(xml: bytes, needle: str) -> int:
    return next(i for i, line in enumerate(xml.decode().splitlines(), 1) if needle in line)


class HandlerEngine(PythonScriptEngine):
    """The contract HandlerServiceTask relies on: call_service(task, topic=...) runs a named handler."""

    def __init__(self, handlers):
        super().__init__()
        self.handlers, self.calls = handlers, []

    def call_service(self, task, **kwargs):
        self.calls.append(kwargs['topic'])
        task.data.update(self.handlers[kwargs['topic']](dict(task.data)))


def run(pkg, pid, engine=None, data=None):
    """Run to the end, completing every user task with `data`."""
    wf = BpmnWorkflow(pkg.specs[pid], pkg.subprocess_specs[pid], script_engine=engine)
    wf.do_engine_steps()
    for _ in range(20):
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            break
        ready[0].data.update(data or {})
        ready[0].run()
        wf.do_engine_steps()
    return wf


FORM = '''<bpmn:extensionElements><camunda:formData>
        <camunda:formField id="title" label="Title" type="string" defaultValue="${proposal_title}">
          <camunda:properties><camunda:property id="placeholder" value="..." /></camunda:properties>
          <camunda:validation>
            <camunda:constraint name="required" />
            <camunda:constraint name="minlength" config="2" />
            <camunda:constraint name="maxlength" config="100" />
            <camunda:constraint name="custom.Validator" config="x" />
          </camunda:validation>
        </camunda:formField>
        <camunda:formField id="count" label="Count" type="long" defaultValue="1">
          <camunda:validation><camunda:constraint name="min" config="0" /><camunda:constraint name="max" config="9" />
          <camunda:constraint name="readonly" /></camunda:validation>
        </camunda:formField>
        <camunda:formField id="agree" label="Agree" type="boolean" defaultValue="false" />
        <camunda:formField id="reply_by" label="Reply by" type="date" />
        <camunda:formField id="klass" label="Class" type="enum" defaultValue="A">
          <camunda:value id="A" name="A 类" /><camunda:value id="B" name="B 类" />
        </camunda:formField>
        <camunda:formField id="colour" label="Colour" type="color" />
      </camunda:formData></bpmn:extensionElements>'''


def test_user_task_keeps_camunda_attributes():
    xml = definitions(process('P', chain(
        'userTask id="Review" name="审核" camunda:assignee="${starter}" camunda:candidateUsers="alice, bob" '
        'camunda:candidateGroups="office,${lead_unit}" camunda:dueDate="${add_working_days(now, 5)}" '
        'camunda:followUpDate="2026-12-01T09:00:00+08:00" camunda:priority="${urgent ? 80 : 50}"|')))
    spec = parse_bpmn({'a.bpmn': xml}).specs['P'].task_specs['Review']
    assert isinstance(spec, CaseworkUserTask)
    assert (spec.assignee, spec.candidate_users, spec.candidate_groups) == ('${starter}', 'alice, bob',
                                                                            'office,${lead_unit}')
    assert spec.due_date == '${add_working_days(now, 5)}'
    assert spec.follow_up_date == '2026-12-01T09:00:00+08:00'
    assert spec.priority == '${urgent ? 80 : 50}'
    assert spec.bpmn_name == '审核' and spec.bpmn_id == 'Review'
    assert spec.form_fields() == [] and spec.form_key is None


def test_generated_form_without_form_key():
    xml = definitions(process('P', chain(f'userTask id="Fill"|{FORM}')))
    spec = parse_bpmn({'a.bpmn': xml}).specs['P'].task_specs['Fill']
    fields = {f['id']: f for f in spec.form_fields()}
    assert list(fields) == ['title', 'count', 'agree', 'reply_by', 'klass', 'colour']
    assert fields['title'] == {
        'id': 'title', 'label': 'Title', 'type': 'string', 'default': '${proposal_title}',
        'required': True, 'readonly': False,
        'constraints': {'minlength': 2, 'maxlength': 100, 'custom.Validator': 'x'},
        'options': [], 'properties': {'placeholder': '...'}}
    assert fields['count']['constraints'] == {'min': 0, 'max': 9}
    assert fields['count']['readonly'] is True and fields['count']['default'] == '1'
    assert fields['agree']['type'] == 'boolean' and fields['agree']['default'] == 'false'
    assert fields['reply_by']['type'] == 'date'
    assert fields['klass']['options'] == [{'id': 'A', 'name': 'A 类'}, {'id': 'B', 'name': 'B 类'}]
    assert fields['colour']['type'] == 'color'  # unknown types are kept as written


LANES = '''    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_office" name="office">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Register</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Handle</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Sign</bpmn:flowNodeRef>
        <bpmn:childLaneSet id="LaneSet_2">
          <bpmn:lane id="Lane_clerks" name="unit_clerks"><bpmn:flowNodeRef>Handle</bpmn:flowNodeRef></bpmn:lane>
          <bpmn:lane id="Lane_unnamed"><bpmn:flowNodeRef>Sign</bpmn:flowNodeRef></bpmn:lane>
        </bpmn:childLaneSet>
      </bpmn:lane>
    </bpmn:laneSet>'''
DIAGRAM = '''  <bpmndi:BPMNDiagram id="BPMNDiagram_1"><bpmndi:BPMNPlane id="Plane_1" bpmnElement="P">
    <bpmndi:BPMNShape id="Register_di" bpmnElement="Register"><dc:Bounds x="250" y="80" width="100" height="80" />
    </bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>'''


def test_lanes_including_nested_lane_sets():
    xml = definitions(process('P', LANES + '\n' + chain(
        'userTask id="Register"|', 'userTask id="Handle"|', 'userTask id="Sign"|', 'userTask id="Archive"|')),
        DIAGRAM)
    specs = parse_bpmn({'a.bpmn': xml}).specs['P'].task_specs
    assert specs['StartEvent_1'].lane == 'office'
    assert specs['Register'].lane == 'office'
    assert specs['Handle'].lane == 'unit_clerks'  # the innermost lane wins
    assert specs['Sign'].lane == 'office'  # an unnamed inner lane falls back to the named parent
    assert specs['Archive'].lane is None


@pytest.mark.parametrize('attrs, kind, topic', [
    ('camunda:type="external" camunda:topic="assign_number"', 'external', 'assign_number'),
    ('camunda:delegateExpression="${assign_number}"', 'delegateExpression', 'assign_number'),
    ('camunda:expression="${assign_number}"', 'expression', 'assign_number'),
    ('camunda:class="assign_number"', 'class', 'assign_number'),
])
def test_service_task_calls_named_handler(attrs, kind, topic):
    xml = definitions(process('P', chain(f'serviceTask id="Number" {attrs}|', 'userTask id="Look"|')))
    pkg = parse_bpmn({'a.bpmn': xml})
    spec = pkg.specs['P'].task_specs['Number']
    assert isinstance(spec, HandlerServiceTask)
    assert (spec.implementation, spec.topic) == (kind, topic)
    engine = HandlerEngine({'assign_number': lambda data: {'number': '建议 2026-0042'}})
    wf = BpmnWorkflow(pkg.specs['P'], pkg.subprocess_specs['P'], script_engine=engine)
    wf.do_engine_steps()
    assert engine.calls == ['assign_number']
    assert wf.get_tasks(state=TaskState.READY, manual=True)[0].data['number'] == '建议 2026-0042'


def test_service_task_without_handler_fails_at_run_time():
    pkg = parse_bpmn({'a.bpmn': definitions(process('P', chain('serviceTask id="Nothing"|')))})
    wf = BpmnWorkflow(pkg.specs['P'], script_engine=HandlerEngine({}))
    with pytest.raises(Exception, match='names no handler'):
        wf.do_engine_steps()


def test_business_rule_task_without_decision_ref_is_a_handler():
    xml = definitions(process('P', chain('businessRuleTask id="Rate" camunda:type="external" camunda:topic="rate"|')))
    pkg = parse_bpmn({'a.bpmn': xml})
    assert pkg.specs['P'].task_specs['Rate'].topic == 'rate'
    engine = HandlerEngine({'rate': lambda data: {'rating': 'A'}})
    assert run(pkg, 'P', engine).data['rating'] == 'A'


def test_process_info_starters_and_call_activities():
    main = definitions(process('Suggestion', chain('callActivity id="Call" calledElement="Reply"|',
                                                   'userTask id="Rate"|'),
                               'name="代表建议" camunda:candidateStarterGroups="deputies, office" '
                               'camunda:candidateStarterUsers="admin"'),
                       '  <bpmn:process id="Sketch" isExecutable="false"><bpmn:task id="T" /></bpmn:process>')
    shared = definitions(process('Reply', chain('userTask id="Write"|'), 'name="答复"'))
    pkg = parse_bpmn({'main.bpmn': main, 'shared.bpmn': shared})
    assert pkg.top_level == ['Suggestion']  # Reply is called, Sketch is not executable
    assert pkg.processes['Suggestion'].name == '代表建议'
    assert pkg.processes['Suggestion'].file == 'main.bpmn'
    assert pkg.processes['Sketch'].executable is False
    assert pkg.processes['Reply'].executable is True and pkg.processes['Reply'].file == 'shared.bpmn'
    assert pkg.starters('Suggestion') == (['deputies', 'office'], ['admin'])
    assert pkg.starters('Reply') == ([], [])
    assert set(pkg.subprocess_specs['Suggestion']) == {'Reply'}
    assert process_infos({'main.bpmn': main, 'shared.bpmn': shared}) == pkg.processes
    wf = run(pkg, 'Suggestion', data={'x': 1})
    assert wf.completed
    done = [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id]
    assert {'Write', 'Rate', 'Call'} <= set(done)


def test_called_process_alone_is_top_level():
    shared = definitions(process('Reply', chain('userTask id="Write"|')))
    assert parse_bpmn({'shared.bpmn': shared}).top_level == ['Reply']


def test_missing_called_element_is_a_validation_error():
    main = definitions(process('Main', chain('callActivity id="Call" calledElement="Nowhere"|')))
    with pytest.raises(ValidationException, match='Nowhere'):
        parse_bpmn({'main.bpmn': main})


def test_stock_parser_empties_a_process_whose_start_event_is_called_start():
    # Why reserved ids are renamed; if this starts failing, SpiffWorkflow fixed it.
    parser = CamundaParser()
    parser.add_bpmn_str(definitions(process('P', chain('userTask id="Task_1"|', start='Start'))))
    assert set(parser.get_spec('P').task_specs) == {'Start', 'End', 'P.EndJoin'}


@pytest.mark.parametrize('start, task, end', [
    ('Start', 'Task_1', 'EndEvent_1'),
    ('StartEvent_1', 'Task_1', 'End'),
    ('Start', 'Root', 'End'),
    ('StartEvent_1', 'P.EndJoin', 'EndEvent_1'),
    ('StartEventSplit', 'StartEventJoin', 'EndEvent_1'),
    ('StartEvent_1', 'X.BoundaryEventSplit', 'X.BoundaryEventJoin'),
])
def test_reserved_ids_work(start, task, end):
    xml = definitions(process('P', chain(f'userTask id="{task}" name="Do it"|', start=start, end=end)))
    pkg = parse_bpmn({'a.bpmn': xml})
    by_id = {s.bpmn_id: s for s in pkg.specs['P'].task_specs.values() if getattr(s, 'bpmn_id', None)}
    assert set(by_id) == {start, task, end}
    assert type(by_id[start]).__name__ == 'StartEvent' and type(by_id[end]).__name__ == 'EndEvent'
    wf = run(pkg, 'P')
    assert wf.completed
    completed = {t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED)}
    assert {start, task, end} <= completed


def test_reserved_id_keeps_its_lane():
    lanes = ('<bpmn:laneSet id="LS"><bpmn:lane id="L" name="office"><bpmn:flowNodeRef>Start</bpmn:flowNodeRef>'
             '<bpmn:flowNodeRef>End</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>')
    xml = definitions(process('P', lanes + chain('userTask id="T"|', start='Start', end='End')))
    specs = {s.bpmn_id: s for s in parse_bpmn({'a.bpmn': xml}).specs['P'].task_specs.values()
             if getattr(s, 'bpmn_id', None)}
    assert specs['Start'].lane == specs['End'].lane == 'office'


# ---------------------------------------------------------------------------- safe XML

BILLION_LAUGHS = b'''<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">
  <bpmn:process id="P" name="&lol4;" isExecutable="true"><bpmn:startEvent id="S" /></bpmn:process>
</bpmn:definitions>'''


def external_entity(path: str) -> bytes:
    return f'''<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY secret SYSTEM "file://{path}">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">
  <bpmn:process id="P" isExecutable="true"><bpmn:documentation>&secret;</bpmn:documentation>
    <bpmn:startEvent id="S" /></bpmn:process>
</bpmn:definitions>'''.encode()


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / 'secret.txt'
    path.write_text('TOP-SECRET-CONTENT')
    return str(path)


def test_billion_laughs_refused():
    with pytest.raises(BpmnFileError, match='DOCTYPE/entities are not allowed') as info:
        parse_bpmn({'lol.bpmn': BILLION_LAUGHS})
    assert info.value.line_number == 2 and info.value.file_name == 'lol.bpmn'


def test_external_entity_refused_and_not_read(secret_file):
    xml = external_entity(secret_file)
    for attempt in (lambda: parse_bpmn({'x.bpmn': xml}), lambda: CaseworkParser().add_bpmn_str(xml),
                    lambda: parse_xml(xml.decode().encode('utf-16'))):
        with pytest.raises(BpmnFileError, match='DOCTYPE/entities are not allowed') as info:
            attempt()
        assert 'TOP-SECRET' not in str(info.value)


def test_safe_parser_settings_alone_neither_expand_nor_read(secret_file):
    # Defence in depth under the DOCTYPE refusal: the lxml settings themselves are safe.
    root = etree.fromstring(external_entity(secret_file), safe_xml_parser())
    assert 'TOP-SECRET' not in etree.tostring(root).decode()
    root = etree.fromstring(BILLION_LAUGHS, safe_xml_parser())
    assert len(etree.tostring(root)) < 2000


def test_stock_entry_points_are_safe(tmp_path, secret_file):
    path = tmp_path / 'x.bpmn'
    path.write_bytes(external_entity(secret_file))
    parser = CaseworkParser()
    with open(path, 'rb') as stream:
        for attempt in (lambda: parser.add_bpmn_file(str(path)), lambda: parser.add_bpmn_io(stream),
                        lambda: parser.add_dmn_str(external_entity(secret_file))):
            with pytest.raises(BpmnFileError, match='DOCTYPE/entities are not allowed'):
                attempt()


def test_utf16_doctype_refused():
    xml = BILLION_LAUGHS.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(BpmnFileError, match='DOCTYPE/entities are not allowed'):
        parse_xml(xml.encode('utf-16'), 'u.bpmn')


def test_not_well_formed_and_not_bpmn():
    with pytest.raises(BpmnFileError, match='not well-formed') as info:
        parse_xml(b'<a>\n<b>\n</a>', 'bad.bpmn')
    assert info.value.line_number == 3
    with pytest.raises(BpmnFileError, match='not a BPMN 2.0 document'):
        parse_xml(b'<definitions xmlns="urn:other" />', 'other.xml')


# ---------------------------------------------------------------------------- corpus

# Recorded: which corpus files SpiffWorkflow parses (files with no executable process parse to
# nothing); the others fail with a ValidationException (data stores, subprocesses without start
# events, timers without definitions, tasks with two outgoing flows, ...), never another error.
PARSEABLE = {
    'bpmn-io-export/A.1.0-export.bpmn', 'bpmn-io-export/A.2.0-export.bpmn', 'bpmn-io-export/A.4.0-export.bpmn',
    'bpmn-io-export/A.4.1-export.bpmn', 'bpmn-io-export/C.2.0-export.bpmn', 'bpmn-io-export/C.4.0-export.bpmn',
    'bpmn-io-export/C.8.0-export.bpmn', 'bpmn-io-export/C.8.1-export.bpmn',
    'reference/A.1.0.bpmn', 'reference/A.2.0.bpmn', 'reference/A.2.1.bpmn', 'reference/A.3.0.bpmn',
    'reference/A.4.0.bpmn', 'reference/A.4.1.bpmn', 'reference/C.1.0.bpmn', 'reference/C.2.0.bpmn',
    'reference/C.8.0.bpmn', 'reference/C.9.1.bpmn',
}
CORPUS_FILES = sorted(glob.glob(f'{CORPUS}/reference/*.bpmn') + glob.glob(f'{CORPUS}/bpmn-io-export/*.bpmn'))


@pytest.mark.skipif(not CORPUS_FILES, reason='corpus not available')
def test_corpus_parses_or_fails_cleanly():
    parsed = set()
    for path in CORPUS_FILES:
        name = os.path.relpath(path, CORPUS)
        with open(path, 'rb') as f:
            content = f.read()
        try:
            parse_bpmn({name: content})
            parsed.add(name)
        except ValidationException:
            pass
    assert parsed == PARSEABLE
