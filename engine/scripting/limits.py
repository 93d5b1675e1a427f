"""Resource limits shared by scripts (`engine.scripting.sandbox`) and expressions (`engine.scripting.expressions`).

A line budget counted with ``sys.settrace`` stops endless loops in any thread (``signal.alarm`` only
works in the main thread); size guards refuse operators and str methods that would build a huge value
in C, where no line budget can see it; `json_problem` says why a value cannot be stored as task data.
Frames of this module's code are never counted against a budget: the guards always finish.
"""

from __future__ import annotations

import ast
import math
import re
import sys
import uuid
from datetime import date, timedelta
from typing import Any

MAX_LENGTH = 1_000_000  # longest str/list one operator may build
MAX_INT_BITS = 100_000  # largest int that ** or << may build


class TooLarge(ValueError):
    """An operation would build a huge value (memory or CPU bomb)."""


class BudgetExceeded(BaseException):
    """Raised by the tracer; a BaseException so that ``except Exception`` in a script cannot catch it."""


class LineBudget:
    """Context manager: count executed lines with sys.settrace and stop the run past ``limit``.

    CPython 3.11 emits no 'line' event when a one-line loop (``while True: pass``) jumps back to
    itself, so backward jumps seen through opcode events count as lines too. ``count_frame(code)``
    may exclude frames (the expression evaluator's own code). The previous tracer is restored.
    """

    def __init__(self, limit: int, count_frame=None):
        self.limit, self.used, self.exceeded = limit, 0, False
        self._count_frame = count_frame
        self._previous = None

    def __enter__(self) -> LineBudget:
        self._previous = sys.gettrace()
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc_info) -> bool:
        sys.settrace(self._previous)
        return False

    def _step(self) -> None:
        self.used += 1
        if self.used > self.limit:
            self.exceeded = True
            raise BudgetExceeded(self.limit)

    def _on_call(self, frame, event, arg):
        if self._count_frame is not None and not self._count_frame(frame.f_code):
            return None
        frame.f_trace_opcodes = True
        last, lined = -1, False

        def on_event(frame, event, arg):
            nonlocal last, lined
            if event == "line":
                self._step()
                lined = True
            elif event == "opcode":
                if frame.f_lasti <= last and not lined:
                    self._step()
                last, lined = frame.f_lasti, False
            return on_event

        self._step()
        return on_event


# ---------------------------------------------------------------------------- size guards

def too_large(what: str) -> TooLarge:
    """The error for ``what`` (an operator, a method, a builtin) building a value past the limits."""
    return TooLarge(f"{what} would build a value that is too large")


def checked_add(a, b):
    if isinstance(a, (str, bytes, list, tuple)) and isinstance(b, (str, bytes, list, tuple)):
        if len(a) + len(b) > MAX_LENGTH:
            raise too_large("'+'")
    return a + b


def checked_mul(a, b):
    for seq, times in ((a, b), (b, a)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_LENGTH:
            raise too_large("'*'")
    return a * b


def checked_pow(a, b, mod=None):
    if mod is None and isinstance(a, int) and isinstance(b, int) and abs(a) > 1 and b > 0:
        if b * math.log2(abs(a)) > MAX_INT_BITS:
            raise too_large("'**'")
    return pow(a, b) if mod is None else pow(a, b, mod)


def checked_lshift(a, b):
    if isinstance(b, int) and b > MAX_INT_BITS:
        raise too_large("'<<'")
    return a << b


_HUGE_WIDTH = re.compile(r"%[^a-zA-Z%]*?(\*|\d{7,})")


def checked_mod(a, b):
    # '%0999999999d' % 1 allocates a gigabyte in C, where no line budget can see it
    if isinstance(a, str) and _HUGE_WIDTH.search(a):
        raise too_large("'%' formatting")
    return a % b


_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


def guard_method(obj: Any, name: str, method: Any) -> Any:
    """Wrap str methods whose result size depends on an argument rather than on the data."""
    if not isinstance(obj, (str, bytes)) or (name not in _PADDING and name != "replace"):
        return method

    def guarded(*args, **kwargs):
        if name in _PADDING and args and isinstance(args[0], int) and args[0] > MAX_LENGTH:
            raise too_large(f"str.{name}()")
        if name == "replace" and len(args) >= 2:
            hits = obj.count(args[0]) if args[0] else len(obj) + 1
            if len(obj) + hits * len(args[1]) > MAX_LENGTH:
                raise too_large("str.replace()")
        return method(*args, **kwargs)
    return guarded


BINARY_GUARDS = {ast.Add: checked_add, ast.Mult: checked_mul, ast.Pow: checked_pow,
                 ast.LShift: checked_lshift, ast.Mod: checked_mod}


# ---------------------------------------------------------------------------- task data

def json_problem(value: Any) -> str | None:
    """Why ``value`` cannot be stored as task data (None if it can)."""
    seen = 0

    def check(item: Any, depth: int) -> str | None:
        nonlocal seen
        seen += 1
        if depth > 50:
            return "is nested too deeply (or contains itself)"
        if seen > MAX_LENGTH:  # shared references can make a small object huge to walk and to store
            return "is too large to store"
        # JSON types plus date/datetime, timedelta, UUID (plain date needs a converter in the serializer)
        if item is None or isinstance(item, (str, bool, int, float, date, timedelta, uuid.UUID)):
            return None
        if isinstance(item, dict) and not all(isinstance(key, str) for key in item):
            return "is a dict with keys that are not strings"
        if isinstance(item, (list, tuple, dict)):
            children = item.values() if isinstance(item, dict) else item
            return next((problem for child in children if (problem := check(child, depth + 1))), None)
        return f"holds a {type(item).__name__}, which cannot be stored as task data"

    return check(value, 0)
