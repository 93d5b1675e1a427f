"""Restricted execution of BPMN script tasks, and the access policy shared with expressions.

Scripts come from uploaded BPMN files, so they never reach plain ``exec``: RestrictedPython compiles
them with a stricter policy (no import, no underscore names, no swallowing of the budget), attribute
access is guarded at run time, and a line budget counted with ``sys.settrace`` stops endless loops in
any thread (``signal.alarm`` only works in the main thread). The budget and the size guards are in
`engine.scripting.limits`.
"""

from __future__ import annotations

import ast
import copy
import functools
import operator
import os
import re
import textwrap
import types
from typing import Any

import RestrictedPython
from RestrictedPython import PrintCollector, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer

from engine.scripting import limits
from engine.scripting.limits import (
    BINARY_GUARDS,
    MAX_LENGTH,
    BudgetExceeded,
    LineBudget,
    TooLarge,
    checked_add,
    checked_format,
    checked_lshift,
    checked_mod,
    checked_mul,
    checked_pow,
    checked_repr,
    checked_str,
    checked_sum,
    guard_method,
    json_problem,
    too_large,
)

SCRIPT_FILENAME = "<bpmn-script>"
FORBIDDEN_ATTRIBUTES = frozenset(INSPECT_ATTRIBUTES | {"format", "format_map", "mro", "translate", "maketrans"})
FORBIDDEN_CALLS = frozenset({"open", "eval", "exec", "compile", "getattr", "setattr", "delattr", "type", "vars",
                             "globals", "locals", "dir", "input", "breakpoint", "help", "memoryview", "object",
                             "super", "exit", "quit"})
# Exceptions a script could use to catch the budget's BaseException (and so loop on untraced).
_UNCATCHABLE = frozenset({"BaseException", "GeneratorExit", "KeyboardInterrupt", "SystemExit"})


class ScriptError(Exception):
    """A script was refused, failed or ran out of budget; ``line_number`` points into the script."""

    def __init__(self, message: str, line_number: int | None = None, *, with_line: bool = True):
        self.reason = message
        self.line_number = line_number
        super().__init__(f"{message} (line {line_number})" if line_number and with_line else message)


_INPLACE = {"+=": checked_add, "-=": operator.sub, "*=": checked_mul, "/=": operator.truediv,
            "//=": operator.floordiv, "%=": checked_mod, "**=": checked_pow, "<<=": checked_lshift,
            ">>=": operator.rshift, "&=": operator.and_, "|=": operator.or_, "^=": operator.xor}


# ---------------------------------------------------------------------------- compile-time policy

class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy with clearer messages and the holes a line budget needs closed."""

    def check_name(self, node, name, allow_magic_methods=False):
        if name and name.startswith("_") and name != "_":
            self.error(node, "import is not allowed ('__import__')" if name == "__import__"
                       else f"the name '{name}' is not allowed (names starting with '_' are reserved)")
            return
        super().check_name(node, name, allow_magic_methods)

    def visit_Import(self, node):
        self.error(node, "import is not allowed")
        return node

    visit_ImportFrom = visit_Import

    def visit_Attribute(self, node):
        if node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES:
            self.error(node, f"access to attribute '{node.attr}' is not allowed")
            return self.node_contents_visit(node)
        return super().visit_Attribute(node)

    def visit_Call(self, node):
        # RestrictedPython itself reports eval() and exec()
        if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS - {"eval", "exec"}:
            self.error(node, f"calling '{node.func.id}' is not allowed")
        return super().visit_Call(node)

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        guard = BINARY_GUARDS.get(type(node.op))
        if guard is None:
            return node
        func = ast.copy_location(ast.Name("_binop_" + guard.__name__, ast.Load()), node)
        return ast.copy_location(ast.Call(func=func, args=[node.left, node.right], keywords=[]), node)

    # Once the budget's exception is raised CPython switches tracing off, so no script code may run
    # while it propagates: no bare/BaseException handlers, no calls in 'except (...)', no 'finally'.
    def visit_FormattedValue(self, node):
        # f'{1:>999999999}' would allocate a gigabyte inside FORMAT_VALUE: format through a guard
        node = self.node_contents_visit(node)
        spec = node.format_spec or ast.Constant("")
        call = ast.Call(func=ast.Name("_format_", ast.Load()), args=[node.value, spec, ast.Constant(node.conversion)],
                        keywords=[])
        value = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        return ast.fix_missing_locations(ast.copy_location(value, node))

    def visit_ExceptHandler(self, node):
        if node.type is None:
            self.error(node, "a bare 'except:' is not allowed (name the exceptions, e.g. 'except ValueError:')")
        else:
            for name in sorted({n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)} & _UNCATCHABLE):
                self.error(node, f"catching '{name}' is not allowed")
            if any(isinstance(n, ast.Call) for n in ast.walk(node.type)):
                self.error(node, "calls are not allowed in 'except (...)'; name the exceptions")
        return super().visit_ExceptHandler(node)

    def visit_Try(self, node):
        if node.finalbody:
            self.error(node, "'finally' is not allowed in scripts")
        return super().visit_Try(node)

    def visit_Yield(self, node):
        # a suspended generator could hand control back with the budget's exception pending
        self.error(node, "generator functions ('yield') are not allowed")
        return node

    visit_YieldFrom = visit_Yield

    def visit_ClassDef(self, node):
        self.error(node, "class definitions are not allowed")
        return node


# ---------------------------------------------------------------------------- run time

def _guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
    if not isinstance(name, str) or name.startswith("_") or name in FORBIDDEN_ATTRIBUTES:
        raise ScriptError(f"Script refused: access to attribute '{name}' is not allowed")
    if isinstance(obj, types.ModuleType):
        raise ScriptError("Script refused: modules are not available")
    return guard_method(obj, name, getattr(obj, name, *default))


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    if op not in _INPLACE:
        raise ScriptError(f"Script refused: operator '{op}' is not allowed")
    return _INPLACE[op](target, value)


def _apply(func, *args, **kwargs):
    return func(*args, **kwargs)


class _GuardedStrType(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, str)

    def __subclasscheck__(cls, sub: Any) -> bool:
        return issubclass(sub, str)


class GuardedStr(metaclass=_GuardedStrType):
    """`str` for scripts: str(x) refuses to print a huge value; isinstance(x, str) still works."""

    def __new__(cls, value: Any = "", *args: Any) -> str:  # type: ignore[misc]
        return checked_str(value, *args)


def _limited_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_LENGTH:
        raise too_large("range()")
    return result


_BUILTINS = {name: value for name, value in safe_builtins.items()
             if name not in _UNCATCHABLE | {"__build_class__", "setattr", "delattr", "_getattr_"}}
_BUILTINS.update(sorted=sorted, min=min, max=max, any=any, all=all, enumerate=enumerate, zip=zip,
                 len=len, list=list, dict=dict, set=set, tuple=tuple, reversed=reversed, map=map, filter=filter,
                 range=_limited_range, pow=checked_pow, sum=checked_sum, str=GuardedStr, repr=checked_repr)
_GUARDS = {"_getattr_": _guarded_getattr, "_getitem_": default_guarded_getitem, "_getiter_": default_guarded_getiter,
           "_write_": full_write_guard, "_inplacevar_": _inplacevar, "_apply_": _apply, "_print_": PrintCollector,
           "_format_": checked_format,
           "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
           **{"_binop_" + guard.__name__: guard for guard in BINARY_GUARDS.values()}}


_RESTRICTED_MESSAGES = {"Eval calls are not allowed.": "calling 'eval' is not allowed",
                        "Exec calls are not allowed.": "calling 'exec' is not allowed"}


@functools.lru_cache(maxsize=1024)
def _compile(script: str):
    """The restricted code of a script, compiled once per text (a code object is immutable: threads share it)."""
    result = compile_restricted_exec(script, filename=SCRIPT_FILENAME, policy=_Policy)
    if not result.errors:
        return result.code
    problems = {}  # "Line 3: what" -> {what: 3}, in order, without duplicates
    for error in result.errors:
        match = re.match(r"Line (\d+): (.*)", error, re.DOTALL)
        what = match.group(2) if match else error
        what = _RESTRICTED_MESSAGES.get(what, what)
        problems.setdefault(what, int(match.group(1)) if match else None)
    if len(problems) == 1:
        (problem, line), = problems.items()
        raise ScriptError(f"Script refused: {problem}", line)
    listed = "; ".join(f"{what} (line {line})" if line else what for what, line in problems.items())
    raise ScriptError(f"Script refused: {listed}", next(iter(problems.values())), with_line=False)


def compile_script(script: str):
    """Compile a BPMN script as run_script would (ScriptError with its line when refused): for lint."""
    return _compile(textwrap.dedent(script))


_RESTRICTED_PYTHON_DIR = os.path.dirname(RestrictedPython.__file__)


def _counted(code) -> bool:
    """The budget counts the script and the functions it calls, not the guards (they always finish)."""
    filename = code.co_filename
    return filename not in (__file__, limits.__file__) and not filename.startswith(_RESTRICTED_PYTHON_DIR)


def _script_line(tb) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == SCRIPT_FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def run_script(script: str, context: dict, functions: dict | None = None, *, line_budget: int = 100_000) -> None:
    """Run a BPMN script against ``context`` (task data), writing the resulting variables back.

    The context only changes when the script succeeds; variables the script deletes are removed.
    """
    if not script or not script.strip():
        return
    code = _compile(textwrap.dedent(script))
    functions = dict(functions or {})
    clash = sorted(set(functions) & set(context))
    if clash:
        raise ScriptError(f"Script refused: task data {', '.join(map(repr, clash))} has the name of a function; "
                          "rename the variable")
    # a copy, so that a failed script leaves no half-changed lists or dicts behind
    namespace = {**copy.deepcopy(context), **functions, **_GUARDS, "__builtins__": _BUILTINS}
    budget = LineBudget(line_budget, count_frame=_counted)
    try:
        with budget:
            exec(code, namespace)  # noqa: S102 - compiled by RestrictedPython, guarded namespace
    except BudgetExceeded as err:  # the line budget, or the limits of time and memory
        raise ScriptError(f"Script stopped: {err}", _script_line(err.__traceback__)) from None
    except ScriptError as err:
        raise ScriptError(err.reason, err.line_number or _script_line(err.__traceback__)) from None
    except TooLarge as err:
        raise ScriptError(f"Script refused: {err}", _script_line(err.__traceback__)) from None
    except MemoryError:
        raise ScriptError("Script stopped: it ran out of memory") from None
    except Exception as err:
        raise ScriptError(f"Script failed: {type(err).__name__}: {str(err)[:500]}",
                          _script_line(err.__traceback__)) from err
    if budget.exceeded:  # the script somehow swallowed the budget's exception
        raise ScriptError(f"Script stopped: it ran longer than its budget of {line_budget} lines (endless loop?)")
    _write_back(namespace, context, functions)


def _write_back(namespace: dict, context: dict, functions: dict) -> None:
    result = {}
    for name, value in namespace.items():
        if name.startswith("_") or name in functions or callable(value) or isinstance(value, types.ModuleType):
            continue  # builtins, guards, helper functions the script defined: not data
        problem = json_problem(value)
        if problem:
            raise ScriptError(f"Script result refused: variable '{name}' {problem}")
        result[name] = value
    for name in [name for name in context if not name.startswith("_") and name not in result]:
        del context[name]
    context.update(result)
