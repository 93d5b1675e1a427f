"""Firing timers: the timer rows are the truth, APScheduler only says when to look.

A pass claims the timers due now (an indexed query on state and due time, in batches, in due
order) and fires each case in its own transaction: reload, refresh timers, run, save under the
optimistic lock. Cases with nothing due are never loaded, and firing a timer twice changes nothing
the second time (its row is no longer waiting; a racing second firing is a Conflict).

The dispatcher runs a pass every `scheduler.interval_seconds` (timers other processes wrote) and at
the earliest due time it knows. Only the holder of the `timer-scheduler` lease (engine.schedule.lease) runs
passes and delivers the outbox; other schedulers stand by and take over when it stops renewing.

Catch-up: timers that fell due while no scheduler ran fire once when one starts, in due order; a
cycle that missed rounds fires once and waits for its next round in the future (engine.cases.cycles).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from engine import clock
from engine.cases import runtime
from engine.context import EngineContext, PeriodicJob
from engine.errors import Conflict
from engine.notify import outbox
from engine.schedule import prune
from engine.schedule.lease import Lease
from engine.store import TimerRow

log = logging.getLogger(__name__)
# the engine's own sweep: timer and outbox rows that have done their work (engine.schedule.prune)
PRUNE = PeriodicJob("prune", prune.EVERY_SECONDS, prune.run)

LEASE_NAME = "timer-scheduler"


def due_cases(session, now: datetime, limit: int, skip: set[int] = frozenset()) -> list[int]:
    """Cases with a waiting timer due by now, in due order (reads the state/due index, no grouping)."""
    query = (select(TimerRow.case_id).where(TimerRow.state == "waiting", TimerRow.due_at <= now)
             .order_by(TimerRow.due_at).limit(limit))
    if skip:
        query = query.where(TimerRow.case_id.not_in(skip))
    return list(dict.fromkeys(session.scalars(query)))


def next_due(session) -> datetime | None:
    return session.scalar(select(TimerRow.due_at).where(TimerRow.state == "waiting")
                          .order_by(TimerRow.due_at).limit(1))


# cases fired in one transaction: a commit (and its events' INSERT) shared by this many firings. Each
# case is still claimed under its own optimistic lock; one failing sends its group back to one case a
# transaction, so a broken or raced case costs only itself
CASES_PER_COMMIT = 20


def _fire_alone(ctx: EngineContext, case_id: int) -> int:
    try:
        with ctx.db.session() as session:
            return runtime.fire_timers(ctx, session, case_id)
    except Conflict:
        log.info("case %s changed while its timer fired; the next pass retries", case_id)
    except Exception:  # one broken case must not stop the others
        log.exception("firing the timers of case %s failed", case_id)
    return 0


def _fire_together(ctx: EngineContext, case_ids: list[int]) -> dict[int, int] | None:
    """Fire these cases in one transaction; None (nothing kept) when any of them failed."""
    try:
        with ctx.db.session() as session:
            return {case_id: runtime.fire_timers(ctx, session, case_id) for case_id in case_ids}
    except Exception:  # noqa: BLE001  (each case again on its own, which logs what failed)
        return None


def fire_due(ctx: EngineContext, now: datetime | None = None, keep_going: Callable[[], bool] = lambda: True) -> int:
    """Fire everything due now, batch after batch; returns how many timers fired.

    `keep_going` is asked before each batch (the dispatcher checks its lease there). A case that
    fires nothing, fails or changes under us is left for the next pass, so a pass always ends.
    """
    batch = ctx.config["scheduler.batch_size"]
    fired, skip, seen = 0, set(), set()
    while keep_going():
        with ctx.db.session() as session:
            cases = due_cases(session, now or clock.now(), batch, skip)
        if not cases:
            break
        for first in range(0, len(cases), CASES_PER_COMMIT):
            group = cases[first:first + CASES_PER_COMMIT]
            counts = _fire_together(ctx, group) if len(group) > 1 else None
            if counts is None:
                counts = {case_id: _fire_alone(ctx, case_id) for case_id in group}
            for case_id, count in counts.items():
                fired += count
                if count == 0 or case_id in seen:  # at most two visits a pass (a deadline may fall due as one fires)
                    skip.add(case_id)
                seen.add(case_id)
    return fired


class TimerDispatcher:
    """APScheduler around fire_due: a polling job plus a one-off wake-up at the earliest due time,
    both doing nothing unless this process holds the scheduler lease."""

    def __init__(self, ctx: EngineContext, holder: str | None = None):
        self.ctx = ctx
        self.lease = Lease(ctx.db, LEASE_NAME, ctx.config["scheduler.lease_seconds"], holder)
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self._lock = threading.Lock()
        self._wake_at: datetime | None = None
        self.leading: bool | None = None  # None until the first look at the lease
        self._stopping = threading.Event()
        self._job_due: dict[str, datetime] = {}  # periodic job name -> when it runs next

    @property
    def holder(self) -> str:
        return self.lease.holder

    def start(self) -> None:
        interval = self.ctx.config["scheduler.interval_seconds"]
        # a pass can outlast the interval: the polls meanwhile return at once (the lock) instead of
        # being refused by APScheduler with a warning each time
        self.scheduler.add_job(self.tick, "interval", seconds=interval, id="poll", max_instances=3,
                               coalesce=True, misfire_grace_time=None, next_run_time=clock.now())
        self.ctx.timer_listeners.append(self.case_saved)
        self.scheduler.start()
        log.info("scheduler %s started (polling every %ss, lease %ss)", self.holder, interval, self.lease.seconds)

    def stop(self) -> None:
        self._stopping.set()  # a long pass ends after its current batch
        if self.case_saved in self.ctx.timer_listeners:
            self.ctx.timer_listeners.remove(self.case_saved)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        with self._lock:  # a pass still running in a worker thread finishes first
            if self.leading:
                self.lease.release()
                log.info("scheduler %s released the lease", self.holder)
            self.leading = False

    def tick(self) -> None:
        if not self._lock.acquire(blocking=False):
            return  # a pass is already running; it will see everything due
        try:
            if self._lead():
                self._pass()
        finally:
            self._lock.release()

    def _pass(self) -> None:
        try:
            fire_due(self.ctx, keep_going=self._keep)
            with self.ctx.db.session() as session:
                upcoming = next_due(session)
            if upcoming is not None:
                self.wake_at(upcoming)
        except Exception:
            log.exception("timer pass failed")
        self._periodic()
        try:  # the notifications the firings queued, and retries that are due: only the leader sends
            if self.leading:
                outbox.deliver_due(self.ctx)
        except Exception:
            log.exception("delivering the outbox failed")

    def _periodic(self) -> None:
        """The domain's sweeps (ctx.periodic_jobs), each every so many seconds, by the leader only.

        Their last run is kept in memory: a new leader runs each once at once, so a job must be
        idempotent (say, a warning at most once per day)."""
        now = clock.now()
        for job in (*self.ctx.periodic_jobs, PRUNE):
            if not self.leading or self._job_due.get(job.name, now) > now:
                continue
            self._job_due[job.name] = now + timedelta(seconds=job.every_seconds)
            try:
                job.run(self.ctx)
            except Exception:
                log.exception("periodic job %s failed", job.name)

    def _lead(self) -> bool:
        """Take or renew the lease; log when this process becomes leader or stands by."""
        try:
            leading = self.lease.acquire()
        except Exception:
            log.exception("scheduler %s could not reach the lease", self.holder)
            leading = False
        if leading and not self.leading:
            log.info("scheduler %s took the lease", self.holder)
        elif not leading and self.leading is not False:
            log.info("scheduler %s standing by (the lease is held by %s)", self.holder, self.lease.current_holder)
        self.leading = leading
        return leading

    def _keep(self) -> bool:
        """Between batches of a long pass: renew the lease in time, stop the pass if it was lost."""
        if self._stopping.is_set():
            return False
        try:
            if self.lease.keep():
                return True
        except Exception:
            log.exception("scheduler %s could not renew the lease", self.holder)
        log.warning("scheduler %s lost the lease during a pass; stopping it", self.holder)
        self.leading = False
        return False

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
