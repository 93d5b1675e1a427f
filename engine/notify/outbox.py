"""The outbox sender: delivers the notifications that engine operations queued in their own transaction.

In-app messages become Notification rows; e-mails go out over SMTP (engine.notify.mailer), text messages
through the SMS gateway (engine.notify.sms). A batch is first
claimed (its rows hidden from other senders for a while) so that a long SMTP exchange holds no
database transaction open. A message that cannot be sent is retried later, waiting twice as long
each time; after `outbox.max_attempts` it is marked failed and kept for an administrator. A crash
at any point leaves the row pending (its claim simply expires): at worst an e-mail is sent twice,
an in-app notification never (Notification.outbox_id is unique).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from engine import clock
from engine.notify import mailer, sms
from engine.store import Case, CaseTexts, Notification, OutboxMessage

log = logging.getLogger(__name__)

# how long a claimed batch stays hidden from other senders: longer than sending it can take
CLAIM_SECONDS = 300


def deliver_due(ctx: Any, now: datetime | None = None) -> int:
    """Deliver pending messages whose time has come, batch after batch; returns how many were delivered."""
    batch = ctx.config["scheduler.batch_size"]
    delivered = 0
    while True:
        rows = _claim(ctx, now or clock.now(), batch)
        if not rows:
            return delivered
        delivered += _deliver_in_app(ctx, [r for r in rows if r.channel == "in_app"])
        delivered += _deliver_email(ctx, [r for r in rows if r.channel == "email"])
        delivered += _deliver_sms(ctx, [r for r in rows if r.channel == "sms"])
        if len(rows) < batch:
            return delivered


def _claim(ctx: Any, now: datetime, batch: int) -> list[OutboxMessage]:
    # e-mail and SMS wait (pending) while their channel is switched off
    channels = ["in_app"] + (["email"] if ctx.config["mail.enabled"] else []) + \
        (["sms"] if ctx.config["sms.enabled"] else [])
    due = (OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now, OutboxMessage.channel.in_(channels))
    with ctx.db.session() as session:
        ids = list(session.scalars(select(OutboxMessage.id).where(*due)
                                   .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(batch)))
        if not ids:
            return []
        # the WHERE repeats the conditions: a row another sender claimed meanwhile is not returned
        mine = list(session.scalars(update(OutboxMessage).where(OutboxMessage.id.in_(ids), *due)
                                    .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
                                    .returning(OutboxMessage.id).execution_options(synchronize_session=False)))
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(mine))
                                    .order_by(OutboxMessage.id))) if mine else []
    return rows


def _deliver_in_app(ctx: Any, rows: list[OutboxMessage]) -> int:
    if not rows:
        return 0
    now = clock.now()
    with ctx.db.session() as session:
        ids = [r.id for r in rows]
        done = set(session.scalars(select(Notification.outbox_id).where(Notification.outbox_id.in_(ids))))
        # the case's number and title are the case row's: stored as a mark, put back when read
        cases = {row.id: (row.number, row.title) for row in session.execute(
            select(Case.id, Case.number, Case.title).where(Case.id.in_({r.case_id for r in rows if r.case_id})))}

        def stored(r: OutboxMessage, text: str) -> str:
            return CaseTexts.encode(text, *cases[r.case_id]) if r.case_id in cases else text

        session.add_all(Notification(username=r.recipient, case_id=r.case_id, kind=r.kind, title=stored(r, r.subject),
                                     body=stored(r, r.body), created_at=r.created_at, outbox_id=r.id)
                        for r in rows if r.id not in done)
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                        .values(state="sent", sent_at=now, attempts=OutboxMessage.attempts + 1, last_error=None)
                        .execution_options(synchronize_session=False))
    return len(rows)


def _deliver_email(ctx: Any, rows: list[OutboxMessage]) -> int:
    if not rows:
        return 0
    sent = 0
    with mailer.Mailer(ctx.config) as smtp:
        for index, row in enumerate(rows):
            try:
                smtp.send(row.address or "", row.subject, row.body)
            except mailer.Unavailable as err:
                # the server is down or refuses us: the rest of the batch would fail the same way
                for waiting in rows[index:]:
                    _failed(ctx, waiting, str(err))
                break
            except mailer.Refused as err:
                _failed(ctx, row, str(err))
                continue
            _sent(ctx, row)
            sent += 1
    return sent


def _deliver_sms(ctx: Any, rows: list[OutboxMessage]) -> int:
    if not rows:
        return 0
    gateway, limit, sent = sms.gateway(ctx.config), ctx.config["sms.max_chars"], 0
    for index, row in enumerate(rows):
        try:
            gateway.send(row.address or "", sms.shorten(row.subject, row.body, limit))
        except sms.Unavailable as err:
            for waiting in rows[index:]:
                _failed(ctx, waiting, str(err))
            break
        except sms.Refused as err:
            _failed(ctx, row, str(err))
            continue
        _sent(ctx, row)
        sent += 1
    return sent


def _sent(ctx: Any, row: OutboxMessage) -> None:
    with ctx.db.session() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                        .values(state="sent", sent_at=clock.now(), attempts=OutboxMessage.attempts + 1,
                                last_error=None).execution_options(synchronize_session=False))


def _failed(ctx: Any, row: OutboxMessage, error: str) -> None:
    attempts = row.attempts + 1
    give_up = attempts >= ctx.config["outbox.max_attempts"]
    wait = timedelta(seconds=ctx.config["outbox.retry_seconds"] * 2 ** (attempts - 1))
    now = clock.now()
    with ctx.db.session() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
            attempts=attempts, last_error=error[:2000], state="failed" if give_up else "pending",
            next_attempt_at=now if give_up else now + wait).execution_options(synchronize_session=False))
    if give_up:
        log.error("gave up sending %s (%s) to %s after %d attempts: %s", row.kind, row.channel, row.address,
                  attempts, error)
    else:
        log.warning("sending %s (%s) to %s failed (attempt %d, next in %s): %s", row.kind, row.channel, row.address,
                    attempts, wait, error)

