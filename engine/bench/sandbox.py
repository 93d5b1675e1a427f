"""`casework bench sandbox`: the worst known expressions and scripts from a BPMN file, each run in a
fresh interpreter, through the sandbox and (baseline, same run) through plain Python with the same
text, for the processor time, the wall time and the memory each takes.

Plain Python is what the sandbox replaces; it runs with a time limit and an address-space limit (so
that the bench itself cannot take the machine down) and a bomb shows as `killed`. The last line
printed is one JSON object: per attack, the sandbox's figures and outcome beside the baseline's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

# (name, kind, text): kind "e" an expression (conditions, timers, assignees), "s" a script task
ATTACKS: list[tuple[str, str, str]] = [
    ("modular_pow", "s", "x = pow(3, 10**300, 10**30000 + 1)"),
    ("bigint_squaring", "s", "x = 3\nfor i in range(40):\n    x = x * x"),
    ("join_of_repeats", "s", "y = ''.join(['a' * 999999] * 2000)"),
    ("join_in_expression", "e", "'-'.join(['a' * 999999] * 2000)"),
    ("format_width", "s", "y = f'{1:>999999999}'"),
    ("format_width_expression", "e", "f'{1:>999999999}'"),
    ("percent_width", "s", "y = '%0999999999d' % 1"),
    ("sum_of_lists", "s", "x = sum([[1]] * 100000, [])"),
    ("repr_of_shared", "s", "x = 'a' * 999999\ny = str([x] * 2000)"),
    ("upper_in_loop", "s", "x = 'a' * 999999\ny = [x.upper() for i in range(100000)]"),
    ("comprehension_bomb", "e", "[x * 999999 for x in 'abcdefghij' * 1000]"),
    ("endless_loop", "s", "n = 0\nwhile True:\n    n += 1"),
    ("huge_result", "s", "big = 10**5000"),
]

_CHILD = r"""
import json, os, sys, threading, time
kind, text, mode = sys.argv[1], sys.argv[2], sys.argv[3]
sys.set_int_max_str_digits(0)
if mode == "sandbox":
    from engine.scripting import expressions, sandbox
page, statm = os.sysconf("SC_PAGE_SIZE"), os.open("/proc/self/statm", os.O_RDONLY)
def resident():
    return int(os.pread(statm, 64, 0).split()[1]) * page
# ru_maxrss is updated lazily by Linux and misses a peak freed before the end: sample the resident size
before, peak, running = resident(), [0], [True]
def sample():
    while running[0]:
        peak[0] = max(peak[0], resident())
        time.sleep(0.0005)
sys.setswitchinterval(0.0005)
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
wall, cpu = time.perf_counter(), time.thread_time()
try:
    if mode == "sandbox":
        (sandbox.run_script(text, {}) if kind == "s" else expressions.evaluate(text, {}))
    else:
        (exec(text, {}) if kind == "s" else eval(text, {}))
    outcome = "ran"
except BaseException as err:
    outcome = f"refused: {str(err)[:160]}" if mode == "sandbox" else f"{type(err).__name__}"
cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
peak[0] = max(peak[0], resident())
running[0] = False
print(json.dumps({"outcome": outcome, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                  "peak_mb": round((peak[0] - before) / 2**20, 1)}))
"""

_LIMIT = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
"""


def _run(kind: str, text: str, mode: str, timeout: float, memory: int) -> dict[str, Any]:
    if mode == "baseline":  # the limit reads argv[1], then the child reads the rest as usual
        code = _LIMIT + "sys.argv = [sys.argv[0]] + sys.argv[2:]\n" + _CHILD
        args = [sys.executable, "-c", code, str(memory), kind, text, mode]
    else:
        args = [sys.executable, "-c", _CHILD, kind, text, mode]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"outcome": f"killed after {timeout:g} s", "wall_s": timeout, "cpu_s": None, "peak_mb": None}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"outcome": f"crashed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}",
                "wall_s": None, "cpu_s": None, "peak_mb": None}
    return json.loads(lines[-1])


def run(baseline: bool = True, timeout: float = 5.0, memory_mb: int = 1024) -> int:
    results = {}
    for name, kind, text in ATTACKS:
        sandboxed = _run(kind, text, "sandbox", 60.0, 0)
        plain = _run(kind, text, "baseline", timeout, memory_mb * 2**20) if baseline else None
        results[name] = {"sandbox": sandboxed, **({"plain_python": plain} if plain else {})}
        print(f"{name:26} sandbox {sandboxed['cpu_s']} s cpu, {sandboxed['peak_mb']} MB: {sandboxed['outcome'][:70]}"
              + (f" | plain {plain['cpu_s']} s, {plain['peak_mb']} MB: {plain['outcome']}" if plain else ""),
              flush=True)
    worst_cpu = max((r["sandbox"]["cpu_s"] or 0) for r in results.values())
    worst_mb = max((r["sandbox"]["peak_mb"] or 0) for r in results.values())
    print(json.dumps({"bench": "sandbox", "attacks": len(ATTACKS), "worst_sandbox_cpu_s": worst_cpu,
                      "worst_sandbox_peak_mb": worst_mb, "plain_python_limits": {"timeout_s": timeout,
                                                                                 "memory_mb": memory_mb},
                      "results": results}, ensure_ascii=False))
    return 0 if all(not r["sandbox"]["outcome"].startswith("ran") or name == "huge_result"
                    for name, r in results.items()) else 1
