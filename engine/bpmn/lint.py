"""Checks of BPMN files before deployment: one Problem per finding, with file, line and element.

Own checks run on the XML first (they can report everything at once); then every executable
process is parsed by SpiffWorkflow, which stops at its first error, so at most one of its
ValidationExceptions per process is reported, and none about an element that already has an
own finding (it is nearly always the same finding, worded for SpiffWorkflow's developers).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import XSD_PATH
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.bpmn import declarations, lintexpr
from engine.bpmn.formdata import BPMN_NS, CAMUNDA
from engine.bpmn.lintcodes import say
from engine.bpmn.linttimer import JUEL, timer_finding, timer_problem  # noqa: F401 (timer_problem: the API)
from engine.bpmn.parser import BpmnFileError, CaseworkParser, original_id, parse_xml, service_implementation

B = f'{{{BPMN_NS}}}'
FORM_TYPES = ('string', 'long', 'boolean', 'date', 'enum')
CONTAINERS = {B + t for t in ('process', 'subProcess', 'transaction', 'adHocSubProcess')}
FLOW_NODES = CONTAINERS - {B + 'process'} | {B + t for t in (
    'startEvent', 'endEvent', 'intermediateCatchEvent', 'intermediateThrowEvent', 'boundaryEvent',
    'task', 'userTask', 'manualTask', 'scriptTask', 'serviceTask', 'sendTask', 'receiveTask',
    'businessRuleTask', 'callActivity', 'exclusiveGateway', 'parallelGateway', 'inclusiveGateway',
    'eventBasedGateway', 'complexGateway')}
SERVICE_LIKE = {B + 'serviceTask', B + 'businessRuleTask'}
GATEWAYS = {B + t for t in ('exclusiveGateway', 'parallelGateway', 'inclusiveGateway', 'eventBasedGateway',
                            'complexGateway')}

HANDLER_NAME = re.compile(r'[A-Za-z_][\w.-]*')

_local = threading.local()  # an XMLSchema keeps its error log: one per thread


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    element_id: str | None
    message: str  # English, for the CLI and the API; pages say it by code (engine.bpmn.lintcodes)
    code: str = field(default="", compare=False)
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, file: str, line: int | None, element_id: str | None, code: str,
           params: dict[str, Any] | None = None) -> Problem:
        params = dict(params or {})
        return cls(file, line, element_id, say(code, params), code, params)

    def __str__(self):
        return f"{self.file}:{self.line if self.line else '-'}: {self.element_id or '-'}: {self.message}"


def _get_schema():
    if getattr(_local, 'schema', None) is None:
        _local.schema = etree.XMLSchema(etree.parse(XSD_PATH))
    return _local.schema


class _FileChecker:
    """The XML-level checks of one file; ``known_processes`` are the process ids of the package."""

    def __init__(self, name, root, known_processes):
        self.name, self.root, self.known = name, root, known_processes
        self.problems: list[Problem] = []

    def add(self, node, code, params=None, element_id=None):
        self.problems.append(Problem.of(self.name, node.sourceline if node is not None else None,
                                        element_id or (node.get('id') if node is not None else None), code, params))

    def run(self):
        self.check_schema()
        processes = list(self.root.iter(B + 'process'))
        if not any(p.get('isExecutable', 'true') == 'true' for p in processes):
            self.add(self.root, 'no_executable_process')
        for container in self.root.iter(*CONTAINERS):
            self.check_flows(container)
        for node in self.root.iter(B + 'userTask', B + 'startEvent'):  # task forms and start forms
            self.check_form(node)
        for node in self.root.iter(B + 'timerEventDefinition'):
            self.check_timer(node)
        for node in self.root.iter(B + 'callActivity'):
            called = node.get('calledElement')
            if not called:
                self.add(node, 'call_without_called_element')
            elif called not in self.known:
                self.add(node, 'called_element_unknown', {'called': called})
        for node in self.root.iter(*SERVICE_LIKE):
            self.check_service(node)
        for node in self.root.iter(B + 'dataStore'):
            self.add(node, 'data_store')
        for node, code, params, element_id in declarations.lint(self.root):  # roles, start data, message senders
            self.add(node, code, params, element_id)
        for line, element_id, code, params in lintexpr.problems(self.root):  # compiled as they will run
            self.problems.append(Problem.of(self.name, line, element_id, code, params))
        return self.problems

    def check_schema(self):
        schema = _get_schema()
        if schema.validate(self.root):
            return
        by_line = {}
        for el in self.root.iter(etree.Element):
            if el.get('id'):
                by_line.setdefault(el.sourceline, el.get('id'))
        for err in schema.error_log:
            self.problems.append(Problem.of(self.name, err.line, by_line.get(err.line), 'schema_invalid',
                                            {'detail': err.message}))

    # ------------------------------------------------------------------ flows

    def check_flows(self, container):
        nodes = {n.get('id'): n for n in container if n.tag in FLOW_NODES}
        flows = [f for f in container if f.tag == B + 'sequenceFlow']
        edges = {}
        for flow in flows:
            src, dst = flow.get('sourceRef'), flow.get('targetRef')
            for attr, ref in (('sourceRef', src), ('targetRef', dst)):
                if ref not in nodes:
                    self.add(flow, 'flow_ref_unknown',
                             {'attr': attr, 'ref': ref, 'container': etree.QName(container).localname})
            edges.setdefault(src, []).append(dst)
        by_source = {}
        for flow in flows:
            by_source.setdefault(flow.get('sourceRef'), []).append(flow)
        for node in nodes.values():
            self.check_gateway(node, by_source.get(node.get('id'), []))
        # boundary events and link events are edges too
        links = {}
        for node in nodes.values():
            if node.tag == B + 'boundaryEvent':
                attached = node.get('attachedToRef')
                if attached not in nodes:
                    self.add(node, 'boundary_attached_unknown', {'attached': attached})
                edges.setdefault(attached, []).append(node.get('id'))
            link = node.find(B + 'linkEventDefinition')
            if link is not None:
                links.setdefault(link.get('name'), {}).setdefault(node.tag, []).append(node.get('id'))
        for pair in links.values():
            for thrower in pair.get(B + 'intermediateThrowEvent', []):
                edges.setdefault(thrower, []).extend(pair.get(B + 'intermediateCatchEvent', []))
        self.check_reachable(container, nodes, edges)

    def check_gateway(self, node, outgoing):
        if len(outgoing) > 1 and node.tag not in GATEWAYS:
            self.add(node, 'split_without_gateway', {'count': len(outgoing)})
        default = node.get('default')
        if default and default not in {f.get('id') for f in outgoing}:
            self.add(node, 'default_not_outgoing', {'default': default})
        if node.tag not in (B + 'exclusiveGateway', B + 'inclusiveGateway') or len(outgoing) < 2:
            return
        for flow in outgoing:
            cond = flow.find(B + 'conditionExpression')
            if flow.get('id') != default and (cond is None or not (cond.text or '').strip()):
                self.add(flow, 'flow_without_condition', {'gateway': node.get('id')})

    def check_reachable(self, container, nodes, edges):
        if container.tag == B + 'adHocSubProcess':
            return  # its activities have no start event by design
        targets = {dst for dsts in edges.values() for dst in dsts}
        seen = [nid for nid, n in nodes.items() if n.tag == B + 'startEvent'
                or n.get('triggeredByEvent') == 'true']
        if not any(n.tag == B + 'startEvent' for n in nodes.values()):
            if nodes and container.get('triggeredByEvent') != 'true':
                self.add(container, 'no_start_event')
            return
        reached = set(seen)
        while seen:
            for nxt in edges.get(seen.pop(), []):
                if nxt not in reached:
                    reached.add(nxt)
                    seen.append(nxt)
        for nid, node in nodes.items():
            if nid not in reached:
                self.add(node, 'unreachable' if nid in targets else 'unreachable_no_incoming')

    # ------------------------------------------------------------------ user task forms

    def check_form(self, task):
        ids = set()
        for ff in task.iterfind(f'{B}extensionElements/{CAMUNDA}formData/{CAMUNDA}formField'):
            fid, ftype = ff.get('id'), ff.get('type')
            label = {'field': fid}
            if not fid:
                self.add(ff, 'field_without_id', None, task.get('id'))
            elif fid in ids:
                self.add(ff, 'field_twice', label, task.get('id'))
            ids.add(fid)
            if ftype not in FORM_TYPES:
                self.add(ff, 'field_type_unknown', {**label, 'type': ftype, 'known': ', '.join(FORM_TYPES)},
                         task.get('id'))
            values = [v.get('id') for v in ff.iterfind(CAMUNDA + 'value')]
            if ftype == 'enum' and not values:
                self.add(ff, 'enum_without_values', label, task.get('id'))
            default = ff.get('defaultValue')
            if default and not JUEL.fullmatch(default.strip()):
                wrong = {**label, 'default': default}
                if ftype == 'enum' and values and default not in values:
                    self.add(ff, 'default_not_value', wrong, task.get('id'))
                elif ftype == 'boolean' and default not in ('true', 'false'):
                    self.add(ff, 'default_not_boolean', wrong, task.get('id'))
                elif ftype == 'long' and not re.fullmatch(r'[+-]?\d+', default):
                    self.add(ff, 'default_not_integer', wrong, task.get('id'))
            self.check_constraints(task, ff, label, ftype)

    def check_constraints(self, task, ff, label, ftype):
        bounds = {}
        for c in ff.iterfind(f'{CAMUNDA}validation/{CAMUNDA}constraint'):
            name, config = c.get('name'), (c.get('config') or '').strip()
            if not name:
                self.add(c, 'constraint_without_name', label, task.get('id'))
            elif name in ('minlength', 'maxlength'):
                if not config.isdigit():
                    self.add(c, 'length_not_integer', {**label, 'name': name, 'config': config}, task.get('id'))
                else:
                    bounds[name] = int(config)
            elif name in ('min', 'max'):
                value = _bound(config, ftype)
                if value is None:
                    code = 'bound_not_date' if ftype == 'date' else 'bound_not_integer' if ftype == 'long' \
                        else 'bound_not_number'
                    self.add(c, code, {**label, 'name': name, 'config': config}, task.get('id'))
                else:
                    bounds[name] = value
            elif name == 'required_if':
                fields = {f.get('id') for f in ff.getparent().iterfind(f'{CAMUNDA}formField')}
                for part in config.split(';'):
                    other, _, values = part.partition('=')
                    if not other.strip() or not values.strip():
                        self.add(c, 'required_if_malformed', {**label, 'config': config}, task.get('id'))
                    elif other.strip() not in fields:
                        self.add(c, 'required_if_unknown_field', {**label, 'other': other.strip()}, task.get('id'))
            elif name in ('required', 'readonly') and config not in ('', 'true', 'false'):
                self.add(c, 'constraint_takes_no_config', {**label, 'name': name, 'config': config},
                         task.get('id'))
        for low, high in (('minlength', 'maxlength'), ('min', 'max')):
            if low in bounds and high in bounds and bounds[low] > bounds[high]:
                self.add(ff, 'bounds_crossed', {**label, 'low': low, 'high': high}, task.get('id'))

    # ------------------------------------------------------------------ timers, services

    def check_timer(self, timer):
        event = timer.getparent()
        parts = [c for c in timer if c.tag in (B + 'timeDate', B + 'timeDuration', B + 'timeCycle')]
        if not parts:
            self.add(timer, 'timer_without_definition', None, event.get('id'))
        for part in parts:
            kind = etree.QName(part).localname
            finding = timer_finding(kind, (part.text or '').strip())
            if finding:
                self.add(part, finding[0], finding[1], event.get('id'))

    def check_service(self, node):
        if node.tag == B + 'businessRuleTask' and node.get(CAMUNDA + 'decisionRef'):
            return
        kind, topic = service_implementation(node)
        if kind is None:
            self.add(node, 'service_without_handler')
        elif not topic or not HANDLER_NAME.fullmatch(topic):
            self.add(node, 'handler_name_invalid', {'handler': topic or '', 'kind': kind})


def _bound(config, ftype):
    if ftype == 'date':
        for parse in (date.fromisoformat, datetime.fromisoformat):
            try:
                return parse(config)
            except ValueError:
                pass
        return None
    pattern = r'[+-]?\d+' if ftype == 'long' else r'[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?'
    return float(config) if re.fullmatch(pattern, config) else None


# ---------------------------------------------------------------------------- package

def _exception_problem(exc, roots, default_file):
    file = getattr(exc, 'file_name', '') or default_file
    element_id = original_id(exc.id) if getattr(exc, 'id', '') else None
    line = getattr(exc, 'line_number', None) or None
    root = roots.get(file)
    if line is None and element_id and root is not None:
        found = root.xpath('//*[@id=$i or @id=$r]', i=element_id, r=getattr(exc, 'id', ''))
        line = found[0].sourceline if found else None
    message = exception_message(exc)
    if isinstance(exc, BpmnFileError):
        return Problem(file, line, element_id, message, exc.code, exc.params)
    return Problem(file, line, element_id, message, 'spiff_invalid', {'detail': message})


def exception_message(exc) -> str:
    # SpiffWorkflowException.__str__ appends '. ' and its notes; keep the message readable.
    parts = [str(exc.args[0]) if exc.args else type(exc).__name__, *getattr(exc, 'notes', [])]
    return '. '.join(p.strip().rstrip('.') for p in parts if p and p.strip())


# (SpiffWorkflow message fragment, own message fragment): the same finding, worded worse.
SAME_FINDING = (
    ('was not found', 'calledElement'),
    ('Data Store', 'data stores are not supported'),
    ('perhaps a form has the same ID', 'is not a flow node'),
    ('Multiple outgoing flows', 'only gateways may split'),
)


def _parse_processes(roots, infos, problems):
    """Let SpiffWorkflow parse each executable process, one fresh parser per process."""
    own = {(p.file, p.element_id) for p in problems}
    for pid, (file, executable) in infos.items():
        if not executable:
            continue
        parser = CaseworkParser()
        try:
            for name, root in roots.items():
                parser.add_bpmn_xml(root, name)
            parser.get_spec(pid)
            parser.get_subprocess_specs(pid, require_call_activity_specs=False)
        except Exception as exc:  # noqa: BLE001 - a lint must not crash, whatever SpiffWorkflow raises
            problem = (_exception_problem(exc, roots, file) if isinstance(exc, ValidationException)
                       else Problem.of(file, None, pid, 'spiff_parse_failed', {'detail': repr(exc)}))
            if (problem.file, problem.element_id) in own and problem.element_id:
                continue
            if any(theirs in problem.message and any(ours in p.message for p in problems)
                   for theirs, ours in SAME_FINDING):
                continue
            problems.append(problem)
            own.add((problem.file, problem.element_id))


def lint_files(files: dict[str, bytes]) -> list[Problem]:
    """All problems of a package of BPMN files (name -> content); an empty list means deployable."""
    problems: list[Problem] = []
    roots = {}
    for name, content in files.items():
        try:
            roots[name] = parse_xml(content, name)
        except BpmnFileError as exc:
            problems.append(Problem(name, exc.line_number or None, None, exception_message(exc), exc.code, exc.params))
    infos, seen = {}, {}
    for name, root in roots.items():
        for process in root.iter(B + 'process'):
            pid = process.get('id')
            if pid in seen:
                problems.append(Problem.of(name, process.sourceline, pid, 'process_id_twice',
                                           {'process': pid, 'other_file': seen[pid]}))
            seen.setdefault(pid, name)
            infos.setdefault(pid, (name, process.get('isExecutable', 'true') == 'true'))
    for name, root in roots.items():
        problems.extend(_FileChecker(name, root, set(seen)).run())
    if not any(p.code == 'process_id_twice' for p in problems):
        _parse_processes(roots, infos, problems)
    # A file-level SpiffWorkflow error repeats for every process parsed: report it once.
    return list(dict.fromkeys(problems))
