"""The lint findings (engine.bpmn.lintcodes) in the reader's language, by code.

Element, field and variable names, file names and the quoted text of the file stay as written; what
SpiffWorkflow, lxml or the expression compiler say in their own words (the `detail` param) stays English,
after a sentence in the reader's language saying what kind of problem it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

Params = dict[str, Any]


def _example(p: Params) -> str:
    kind = p.get("kind")
    if kind == "timeDuration":
        return _("an ISO 8601 duration such as PT72H or P3M")
    if kind == "timeCycle":
        return _("an ISO 8601 repetition such as R3/PT1H")
    return _("an ISO 8601 date-time such as 2026-12-01T09:00:00+08:00")


def _container(p: Params) -> str:
    names = {"process": _("process"), "subProcess": _("sub-process"), "transaction": _("transaction"),
             "adHocSubProcess": _("ad-hoc sub-process")}
    return names.get(p.get("container", ""), p.get("container", ""))


MESSAGES: dict[str, Callable[[Params], str]] = {
    "file_too_large": lambda p: _("The file is larger than %(max)s bytes.", max=p.get("max", "")),
    "doctype_forbidden": lambda p: _("The file has a DOCTYPE or entities, which are not allowed."),
    "xml_not_well_formed": lambda p: _("The file is not well-formed XML: %(detail)s", detail=p.get("detail", "")),
    "not_bpmn_root": lambda p: _("This is not a BPMN 2.0 document: the root element must be bpmn:definitions."),
    "not_utf8": lambda p: _("The file is not UTF-8 text: save it with UTF-8 encoding."),
    "schema_invalid": lambda p: _("Not valid BPMN 2.0 (the schema says: %(detail)s)", detail=p.get("detail", "")),
    "no_executable_process": lambda p: _('The file has no executable process (isExecutable="true").'),
    "process_id_twice": lambda p: _("The process id %(process)s is also used in %(file)s.",
                                    process=p.get("process", ""), file=p.get("other_file", "")),
    "call_without_called_element": lambda p: _("The call activity names no process (calledElement)."),
    "called_element_unknown": lambda p: _("The called process %(called)s is not in these files.",
                                          called=p.get("called", "")),
    "data_store": lambda p: _("Data stores are not supported; keep case data in task data."),
    "service_without_handler": lambda p: _('The task names no handler: set camunda:type="external" and '
                                           'camunda:topic, or camunda:delegateExpression="${name}".'),
    "handler_name_invalid": lambda p: _("The handler name “%(handler)s” (%(kind)s) must be a plain name such as "
                                        "send_notice.", handler=p.get("handler", ""), kind=p.get("kind", "")),
    "flow_ref_unknown": lambda p: _("The sequence flow's %(attr)s %(ref)s is not an element of this %(container)s.",
                                    attr=p.get("attr", ""), ref=p.get("ref", ""), container=_container(p)),
    "boundary_attached_unknown": lambda p: _("The boundary event is attached to %(attached)s, which is not an "
                                             "element here.", attached=p.get("attached", "")),
    "split_without_gateway": lambda p: _("%(count)s flows go out of this element: only gateways may split the "
                                         "flow; add a parallel or exclusive gateway.", count=p.get("count", "")),
    "default_not_outgoing": lambda p: _("The default flow %(default)s does not go out of this element.",
                                        default=p.get("default", "")),
    "flow_without_condition": lambda p: _("This flow out of gateway %(gateway)s has no condition and is not the "
                                          "default flow.", gateway=p.get("gateway", "")),
    "no_start_event": lambda p: _("There is no start event."),
    "unreachable": lambda p: _("No start event leads here."),
    "unreachable_no_incoming": lambda p: _("No start event leads here: no flow comes in."),
    "field_without_id": lambda p: _("A form field has no id."),
    "field_twice": lambda p: _("The form field %(field)s is defined twice.", field=p.get("field", "")),
    "field_type_unknown": lambda p: _("The form field %(field)s has the unknown type “%(type)s” (known: %(known)s).",
                                      field=p.get("field", ""), type=p.get("type", ""), known=p.get("known", "")),
    "enum_without_values": lambda p: _("The choice field %(field)s has no options.", field=p.get("field", "")),
    "default_not_value": lambda p: _("The default “%(default)s” of form field %(field)s is not one of its options.",
                                     default=p.get("default", ""), field=p.get("field", "")),
    "default_not_boolean": lambda p: _("The default “%(default)s” of form field %(field)s is not true or false.",
                                       default=p.get("default", ""), field=p.get("field", "")),
    "default_not_integer": lambda p: _("The default “%(default)s” of form field %(field)s is not a whole number.",
                                       default=p.get("default", ""), field=p.get("field", "")),
    "constraint_without_name": lambda p: _("The form field %(field)s has a constraint without a name.",
                                           field=p.get("field", "")),
    "length_not_integer": lambda p: _("The constraint %(name)s of form field %(field)s needs a whole number of 0 "
                                      "or more, not “%(config)s”.", name=p.get("name", ""),
                                      field=p.get("field", ""), config=p.get("config", "")),
    "bound_not_date": lambda p: _("The constraint %(name)s of form field %(field)s needs a date, not “%(config)s”.",
                                  name=p.get("name", ""), field=p.get("field", ""), config=p.get("config", "")),
    "bound_not_integer": lambda p: _("The constraint %(name)s of form field %(field)s needs a whole number, not "
                                     "“%(config)s”.", name=p.get("name", ""), field=p.get("field", ""),
                                     config=p.get("config", "")),
    "bound_not_number": lambda p: _("The constraint %(name)s of form field %(field)s needs a number, not "
                                    "“%(config)s”.", name=p.get("name", ""), field=p.get("field", ""),
                                    config=p.get("config", "")),
    "required_if_malformed": lambda p: _("The constraint required_if of form field %(field)s needs “field=value” "
                                         "(values split by |, conditions by ;), not “%(config)s”.",
                                         field=p.get("field", ""), config=p.get("config", "")),
    "required_if_unknown_field": lambda p: _("The constraint required_if of form field %(field)s names %(other)s, "
                                             "which is not a field of this form.", field=p.get("field", ""),
                                             other=p.get("other", "")),
    "constraint_takes_no_config": lambda p: _("The constraint %(name)s of form field %(field)s takes no value "
                                              "(or true/false), not “%(config)s”.", name=p.get("name", ""),
                                              field=p.get("field", ""), config=p.get("config", "")),
    "bounds_crossed": lambda p: _("The form field %(field)s has %(low)s greater than %(high)s.",
                                  field=p.get("field", ""), low=p.get("low", ""), high=p.get("high", "")),
    "timer_without_definition": lambda p: _("The timer has no timeDate, timeDuration or timeCycle."),
    "timer_empty": lambda p: _("The timer's %(kind)s is empty.", kind=p.get("kind", "")),
    "timer_unusable": lambda p: _("The timer's %(kind)s cannot be used: %(detail)s", kind=p.get("kind", ""),
                                  detail=p.get("detail", "")),
    "timer_juel_malformed": lambda p: _("The timer's %(kind)s “%(text)s” is a malformed ${...} expression.",
                                        kind=p.get("kind", ""), text=p.get("text", "")),
    "timer_cron": lambda p: _("The timer's %(kind)s “%(text)s” is a cron expression, which is not supported; use "
                              "%(example)s.", kind=p.get("kind", ""), text=p.get("text", ""), example=_example(p)),
    "timer_not_expression": lambda p: _("The timer's %(kind)s “%(text)s” is neither %(example)s, nor ${...}, nor a "
                                        "Python expression.", kind=p.get("kind", ""), text=p.get("text", ""),
                                        example=_example(p)),
    "timer_bare_name": lambda p: _("The timer's %(kind)s “%(text)s” is not %(example)s; write a variable as "
                                   "${%(text)s}.", kind=p.get("kind", ""), text=p.get("text", ""),
                                   example=_example(p)),
    "timer_not_iso": lambda p: _("The timer's %(kind)s “%(text)s” is not %(example)s.", kind=p.get("kind", ""),
                                 text=p.get("text", ""), example=_example(p)),
    "expression_refused": lambda p: _("The expression in %(what)s cannot run: %(detail)s", what=p.get("what", ""),
                                      detail=p.get("detail", "")),
    "name_forbidden": lambda p: _("The expression in %(what)s uses the name %(name)s, which is not allowed.",
                                  what=p.get("what", ""), name=p.get("name", "")),
    "attribute_forbidden": lambda p: _("The expression in %(what)s reads the attribute %(name)s, which is not "
                                       "allowed.", what=p.get("what", ""), name=p.get("name", "")),
    "call_forbidden": lambda p: _("The expression in %(what)s calls %(name)s, which is not allowed.",
                                  what=p.get("what", ""), name=p.get("name", "")),
    "construct_forbidden": lambda p: _("The expression in %(what)s uses %(name)s, which is not allowed in an "
                                       "expression.", what=p.get("what", ""), name=p.get("name", "")),
    "script_refused": lambda p: _("The script cannot run: %(detail)s", detail=p.get("detail", "")),
    "holder_malformed": lambda p: _("%(property)s: “%(item)s” is not user:<variable>, group:<variable>, "
                                    "user:'<name>' or group:'<name>'.", property=p.get("property", ""),
                                    item=p.get("item", "")),
    "variable_name_invalid": lambda p: _("%(property)s: “%(name)s” is not a variable name.",
                                         property=p.get("property", ""), name=p.get("name", "")),
    "role_name_invalid": lambda p: _("%(property)s: a role is named with letters, digits and _.",
                                     property=p.get("property", "")),
    "action_unknown": lambda p: _("%(property)s: unknown action %(action)s (known: %(known)s).",
                                  property=p.get("property", ""), action=p.get("action", ""),
                                  known=p.get("known", "")),
    "engine_with_groups": lambda p: _("%(property)s: “engine” means the engine alone; name groups without it.",
                                      property=p.get("property", "")),
    "declaration_unknown": lambda p: _("Unknown declaration %(property)s.", property=p.get("property", "")),
    "role_undeclared": lambda p: _("The role %(role)s is not declared (role:%(role)s).", role=p.get("role", "")),
    "message_undefined": lambda p: _("message:%(name)s: this file has no bpmn:message named %(name)s.",
                                     name=p.get("name", "")),
    "spiff_invalid": lambda p: _("The workflow engine refuses the process: %(detail)s", detail=p.get("detail", "")),
    "spiff_parse_failed": lambda p: _("The workflow engine cannot read the process: %(detail)s",
                                      detail=p.get("detail", "")),
}


def lint_message(problem: Any) -> str:
    """A lint Problem in the reader's language; its English message for a code this page does not know."""
    say = MESSAGES.get(getattr(problem, "code", "") or "")
    params = getattr(problem, "params", None)
    return say(params if isinstance(params, dict) else {}) if say else str(getattr(problem, "message", ""))
