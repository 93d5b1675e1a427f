"""Camunda Modeler BPMN -> SpiffWorkflow specs, with the attributes the service needs.

XML is always parsed here, with a parser that cannot expand entities or reach the network,
and a document with a DOCTYPE is refused before SpiffWorkflow sees it.

Element ids that collide with SpiffWorkflow's own task spec names (``Start``, ``End``,
``<process>.EndJoin``, ...) are renamed to ``<id> [element]`` before parsing, because a stock
parse of such a file silently drops or rewires the element; ``task_spec.bpmn_id`` keeps the
id from the file.  Code that maps tasks to diagram elements must use ``bpmn_id``, never
``name`` (SpiffWorkflow already names multi-instance children ``<id> [child]``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import (
    BusinessRuleTaskParser,
    CamundaTaskParser,
    UserTaskParser,
)
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.camunda.specs.multiinstance_task import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.camunda.specs.user_task import Form, UserTask

from engine.bpmn.formdata import CAMUNDA, form_field_dict, read_form
from engine.bpmn.lintcodes import say

MAX_FILE_BYTES = 10 * 1024 * 1024

# SpiffWorkflow's own task spec names (bpmn_process_spec, control, serializer pops 'Root').
RESERVED_IDS = frozenset({'Start', 'End', 'Root', 'StartEventSplit', 'StartEventJoin'})
RESERVED_SUFFIXES = ('.EndJoin', '.BoundaryEventSplit', '.BoundaryEventJoin')
RENAMED_SUFFIX = ' [element]'
# Attributes and element texts that refer to a flow node by id.
_REF_ATTRS = ('sourceRef', 'targetRef', 'attachedToRef', 'default', 'bpmnElement', 'activityRef')
_REF_TEXTS = frozenset(full_tag(t) for t in ('incoming', 'outgoing', 'flowNodeRef'))

USER_TASK_ATTRS = {  # camunda attribute -> spec attribute (raw strings, maybe JUEL)
    'assignee': 'assignee', 'candidateUsers': 'candidate_users', 'candidateGroups': 'candidate_groups',
    'dueDate': 'due_date', 'followUpDate': 'follow_up_date', 'priority': 'priority', 'formKey': 'form_key'}


class BpmnFileError(ValidationException):
    """A file that is not well-formed, not safe, or not BPMN; carries file_name and line_number."""

    def __init__(self, code, params=None, file_name=None, line_number=None):
        super().__init__(say(code, params), file_name=file_name, line_number=line_number)
        self.code, self.params = code, dict(params or {})


def is_reserved_id(element_id: str | None) -> bool:
    return bool(element_id) and (element_id in RESERVED_IDS or element_id.endswith(RESERVED_SUFFIXES))


def original_id(name: str) -> str:
    """The id in the file of an element renamed because its id was reserved."""
    return name.removesuffix(RENAMED_SUFFIX)


def split_list(raw: str | None) -> list[str]:
    """'a, b ,c' -> ['a', 'b', 'c'] (Camunda's comma-separated lists)."""
    return [part.strip() for part in (raw or '').split(',') if part.strip()]


def parse_xml(content: bytes | str, filename: str | None = None, bpmn: bool = True) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network, no huge trees."""
    if isinstance(content, str):
        content = content.encode('utf-8')
    if len(content) > MAX_FILE_BYTES:
        raise BpmnFileError('file_too_large', {'max': MAX_FILE_BYTES}, filename)
    # Refuse before parsing so that no entity machinery runs at all.
    text = content.decode(_wide_encoding(content[:4]) or 'latin-1', errors='replace')
    for marker in ('<!DOCTYPE', '<!ENTITY'):
        pos = text.find(marker)
        if pos >= 0:
            raise BpmnFileError('doctype_forbidden', None, filename, text.count('\n', 0, pos) + 1)
    try:
        root = etree.fromstring(content, safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise BpmnFileError('xml_not_well_formed', {'detail': exc.msg}, filename, exc.lineno) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # defence in depth behind the scan
        raise BpmnFileError('doctype_forbidden', None, filename, 1)
    if bpmn and root.tag != full_tag('definitions'):
        raise BpmnFileError('not_bpmn_root', None, filename, root.sourceline)
    return root


def safe_xml_parser() -> etree.XMLParser:
    # A new parser per document: lxml parsers must not be shared between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           dtd_validation=False, remove_pis=True)


def _wide_encoding(head: bytes) -> str | None:
    """UTF-16/32 (by BOM or zero bytes): the byte scan for markers would miss these."""
    if head.startswith((b'\xff\xfe\x00\x00', b'\x00\x00\xfe\xff')):
        return 'utf-32'
    if head.startswith((b'\xff\xfe', b'\xfe\xff')):
        return 'utf-16'
    if b'\x00' in head:
        return 'utf-16-be' if head[0] == 0 else 'utf-16-le'
    return None


# ---------------------------------------------------------------------------- task specs

class CaseworkUserTask(UserTask):
    """A Camunda user task keeping assignment, dates, priority (raw, maybe JUEL) and its form."""

    def __init__(self, wf_spec, bpmn_id, form=None, assignee=None, candidate_users=None,
                 candidate_groups=None, due_date=None, follow_up_date=None, priority=None,
                 form_key=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, form=form if form is not None else Form(), **kwargs)
        self.assignee = assignee
        self.candidate_users = candidate_users
        self.candidate_groups = candidate_groups
        self.due_date = due_date
        self.follow_up_date = follow_up_date
        self.priority = priority
        self.form_key = form_key

    def form_fields(self) -> list[dict]:
        return [form_field_dict(f) for f in self.form.fields]


class HandlerServiceTask(ServiceTask):
    """A service task that runs the named handler through the script engine.

    ``topic`` is the handler name (camunda:topic, or the inside of ${...} of a delegate
    expression / expression, or camunda:class); ``implementation`` says which one was used.
    """

    def __init__(self, wf_spec, bpmn_id, topic=None, implementation=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.topic = topic
        self.implementation = implementation

    def _execute(self, my_task):
        if not self.topic:
            raise WorkflowTaskException(f'service task {self.bpmn_id} names no handler', task=my_task)
        # The engine merges the handler's result into the task data; an exception fails the task.
        my_task.workflow.script_engine.call_service(my_task, topic=self.topic)
        return True


def service_implementation(node) -> tuple[str | None, str | None]:
    """(implementation kind, handler name) of a Camunda service-like task node."""
    if node.get(CAMUNDA + 'type') == 'external' or node.get(CAMUNDA + 'topic'):
        return 'external', node.get(CAMUNDA + 'topic')
    for kind in ('delegateExpression', 'expression', 'class'):
        raw = node.get(CAMUNDA + kind)
        if raw is not None:
            match = re.fullmatch(r'\s*[$#]\{\s*(.*?)\s*\}\s*', raw, re.DOTALL)
            return kind, (match.group(1) if match else raw.strip())
    return None, None


# ---------------------------------------------------------------------------- task parsers

class CaseworkUserTaskParser(UserTaskParser):

    def create_task(self):
        attrs = {spec_attr: self.node.get(CAMUNDA + xml_attr) for xml_attr, spec_attr in USER_TASK_ATTRS.items()}
        return self.spec_class(self.spec, self.bpmn_id, form=self.get_form(), **attrs, **self.bpmn_attributes)

    def get_form(self):
        return read_form(self.node)


class HandlerTaskParser(CamundaTaskParser):

    def create_task(self):
        implementation, topic = service_implementation(self.node)
        return HandlerServiceTask(self.spec, self.bpmn_id, topic=topic, implementation=implementation,
                                  **self.bpmn_attributes)


class CaseworkBusinessRuleTaskParser(BusinessRuleTaskParser):
    """A business rule task with a decisionRef is a DMN task; Camunda also lets it call a handler."""

    def create_task(self):
        if self.node.get(CAMUNDA + 'decisionRef'):
            return super().create_task()
        return HandlerTaskParser.create_task(self)


# ---------------------------------------------------------------------------- parser

@dataclass
class ProcessInfo:
    id: str
    name: str
    executable: bool
    file: str | None
    line: int | None
    starter_groups: list[str] = field(default_factory=list)
    starter_users: list[str] = field(default_factory=list)
    called_elements: list[str] = field(default_factory=list)


class CaseworkParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES: ClassVar[dict] = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag('userTask'): (CaseworkUserTaskParser, CaseworkUserTask),
        full_tag('serviceTask'): (HandlerTaskParser, HandlerServiceTask),
        full_tag('businessRuleTask'): (CaseworkBusinessRuleTaskParser, BusinessRuleTask),
    }

    def __init__(self, namespaces=None, validator=None):
        super().__init__(namespaces=namespaces, validator=validator)
        self.process_info: dict[str, ProcessInfo] = {}
        self._lanes: dict[str, dict[str, str]] = {}  # process id -> flow node id -> innermost lane

    # Every way in goes through parse_xml: the stock methods use lxml's default parser.
    def add_bpmn_bytes(self, content: bytes | str, filename: str | None = None):
        self.add_bpmn_xml(parse_xml(content, filename), filename)

    def add_bpmn_str(self, bpmn_str, filename=None):
        self.add_bpmn_bytes(bpmn_str, filename)

    def add_bpmn_io(self, file_like_object, filename=None):
        self.add_bpmn_bytes(file_like_object.read(), filename)

    def add_bpmn_files(self, filenames):
        for filename in filenames:
            with open(filename, 'rb') as f:
                self.add_bpmn_bytes(f.read(), filename)

    def add_dmn_str(self, dmn_str, filename=None):
        self.add_dmn_xml(parse_xml(dmn_str, filename, bpmn=False), filename)

    def add_dmn_io(self, file_like_object, filename=None):
        self.add_dmn_str(file_like_object.read(), filename)

    def add_dmn_files(self, filenames):
        for filename in filenames:
            with open(filename, 'rb') as f:
                self.add_dmn_str(f.read(), filename)

    def add_bpmn_xml(self, bpmn, filename=None):
        root = bpmn.getroot() if hasattr(bpmn, 'getroot') else bpmn
        rename_reserved_ids(root, self)
        for process in root.iter(full_tag('process')):
            self._index_process(process, filename)
        super().add_bpmn_xml(bpmn, filename)

    def _index_process(self, process, filename):
        self.process_info[process.get('id')] = process_info(process, filename)
        self._lanes[process.get('id')] = innermost_lanes(process)

    def _find_dependencies(self, process):
        # The stock version raises a bare KeyError for a businessRuleTask without decisionRef.
        for call_activity in process.iter(full_tag('callActivity')):
            self.process_dependencies.add(call_activity.get('calledElement'))
        for task in process.iter(full_tag('businessRuleTask')):
            if task.get(CAMUNDA + 'decisionRef'):
                self.dmn_dependencies.add(task.get(CAMUNDA + 'decisionRef'))

    def get_spec(self, process_id, required=True):
        spec = super().get_spec(process_id, required=required)
        if spec is not None:
            lanes = self._lanes.get(process_id, {})
            for task_spec in spec.task_specs.values():
                bpmn_id = getattr(task_spec, 'bpmn_id', None)
                if bpmn_id is None:
                    continue
                task_spec.bpmn_id = original_id(bpmn_id)
                if task_spec.bpmn_id in lanes:
                    task_spec.lane = lanes[task_spec.bpmn_id]
                collection_input(task_spec)
        return spec


def collection_input(task_spec) -> None:
    """A camunda:collection is the multi-instance's input and output (each instance's element variable is
    written back in place). SpiffWorkflow sets the input only when the task starts, on the spec object,
    so after a reload the results were appended to the collection instead: set it at parse time."""
    if isinstance(task_spec, (SequentialMultiInstanceTask, ParallelMultiInstanceTask)) \
            and task_spec.cardinality is None and task_spec.data_output is not None and task_spec.data_input is None:
        task_spec.data_input = TaskDataReference(task_spec.data_output.bpmn_id)
        if task_spec.output_item is not None:
            task_spec.input_item = TaskDataReference(task_spec.output_item.bpmn_id)


def process_info(process, filename=None) -> ProcessInfo:
    pid = process.get('id')
    return ProcessInfo(
        id=pid, name=process.get('name') or pid,
        # SpiffWorkflow's default: a process without isExecutable is executable.
        executable=process.get('isExecutable', 'true') == 'true',
        file=filename, line=process.sourceline,
        starter_groups=split_list(process.get(CAMUNDA + 'candidateStarterGroups')),
        starter_users=split_list(process.get(CAMUNDA + 'candidateStarterUsers')),
        called_elements=[c.get('calledElement') for c in process.iter(full_tag('callActivity'))
                         if c.get('calledElement')])


def process_infos(files: dict[str, bytes]) -> dict[str, ProcessInfo]:
    """Every process of the files (name, executable, starters) without building specs."""
    return {p.get('id'): process_info(p, name) for name, content in files.items()
            for p in parse_xml(content, name).iter(full_tag('process'))}


def rename_reserved_ids(root, parser: CaseworkParser):
    """Rename flow nodes whose ids SpiffWorkflow uses for its own task specs (see module doc)."""
    renamed = {}
    for node in root.iter(etree.Element):
        node_id = node.get('id')
        if is_reserved_id(node_id) and parser._get_parser_class(node.tag) != (None, None):
            renamed[node_id] = node_id + RENAMED_SUFFIX
    if not renamed:
        return
    for node in root.iter(etree.Element):
        if node.get('id') in renamed and parser._get_parser_class(node.tag) != (None, None):
            node.set('id', renamed[node.get('id')])
        for attr in _REF_ATTRS:
            if node.get(attr) in renamed:
                node.set(attr, renamed[node.get(attr)])
        if node.tag in _REF_TEXTS and node.text and node.text.strip() in renamed:
            node.text = renamed[node.text.strip()]


def innermost_lanes(process) -> dict[str, str]:
    """Flow node id -> name of the innermost named lane that lists it (nested lane sets too)."""
    lanes, depth_of = {}, {}
    for lane in process.iter(full_tag('lane')):
        ancestors = list(lane.iterancestors(full_tag('lane')))
        name = lane.get('name') or next((a.get('name') for a in ancestors if a.get('name')), None)
        if name is None:
            continue
        depth = len(ancestors)
        for ref in lane.iterchildren(full_tag('flowNodeRef')):
            node_id = original_id((ref.text or '').strip())
            if depth >= depth_of.get(node_id, -1):
                lanes[node_id], depth_of[node_id] = name, depth
    return lanes


# ---------------------------------------------------------------------------- package

@dataclass
class ParsedPackage:
    """The parse of a set of files deployed together (so that call activities resolve)."""
    processes: dict[str, ProcessInfo]       # every process in the package
    top_level: list[str]                    # executable processes no call activity calls
    specs: dict[str, BpmnProcessSpec]       # top-level id -> spec
    subprocess_specs: dict[str, dict[str, BpmnProcessSpec]]  # top-level id -> its subprocess specs

    def starters(self, process_id: str) -> tuple[list[str], list[str]]:
        """(candidate starter groups, candidate starter users); both empty = anyone may start."""
        info = self.processes[process_id]
        return info.starter_groups, info.starter_users


def top_level_processes(processes: dict[str, ProcessInfo]) -> list[str]:
    executable = [pid for pid, info in processes.items() if info.executable]
    called = {c for info in processes.values() for c in info.called_elements}
    return [pid for pid in executable if pid not in called] or executable


def load_files(files: dict[str, bytes]) -> CaseworkParser:
    parser = CaseworkParser()
    for name, content in files.items():
        parser.add_bpmn_bytes(content, name)
    return parser


def parse_bpmn(files: dict[str, bytes]) -> ParsedPackage:
    """Parse the files (name -> content) into specs; raises ValidationException (BpmnFileError)."""
    parser = load_files(files)
    top = top_level_processes(parser.process_info)
    specs, subprocess_specs = {}, {}
    for pid in top:
        specs[pid] = parser.get_spec(pid)
        subprocess_specs[pid] = parser.get_subprocess_specs(pid)
    return ParsedPackage(dict(parser.process_info), top, specs, subprocess_specs)
