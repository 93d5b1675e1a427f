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

import json
import re
import statistics
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import JSON, Integer, Table, func, select, text
from sqlalchemy.orm import Session

from engine.store import Base, Case, CompressedText, Database

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


class _Parts(list):
    """A text value split at its task ids: joined again with each clone's suffix."""

    def join(self, suffix: str) -> str:
        # split with one group: text, prefix, text, prefix, ... (the last 12 hex digits are dropped)
        return "".join(p if i % 2 == 0 else p + suffix for i, p in enumerate(self))


class _Insert:
    """A table's INSERT as the database driver takes it, and a row's values in the driver's form, computed
    once per template row (the column types' own conversions), so that a clone is a few string joins."""

    def __init__(self, table: Table, dialect: Any, dumps: Callable[[Any], str]):
        key = None if table.name == "cases" else _generated_key(table)  # a clone's case id is chosen here
        self.columns = [c for c in table.columns if c.name != key]
        self.names = [c.name for c in self.columns]
        postgres = dialect.name == "postgresql"
        mark = "%s" if postgres else "?"
        quote = dialect.identifier_preparer.quote
        self.sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in self.names)}) VALUES ("
                    + ", ".join(f"CAST({mark} AS JSON)" if postgres and isinstance(c.type, JSON) else mark
                                for c in self.columns) + ")")
        self.dialect, self.dumps = dialect, dumps

    def values(self, row: dict[str, Any]) -> list[Any]:
        out = []
        for column in self.columns:
            value = row.get(column.name)
            if value is not None:
                if isinstance(column.type, JSON):
                    value = self.dumps(value)
                else:
                    process = column.type._cached_bind_processor(self.dialect)
                    value = process(value) if process else value
            if isinstance(value, str) and UUID.search(value):
                value = _Parts(UUID.split(value))
            out.append(value)
        return out


class Template:
    """One played case and every row that hangs off it, ready to be copied."""

    def __init__(self, conn: Any, case_row: dict[str, Any], tables: list[tuple[Table, str, str]],
                 inserts: dict[str, _Insert]):
        self.case = case_row
        # the serialized workflow is the one large value: split once at its ids, joined per clone
        self.state_parts = _Parts(UUID.split(case_row["state"])) if isinstance(case_row.get("state"), str) \
            and UUID.search(case_row["state"]) else None
        self.case_values = inserts["cases"].values(case_row)
        task_ids = [r[0] for r in conn.execute(text("SELECT id FROM tasks WHERE case_id = :c"), {"c": case_row["id"]})]
        self.rows: list[tuple[Table, str, list[list[Any]]]] = []
        for table, column, kind in tables:
            if kind == "case":
                rows = conn.execute(select(table).where(table.c[column] == case_row["id"])).mappings().all()
            elif task_ids:
                rows = conn.execute(select(table).where(table.c[column].in_(task_ids))).mappings().all()
            else:
                rows = []
            self.rows.append((table, column, [inserts[table.name].values(dict(r)) for r in rows]))

    def state(self, suffix: str) -> Any:
        """The clone's workflow as the driver takes it (compressed), its task ids renewed."""
        if self.state_parts is None:
            return self.case_values[_index("cases", "state")]
        return zlib.compress(self.state_parts.join(suffix).encode("utf-8"), CompressedText.LEVEL)


def _index(table: str, column: str) -> int:
    return _COLUMNS[table].index(column)


_COLUMNS: dict[str, list[str]] = {}


def _renewed(values: list[Any], suffix: str) -> list[Any]:
    out = list(values)
    for i in _parts_at(values):
        out[i] = values[i].join(suffix)
    return out


_PARTS_AT: dict[int, tuple[int, ...]] = {}  # id of a template row's values -> where its task ids are


def _parts_at(values: list[Any]) -> tuple[int, ...]:
    found = _PARTS_AT.get(id(values))
    if found is None:
        found = _PARTS_AT[id(values)] = tuple(i for i, v in enumerate(values) if isinstance(v, _Parts))
    return found


def clone_cases(db: Database, count: int, chunk: int = 500,
                progress: Callable[[int, int], None] | None = None) -> int:
    """Add `count` cases, copies of the cases there now in turn; returns how many were added."""
    if count <= 0:
        return 0
    cases = Base.metadata.tables["cases"]
    tables = case_tables()
    dialect = db.engine.dialect
    dumps = db.engine.dialect._json_serializer or json.dumps
    inserts = {t.name: _Insert(t, dialect, dumps) for t in [cases] + [t for t, _c, _k in tables]}
    _COLUMNS.update({name: insert_.names for name, insert_ in inserts.items()})
    with db.engine.connect() as conn:
        templates = [Template(conn, dict(r), tables, inserts)
                     for r in conn.execute(select(cases).order_by(cases.c.id)).mappings()]
        next_id = (conn.scalar(select(func.max(cases.c.id))) or 0) + 1
        numbers = [n for (n,) in conn.execute(select(cases.c.number)) if n]
    if not templates:
        raise ValueError("no cases to clone: play some first")
    sequences: dict[str, int] = {}
    for number in numbers:  # clones number on from the clones already there (a kept database grown again)
        match = NUMBER.match(number)
        if match and len(match.group(2)) == 5:
            sequences[match.group(1)] = max(sequences.get(match.group(1), 9999), int(match.group(2)))
    at = {name: {c: _index(name, c) for c in insert_.names} for name, insert_ in inserts.items()}
    added = 0
    while added < count:
        batch: dict[str, list[list[Any]]] = {"cases": []}
        for _ in range(min(chunk, count - added)):
            template = templates[added % len(templates)]
            added += 1
            suffix = f"{next_id:012x}"  # unique per clone (its case id); the template's id prefix keeps ids apart
            row = _renewed(template.case_values, suffix)
            row[at["cases"]["id"]] = next_id
            row[at["cases"]["state"]] = template.state(suffix)
            match = NUMBER.match(template.case.get("number") or "")
            if match:
                sequences[match.group(1)] = sequences.get(match.group(1), 9999) + 1
                row[at["cases"]["number"]] = f"{match.group(1)}{sequences[match.group(1)]:05d}"
            batch["cases"].append(row)
            for table, column, rows in template.rows:
                place = at[table.name]
                for source in rows:
                    copy = _renewed(source, suffix)
                    if column == "case_id":
                        copy[place["case_id"]] = next_id
                    if "outbox_id" in place:
                        copy[place["outbox_id"]] = None
                    batch.setdefault(table.name, []).append(copy)
            next_id += 1
        with db.engine.begin() as conn:
            for name in ["cases"] + [t.name for t, _c, _k in tables]:
                if batch.get(name):
                    conn.exec_driver_sql(inserts[name].sql, [tuple(r) for r in batch[name]])
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
