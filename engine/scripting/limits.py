"""Resource limits shared by scripts (`engine.scripting.sandbox`) and expressions (`engine.scripting.expressions`).

A line budget counted with ``sys.settrace`` stops endless loops in any thread (``signal.alarm`` only
works in the main thread); size guards refuse operators, builtins and str methods that would build a
huge value or run long in C, where no line budget can see it; `Limits` stops one evaluation past about
one second of the thread's processor time or 256 MB of growth of the process, checked every few
opcodes and after every large value a guard lets through; `json_problem` says why a value cannot be
stored as task data. Frames of this module's code are never counted against a budget: the guards
always finish (each is bounded by the sizes it checks).

The approach (in process, not a worker process with rlimits): a condition is evaluated many times per
completion, and a round trip to a worker would cost more than the evaluation; every C operation a
script can reach is bounded by a guard instead, so the checks between operations keep the limits.
`casework bench sandbox` measures the worst known expressions against them.
"""

from __future__ import annotations

import ast
import gc
import math
import os
import re
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from typing import Any

MAX_LENGTH = 1_000_000  # longest str/list one operator may build
MAX_INT_BITS = 100_000  # largest int that ** or << may build
MAX_MODULAR_BITS = 4_096  # pow(a, b, m): b and m at most this large (RSA-sized), or it runs for seconds in C
MAX_STORED_INT_BITS = 64  # an int kept in task data fits a 64-bit integer (JSON readers, the databases)
MAX_SECONDS = 1.0  # processor time of the evaluating thread, per expression or script
MAX_MEMORY = 256 * 2**20  # growth of the process's resident memory during one evaluation
_CHECK_EVERY = 16  # expression nodes between two checks of time and memory
_TRACE_CHECK_MASK = 63  # checked every 64 trace events (opcodes) of a script: each check costs ~5 us


class TooLarge(ValueError):
    """An operation would build a huge value (memory or CPU bomb)."""


class BudgetExceeded(BaseException):
    """Raised by the tracer; a BaseException so that ``except Exception`` in a script cannot catch it."""


class LimitExceeded(BudgetExceeded):
    """Raised by `Limits`: the evaluation used too much processor time or memory."""


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_statm: list[int] = []
_local = threading.local()


def resident_bytes() -> int:
    """The process's resident memory now (Linux /proc; elsewhere the peak, which only grows)."""
    try:
        if not _statm:
            _statm.append(os.open("/proc/self/statm", os.O_RDONLY))
        return int(os.pread(_statm[0], 64, 0).split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Limits:
    """Context manager: one evaluation's processor time and memory, checked by `check()`.

    Time is the thread's own processor time (time.thread_time), so a loaded machine does not stop a
    script that is merely waiting for a core. Memory is the growth of the whole process (Python keeps
    no per-thread figure): another thread allocating hundreds of MB at the same moment could trip it,
    which errs on the safe side. Nested evaluations (a function called from a script that evaluates an
    expression) share the outermost limits."""

    def __init__(self, seconds: float = MAX_SECONDS, memory: int = MAX_MEMORY):
        self.seconds, self.memory = seconds, memory
        self.outer: Limits | None = None
        self.collecting: float | None = None  # thread time a garbage collection began, while one runs

    def __enter__(self) -> Limits:
        self.outer = getattr(_local, "limits", None)
        if self.outer is None:
            self.started, self.baseline = time.thread_time(), resident_bytes()
            _local.limits = self
        return self

    def __exit__(self, *exc_info) -> bool:
        if self.outer is None:
            _local.limits = None
        return False

    def check(self) -> None:
        active = self.outer or self
        if active.collecting is not None:
            return  # a garbage collection is running (finalizers of other objects): not the script's time
        if time.thread_time() - active.started > active.seconds:
            raise LimitExceeded(f"it used more than {active.seconds:g} s of processor time")
        if resident_bytes() - active.baseline > active.memory:
            raise LimitExceeded(f"it used more than {active.memory // 2**20} MB of memory")


def _not_charged_for_collections(phase: str, _info: dict) -> None:
    """A garbage collection that happens during an evaluation collects the whole process's garbage (and runs
    other libraries' finalizers under the tracer): its time is taken off the evaluation's clock, and no limit
    is checked while it runs."""
    active = getattr(_local, "limits", None)
    if active is None:
        return
    if phase == "start":
        active.collecting = time.thread_time()
    elif active.collecting is not None:
        active.started += time.thread_time() - active.collecting
        active.collecting = None


gc.callbacks.append(_not_charged_for_collections)


def check_limits() -> None:
    """Check the running evaluation's limits (if any): guards call it after building a large value."""
    active = getattr(_local, "limits", None)
    if active is not None:
        active.check()


class LineBudget:
    """Context manager: count executed lines with sys.settrace and stop the run past ``limit``.

    CPython 3.11 emits no 'line' event when a one-line loop (``while True: pass``) jumps back to
    itself, so backward jumps seen through opcode events count as lines too. ``count_frame(code)``
    may exclude frames (the expression evaluator's own code). The previous tracer is restored.
    """

    def __init__(self, limit: int, count_frame=None, limits: Limits | None = None):
        self.limit, self.used, self.exceeded = limit, 0, False
        self._count_frame = count_frame
        self._previous = None
        self.limits = limits or Limits()

    def __enter__(self) -> LineBudget:
        self.limits.__enter__()
        self._previous = sys.gettrace()
        sys.settrace(self._on_call)
        return self

    def __exit__(self, *exc_info) -> bool:
        sys.settrace(self._previous)
        self.limits.__exit__(*exc_info)
        return False

    def _step(self) -> None:
        self.used += 1
        if self.used > self.limit:
            self.exceeded = True
            raise BudgetExceeded(f"it ran longer than its budget of {self.limit} lines (endless loop?)")

    def _check(self) -> None:
        try:
            self.limits.check()
        except LimitExceeded:
            self.exceeded = True
            raise

    def _on_call(self, frame, event, arg):
        if self._count_frame is not None and not self._count_frame(frame.f_code):
            return None
        frame.f_trace_opcodes = True
        last, lined, events = -1, False, 0

        def on_event(frame, event, arg):
            nonlocal last, lined, events
            events += 1
            if not events & _TRACE_CHECK_MASK:
                self._check()
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


def _weight(item: Any) -> int:
    """What one element of a list costs to compare, print or copy out: its length if it is text."""
    return max(1, len(item)) if isinstance(item, (str, bytes)) else 1


def checked_mul(a, b):
    for seq, times in ((a, b), (b, a)):
        if isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int) and not isinstance(times, bool):
            # a list repeats references: ['a' * 999999] * 999999 is small, yet sorting, joining or
            # printing it walks a terabyte in C
            weight = len(seq) if isinstance(seq, (str, bytes)) else sum(_weight(x) for x in seq[:MAX_LENGTH + 1])
            if weight * times > MAX_LENGTH:
                raise too_large("'*'")
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise too_large("'*'")  # squaring in a loop doubles the size each time
    return a * b


def checked_pow(a, b, mod=None):
    if mod is None and isinstance(a, int) and isinstance(b, int) and abs(a) > 1 and b > 0:
        if b * math.log2(abs(a)) > MAX_INT_BITS:
            raise too_large("'**'")
    if mod is not None and isinstance(b, int) and isinstance(mod, int) \
            and (b.bit_length() > MAX_MODULAR_BITS or mod.bit_length() > MAX_MODULAR_BITS):
        raise too_large("pow() with a modulus")  # pow(3, 10**300, 10**30000 + 1) runs for minutes
    if mod is None and isinstance(a, float) and isinstance(b, int) and abs(b) > MAX_INT_BITS:
        raise too_large("'**'")
    return pow(a, b) if mod is None else pow(a, b, mod)


def checked_sum(items, start=0):
    """sum() of numbers only (sum of lists copies quadratically in C), each addition checked."""
    if not isinstance(start, (int, float)):
        raise TypeError("sum() adds numbers; join text with ''.join(...) or build lists in a loop")
    total = start
    for count, item in enumerate(items):
        if not isinstance(item, (int, float)):
            raise TypeError(f"sum() adds numbers, not {type(item).__name__}")
        total = checked_add(total, item)
        if count % 4096 == 4095:
            check_limits()
    return total


def printed_size(value: Any, limit: int = MAX_LENGTH) -> int:
    """About how long str()/repr()/format() of ``value`` would be, walking at most ``limit`` items."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item) + 2
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 1
        elif isinstance(item, dict):
            total += 2 + 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            stack.extend(item)
        else:
            total += 8
    return total


def checked_str(value: Any = "", *args: Any) -> str:
    if args:  # str(bytes, encoding)
        return str(value, *args)
    if not isinstance(value, str) and printed_size(value) > MAX_LENGTH:
        raise too_large("str()")
    return str(value)


def checked_repr(value: Any) -> str:
    if printed_size(value) > MAX_LENGTH:
        raise too_large("repr()")
    return repr(value)


_SPEC_NUMBER = re.compile(r"\d+")


def checked_format(value: Any, spec: str = "", conversion: int = -1) -> str:
    """An f-string's {value!conversion:spec}: widths and precisions bounded, the value's size too."""
    if conversion in (ord("r"), ord("a")):
        value = checked_repr(value) if conversion == ord("r") else ascii(value)
    elif conversion == ord("s"):
        value = checked_str(value)
    spec = str(spec)
    if any(len(n) > 7 or int(n) > MAX_LENGTH for n in _SPEC_NUMBER.findall(spec)):
        raise too_large("an f-string format")
    if not isinstance(value, str) and printed_size(value) > MAX_LENGTH:
        raise too_large("an f-string")
    return format(value, spec)


def checked_lshift(a, b):
    if isinstance(b, int) and b > MAX_INT_BITS:
        raise too_large("'<<'")
    return a << b


_HUGE_WIDTH = re.compile(r"%[^a-zA-Z%]*?(\*|\d{7,})")


def checked_mod(a, b):
    # '%0999999999d' % 1 allocates a gigabyte in C, where no line budget can see it
    if isinstance(a, str) and _HUGE_WIDTH.search(a):
        raise too_large("'%' formatting")
    if isinstance(a, str) and printed_size(b) > MAX_LENGTH:
        raise too_large("'%' formatting")
    return a % b


_PADDING = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


def guard_method(obj: Any, name: str, method: Any) -> Any:
    """Wrap str methods whose result size depends on an argument rather than on the data, and any
    method of a large value (its limits are checked once the method has built its result)."""
    large = isinstance(obj, (str, bytes, list, tuple, dict, set)) and len(obj) > 65_536
    if not isinstance(obj, (str, bytes)) or (name not in _PADDING and name not in ("replace", "join")):
        if not large or not callable(method):
            return method

        def checked(*args, **kwargs):
            result = method(*args, **kwargs)
            check_limits()
            return result
        return checked

    def guarded(*args, **kwargs):
        if name in _PADDING and args and isinstance(args[0], int) and args[0] > MAX_LENGTH:
            raise too_large(f"str.{name}()")
        if name == "replace" and len(args) >= 2:
            hits = obj.count(args[0]) if args[0] else len(obj) + 1
            if len(obj) + hits * len(args[1]) > MAX_LENGTH:
                raise too_large("str.replace()")
        if name == "join" and args:
            items = list(args[0])  # a generator is walked once, here
            size = sum(len(x) if isinstance(x, (str, bytes)) else 0 for x in items) + len(obj) * len(items)
            if size > MAX_LENGTH:
                raise too_large(f"{type(obj).__name__}.join()")
            return method(items)
        return method(*args, **kwargs)
    return guarded


BINARY_GUARDS = {ast.Add: checked_add, ast.Mult: checked_mul, ast.Pow: checked_pow,
                 ast.LShift: checked_lshift, ast.Mod: checked_mod}


# ---------------------------------------------------------------------------- task data

def _scalar_problem(item: Any) -> str | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int) and not _LOWEST <= item <= _HIGHEST:
        return f"is a whole number too large to store ({item.bit_length()} bits, at most 63)"
    if isinstance(item, float) and not math.isfinite(item):
        return f"is {item}, which cannot be stored (not a finite number)"
    return None


# JSON types plus date/datetime, timedelta, UUID (plain date needs a converter in the serializer)
_SCALARS = (str, int, float, date, timedelta, uuid.UUID)
_PLAIN = frozenset({str, bool, type(None)})
_LOWEST, _HIGHEST = -(2 ** (MAX_STORED_INT_BITS - 1)), 2 ** (MAX_STORED_INT_BITS - 1) - 1


def json_problem(value: Any) -> str | None:
    """Why ``value`` cannot be stored as task data (None if it can). Walked without recursion, and
    at most MAX_LENGTH items in all: shared references can make a small object huge to walk and store."""
    stack, seen = [(value, 0)], 1
    while stack:
        item, depth = stack.pop()
        if item is None or type(item) is str:
            continue
        if isinstance(item, _SCALARS):
            problem = _scalar_problem(item)
            if problem:
                return problem
            continue
        if depth >= 50:
            return "is nested too deeply (or contains itself)"
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return "is a dict with keys that are not strings"
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            return f"holds a {type(item).__name__}, which cannot be stored as task data"
        seen += len(children)
        if seen > MAX_LENGTH:
            return "is too large to store"
        kinds = set(map(type, children))  # long lists of one plain type are checked at C speed
        if kinds <= _PLAIN or (kinds == {int} and _LOWEST <= min(children) and max(children) <= _HIGHEST) \
                or (kinds == {float} and all(map(math.isfinite, children))):
            continue
        # each distinct child once: [y] * 999999 walks y once (its size was counted above)
        stack.extend((child, depth + 1) for child in {id(c): c for c in children}.values())
    return None
