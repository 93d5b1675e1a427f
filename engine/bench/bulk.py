"""`casework bench scale`: the cases there now doubled by the database itself, up to N (100k in minutes).

Each round copies the cases (and every row that hangs off them: engine.bench.scale.case_tables) with
INSERT ... SELECT, the new case id being the old one plus the largest id there was. A task id (any
36-character id column: tasks.id, timers.id, every task_id) keeps its first 24 characters and gets the
new case id in hex as its last 12, so the ids of one copy agree with each other across tables and with
its serialized workflow (renewed the same way in Python afterwards: the ended cases keep no task ids).
Numbers get the new case id, seven digits (no clash with the played cases' four). What differs from
real use: a notification's link to the outbox row that delivered it is dropped (it is unique), and
reminder ids are no longer the uuid5 of their task (they are only looked up by task id).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from sqlalchemy import String, Table, bindparam, text

from engine.store import Base, CompressedText, Database

from .scale import CLOSED, UUID, _generated_key, case_tables


def _renew(column: str, case_id: str, postgres: bool) -> str:
    """SQL: the task id in `column` with the new case's id as its last 12 hex digits (other values as is)."""
    hex12 = f"lpad(to_hex({case_id}), 12, '0')" if postgres else f"printf('%012x', {case_id})"
    return (f"CASE WHEN length({column}) = 36 AND substr({column}, 9, 1) = '-' "
            f"THEN substr({column}, 1, 24) || {hex12} ELSE {column} END")


def _copy_sql(table: Table, link: str | None, kind: str, postgres: bool, quote: Callable[[str], str]) -> str:
    """INSERT ... SELECT of one table's rows of the cases with ids up to :last, as cases id + :off."""
    name = quote(table.name)
    key = None if table.name == "cases" else _generated_key(table)
    source = f"{name}.{quote('id')}" if table.name == "cases" else (
        f"{name}.{quote(link)}" if kind == "case" else "tasks.case_id")
    new_id = f"({source} + :off)"
    columns, values = [], []
    for column in table.columns:
        if column.name == key:
            continue
        ref = f"{name}.{quote(column.name)}"
        if (table.name == "cases" and column.name == "id") or (kind == "case" and column.name == link):
            value = new_id
        elif column.name == "number" and table.name == "cases":
            digits = f"lpad(({new_id})::text, 7, '0')" if postgres else f"printf('%07d', {new_id})"
            value = f"rtrim({ref}, '0123456789') || {digits}"
        elif column.name == "outbox_id":
            value = "NULL"
        elif isinstance(column.type, String) and column.type.length == 36:
            value = _renew(ref, new_id, postgres)
            if postgres and "postgresql" in column.type._variant_mapping:  # a uuid there (TASK_UUID)
                value = f"({_renew(ref + '::text', new_id, postgres)})::uuid"
        else:
            value = ref
        columns.append(quote(column.name))
        values.append(value)
    join = f" JOIN tasks ON tasks.id = {name}.{quote(link)}" if kind == "task" else ""
    return (f"INSERT INTO {name} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {name}{join} "
            f"WHERE {source} <= :last")


def _renew_states(db: Database, after: int) -> int:
    """The running copies' serialized workflows with their task ids renewed like their rows'."""
    renewed = 0
    with db.engine.begin() as conn:
        query = text("SELECT id, state FROM cases WHERE id > :after AND status NOT IN :closed").bindparams(
            bindparam("closed", expanding=True))
        rows = conn.execute(query, {"after": after, "closed": list(CLOSED)}).all()
        updates = []
        for case_id, state in rows:
            if state is None:
                continue
            raw = zlib.decompress(bytes(state)).decode("utf-8") if not isinstance(state, str) else state
            suffix = f"{case_id:012x}"
            new = UUID.sub(lambda m, s=suffix: m.group(1) + s, raw)
            if new != raw:
                updates.append({"id": case_id, "state": zlib.compress(new.encode("utf-8"), CompressedText.LEVEL)})
        for start in range(0, len(updates), 500):
            conn.execute(text("UPDATE cases SET state = :state WHERE id = :id"), updates[start:start + 500])
        renewed = len(updates)
    return renewed


def double_cases(db: Database, count: int, progress: Callable[[int, int], None] | None = None) -> int:
    """Add `count` cases by copying the cases there now (all of them each round, fewer in the last);
    returns how many were added."""
    postgres = db.engine.dialect.name == "postgresql"
    quote = db.engine.dialect.identifier_preparer.quote
    tables: list[tuple[Table, str | None, str]] = [(Base.metadata.tables["cases"], None, "case"), *case_tables()]
    statements = [text(_copy_sql(t, link, kind, postgres, quote)) for t, link, kind in tables]
    added = 0
    while added < count:
        with db.engine.begin() as conn:
            top = conn.execute(text("SELECT max(id), count(*) FROM cases")).one()
            if not top[1]:
                raise ValueError("no cases to clone: play some first")
            take = min(top[1], count - added)
            last = conn.execute(text("SELECT id FROM cases ORDER BY id LIMIT 1 OFFSET :n"), {"n": take - 1}).scalar()
            for statement in statements:
                conn.execute(statement, {"off": top[0], "last": last})
        _renew_states(db, top[0])
        added += take
        if progress:
            progress(added, count)
    if postgres:  # explicit ids: move the sequence past them
        with db.engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
    return added
