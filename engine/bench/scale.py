"""`casework bench scale`: the engine's half — which rows hang off a case, timings, sizes. The
copying of cases (the database grown from the played ones, every row that hangs off a case, task ids
renewed consistently so that a copy can be worked on like any case) is engine.bench.bulk. The web side
(pages, API, who asks) is in webui/bench.py; this module knows no Flask and no domain.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Integer, Table, event, func, select, text
from sqlalchemy.orm import Session

from engine.store import Base, Case, Database

UUID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)[0-9a-f]{12}")
NUMBER = re.compile(r"^(.*-)(\d+)$")
CLOSED = ("completed", "cancelled")


def _fk_to(table: Table, target: str) -> str | None:
    """The column of `table` that references `target` (e.g. 'cases.id'), if any."""
    for column in table.columns:
        if any(fk.target_fullname == target for fk in column.foreign_keys):
            return column.name
    return None


def case_tables() -> list[tuple[Table, str, str]]:
    """(table, its column pointing at a case or a task, 'case'|'task') in insert order."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name == "cases":
            continue
        column = _fk_to(table, "cases.id")
        if column:
            found.append((table, column, "case"))
        elif (column := _fk_to(table, "tasks.id")):
            found.append((table, column, "task"))
    return found


def _generated_key(table: Table) -> str | None:
    """A single integer primary key the database numbers itself (events.id, outbox.id ...)."""
    keys = list(table.primary_key.columns)
    if len(keys) == 1 and isinstance(keys[0].type, Integer) and not keys[0].foreign_keys:
        return keys[0].name
    return None


# -- sizes ------------------------------------------------------------------------------------

def database_bytes(db: Database) -> int:
    """What the database takes on disk (SQLite: file and WAL after a checkpoint)."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            return int(conn.scalar(text("SELECT pg_database_size(current_database())")))
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        size = conn.exec_driver_sql("PRAGMA page_size").scalar()
        return int(pages * size)


def row_bytes_by_status(db: Database) -> dict[str, float]:
    """Bytes of row data per closed and per open case (the case row and every row hanging off it;
    indexes and free pages not counted): PostgreSQL's pg_column_size, SQLite's length of each value."""
    cases = Base.metadata.tables["cases"]
    closed = cases.c.status.in_(CLOSED)
    postgres = db.engine.dialect.name == "postgresql"
    totals = {True: 0, False: 0}

    def size_of(table: Table) -> Any:
        if postgres:
            return func.pg_column_size(text(f'"{table.name}".*'))
        return sum((func.coalesce(func.length(c), 0) for c in table.columns), start=0)

    with Session(db.engine) as session:
        counts = dict(session.execute(select(closed, func.count()).group_by(closed)).all())
        for flag, total in session.execute(select(closed, func.sum(size_of(cases))).group_by(closed)):
            totals[bool(flag)] += int(total or 0)
        tasks = Base.metadata.tables["tasks"]
        for table, column, kind in case_tables():
            stmt = select(closed, func.sum(size_of(table))).select_from(table)
            if kind == "case":
                stmt = stmt.join(cases, cases.c.id == table.c[column])
            else:
                stmt = stmt.join(tasks, tasks.c.id == table.c[column]).join(cases, cases.c.id == tasks.c.case_id)
            for flag, total in session.execute(stmt.group_by(closed)):
                totals[bool(flag)] += int(total or 0)
    return {"closed": round(totals[True] / counts[True]) if counts.get(True) else 0,
            "open": round(totals[False] / counts[False]) if counts.get(False) else 0}


def count_cases(db: Database) -> int:
    with Session(db.engine) as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


# -- query plans ------------------------------------------------------------------------------

def slowest_statements(engine: Any, call: Callable[[], Any], keep: int = 3) -> list[tuple[float, str, Any]]:
    """The `keep` slowest statements one call of `call` runs: (seconds, SQL, parameters)."""
    seen: list[tuple[float, str, Any]] = []

    def before(conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: bool) -> None:
        seen.append((time.perf_counter() - conn.info.pop("bench_started", time.perf_counter()), statement, params))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return sorted(seen, key=lambda item: -item[0])[:keep]


def explain(engine: Any, statement: str, params: Any) -> list[str]:
    """The plan the database chooses for a statement (PostgreSQL runs it: EXPLAIN ANALYZE)."""
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, params).all()
    if postgres:
        return [row[0] for row in rows]
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:  # SQLite: (id, parent, notused, detail) as a tree
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return lines


# -- timing -----------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(call: Callable[[], Any], repeat: int, warm: int = 1) -> dict[str, float]:
    """p50/p95 in ms of `repeat` calls after `warm` untimed ones."""
    for _ in range(warm):
        call()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return {"p50_ms": round(percentile(seconds, 0.5) * 1000, 1), "p95_ms": round(percentile(seconds, 0.95) * 1000, 1)}


def summary(samples: Iterable[float]) -> dict[str, float]:
    values = [s * 1000 for s in samples]
    return {"p50_ms": round(percentile(values, 0.5), 1), "p95_ms": round(percentile(values, 0.95), 1),
            "mean_ms": round(statistics.fmean(values), 1) if values else 0.0}
