"""Restricted evaluation of BPMN expressions: conditions, timers, assignees, due dates.

Camunda Modeler writes JUEL (``${a > 1 && !b}``); SpiffWorkflow writes Python (``a > 1 and not b``).
Both end up as a Python expression evaluated by simpleeval, never by ``eval``: names come from the
task data, calls only reach a small set of builtins and the functions other layers register.
"""

from __future__ import annotations

import ast
import functools
import re
import types
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import simpleeval
from simpleeval import (
    AttributeDoesNotExist,
    EvalWithCompoundTypes,
    FeatureNotAvailable,
    FunctionNotDefined,
    InvalidExpression,
    IterableTooLong,
    NameNotDefined,
    NumberTooHigh,
)

from engine.scripting import limits
from engine.scripting.limits import (
    _CHECK_EVERY,
    BINARY_GUARDS,
    BudgetExceeded,
    Limits,
    LineBudget,
    TooLarge,
    checked_format,
    checked_repr,
    checked_str,
    checked_sum,
    guard_method,
)
from engine.scripting.sandbox import FORBIDDEN_ATTRIBUTES, FORBIDDEN_CALLS

DEFAULT_LINE_BUDGET = 100_000
SAFE_FUNCTIONS = {**{f.__name__: f for f in (len, int, float, bool, min, max, abs, round, sorted, any, all,
                                             list, dict, set, tuple)},
                  "str": checked_str, "sum": checked_sum, "repr": checked_repr}
_EMPTY = "_juel_empty"
# Expressions only read task data: these would change it behind the engine's back.
_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update", "setdefault",
                       "sort", "reverse", "add", "discard", "intersection_update", "difference_update",
                       "symmetric_difference_update"})


class ExpressionError(Exception):
    """An expression could not be evaluated; the message names the expression and the reason."""

    def __init__(self, message: str, expression: str | None = None, *, name: str | None = None):
        super().__init__(message)
        self.expression = expression
        self.name = name  # the unknown name, when that is the problem


# ---------------------------------------------------------------------------- ISO 8601 timers

_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = (rf"P(?:{_NUM}W|(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
             rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?)")
_DATETIME = r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
_CYCLE = rf"R\d*/(?:{_DURATION}|{_DATETIME}/{_DURATION}|{_DURATION}/{_DATETIME})"
_TIMER = re.compile(rf"{_DURATION}|{_DATETIME}|{_CYCLE}")


def is_iso8601_timer(text: Any) -> bool:
    """True for an unquoted ISO 8601 duration (PT72H), cycle (R3/PT1H) or date-time, as timers write them."""
    return isinstance(text, str) and _TIMER.fullmatch(text.strip()) is not None


# ---------------------------------------------------------------------------- JUEL -> Python

_TOKEN = re.compile(r"""(?P<ws>\s+)|(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<name>[^\W\d]\w*)
    |(?P<op>&&|\|\||==|!=|<=|>=|\*\*|[-+*/%<>!?:.,()\[\]{}])""", re.VERBOSE)
_WORDS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%",
          "true": "True", "false": "False", "null": "None", "&&": "and", "||": "or"}
_CLOSE = {"(": ")", "[": "]", "{": "}"}


def _segments(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_expression, part): literal text and the bodies of ${...} / #{...}."""
    parts, pos, literal = [], 0, []
    while pos < len(text):
        if text[pos] in "$#" and text.startswith("{", pos + 1):
            end, depth, quote = pos + 2, 1, None
            while end < len(text) and depth:
                char = text[end]
                if quote:
                    quote = None if char == quote else quote
                    end += 1 if char != "\\" else 2
                    continue
                quote = char if char in "'\"" else None
                depth += {"{": 1, "}": -1}.get(char, 0)
                end += 1
            if depth:
                raise ExpressionError(f"Unclosed '{text[pos]}{{' in expression {text!r}", text)
            if literal:
                parts.append((False, "".join(literal)))
                literal = []
            parts.append((True, text[pos + 2:end - 1]))
            pos = end
        else:
            literal.append(text[pos])
            pos += 1
    if literal:
        parts.append((False, "".join(literal)))
    return parts


def _tokenize(body: str, source: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(body):
        match = _TOKEN.match(body, pos)
        if not match:
            raise ExpressionError(f"Unexpected {body[pos]!r} in expression {source!r}", source)
        if match.lastgroup != "ws":
            tokens.append((match.lastgroup, match.group()))
        pos = match.end()
    return tokens


def _match(tokens, start, source) -> int:
    depth = 0
    for index in range(start, len(tokens)):
        text = tokens[index][1] if tokens[index][0] == "op" else ""
        depth += (text in _CLOSE) - (text in _CLOSE.values())
        if depth == 0:
            return index
    raise ExpressionError(f"Unbalanced {tokens[start][1]!r} in expression {source!r}", source)


def _top_level(tokens, wanted: str, source: str) -> list[int]:
    found, index = [], 0
    while index < len(tokens):
        if tokens[index] == ("op", wanted):
            found.append(index)
        index = _match(tokens, index, source) + 1 if tokens[index][1] in _CLOSE else index + 1
    return found


def _is_prefix(tokens, index) -> bool:
    kind, text = tokens[index]
    after_dot = index > 0 and tokens[index - 1] == ("op", ".")
    return (kind, text) == ("op", "!") or (kind == "name" and text in ("not", "empty") and not after_dot)


def _operand_end(tokens, index, source) -> int:
    """End of the unary operand starting at index: prefixes, one primary, then .name / [..] / (..)."""
    while index < len(tokens) and (_is_prefix(tokens, index) or tokens[index] == ("op", "-")):
        index += 1
    if index >= len(tokens):
        raise ExpressionError(f"An operator lacks its operand in expression {source!r}", source)
    index = _match(tokens, index, source) + 1 if tokens[index][1] in _CLOSE else index + 1
    while index < len(tokens):
        if tokens[index] == ("op", ".") and index + 1 < len(tokens):
            index += 2
        elif tokens[index][1] in ("(", "["):
            index = _match(tokens, index, source) + 1
        else:
            break
    return index


def _translate(tokens, source: str) -> str:
    questions, colons = _top_level(tokens, "?", source), _top_level(tokens, ":", source)
    if colons and (not questions or colons[0] < questions[0]):  # dict entry or slice: key: value
        return f"{_translate(tokens[:colons[0]], source)}: {_translate(tokens[colons[0] + 1:], source)}"
    if questions:  # a ? b : c  ->  (b if a else c); ':' pairs with the nearest unmatched '?'
        q = questions[0]
        colons = [i for i in colons if i > q]
        for colon in colons:
            depth = sum(1 for i in questions if q < i < colon) - sum(1 for i in colons if i < colon)
            if depth == 0:
                return (f"({_translate(tokens[q + 1:colon], source)} if {_translate(tokens[:q], source)} "
                        f"else {_translate(tokens[colon + 1:], source)})")
        raise ExpressionError(f"'?' without ':' in expression {source!r}", source)
    out, index = [], 0
    while index < len(tokens):
        kind, text = tokens[index]
        if kind == "op" and text in _CLOSE:
            end = _match(tokens, index, source)
            out.append(text + _translate_items(tokens[index + 1:end], source) + _CLOSE[text])
            index = end + 1
        elif _is_prefix(tokens, index):
            end = _operand_end(tokens, index + 1, source)
            inner = _translate(tokens[index + 1:end], source)
            out.append(f"{_EMPTY}({inner})" if text == "empty" else f"(not {inner})")
            index = end
        else:
            after_dot = index > 0 and tokens[index - 1] == ("op", ".")
            out.append(text if kind == "str" or after_dot else _WORDS.get(text, text))
            index += 1
    return _join(out)


def _translate_items(tokens, source: str) -> str:
    """Comma-separated items inside brackets, each translated on its own."""
    cuts = [-1] + _top_level(tokens, ",", source) + [len(tokens)]
    return ", ".join(_translate(tokens[a + 1:b], source) for a, b in zip(cuts, cuts[1:], strict=False)
                     if tokens[a + 1:b])


def _join(parts: list[str]) -> str:
    text, previous = "", ""
    for part in parts:
        call = part[0] in "([" and (previous[-1:] in (")", "]", "'", '"') or (
            previous.isidentifier() and previous not in ("and", "or", "not", "in", "is", "if", "else")))
        glue = not text or previous == "." or part in (".", ",") or call
        text += ("" if glue else " ") + part
        previous = part
    return text


def translate_juel(text: str) -> str:
    """Python expression for JUEL ``text``; text without ``${``/``#{`` is already Python and stays as is."""
    if "${" not in text and "#{" not in text:
        return text
    segments = _segments(text.strip())
    if len(segments) == 1 and segments[0][0]:
        return _translate(_tokenize(segments[0][1], text), text)
    parts = [f"str({_translate(_tokenize(body, text), text)})" if is_expr else repr(body)
             for is_expr, body in segments]
    return " + ".join(parts) or "''"


# ---------------------------------------------------------------------------- evaluation

def _juel_empty(value: Any) -> bool:
    return value is None or (hasattr(value, "__len__") and len(value) == 0)


class _Evaluator(EvalWithCompoundTypes):
    """simpleeval with JUEL property access on dicts, read-only data and the shared size limits."""

    def __init__(self, functions: dict, names: dict, limits: Limits):
        super().__init__(functions=functions, names=names)
        self.operators.update(BINARY_GUARDS)
        self.limits, self._node_count = limits, 0

    def _eval(self, node):
        self._node_count += 1
        if self._node_count % _CHECK_EVERY == 0:
            self.limits.check()
        return super()._eval(node)

    def _eval_name(self, node):
        if node.id.startswith("__"):
            raise FeatureNotAvailable(f"the name '{node.id}' is not allowed")
        return super()._eval_name(node)

    def _eval_attribute(self, node):
        attr = node.attr
        if attr.startswith("_") or attr in FORBIDDEN_ATTRIBUTES or attr in simpleeval.DISALLOW_METHODS:
            raise FeatureNotAvailable(f"access to attribute '{attr}' is not allowed")
        value = self._eval(node.value)
        if isinstance(value, dict) and (attr in value or not hasattr(value, attr)):
            return value.get(attr)  # JUEL: a.b reads the map entry; a missing entry is null
        if isinstance(value, types.ModuleType):
            raise FeatureNotAvailable("modules are not available")
        if isinstance(value, (list, dict, set)) and attr in _MUTATORS:
            raise FeatureNotAvailable(f"'{attr}' would change task data; expressions only read it")
        try:
            item = getattr(value, attr)
        except AttributeError:
            raise AttributeDoesNotExist(attr, self.expr) from None
        if callable(item) and item in simpleeval.DISALLOW_FUNCTIONS:
            raise FeatureNotAvailable(f"calling '{attr}' is not allowed")
        return guard_method(value, attr, item)

    def _eval_formattedvalue(self, node):
        spec = self._eval(node.format_spec) if node.format_spec else ""
        return checked_format(self._eval(node.value), spec, node.conversion)


def _parse(python: str, expression: str) -> ast.AST:
    try:
        module = ast.parse(python.strip())
    except SyntaxError as err:
        raise ExpressionError(f"Invalid expression {expression!r}: {err.msg}", expression) from None
    if len(module.body) == 1 and isinstance(module.body[0], ast.Expr):
        return module.body[0].value
    if any(isinstance(stmt, (ast.Import, ast.ImportFrom)) for stmt in module.body):
        raise ExpressionError(f"Expression refused: import is not allowed in {expression!r}", expression)
    raise ExpressionError(f"Invalid expression {expression!r}: only a single expression is allowed", expression)


def parse(expression: str) -> ast.AST:
    """Syntax check: the Python AST of a JUEL or Python expression (ExpressionError when invalid).
    The tree is shared (a process's models hold a few hundred expressions, each evaluated on every
    pass): read it, never change it."""
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionError(f"Empty expression {expression!r}", expression)
    return _parsed(expression)


@functools.lru_cache(maxsize=4096)
def _parsed(expression: str) -> ast.AST:
    return _parse(translate_juel(expression), expression)


@functools.lru_cache(maxsize=4096)
def _calls(expression: str) -> bool:
    """Whether the expression calls anything: only a call runs code of a registered function."""
    return any(isinstance(node, ast.Call) for node in ast.walk(_parsed(expression)))


def evaluate(expression: str, context: dict, functions: dict | None = None, *,
             line_budget: int | None = None) -> Any:
    """Evaluate a JUEL or Python expression against ``context`` (task data); never changes the data.

    Registered ``functions`` are Python code that could loop, so with functions (or an explicit
    ``line_budget``) the lines they run are counted and stopped past the budget; an expression that
    calls nothing runs none of them, and needs no line counting (its time and memory are still limited).
    """
    tree = parse(expression)
    limit = line_budget if line_budget is not None else (DEFAULT_LINE_BUDGET if functions else None)
    if limit is not None and not _calls(expression):
        limit = None
    limits = Limits()
    try:
        evaluator = _Evaluator({**SAFE_FUNCTIONS, _EMPTY: _juel_empty, **(functions or {})}, context, limits)
        if limit is None:
            with limits:
                return evaluator.eval(expression, previously_parsed=tree)
        with LineBudget(limit, count_frame=_is_foreign, limits=limits):
            return evaluator.eval(expression, previously_parsed=tree)
    except ExpressionError:
        raise
    except BudgetExceeded as err:
        raise ExpressionError(f"Expression {expression[:200]!r} stopped: {err}", expression) from None
    except MemoryError:
        raise ExpressionError(f"Expression {expression[:200]!r} stopped: it ran out of memory", expression) from None
    except NameNotDefined as err:
        raise ExpressionError(f"Unknown name '{err.name}' in expression {expression!r}", expression,
                              name=err.name) from None
    except FunctionNotDefined as err:
        if err.func_name in FORBIDDEN_CALLS | {"__import__"}:
            raise ExpressionError(f"Expression refused: calling '{err.func_name}' is not allowed in {expression!r}",
                                  expression) from None
        raise ExpressionError(f"Unknown function '{err.func_name}' in expression {expression!r}", expression,
                              name=err.func_name) from None
    except AttributeDoesNotExist as err:
        raise ExpressionError(f"Unknown attribute '{err.attr}' in expression {expression!r}", expression) from None
    except (NumberTooHigh, IterableTooLong, TooLarge) as err:
        raise ExpressionError(f"Expression refused: {err} in {expression!r}", expression) from None
    except InvalidExpression as err:  # FeatureNotAvailable and the rest of simpleeval's refusals
        raise ExpressionError(f"Expression refused: {err} in {expression!r}", expression) from None
    except Exception as err:
        raise ExpressionError(f"Error evaluating expression {expression!r}: {type(err).__name__}: {err}",
                              expression) from err


def _is_foreign(code) -> bool:
    """Count lines only in registered functions, not in the evaluator's own code."""
    return code.co_filename not in (simpleeval.__file__, __file__, limits.__file__)


def evaluate_timer(expression: str, context: dict, functions: dict | None = None, zone: tzinfo | None = None) -> str:
    """ISO 8601 text for a timer definition: unquoted ISO as is, otherwise the evaluated value.

    With a ``zone``, a bare date means the end of that day there and a time without an offset is
    meant there (SpiffWorkflow would read both in the server's own zone)."""
    value = expression.strip() if is_iso8601_timer(expression) else evaluate(expression, context, functions)
    if isinstance(value, str) and zone is not None and re.fullmatch(_DATETIME, value.strip()):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ExpressionError(f"Timer {expression!r} gave {text!r}, not a valid date", expression) from None
    if isinstance(value, datetime):
        return (value if value.tzinfo or zone is None else value.replace(tzinfo=zone)).isoformat()
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59), zone).isoformat() if zone else value.isoformat()
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return f"PT{int(seconds) if seconds.is_integer() else seconds}S"
    return str(value).strip()


def render_value(text: str | None, context: dict, functions: dict | None = None) -> Any:
    """An attribute value (assignee, dueDate, ...): evaluated if it holds ${...}, else the literal text."""
    if text is None or ("${" not in text and "#{" not in text):
        return text
    return evaluate(text, context, functions)


def render_list(text: str | None, context: dict, functions: dict | None = None) -> list[str]:
    """candidateGroups/candidateUsers: comma-separated items, each rendered; lists are flattened."""
    if not text:
        return []
    items, current = [], ""
    for is_expr, part in _segments(text):  # commas inside ${...} do not separate items
        if is_expr:
            current += "${" + part + "}"
            continue
        pieces = part.split(",")
        current += pieces[0]
        for piece in pieces[1:]:
            items.append(current)
            current = piece
    items.append(current)
    result: list[str] = []
    for item in (item.strip() for item in items):
        value = render_value(item, context, functions) if item else None
        if isinstance(value, set):
            value = sorted(value, key=str)
        values = value if isinstance(value, (list, tuple)) else str(value).split(",") if value is not None else []
        for entry in (str(v).strip() for v in values if v is not None):
            if entry and entry not in result:
                result.append(entry)
    return result
