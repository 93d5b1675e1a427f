"""Which ways a notification takes to a person: in the app always; by e-mail and by SMS when the service
has them switched on, the person has an address or a number, and has not turned that channel off in
their settings. Every caller that tells people something queues it here, in its own transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import clock
from engine.store import Case, OutboxMessage, User


def channels_for(config: Any, user: User) -> list[tuple[str, str | None]]:
    """(channel, address) pairs for this person: in_app first, then e-mail and SMS where they apply."""
    ways: list[tuple[str, str | None]] = [("in_app", None)]
    if config["mail.enabled"] and user.email and user.notify_email:
        ways.append(("email", user.email))
    if config["sms.enabled"] and user.phone and user.notify_sms:
        ways.append(("sms", user.phone))
    return ways


def queue(ctx: Any, session: Session, people: Iterable[User], case: Case | None, kind: str, subject: str,
          body: str, at: datetime | None = None) -> int:
    """An outbox row per person and channel; the sender delivers them after this transaction commits."""
    now = at or clock.now()
    rows, seen = [], set()
    for user in people:
        if user.username in seen:
            continue
        seen.add(user.username)
        for channel, address in channels_for(ctx.config, user):
            rows.append(OutboxMessage(channel=channel, address=address, recipient=user.username,
                                      case_id=case.id if case else None, kind=kind, subject=subject[:300],
                                      body=body, created_at=now, next_attempt_at=now))
    session.add_all(rows)
    return len(rows)
