"""A named lease in the database: only its holder runs a singleton job (the timer scheduler).

One row per job in `leases` (name, holder, acquired_at, expires_at). Taking or renewing it is one
statement, INSERT ... ON CONFLICT (name) DO UPDATE ... WHERE holder = me OR expires_at < now, which
is atomic on SQLite and on PostgreSQL alike: of two processes asking at once, one wins. The holder
renews it well before it expires; a standby asks again on each of its ticks and takes it once the
holder has stopped renewing for `seconds` (a killed process), or at once after a clean release.

The expiry is compared with each process's own clock: machines sharing a database keep their
clocks in step (NTP) to well within `seconds`.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from engine import clock
from engine.store import Database
from engine.store import Lease as LeaseRow


def new_holder() -> str:
    """host:pid:random, so a log line says which process holds the lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Lease:
    def __init__(self, db: Database, name: str, seconds: float, holder: str | None = None):
        self.db, self.name, self.seconds = db, name, seconds
        self.holder = holder or new_holder()
        self.current_holder: str | None = None  # who held it at the last look (for the standby's log line)
        self._valid_until = 0.0  # time.monotonic() until which we certainly hold it
        self._renewed_at = 0.0

    def acquire(self) -> bool:
        """Take the lease, or renew it if we hold it; True when we hold it now."""
        started = time.monotonic()  # counted from before the statement: the row may be written late, not early
        now = clock.now()
        insert = (postgresql.insert if self.db.engine.dialect.name == "postgresql" else sqlite.insert)(LeaseRow)
        row = {"name": self.name, "holder": self.holder, "acquired_at": now,
               "expires_at": now + timedelta(seconds=self.seconds)}
        stmt = insert.values(**row)
        stmt = stmt.on_conflict_do_update(
            index_elements=[LeaseRow.name],
            set_={"holder": stmt.excluded.holder, "expires_at": stmt.excluded.expires_at,
                  "acquired_at": case((LeaseRow.holder == stmt.excluded.holder, LeaseRow.acquired_at),
                                      else_=stmt.excluded.acquired_at)},
            where=(LeaseRow.holder == self.holder) | (LeaseRow.expires_at < now))
        with self.db.engine.begin() as conn:
            conn.execute(stmt)
            self.current_holder = conn.scalar(select(LeaseRow.holder).where(LeaseRow.name == self.name))
        if self.current_holder == self.holder:
            self._valid_until, self._renewed_at = started + self.seconds, started
            return True
        self._valid_until = 0.0
        return False

    def keep(self) -> bool:
        """During a long pass: renew once a third of the lease has gone by; False once it is lost."""
        if time.monotonic() - self._renewed_at < self.seconds / 3:
            return self.held()
        return self.acquire()

    def held(self) -> bool:
        return time.monotonic() < self._valid_until

    def release(self) -> None:
        """Give the lease up (a clean stop), so a standby takes over on its next tick."""
        self._valid_until = 0.0
        with self.db.engine.begin() as conn:
            conn.execute(delete(LeaseRow).where(LeaseRow.name == self.name, LeaseRow.holder == self.holder))
