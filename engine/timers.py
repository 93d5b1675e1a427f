"""Firing BPMN timers: the timer rows are the truth, APScheduler only says when to look.

A dispatcher claims timers that are due (an indexed query on state and due time), fires each case
in its own transaction (reload, refresh timers, run, save under the optimistic lock) and sleeps
until the earliest due time it knows, or the polling interval for timers other processes wrote.
Cases with nothing due are never loaded.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from . import clock, runtime
from .context import EngineContext
from .errors import Conflict
from .store import TimerRow

log = logging.getLogger(__name__)


def due_cases(session, now: datetime, limit: int) -> list[int]:
    """Cases with a waiting timer due by now, in due order."""
    first_due = func.min(TimerRow.due_at)
    rows = session.execute(
        select(TimerRow.case_id, first_due).where(TimerRow.state == "waiting", TimerRow.due_at <= now)
        .group_by(TimerRow.case_id).order_by(first_due).limit(limit))
    return [case_id for case_id, _ in rows]


def next_due(session) -> datetime | None:
    return session.scalar(select(TimerRow.due_at).where(TimerRow.state == "waiting")
                          .order_by(TimerRow.due_at).limit(1))


def fire_due(ctx: EngineContext, now: datetime | None = None) -> int:
    """Fire everything due now, batch after batch; returns how many timers fired."""
    batch = ctx.config["scheduler.batch_size"]
    fired, skipped = 0, set()
    while True:
        with ctx.db.session() as session:
            cases = [c for c in due_cases(session, now or clock.now(), batch + len(skipped)) if c not in skipped]
        if not cases:
            return fired
        for case_id in cases[:batch]:
            try:
                with ctx.db.session() as session:
                    fired += runtime.fire_timers(ctx, session, case_id)
            except Conflict:
                log.info("case %s changed while its timer fired; the next pass retries", case_id)
                skipped.add(case_id)
            except Exception:  # one broken case must not stop the others
                log.exception("firing the timers of case %s failed", case_id)
                skipped.add(case_id)


class TimerDispatcher:
    """APScheduler around fire_due: a polling job plus a one-off wake-up at the earliest due time."""

    def __init__(self, ctx: EngineContext):
        self.ctx = ctx
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self._lock = threading.Lock()
        self._wake_at: datetime | None = None

    def start(self) -> None:
        interval = self.ctx.config["scheduler.interval_seconds"]
        self.scheduler.add_job(self.tick, "interval", seconds=interval, id="poll", max_instances=1,
                               coalesce=True, next_run_time=clock.now())
        self.ctx.timer_listeners.append(self.case_saved)
        self.scheduler.start()
        log.info("timer scheduler started (polling every %ss)", interval)

    def stop(self) -> None:
        if self.case_saved in self.ctx.timer_listeners:
            self.ctx.timer_listeners.remove(self.case_saved)
        self.scheduler.shutdown(wait=True)

    def tick(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # a pass is already running; it will see everything due
        try:
            fire_due(self.ctx)
            with self.ctx.db.session() as session:
                upcoming = next_due(session)
            if upcoming is not None:
                self.wake_at(upcoming)
        except Exception:
            log.exception("timer pass failed")
        finally:
            self._lock.release()

    def case_saved(self, due: datetime | None) -> None:
        if due is not None:
            self.wake_at(due)

    def wake_at(self, due: datetime) -> None:
        """Run a pass at `due` if that is sooner than the next poll would."""
        now = clock.now()
        poll = timedelta(seconds=self.ctx.config["scheduler.interval_seconds"])
        if due - now > poll or (self._wake_at is not None and now < self._wake_at <= due):
            return
        self._wake_at = max(due, now)
        self.scheduler.add_job(self.tick, "date", run_date=self._wake_at, id="wake", replace_existing=True,
                               misfire_grace_time=30)
