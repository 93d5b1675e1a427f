"""engine.bpmn.lint: every check, with file, line and element id."""
from __future__ import annotations

import os

import pytest

from engine.bpmn.lint import Problem, lint_files, timer_problem
from tests.engine.bpmn.test_parser import (
    BILLION_LAUGHS,
    CORPUS,
    CORPUS_FILES,
    FORM,
    chain,
    definitions,
    external_entity,
    line_of,
    process,
)


def lint_one(xml: bytes, name: str = 'case.bpmn') -> list[Problem]:
    return lint_files({name: xml})


def find(problems, element_id, text):
    """The one problem about element_id whose message contains text."""
    hits = [p for p in problems if p.element_id == element_id and text in p.message]
    assert len(hits) == 1, (element_id, text, [str(p) for p in problems])
    return hits[0]


def timer_event(kind: str, expression: str, eid: str = 'Wait') -> str:
    return (f'intermediateCatchEvent id="{eid}"|<bpmn:timerEventDefinition id="Timer_{eid}">'
            f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">{expression}</bpmn:{kind}>'
            '</bpmn:timerEventDefinition>')


def with_xsi(xml: bytes) -> bytes:
    return xml.replace(b'<bpmn:definitions ', b'<bpmn:definitions xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ', 1)


GOOD = definitions(process('Suggestion', chain(
    'userTask id="Register" name="登记" camunda:candidateGroups="office"|' + FORM.replace(
        '<camunda:formField id="colour" label="Colour" type="color" />', ''),
    'serviceTask id="Number" camunda:type="external" camunda:topic="assign_number"|',
    'exclusiveGateway id="Decide" default="Flow_no"|'), 'name="代表建议"').replace(
    '<bpmn:sequenceFlow id="Flow_3" sourceRef="Decide" targetRef="EndEvent_1" />',
    '<bpmn:sequenceFlow id="Flow_yes" sourceRef="Decide" targetRef="Again">'
    '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${amount &gt; 100}</bpmn:conditionExpression>'
    '</bpmn:sequenceFlow>\n'
    '<bpmn:sequenceFlow id="Flow_no" sourceRef="Decide" targetRef="EndEvent_1" />\n'
    '<bpmn:userTask id="Again" />\n<bpmn:sequenceFlow id="Flow_again" sourceRef="Again" targetRef="EndEvent_1" />'))
GOOD = with_xsi(GOOD)


def test_clean_file_has_no_problems():
    assert lint_one(GOOD) == []


def test_problem_str():
    assert str(Problem('a.bpmn', 12, 'Task_1', 'bad')) == 'a.bpmn:12: Task_1: bad'
    assert str(Problem('a.bpmn', None, None, 'bad')) == 'a.bpmn:-: -: bad'


def test_not_well_formed():
    [problem] = lint_one(b'<?xml version="1.0"?>\n<bpmn:definitions>\n<x>\n</bpmn:definitions>\n')
    assert problem.file == 'case.bpmn' and problem.line == 2 and problem.element_id is None
    assert 'not well-formed XML' in problem.message


def test_doctype_and_entities_refused(tmp_path):
    secret = tmp_path / 'secret.txt'
    secret.write_text('TOP-SECRET-CONTENT')
    problems = lint_files({'lol.bpmn': BILLION_LAUGHS, 'xxe.bpmn': external_entity(str(secret))})
    assert [(p.file, p.line, p.message) for p in problems] == [
        ('lol.bpmn', 2, 'DOCTYPE/entities are not allowed'),
        ('xxe.bpmn', 2, 'DOCTYPE/entities are not allowed')]


def test_not_bpmn():
    [problem] = lint_one(b'<?xml version="1.0"?>\n<definitions xmlns="urn:x" />')
    assert problem.line == 2 and 'not a BPMN 2.0 document' in problem.message


def test_no_executable_process():
    xml = definitions('  <bpmn:process id="Sketch" isExecutable="false"><bpmn:task id="T" /></bpmn:process>')
    problem = find(lint_one(xml), 'Definitions_1', 'no executable process')
    assert problem.line == line_of(xml, '<bpmn:definitions')


def test_schema_violation_reported_with_element():
    xml = definitions(process('P', chain('userTask id="T" bogus="1"|')))
    problems = lint_one(xml)
    problem = next(p for p in problems if 'not valid BPMN 2.0' in p.message)
    assert problem.line == line_of(xml, 'id="T"') and problem.element_id == 'T'


def test_spiffworkflow_validation_error_becomes_a_problem():
    xml = definitions(process('P', chain('scriptTask id="Script_1" scriptFormat="python"|')))
    problem = find(lint_one(xml), 'Script_1', 'No Script Provided')
    assert problem.file == 'case.bpmn' and problem.line == line_of(xml, 'id="Script_1"')


def test_subprocess_without_start_event_reported_by_spiffworkflow():
    xml = definitions(process('P', chain('subProcess id="Sub"|<bpmn:task id="Inner" />')))
    problems = lint_one(xml)
    find(problems, 'Sub', 'no start event')
    assert all(p.line for p in problems)


@pytest.mark.parametrize('start, end', [('Start', 'EndEvent_1'), ('StartEvent_1', 'End'), ('Start', 'End')])
def test_reserved_ids_are_fine(start, end):
    assert lint_one(definitions(process('P', chain('userTask id="T"|', start=start, end=end)))) == []


def test_form_field_problems():
    form = '''<bpmn:extensionElements><camunda:formData>
        <camunda:formField id="title" type="text" />
        <camunda:formField id="size" type="string"><camunda:validation>
          <camunda:constraint name="maxlength" config="ten" /></camunda:validation></camunda:formField>
        <camunda:formField id="span" type="string"><camunda:validation>
          <camunda:constraint name="minlength" config="5" /><camunda:constraint name="maxlength" config="2" />
        </camunda:validation></camunda:formField>
        <camunda:formField id="count" type="long"><camunda:validation>
          <camunda:constraint name="min" config="1.5" /></camunda:validation></camunda:formField>
        <camunda:formField id="kind" type="enum" />
        <camunda:formField id="klass" type="enum" defaultValue="E"><camunda:value id="A" name="A" /></camunda:formField>
        <camunda:formField id="flag" type="boolean" defaultValue="yes" />
        <camunda:formField id="title" type="string" />
      </camunda:formData></bpmn:extensionElements>'''
    xml = definitions(process('P', chain(f'userTask id="Fill"|{form}')))
    problems = lint_one(xml)
    checks = [
        ('id="title" type="text"', "form field 'title' has unknown type 'text'"),
        ('config="ten"', "form field 'size' constraint maxlength needs a non-negative integer, not 'ten'"),
        ('<camunda:formField id="span"', "form field 'span' has minlength greater than maxlength"),
        ('config="1.5"', "form field 'count' constraint min needs an integer, not '1.5'"),
        ('id="kind"', "form field 'kind' is an enum without values"),
        ('id="klass"', "form field 'klass' default 'E' is not one of its values"),
        ('id="flag"', "form field 'flag' default 'yes' is not true or false"),
        ('id="title" type="string"', "form field 'title' is defined twice"),
    ]
    for needle, message in checks:
        problem = find(problems, 'Fill', message)
        assert problem.line == line_of(xml, needle), message
    assert len(problems) == len(checks)


def test_sequence_flow_to_missing_element():
    xml = definitions(process('P', chain('userTask id="T"|').replace(
        'sourceRef="T" targetRef="EndEvent_1"', 'sourceRef="T" targetRef="Nowhere"')))
    problems = lint_one(xml)
    problem = find(problems, 'Flow_1', "targetRef 'Nowhere' is not a flow node of this process")
    assert problem.line == line_of(xml, 'targetRef="Nowhere"')
    assert not [p for p in problems if 'perhaps a form' in p.message]  # SpiffWorkflow's wording


def test_unreachable_flow_nodes():
    inner = chain('userTask id="T"|') + '''
    <bpmn:userTask id="Orphan" />
    <bpmn:userTask id="AfterOrphan" />
    <bpmn:sequenceFlow id="Flow_o" sourceRef="Orphan" targetRef="AfterOrphan" />'''
    xml = definitions(process('P', inner))
    problems = lint_one(xml)
    assert find(problems, 'Orphan', 'not reachable from any start event (it has no incoming flow)').line \
        == line_of(xml, 'id="Orphan"')
    assert find(problems, 'AfterOrphan', 'not reachable from any start event').line == line_of(xml, 'id="AfterOrphan"')
    assert not [p for p in problems if p.element_id == 'T']


def test_boundary_and_event_subprocess_are_reachable():
    inner = chain('userTask id="T"|') + '''
    <bpmn:boundaryEvent id="Late" attachedToRef="T"><bpmn:timerEventDefinition id="TD">
      <bpmn:timeDuration>PT72H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:userTask id="Remind" />
    <bpmn:sequenceFlow id="Flow_late" sourceRef="Late" targetRef="Remind" />
    <bpmn:endEvent id="E2" />
    <bpmn:sequenceFlow id="Flow_e2" sourceRef="Remind" targetRef="E2" />'''
    assert lint_one(definitions(process('P', inner))) == []


def test_exclusive_gateway_flow_without_condition():
    inner = '''    <bpmn:startEvent id="S" />
    <bpmn:sequenceFlow id="F0" sourceRef="S" targetRef="Gw" />
    <bpmn:exclusiveGateway id="Gw" />
    <bpmn:sequenceFlow id="Fa" sourceRef="Gw" targetRef="E1">
      <bpmn:conditionExpression>${ok}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Fb" sourceRef="Gw" targetRef="E2" />
    <bpmn:endEvent id="E1" />
    <bpmn:endEvent id="E2" />'''
    xml = definitions(process('P', inner))
    problems = lint_one(xml)
    problem = find(problems, 'Fb', "flow out of gateway 'Gw' has no condition and is not the default flow")
    assert problem.line == line_of(xml, 'id="Fb"')
    assert len(problems) == 1  # SpiffWorkflow's own error about Fb is not repeated
    assert lint_one(xml.replace(b'<bpmn:exclusiveGateway id="Gw" />',
                                b'<bpmn:exclusiveGateway id="Gw" default="Fb" />')) == []


def test_task_with_two_outgoing_flows():
    inner = chain('userTask id="T"|') + '\n    <bpmn:sequenceFlow id="Fx" sourceRef="T" targetRef="EndEvent_1" />'
    xml = definitions(process('P', inner))
    problems = lint_one(xml)
    assert find(problems, 'T', 'only gateways may split the flow').line == line_of(xml, 'id="T"')
    assert len(problems) == 1


@pytest.mark.parametrize('kind, expression', [
    ('timeDuration', 'PT72H'), ('timeDuration', 'P3M'), ('timeDuration', 'P1DT12H'),
    ('timeCycle', 'R3/PT1H'), ('timeCycle', 'R/2026-01-01T00:00:00Z/P1D'),
    ('timeDate', '2026-12-01T09:00:00+08:00'), ('timeDate', '2026-12-01'),
    ('timeDuration', '${reply_period}'), ('timeDate', '${add_working_days(received, 15)}'),
    ('timeDuration', '"PT72H"'), ('timeDate', "due_at.isoformat() + 'Z'"),
])
def test_good_timers(kind, expression):
    assert timer_problem(kind, expression) is None
    xml = with_xsi(definitions(process('P', chain(timer_event(kind, expression)))))
    assert lint_one(xml) == []


@pytest.mark.parametrize('kind, expression, message', [
    ('timeDuration', 'PT72', "'PT72' is not an ISO 8601 duration"),
    ('timeDuration', 'tomorrow', "write a variable as ${tomorrow}"),
    ('timeDuration', '72', "'72' is not an ISO 8601 duration"),
    ('timeDate', '2026-13-45', "'2026-13-45' is not an ISO 8601 date-time"),
    ('timeDate', '09:00 tomorrow', 'is neither an ISO 8601 date-time'),
    ('timeCycle', '0 0 9 * * ?', 'cron expressions are not supported'),
    ('timeCycle', 'PT1H', "'PT1H' is not an ISO 8601 repetition"),
    ('timeDuration', '${reply_period', 'malformed JUEL expression'),
    ('timeDuration', '', 'empty timer expression'),
])
def test_bad_timers(kind, expression, message):
    xml = with_xsi(definitions(process('P', chain(timer_event(kind, expression)))))
    problem = find(lint_one(xml), 'Wait', message)
    assert problem.line == line_of(xml, f'<bpmn:{kind}')
    assert problem.message.startswith(f'{kind}: ')


def test_timer_without_definition():
    xml = definitions(process('P', chain('intermediateCatchEvent id="Wait"|<bpmn:timerEventDefinition id="TD" />')))
    problem = find(lint_one(xml), 'Wait', 'timer has no timeDate, timeDuration or timeCycle')
    assert problem.line == line_of(xml, 'id="TD"')


def test_call_activity_must_call_a_process_of_the_package():
    main = definitions(process('Main', chain('callActivity id="Call" calledElement="Reply"|')))
    problem = find(lint_files({'main.bpmn': main}), 'Call', "calledElement 'Reply' is not a process of this package")
    assert problem.line == line_of(main, 'id="Call"')
    assert len(lint_files({'main.bpmn': main})) == 1
    shared = definitions(process('Reply', chain('userTask id="Write"|')))
    assert lint_files({'main.bpmn': main, 'shared.bpmn': shared}) == []
    no_ref = definitions(process('Main', chain('callActivity id="Call"|')))
    find(lint_files({'main.bpmn': no_ref}), 'Call', 'call activity has no calledElement')


def test_duplicate_process_ids_across_files():
    a = definitions(process('P', chain('userTask id="T"|')))
    problems = lint_files({'a.bpmn': a, 'b.bpmn': a})
    problem = find(problems, 'P', "process id 'P' is also used in a.bpmn")
    assert problem.file == 'b.bpmn'


def test_service_task_needs_a_handler():
    xml = definitions(process('P', chain('serviceTask id="S1"|', 'serviceTask id="S2" camunda:expression="${a.b(c)}"|')))
    problems = lint_one(xml)
    assert find(problems, 'S1', 'names no handler').line == line_of(xml, 'id="S1"')
    find(problems, 'S2', "handler name 'a.b(c)' (expression) must be a plain name")


@pytest.mark.skipif(not CORPUS_FILES, reason='corpus not available')
def test_corpus_lints_without_crashing():
    for path in CORPUS_FILES:
        name = os.path.relpath(path, CORPUS)
        with open(path, 'rb') as f:
            problems = lint_files({name: f.read()})
        for p in problems:
            assert p.file == name and p.message
            assert p.line is None or isinstance(p.line, int)
    # the executable-style models that SpiffWorkflow runs lint clean or nearly so
    with open(f'{CORPUS}/reference/C.9.1.bpmn', 'rb') as f:
        assert lint_files({'C.9.1.bpmn': f.read()}) == []
