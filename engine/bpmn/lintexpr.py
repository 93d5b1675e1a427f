"""Lint of the code inside a BPMN file: conditions, scripts, timer expressions and the user tasks'
expression attributes (assignee, candidates, dueDate, followUpDate, priority), compiled with the same
restricted compiler that runs them, so that a refused construct is reported at deploy time as
file:line:element:message instead of stopping cases at run time.

Only what can be known without the data is checked: syntax, JUEL, names and attributes that are never
allowed, calls that are never allowed. An unknown variable is only known at run time.
"""

from __future__ import annotations

import ast

from lxml import etree

from engine.bpmn.formdata import BPMN_NS, CAMUNDA
from engine.bpmn.lintcodes import Finding
from engine.scripting import expressions
from engine.scripting.expressions import ExpressionError
from engine.scripting.sandbox import FORBIDDEN_ATTRIBUTES, FORBIDDEN_CALLS, ScriptError, compile_script

B = f"{{{BPMN_NS}}}"
TASK_ATTRIBUTES = ("assignee", "candidateUsers", "candidateGroups", "dueDate", "followUpDate", "priority")
TIMER_PARTS = (B + "timeDate", B + "timeDuration", B + "timeCycle")


def expression_problem(text: str) -> Finding | None:
    """Why the restricted evaluator would refuse this expression whatever the data, as (code, params);
    None if it may run."""
    try:
        tree = expressions.parse(text)
    except ExpressionError as err:
        return "expression_refused", {"detail": str(err)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            return "name_forbidden", {"name": node.id}
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES):
            return "attribute_forbidden", {"name": node.attr}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            return "call_forbidden", {"name": node.func.id}
        if isinstance(node, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)):
            return "construct_forbidden", {"name": type(node).__name__.lower()}
    return None


def _element_id(node: etree._Element) -> str | None:
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return node.get("id") if node is not None else None


def problems(root: etree._Element) -> list[tuple[int | None, str | None, str, dict]]:
    """(line, element id, code, params) for each refused condition, script or expression of the file."""
    found = []

    def expression(node, text, what):
        text = (text or "").strip()
        if text:
            problem = expression_problem(text)
            if problem:
                found.append((node.sourceline, _element_id(node), problem[0], {**problem[1], "what": what}))

    for node in root.iter(B + "conditionExpression", B + "completionCondition", B + "loopCardinality"):
        if (node.get("language") or "python").lower() in ("python", "juel", ""):
            expression(node, node.text, etree.QName(node).localname)
    for node in root.iter(B + "scriptTask"):
        script = node.find(B + "script")
        fmt = (node.get("scriptFormat") or "python").lower()
        if script is None or not (script.text or "").strip() or fmt not in ("python", "python3", "py"):
            continue
        try:
            compile_script(script.text)
        except ScriptError as err:
            line = script.sourceline + (err.line_number - 1 if err.line_number else 0)
            found.append((line, node.get("id"), "script_refused", {"detail": err.reason}))
    for node in root.iter(*TIMER_PARTS):
        text = (node.text or "").strip()
        if text and not expressions.is_iso8601_timer(text):
            expression(node, text, etree.QName(node).localname)
    for node in root.iter(B + "userTask"):
        for name in TASK_ATTRIBUTES:
            text = node.get(CAMUNDA + name)
            if text and ("${" in text or "#{" in text):
                expression(node, text, f"camunda:{name}")
    return found
