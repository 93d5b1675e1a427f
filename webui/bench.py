"""`casework bench scale --cases N`: a district grown to N cases, and what its pages and API cost.

The database: the demo district played through the real processes (or, with `seed="example"`, the
four cases of the example process: the smoke test), then copied up to N cases by
engine.bench.bulk. A fresh SQLite file in a temporary folder, or, when CASEWORK_DATABASE_URL names
PostgreSQL, a throwaway database on that server (dropped afterwards unless `keep`).
Then, in this process through the WSGI app (no network in the figures), p50/p95 of: the supervision
page and the statistics page (a supervisor), GET /api/v1/statistics, a clerk's web inbox,
GET /api/v1/tasks?scope=groups and GET /api/v1/cases?limit=50 (that clerk), case pages (random
cases), and whole cases of the example process: start (a deputy), the review (the liaison office)
and the reply (the unit's clerk), with whole cases per second. Last, the database's size per case.
The last line printed is one JSON object.
"""

from __future__ import annotations

import json
import os
import random
import re
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from engine import clock, migrate
from engine import config as config_module
from engine.bench import bulk, scale
from engine.bpmn import library
from engine.context import EngineContext
from engine.schedule import prune

REPO = Path(__file__).resolve().parents[1]
CLERK, SUPERVISOR, DEPUTY, LIAISON, UNIT_CLERK = "edu_clerk", "supervisor", "deputy_zhao", "liaison", "transport_clerk"
PASSWORD = "demo1234"


def _postgres_database(url: str, keep: str | None = None) -> str:
    """A throwaway database, or the one `keep` names (made if absent, reused with its cases if there)."""
    if keep and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", keep):
        raise SystemExit("--keep on PostgreSQL names a database: lower-case letters, digits and _")
    name = keep or f"casework_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.rsplit("/", 1)[0] + "/" + name


def _drop_postgres_database(admin_url: str, url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def _seed(ctx: EngineContext, seed: str) -> None:
    from workflows import demo

    quiet = lambda *_args: None  # noqa: E731
    if seed == "example":
        demo.people(ctx, quiet)
        demo.deploy_models(ctx, quiet)
        demo.load_example(ctx, quiet)
    else:
        with ctx.db.session() as session:
            library.deploy(session, library.read_files(sorted(str(p) for p in (REPO / "bpmn").glob("*.bpmn"))), "bench")
        demo.load(ctx, quiet)


class Client:
    """One person at the app: a web session (signed in) and a bearer token for the API."""

    def __init__(self, app: Any, username: str):
        self.web = app.test_client()
        answer = self.web.post("/sign-in", data={"username": username, "password": PASSWORD})
        if answer.status_code != 302:
            raise RuntimeError(f"{username} could not sign in ({answer.status_code})")
        answer = app.test_client().post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        self.headers = {"Authorization": f"Bearer {answer.get_json()['token']}"}

    def page(self, path: str) -> Any:
        answer = self.web.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path}: {answer.status_code}")
        return answer

    def api(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        answer = self.web.open(path, method=method, json=body, headers=self.headers)
        if answer.status_code != status:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.get_data(as_text=True)[:300]}")
        return answer.get_json()


def _whole_cases(clients: dict[str, Client], count: int) -> dict[str, Any]:
    """Start, review and reply `count` cases of the example process, one after the other."""
    starts, completions, whole = [], [], []
    for i in range(count):
        t0 = time.perf_counter()
        case = clients[DEPUTY].api("POST", "/api/v1/cases", {"process_key": "quick_reply", "title": f"基准测试意见 {i}",
                                                             "data": {"proposer": DEPUTY}}, 201)
        t1 = time.perf_counter()
        review = case["active_tasks"][0]["id"]
        case = clients[LIAISON].api("POST", f"/api/v1/tasks/{review}/complete",
                                    {"data": {"decision": "accept", "unit": "unit_transport", "urgent": False}})
        t2 = time.perf_counter()
        handle = case["active_tasks"][0]["id"]
        clients[UNIT_CLERK].api("POST", f"/api/v1/tasks/{handle}/complete",
                                {"data": {"reply": "已办理", "result_class": "A"}})
        t3 = time.perf_counter()
        starts.append(t1 - t0)
        completions += [t2 - t1, t3 - t2]
        whole.append(t3 - t0)
    return {"start": scale.summary(starts), "complete": scale.summary(completions),
            "whole_cases_per_second": round(len(whole) / sum(whole), 2) if whole else 0.0}


def measure(ctx: EngineContext, repeat: int, plans: str | None = None) -> dict[str, Any]:
    """Time each page and API call; with `plans` also write to that file the plan of each one's slowest
    statements (which indexes the database uses at this size)."""
    from .app import create_app

    app = create_app(ctx=ctx)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    clients = {name: Client(app, name) for name in (CLERK, SUPERVISOR, DEPUTY, LIAISON, UNIT_CLERK)}
    clerk, boss = clients[CLERK], clients[SUPERVISOR]
    with ctx.db.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM cases"))]
    pick = random.Random(15)
    calls = {
        "supervision_page": lambda: boss.page("/supervise"),
        "statistics_page": lambda: boss.page("/statistics"),
        "statistics_api": lambda: boss.api("GET", "/api/v1/statistics"),
        "inbox_page": lambda: clerk.page("/inbox"),
        "tasks_api_groups": lambda: clerk.api("GET", "/api/v1/tasks?scope=groups"),
        "cases_api": lambda: clerk.api("GET", "/api/v1/cases?limit=50"),
        "case_page": lambda: boss.page(f"/cases/{pick.choice(ids)}"),
    }
    figures: dict[str, Any] = {name: scale.timed(call, repeat) for name, call in calls.items()}
    if plans:
        _write_plans(ctx, calls, plans)
    figures["sizes"] = {"supervision_page_bytes": len(boss.page("/supervise").data),
                        "tasks_api_groups_bytes": len(clerk.web.get("/api/v1/tasks?scope=groups",
                                                                     headers=clerk.headers).data)}
    figures.update(_whole_cases(clients, repeat))
    return figures


def _write_plans(ctx: EngineContext, calls: dict[str, Any], path: str) -> None:
    total = scale.count_cases(ctx.db)
    out = [f"# Query plans at {total:,} cases ({ctx.db.engine.dialect.name})", "",
           "The three slowest statements of one call of each page, and the plan the database chose "
           "(`casework bench scale --plans`).", ""]
    for name, call in calls.items():
        out += [f"## {name}", ""]
        for seconds, statement, params in scale.slowest_statements(ctx.db.engine, call):
            out += [f"{seconds * 1000:.1f} ms:", "", "```sql", " ".join(statement.split()), "```", "", "```"]
            out += scale.explain(ctx.db.engine, statement, params) + ["```", ""]
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


def run(cases: int = 1000, repeat: int = 15, seed: str = "demo", keep: str | None = None,
        progress: Any = print, plans: str | None = None) -> int:
    config = config_module.load()
    admin_url = config["database.url"]
    postgres = admin_url.startswith("postgresql")
    workdir = None
    if postgres:
        url = _postgres_database(admin_url, keep)
    elif keep:
        url = f"sqlite:///{Path(keep).resolve()}"
    else:
        workdir = tempfile.TemporaryDirectory(prefix="casework-bench-")
        url = f"sqlite:///{workdir.name}/scale.db"
    import workflows

    ctx = EngineContext.create(config.replace(database__url=url))
    workflows.install(ctx)
    try:
        migrate.upgrade(ctx.db)
        started = time.perf_counter()
        if not scale.count_cases(ctx.db):
            _seed(ctx, seed)
        with ctx.db.session() as session:  # what the scheduler's hourly sweep leaves of the played cases, a day on
            prune.prune(session, clock.now() + timedelta(days=1))
        seeded = scale.count_cases(ctx.db)
        seed_seconds = time.perf_counter() - started
        started = time.perf_counter()
        bulk.double_cases(ctx.db, cases - seeded, progress=lambda done, total: progress(f"copied {done}/{total}"))
        clone_seconds = time.perf_counter() - started
        from workflows import tallies

        with ctx.db.session() as session:  # the clones' facts rows came in bulk: count the tallies afresh
            tallies.rebuild(session, ctx.zone)
        after_load = getattr(ctx.db, "after_bulk_load", None)
        if after_load:
            after_load()
        total = scale.count_cases(ctx.db)
        size = scale.database_bytes(ctx.db)
        rows = scale.row_bytes_by_status(ctx.db)
        result: dict[str, Any] = {"benchmark": "scale", "database": ctx.db.engine.dialect.name, "cases": total,
                                  "seeded": seeded, "seed_seconds": round(seed_seconds, 1),
                                  "clone_seconds": round(clone_seconds, 1), "repeat": repeat,
                                  "load_average": round(os.getloadavg()[0], 2)}
        result.update(measure(ctx, repeat, plans))
        result.update({"database_bytes": size, "bytes_per_case": round(size / max(total, 1)),
                       "row_bytes_per_closed_case": rows["closed"], "row_bytes_per_open_case": rows["open"]})
    finally:
        ctx.db.dispose()
        if postgres and not keep:
            _drop_postgres_database(admin_url, url)
        if workdir:
            workdir.cleanup()
    for name in ("supervision_page", "statistics_page", "statistics_api", "inbox_page", "tasks_api_groups",
                 "cases_api", "case_page", "start", "complete"):
        progress(f"{name:18} p50 {result[name]['p50_ms']:>8} ms   p95 {result[name]['p95_ms']:>8} ms")
    progress(f"whole cases per second (start + two completions, in process): {result['whole_cases_per_second']}")
    progress(f"{total} cases: {size / 1e6:.1f} MB, {result['bytes_per_case'] / 1000:.1f} KB a case "
             f"(rows: {rows['closed'] / 1000:.1f} KB closed, {rows['open'] / 1000:.1f} KB open)")
    print(json.dumps(result, ensure_ascii=False))
    return 0
