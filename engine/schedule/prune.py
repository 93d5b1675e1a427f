"""Rows that have done their work, deleted so the database grows with the cases, not with their past.

- Timer rows of closed cases, and the reminder/escalation rows of tasks that closed (fired or
  cancelled): the history keeps what fired (timer_fired, deadline_reminder, case_escalated events).
  A running case's own deadline rows stay (a fired one must not fire again when the deadline moves
  back), and so does everything still waiting.
- Browser sessions past `auth.web_session_days` (no longer accepted; a browser that never signed out
  leaves its row behind).
- Outbox rows delivered more than `KEEP_SENT` ago: the notification (or the mail) is the result and
  carries the same kind, title and time (the face-reply warning's once-a-day check reads both).
The timer scheduler's leader runs this every hour (a periodic job); it is idempotent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, or_, select

from engine import clock, identity
from engine.store import Case, OutboxMessage, TaskRow, TimerRow

KEEP_SENT = timedelta(hours=1)
EVERY_SECONDS = 3600
CLOSED = ("completed", "cancelled")


def prune(session: Any, now: Any = None) -> dict[str, int]:
    now = now or clock.now()
    closed_case = exists(select(Case.id).where(Case.id == TimerRow.case_id, Case.status.in_(CLOSED)))
    closed_task = exists(select(TaskRow.id).where(TaskRow.id == TimerRow.task_id, TaskRow.state != "open"))
    timers = session.execute(delete(TimerRow).where(
        TimerRow.state != "waiting", or_(closed_case, and_(TimerRow.task_id.is_not(None), closed_task)))
        .execution_options(synchronize_session=False)).rowcount
    sent = session.execute(delete(OutboxMessage).where(OutboxMessage.state == "sent",
                                                       OutboxMessage.sent_at < now - KEEP_SENT)
                           .execution_options(synchronize_session=False)).rowcount
    return {"timers": timers or 0, "outbox": sent or 0}


def run(ctx: Any) -> dict[str, int]:
    with ctx.db.session() as session:
        done = prune(session)
        done["web_sessions"] = identity.prune_web_sessions(session, timedelta(days=ctx.config["auth.web_session_days"]))
        return done
