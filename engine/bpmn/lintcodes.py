"""The lint findings by code: each code's English sentence, filled from its params.

The code and params go to the API and the designer pages (which say them in the reader's language);
the English sentence is the CLI's and the API's `message`. `say` refuses a code not listed here, so
every code the lint can emit is in this table (and the web's translation table is checked against it).
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, str] = {
    # the file as a whole (engine.bpmn.parser, engine.bpmn.library)
    "file_too_large": "file larger than {max} bytes",
    "doctype_forbidden": "DOCTYPE/entities are not allowed",
    "xml_not_well_formed": "not well-formed XML: {detail}",
    "not_bpmn_root": "not a BPMN 2.0 document: the root element must be bpmn:definitions",
    "not_utf8": "not UTF-8 text: save the file with UTF-8 encoding",
    "schema_invalid": "not valid BPMN 2.0: {detail}",
    "no_executable_process": 'no executable process (isExecutable="true")',
    "process_id_twice": "process id '{process}' is also used in {other_file}",
    # calls, stores, services
    "call_without_called_element": "call activity has no calledElement",
    "called_element_unknown": "calledElement '{called}' is not a process of this package",
    "data_store": "data stores are not supported; keep case data in task data",
    "service_without_handler": 'names no handler: set camunda:type="external" and camunda:topic, '
                               'or camunda:delegateExpression="${{name}}"',
    "handler_name_invalid": "handler name '{handler}' ({kind}) must be a plain name such as send_notice",
    # flows
    "flow_ref_unknown": "sequence flow {attr} '{ref}' is not a flow node of this {container}",
    "boundary_attached_unknown": "boundary event attachedToRef '{attached}' is not a flow node here",
    "split_without_gateway": "{count} outgoing flows: only gateways may split the flow; "
                             "add a parallel or exclusive gateway",
    "default_not_outgoing": "default flow '{default}' is not an outgoing flow of this element",
    "flow_without_condition": "flow out of gateway '{gateway}' has no condition and is not the default flow",
    "no_start_event": "no start event",
    "unreachable": "not reachable from any start event",
    "unreachable_no_incoming": "not reachable from any start event (it has no incoming flow)",
    # forms
    "field_without_id": "form field without id",
    "field_twice": "form field '{field}' is defined twice",
    "field_type_unknown": "form field '{field}' has unknown type '{type}' (known: {known})",
    "enum_without_values": "form field '{field}' is an enum without values",
    "default_not_value": "form field '{field}' default '{default}' is not one of its values",
    "default_not_boolean": "form field '{field}' default '{default}' is not true or false",
    "default_not_integer": "form field '{field}' default '{default}' is not an integer",
    "constraint_without_name": "form field '{field}' has a constraint without name",
    "length_not_integer": "form field '{field}' constraint {name} needs a non-negative integer, not '{config}'",
    "bound_not_date": "form field '{field}' constraint {name} needs a date, not '{config}'",
    "bound_not_integer": "form field '{field}' constraint {name} needs an integer, not '{config}'",
    "bound_not_number": "form field '{field}' constraint {name} needs a number, not '{config}'",
    "required_if_malformed": "form field '{field}' constraint required_if needs 'field=value' (values split "
                             "by |, conditions by ;), not '{config}'",
    "required_if_unknown_field": "form field '{field}' constraint required_if names '{other}', which is not "
                                 "a field of this form",
    "constraint_takes_no_config": "form field '{field}' constraint {name} takes no config (or true/false), "
                                  "not '{config}'",
    "bounds_crossed": "form field '{field}' has {low} greater than {high}",
    # timers ({kind}: timeDate, timeDuration or timeCycle; {example} the English example of that kind)
    "timer_without_definition": "timer has no timeDate, timeDuration or timeCycle",
    "timer_empty": "{kind}: empty timer expression",
    "timer_unusable": "{kind}: {detail}",
    "timer_juel_malformed": "{kind}: malformed JUEL expression '{text}'",
    "timer_cron": "{kind}: cron expressions are not supported ('{text}'); use {example}",
    "timer_not_expression": "{kind}: '{text}' is neither {example}, nor ${{...}}, nor a Python expression",
    "timer_bare_name": "{kind}: '{text}' is not {example}; write a variable as ${{{text}}}",
    "timer_not_iso": "{kind}: '{text}' is not {example}",
    # code in the file ({what}: conditionExpression, camunda:assignee, timeDuration, ...)
    "expression_refused": "{what}: {detail}",
    "name_forbidden": "{what}: the name '{name}' is not allowed",
    "attribute_forbidden": "{what}: access to attribute '{name}' is not allowed",
    "call_forbidden": "{what}: calling '{name}' is not allowed",
    "construct_forbidden": "{what}: {name} is not allowed in an expression",
    "script_refused": "script: {detail}",
    # declarations ({property}: the camunda:property's name)
    "holder_malformed": "{property}: '{item}' is not user:<variable>, group:<variable>, user:'<name>' "
                        "or group:'<name>'",
    "variable_name_invalid": "{property}: '{name}' is not a variable name",
    "role_name_invalid": "{property}: a role is named with letters, digits and _",
    "action_unknown": "{property}: unknown action '{action}' (known: {known})",
    "engine_with_groups": "{property}: 'engine' means the engine alone; name groups without it",
    "declaration_unknown": "unknown declaration '{property}'",
    "role_undeclared": "role '{role}' is not declared (role:{role})",
    "message_undefined": "message:{name}: no bpmn:message named '{name}' in this file",
    # SpiffWorkflow's own findings, in its words
    "spiff_invalid": "{detail}",
    "spiff_parse_failed": "SpiffWorkflow cannot parse the process: {detail}",
}

Finding = tuple[str, dict[str, Any]]  # (code, params)


def say(code: str, params: dict[str, Any] | None = None) -> str:
    """The English sentence of a finding; KeyError for a code missing from MESSAGES."""
    return MESSAGES[code].format(**(params or {}))
