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


class _NoTasks:
    """Stands for the workflow of an ended case: it has no task left to read."""

    @staticmethod
    def get_tasks(**_kwargs: Any) -> list[Any]:
        return []


_NO_TASKS = _NoTasks()


def reindex(ctx: Any, progress: Callable[[str], None] = print) -> int:
    """Run the two save listeners over every case, a batch per transaction; returns how many cases."""
    index, milestones = search.keep_index(ctx.zone), battlemap.keep_milestones(ctx.zone)
    with ctx.db.session() as session:
        ids = list(session.scalars(select(Case.id).order_by(Case.id)))
    for start in range(0, len(ids), BATCH):
        with ctx.db.session() as session:
            for case in session.scalars(select(Case).where(Case.id.in_(ids[start:start + BATCH]))):
                index(session, case, None)
                if case.state and (case.data or {}).get("checklist"):  # only these have milestones to read
                    # an ended case keeps no workflow: its checklist holds every item's outcome (the close-out
                    # round writes them back when its last item closes), so no task is needed
                    ended = instances.closed_states(case.state) is not None
                    milestones(session, case, _NO_TASKS if ended else instances.load(ctx, case))
        progress(f"{min(start + BATCH, len(ids))}/{len(ids)} cases indexed")
    return len(ids)
