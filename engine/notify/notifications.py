"""A user's in-app notifications (delivered by engine.notify.outbox): list them, count the unread, mark them read.

Every function takes the user name and touches only that user's rows: someone else's notification
does not exist for you (NotFound).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine import bounds, clock
from engine.errors import NotFound
from engine.store import Notification


def list_for(session: Session, username: str, unread_only: bool = False, limit: int = 100,
             offset: int = 0) -> list[Notification]:
    """Newest first."""
    stmt = select(Notification).where(Notification.username == username)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return list(session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
                                .limit(limit).offset(offset)))


def unread_count(session: Session, username: str, at_most: int | None = None) -> int:
    """How many are unread; with `at_most`, counted only up to one more than that (a badge says "999+":
    a supervisor's unread list of a whole archive is not counted on every page)."""
    unread = select(Notification.id).where(Notification.username == username, Notification.read_at.is_(None))
    if at_most is not None:
        unread = unread.limit(at_most + 1)
    return session.scalar(select(func.count()).select_from(unread.subquery())) or 0


def mark_read(session: Session, username: str, notification_id: int | str) -> Notification:
    """Mark one read (again is harmless: the first reading time is kept)."""
    row = session.get(Notification, bounds.parse_id(notification_id, "notification"))
    if row is None or row.username != username:
        raise NotFound(f"no notification {notification_id}")
    if row.read_at is None:
        row.read_at = clock.now()
    return row


def mark_all_read(session: Session, username: str) -> int:
    """Returns how many were unread."""
    result = session.execute(update(Notification).where(Notification.username == username,
                                                        Notification.read_at.is_(None))
                             .values(read_at=clock.now()).execution_options(synchronize_session=False))
    return result.rowcount
