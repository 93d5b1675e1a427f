"""What a process declares about who acts for whom in its cases: its roles, its start data, who may
register a case on someone's behalf, who records and who answers the communications, who sees only the
entries meant for them, and who may send each message.

All of it is `camunda:properties` on the process (the Modeler's "Extension properties" of the pool), so a
designer changes it in the model, not in Python; the engine knows the actions, never the role names:

    <camunda:property name="role:proposer" value="user:proposer" />           holders: user or group, from a
    <camunda:property name="role:lead_unit" value="group:lead_unit" />         variable of the case data or a
    <camunda:property name="role:assigning_office" value="group:'office'" />   fixed 'name'; comma-separated
    <camunda:property name="start:inputs" value="term, session" />             start data besides the start form
    <camunda:property name="may:start_on_behalf" value="assigning_office" />   roles (see ACTIONS)
    <camunda:property name="case:public_only" value="proposer, co_signer" />   see only entries marked for them
    <camunda:property name="message:merged_reply" value="engine" />            `engine`, or the groups that may send it

A message without a declaration is the engine's alone; start data without a declaration is the start form's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from engine.bpmn.formdata import BPMN_NS, CAMUNDA
from engine.bpmn.lintcodes import Finding
from engine.bpmn.parser import BpmnFileError, parse_xml

# the actions a process may hand to its roles (may:<action>)
# enter_on_behalf: complete a task offered to a public-only participant (a proposer) from their paper form;
# undeclared, it goes to the roles that start cases on someone's behalf (the office registering paper)
ACTIONS = ("start_on_behalf", "enter_on_behalf", "record_communications", "confirm_communications")
ENGINE = "engine"  # a message only the engine delivers (from another case)
KINDS = ("user", "group")
_HOLDER = re.compile(r"(user|group):\s*(?:'([^']+)'|(\w+))")


@dataclass(frozen=True)
class Holder:
    """Where the holders of a role come from: a variable of the case data, or a fixed name."""

    kind: str  # user or group
    variable: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Declarations:
    roles: dict[str, tuple[Holder, ...]] = field(default_factory=dict)
    start_inputs: frozenset[str] = frozenset()
    may: dict[str, tuple[str, ...]] = field(default_factory=dict)  # action -> roles
    public_only: tuple[str, ...] = ()
    messages: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> groups; () = the engine only

    def roles_for(self, action: str) -> tuple[str, ...] | None:
        """The roles that may do `action`; None when the process does not say (the engine's default)."""
        if action == "enter_on_behalf" and action not in self.may:
            return self.may.get("start_on_behalf")
        return self.may.get(action)

    def message_senders(self, name: str) -> tuple[str, ...]:
        return self.messages.get(name, ())


def _items(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _properties(process: etree._Element) -> list[tuple[etree._Element, str, str]]:
    """(element, name, value) of the process's own camunda:properties (not those of its elements)."""
    found = []
    for ext in process.iterchildren(f"{{{BPMN_NS}}}extensionElements"):
        for props in ext.iterchildren(CAMUNDA + "properties"):
            for prop in props.iterchildren(CAMUNDA + "property"):
                name = (prop.get("name") or prop.get("id") or "").strip()
                found.append((prop, name, prop.get("value") or ""))
    return found


def parse_holders(value: str) -> tuple[list[Holder], list[Finding]]:
    """(holders, problems as (code, params)) of a role's value such as "group:lead_unit, group:'liaison_office'"."""
    holders, problems = [], []
    for item in _items(value):
        match = _HOLDER.fullmatch(item)
        if match is None:
            problems.append(("holder_malformed", {"item": item}))
            continue
        kind, literal, variable = match.groups()
        if variable is not None and not variable.isidentifier():
            problems.append(("variable_name_invalid", {"name": variable}))
            continue
        holders.append(Holder(kind, variable=variable) if variable else Holder(kind, name=literal.strip()))
    return holders, problems


def read(process: etree._Element) -> tuple[Declarations, list[tuple[etree._Element, str, dict]]]:
    """The declarations of one bpmn:process element, and the problems found in them (for lint)."""
    roles: dict[str, tuple[Holder, ...]] = {}
    inputs: set[str] = set()
    may: dict[str, tuple[str, ...]] = {}
    public_only: tuple[str, ...] = ()
    messages: dict[str, tuple[str, ...]] = {}
    problems: list[tuple[etree._Element, str, dict]] = []  # (property, code, params)
    referenced: list[tuple[etree._Element, str]] = []  # (property, role name) checked once all roles are read
    for prop, name, value in _properties(process):
        prefix, _, rest = name.partition(":")
        if prefix == "role":
            holders, wrong = parse_holders(value)
            problems += [(prop, code, {**params, "property": name}) for code, params in wrong]
            if not rest.isidentifier():
                problems.append((prop, "role_name_invalid", {"property": name}))
            roles[rest] = (*roles.get(rest, ()), *holders)
        elif name == "start:inputs":
            inputs.update(_items(value))
            problems += [(prop, "variable_name_invalid", {"property": name, "name": v})
                         for v in _items(value) if not v.isidentifier()]
        elif prefix == "may":
            if rest not in ACTIONS:
                problems.append((prop, "action_unknown",
                                 {"property": name, "action": rest, "known": ", ".join(ACTIONS)}))
            may[rest] = tuple(_items(value))
            referenced += [(prop, r) for r in may[rest]]
        elif name == "case:public_only":
            public_only = tuple(_items(value))
            referenced += [(prop, r) for r in public_only]
        elif prefix == "message":
            senders = tuple(_items(value))
            messages[rest] = () if senders in ((), (ENGINE,)) else tuple(s for s in senders if s != ENGINE)
            if ENGINE in senders and len(senders) > 1:
                problems.append((prop, "engine_with_groups", {"property": name}))
        elif prefix in ("role", "start", "case"):
            problems.append((prop, "declaration_unknown", {"property": name}))
    for prop, role in referenced:
        if role not in roles:
            problems.append((prop, "role_undeclared", {"role": role}))
    return Declarations(roles, frozenset(inputs), may, public_only, messages), problems


def read_declarations(xml: str, process_id: str) -> Declarations:
    """The declarations of process `process_id` in a BPMN file; none when it has none or cannot be read."""
    try:
        root = parse_xml(xml or "")
    except BpmnFileError:
        return Declarations()
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == process_id:
            return read(process)[0]
    return Declarations()


def lint(root: etree._Element) -> list[tuple[etree._Element, str, dict, str | None]]:
    """(node, code, params, element id) for each wrong declaration of the file's processes, and for messages
    declared but not defined in the file."""
    found = []
    defined = {m.get("name") for m in root.iter(f"{{{BPMN_NS}}}message")}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        declarations, problems = read(process)
        found += [(node, code, params, process.get("id")) for node, code, params in problems]
        for name in declarations.messages:
            if name not in defined:
                found.append((process, "message_undefined", {"name": name}, process.get("id")))
    return found
