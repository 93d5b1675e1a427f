"""Rebuild the rows the year's work keeps on every save — the search index and the battle map's
milestones — for cases saved before those rows existed (a database upgraded past migration 0008), or
after a unit or a person was renamed. `casework reindex` runs it; it changes no case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from engine.cases import instances
from engine.store import Case

from . import battlemap, search

BATCH = 100


def reindex(ctx: Any, progress: Callable[[str], None] = print) -> int:
    """Run the two save listeners over every case, a batch per transaction; returns how many cases."""
    index, milestones = search.keep_index(ctx.zone), battlemap.keep_milestones(ctx.zone)
    with ctx.db.session() as session:
        ids = list(session.scalars(select(Case.id).order_by(Case.id)))
    for start in range(0, len(ids), BATCH):
        with ctx.db.session() as session:
            for case in session.scalars(select(Case).where(Case.id.in_(ids[start:start + BATCH]))):
                index(session, case, None)
                if case.state and instances.closed_states(case.state) is None and (case.data or {}).get("checklist"):
                    # only these have milestones to read (an ended case's rows stay as they were)
                    milestones(session, case, instances.load(ctx, case))
        progress(f"{min(start + BATCH, len(ids))}/{len(ids)} cases indexed")
    return len(ids)
