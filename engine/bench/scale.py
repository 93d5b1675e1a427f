"""`casework bench scale`: the engine's half — a database of many cases made fast, timings, sizes.

Cases are cloned from cases played through the real processes (the demo district): every row that
hangs off a case (the case, its tasks and their candidates, timers, events, notes, facts, outbox,
notifications ...) is copied through the tables' own column types, so the clones are the rows real
use writes. SpiffWorkflow task ids (in the serialized workflow and in every projection) are given
new values per clone, consistently, so a clone can be worked on like any case. What differs: case
numbers get a five-digit sequence (no clash with the played ones), a notification's link to the
outbox row that delivered it is dropped (it is unique), and reminder ids are no longer the uuid5 of
their task (they are only looked up by task id). The web side (pages, API, who asks) is in
webui/bench.py; this module knows no Flask and no domain.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Integer, Table, func, insert, select, text
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


def _renew(value: Any, suffix: str) -> Any:
    """Every task id in a value, consistently renewed for one clone."""
    if isinstance(value, str):
        return UUID.sub(lambda m: m.group(1) + suffix, value) if "-" in value else value
    if isinstance(value, dict):
        return {k: _renew(v, suffix) for k, v in value.items()}
    if isinstance(value, list):
        return [_renew(v, suffix) for v in value]
    return value


class Template:
    """One played case and every row that hangs off it, ready to be copied."""

    def __init__(self, conn: Any, case_row: dict[str, Any], tables: list[tuple[Table, str, str]]):
        self.case = case_row
        # the serialized workflow is the one large value: split once at its ids, joined per clone
        self.state_parts = UUID.split(case_row["state"]) if isinstance(case_row.get("state"), str) else None
        task_ids = [r[0] for r in conn.execute(text("SELECT id FROM tasks WHERE case_id = :c"), {"c": case_row["id"]})]
        self.rows: list[tuple[Table, str, list[dict[str, Any]]]] = []
        for table, column, kind in tables:
            if kind == "case":
                rows = conn.execute(select(table).where(table.c[column] == case_row["id"])).mappings().all()
            elif task_ids:
                rows = conn.execute(select(table).where(table.c[column].in_(task_ids))).mappings().all()
            else:
                rows = []
            key = _generated_key(table)
            self.rows.append((table, column, [{k: v for k, v in r.items() if k != key} for r in rows]))

    def state(self, suffix: str) -> str | None:
        if self.state_parts is None:
            return self.case.get("state")
        parts = self.state_parts
        # split with one group: text, prefix, text, prefix, ... (the last 12 hex digits are dropped)
        return "".join(p if i % 2 == 0 else p + suffix for i, p in enumerate(parts))


def clone_cases(db: Database, count: int, chunk: int = 250,
                progress: Callable[[int, int], None] | None = None) -> int:
    """Add `count` cases, copies of the cases there now in turn; returns how many were added."""
    if count <= 0:
        return 0
    cases = Base.metadata.tables["cases"]
    tables = case_tables()
    with db.engine.connect() as conn:
        templates = [Template(conn, dict(r), tables)
                     for r in conn.execute(select(cases).order_by(cases.c.id)).mappings()]
        next_id = (conn.scalar(select(func.max(cases.c.id))) or 0) + 1
    if not templates:
        raise ValueError("no cases to clone: play some first")
    sequences: dict[str, int] = {}
    added = 0
    while added < count:
        batch: dict[str, list[dict[str, Any]]] = {"cases": []}
        for _ in range(min(chunk, count - added)):
            template = templates[added % len(templates)]
            added += 1
            suffix = f"{added:012x}"  # unique per clone; the template's id prefix keeps ids apart
            row = dict(template.case, id=next_id, state=template.state(suffix))
            row["data"] = _renew(row.get("data"), suffix)
            match = NUMBER.match(row.get("number") or "")
            if match:
                sequences[match.group(1)] = sequences.get(match.group(1), 9999) + 1
                row["number"] = f"{match.group(1)}{sequences[match.group(1)]:05d}"
            batch["cases"].append(row)
            for table, column, rows in template.rows:
                for source in rows:
                    copy = {k: _renew(v, suffix) for k, v in source.items()}
                    if column == "case_id":
                        copy["case_id"] = next_id
                    if "outbox_id" in copy:
                        copy["outbox_id"] = None
                    batch.setdefault(table.name, []).append(copy)
            next_id += 1
        with db.engine.begin() as conn:
            conn.execute(insert(cases), batch.pop("cases"))
            for table, _column, _kind in tables:
                if batch.get(table.name):
                    conn.execute(insert(table), batch[table.name])
        if progress:
            progress(added, count)
    if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
        with db.engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
    return added


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
