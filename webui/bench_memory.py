"""`casework bench memory`: what one serving process holds after a mixed load.

The demo district is played into a temporary SQLite file (as `bench scale` does, without cloning).
Then a fresh Python process (so nothing of the seeding counts) builds the app as a web worker would
and serves, through the WSGI app in that process, `--requests` requests mixed as a day's use is:
a clerk's inbox, case pages and case diagrams (random cases, a supervisor), the clerk's task list
over the API, and whole example cases (a deputy starts, the liaison office reviews, the unit's clerk
replies). Its resident set size (VmRSS) is read after start-up and at checkpoints; also the peak, and
the sizes of the caches a read page fills. The last line printed is one JSON object.
"""

from __future__ import annotations

import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

CHECKPOINTS = (50, 500, 1000, 1500, 2000)


def rss_mib() -> float:
    """Resident set size of this process now (Linux /proc; the peak from getrusage elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return peak_mib()


def peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def breakdown() -> dict[str, float]:
    """Where the resident memory is (Linux): anonymous (the Python heap, malloc's heap, stacks) against
    file-backed (the interpreter's and the extensions' shared libraries, shared with other processes), and
    of the anonymous part, what glibc's malloc holds (objects over 512 bytes, SQLite's page cache, libxml2,
    OpenSSL) and how much of that is free; the rest is mostly Python's own small-object arenas."""
    found: dict[str, float] = {}
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as rollup:
            kib = {line.split()[0].rstrip(":"): int(line.split()[1]) for line in rollup if line.split()[-1] == "kB"}
        found = {"rss_anon_mib": round(kib["Anonymous"] / 1024, 1),
                 "rss_file_mib": round((kib["Rss"] - kib["Anonymous"]) / 1024, 1)}
    except (OSError, KeyError, ValueError, IndexError):
        return found
    try:
        import ctypes

        class MallInfo2(ctypes.Structure):
            _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                                               "usmblks", "fsmblks", "uordblks", "fordblks",
                                                               "keepcost")]

        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
        mallinfo2.restype = MallInfo2
        info = mallinfo2()
        found.update({"malloc_heap_mib": round((info.arena + info.hblkhd) / 2**20, 1),
                      "malloc_free_mib": round(info.fordblks / 2**20, 1)})
    except (OSError, AttributeError):
        pass  # not glibc 2.33 or later
    return found


def _cache_sizes(ctx: Any) -> dict[str, Any]:
    sizes: dict[str, Any] = {"python_objects": len(gc.get_objects())}
    for name in ("specs", "start_forms"):
        cache = getattr(ctx, name, None)
        entries = getattr(cache, "_entries", None)
        if entries is not None:
            sizes[f"{name}_cached"] = len(entries)
    return sizes


def serve(url: str, requests: int, checkpoints: tuple[int, ...] = CHECKPOINTS) -> dict[str, Any]:
    """In this process: build the app on `url` and serve the mixed load, reading the RSS as it goes."""
    from sqlalchemy import text

    import workflows
    from engine import config as config_module
    from engine.context import EngineContext

    from . import bench
    from .app import create_app

    ctx = EngineContext.create(config_module.load().replace(database__url=url))
    workflows.install(ctx)
    app = create_app(ctx=ctx)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    clients = {name: bench.Client(app, name)
               for name in (bench.CLERK, bench.SUPERVISOR, bench.DEPUTY, bench.LIAISON, bench.UNIT_CLERK)}
    clerk, boss = clients[bench.CLERK], clients[bench.SUPERVISOR]
    with ctx.db.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM cases"))]
    figures: dict[str, Any] = {"rss_start_mib": rss_mib()}
    pick = random.Random(6)
    served, whole, started = 0, 0, time.perf_counter()
    marks = list(checkpoints)
    kinds = ("inbox", "case", "diagram", "tasks", "case", "diagram", "whole")
    while served < requests:
        kind = kinds[served % len(kinds)] if served else "inbox"
        if kind == "inbox":
            clerk.page("/inbox")
        elif kind == "case":
            boss.page(f"/cases/{pick.choice(ids)}")
        elif kind == "diagram":
            boss.page(f"/cases/{pick.choice(ids)}/diagram.svg")
        elif kind == "tasks":
            clerk.api("GET", "/api/v1/tasks?scope=groups")
        else:  # a whole case is three requests: start, review, reply
            bench._whole_cases(clients, 1)
            whole += 1
            served += 2
        served += 1
        while marks and served >= marks[0]:
            figures[f"rss_after_{marks.pop(0)}_mib"] = rss_mib()
    figures.update({"requests": served, "whole_cases": whole, "seconds": round(time.perf_counter() - started, 1),
                    "rss_end_mib": rss_mib(), "rss_peak_mib": peak_mib()})
    gc.collect()
    figures["rss_after_gc_mib"] = rss_mib()
    figures.update(breakdown())
    figures.update(_cache_sizes(ctx))
    ctx.db.dispose()
    return figures


def run(requests: int = 2000, progress: Any = print) -> int:
    import workflows
    from engine import clock, migrate
    from engine import config as config_module
    from engine.context import EngineContext
    from engine.schedule import prune

    from . import bench

    with tempfile.TemporaryDirectory(prefix="casework-bench-") as tmp:
        url = f"sqlite:///{tmp}/memory.db"
        ctx = EngineContext.create(config_module.load().replace(database__url=url))
        workflows.install(ctx)
        started = time.perf_counter()
        migrate.upgrade(ctx.db)
        bench._seed(ctx, "demo")
        with ctx.db.session() as session:
            prune.prune(session, clock.now() + timedelta(days=1))
        ctx.db.dispose()
        progress(f"seeded the demo district in {time.perf_counter() - started:.0f} s; serving {requests} requests")
        child = subprocess.run([sys.executable, "-c", "import sys, json; from webui import bench_memory as m; "
                                "print(json.dumps(m.serve(sys.argv[1], int(sys.argv[2]))))", url, str(requests)],
                               capture_output=True, text=True, env=dict(os.environ), check=False)
    if child.returncode != 0:
        raise SystemExit(f"the serving process failed:\n{child.stderr[-3000:]}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    result = {"benchmark": "memory", "load_average": round(os.getloadavg()[0], 2), **figures}
    steps = ", ".join(f"{n}: {figures[f'rss_after_{n}_mib']}" for n in CHECKPOINTS if f"rss_after_{n}_mib" in figures)
    progress(f"one serving process: {figures['rss_start_mib']} MiB at start; after requests {steps} MiB; "
             f"peak {figures['rss_peak_mib']} MiB (target: at most 100 MiB after 2,000)")
    if "rss_file_mib" in figures:
        progress(f"at the end: {figures['rss_file_mib']} MiB file-backed (shared libraries), "
                 f"{figures['rss_anon_mib']} MiB anonymous, of which malloc's heap "
                 f"{figures.get('malloc_heap_mib', '?')} MiB ({figures.get('malloc_free_mib', '?')} free)")
    print(json.dumps(result))
    return 0
