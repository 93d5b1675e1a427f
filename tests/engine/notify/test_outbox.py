"""The outbox against a real SMTP server on 127.0.0.1: reminders and escalations arrive by mail and in the
app; while the server is down nothing is lost, retries back off, and the message goes out once it is up."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from engine import identity
from engine.cases import runtime
from engine.notify import channels, notifications, outbox
from engine.schedule import timers
from engine.store import Notification, OutboxMessage, TimerRow
from tests.conftest import deploy_xml
from tests.engine.cases.test_deadlines import DUE, DUE_TASK, MONDAY, SHANGHAI
from tests.smtp_util import MailServer, free_port

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def server():
    running = MailServer().start()
    yield running
    running.stop()


def _mail_on(ctx, port, **more):
    ctx.config = ctx.config.replace(mail__enabled=True, mail__host="127.0.0.1", mail__port=port,
                                    mail__timeout_seconds=5.0, mail__sender="督办系统 <casework@example.org>", **more)


def _users(ctx):
    with ctx.db.session() as session:
        identity.add_user(session, "ann", "secret-pw", ["unit_a"]).email = "ann@example.org"
        identity.add_user(session, "bob", "secret-pw", ["unit_a"])  # no address: in the app only
        identity.add_user(session, "boss", "secret-pw", ["supervisors"]).email = "boss@example.org"


def _queue(ctx, names, subject="提醒：「答复」将于 2026-03-09 到期", body="请及时办理。"):
    with ctx.db.session() as session:
        people = [identity.get_user(session, n) for n in names]
        channels.queue(ctx, session, people, None, "reminder", subject, body)


def _outbox(ctx, channel="email"):
    with ctx.db.session() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == channel)
                                    .order_by(OutboxMessage.id)))


def test_reminders_and_escalations_reach_the_mail_server_and_the_app(ctx, server):
    _mail_on(ctx, server.port)
    _users(ctx)
    deploy_xml(ctx, DUE_TASK)
    with time_machine.travel(MONDAY, tick=False), ctx.db.session() as session:
        case = runtime.start_case(ctx, session, identity.get_user(session, "ann"), "due_task", "校门口增设红绿灯",
                                  {"due": DUE.isoformat(), "helper": "bob"})
        number = case.number
    with ctx.db.session() as session:
        first = session.scalar(select(TimerRow.due_at).where(TimerRow.kind == "reminder").order_by(TimerRow.due_at))
    with time_machine.travel(first + timedelta(minutes=1), tick=False):
        assert timers.fire_due(ctx) == 1
        assert server.received == []  # queued with the event, sent by the sender
        assert outbox.deliver_due(ctx) == 3  # ann by mail and in the app, bob in the app
    [reminder] = server.to("ann@example.org")
    assert reminder["Subject"] == f"提醒：「答复代表」将于 2026-05-08 17:00 到期（{number}）"
    assert reminder["From"] == "督办系统 <casework@example.org>" and reminder["To"] == "ann@example.org"
    assert reminder.get_content_charset() == "utf-8" and "校门口增设红绿灯" in reminder.get_content()
    with time_machine.travel(DUE + timedelta(minutes=1), tick=False):
        assert timers.fire_due(ctx) == 1
        assert outbox.deliver_due(ctx) == 5
        assert outbox.deliver_due(ctx) == 0
    [escalation] = server.to("boss@example.org")
    assert escalation["Subject"] == f"督办：「答复代表」已超期（{number}）"
    assert len(server.to("ann@example.org")) == 2 and len(server.received) == 3
    with ctx.db.session() as session:
        assert [n.title[:2] for n in notifications.list_for(session, "ann")] == ["督办", "提醒"]
        assert [n.kind for n in notifications.list_for(session, "bob")] == ["escalation", "reminder"]
        assert [n.kind for n in notifications.list_for(session, "boss")] == ["escalation"]
    assert {m.state for m in _outbox(ctx)} == {"sent"}


def test_while_the_server_is_down_retries_back_off_and_nothing_is_lost(ctx):
    port = free_port()  # nothing listens here yet
    _mail_on(ctx, port)
    _users(ctx)
    with time_machine.travel(T0, tick=False):
        _queue(ctx, ["ann", "boss"])
        assert outbox.deliver_due(ctx) == 2  # the in-app ones do not wait for the mail server
    rows = _outbox(ctx)
    assert [(r.state, r.attempts) for r in rows] == [("pending", 1), ("pending", 1)]
    assert all(r.next_attempt_at == T0 + timedelta(seconds=30) and r.last_error for r in rows)
    with time_machine.travel(T0 + timedelta(seconds=29), tick=False):
        assert outbox.deliver_due(ctx) == 0
    assert [r.attempts for r in _outbox(ctx)] == [1, 1]  # not tried before its time
    with time_machine.travel(T0 + timedelta(seconds=31), tick=False):
        assert outbox.deliver_due(ctx) == 0
    rows = _outbox(ctx)
    assert [r.attempts for r in rows] == [2, 2]
    assert rows[0].next_attempt_at == T0 + timedelta(seconds=31 + 60)  # twice as long
    server = MailServer(port=port).start()
    try:
        with time_machine.travel(T0 + timedelta(seconds=31 + 59), tick=False):
            assert outbox.deliver_due(ctx) == 0
        with time_machine.travel(T0 + timedelta(seconds=31 + 61), tick=False):
            assert outbox.deliver_due(ctx) == 2
        with time_machine.travel(T0 + timedelta(hours=1), tick=False):
            assert outbox.deliver_due(ctx) == 0
    finally:
        server.stop()
    assert [len(server.to(a)) for a in ("ann@example.org", "boss@example.org")] == [1, 1]
    assert [(r.state, r.attempts, r.last_error) for r in _outbox(ctx)] == [("sent", 3, None), ("sent", 3, None)]


def test_after_the_last_attempt_a_message_is_kept_as_failed(ctx):
    _mail_on(ctx, free_port(), outbox__max_attempts=2)
    _users(ctx)
    with time_machine.travel(T0, tick=False):
        _queue(ctx, ["ann"])
        outbox.deliver_due(ctx)
    with time_machine.travel(T0 + timedelta(seconds=31), tick=False):
        outbox.deliver_due(ctx)
    [row] = _outbox(ctx)
    assert (row.state, row.attempts) == ("failed", 2) and row.last_error
    with time_machine.travel(T0 + timedelta(days=7), tick=False):
        assert outbox.deliver_due(ctx) == 0
    assert _outbox(ctx)[0].attempts == 2


def test_a_refused_recipient_does_not_hold_up_the_others(ctx, server):
    _mail_on(ctx, server.port)
    _users(ctx)
    server.refuse = {"ann@example.org"}
    with time_machine.travel(T0, tick=False):
        _queue(ctx, ["ann", "boss"])
        assert outbox.deliver_due(ctx) == 3  # two in the app, boss's mail
    ann, boss = _outbox(ctx)
    assert (ann.state, ann.attempts) == ("pending", 1) and "550" in ann.last_error
    assert boss.state == "sent" and len(server.to("boss@example.org")) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_sender_logs_in_when_a_user_name_is_set(ctx):
    server = MailServer(credentials=("casework", "mail-pw")).start()
    try:
        _mail_on(ctx, server.port, mail__username="casework", mail__password="wrong")
        _users(ctx)
        with time_machine.travel(T0, tick=False):
            _queue(ctx, ["ann"])
            outbox.deliver_due(ctx)
        [row] = _outbox(ctx)
        assert row.state == "pending" and "535" in row.last_error and server.received == []
        ctx.config = ctx.config.replace(mail__password="mail-pw")
        with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
            assert outbox.deliver_due(ctx) == 1
        assert len(server.to("ann@example.org")) == 1
    finally:
        server.stop()


def test_starttls_is_required_when_configured(ctx, server):
    _mail_on(ctx, server.port, mail__security="starttls")  # this server offers no STARTTLS
    _users(ctx)
    with time_machine.travel(T0, tick=False):
        _queue(ctx, ["ann"])
        outbox.deliver_due(ctx)
    [row] = _outbox(ctx)
    assert row.state == "pending" and "STARTTLS" in row.last_error and server.received == []


def test_an_in_app_message_is_delivered_once_even_after_a_crash_halfway(ctx):
    _users(ctx)
    _queue(ctx, ["bob"])
    [row] = _outbox(ctx, "in_app")
    with ctx.db.session() as session:  # the sender had written the notification but not yet marked the row
        session.add(Notification(username="bob", kind="reminder", title=row.subject, outbox_id=row.id))
    assert outbox.deliver_due(ctx) == 1
    with ctx.db.session() as session:
        assert notifications.unread_count(session, "bob") == 1
    assert _outbox(ctx, "in_app")[0].state == "sent"


def test_with_mail_off_only_in_app_messages_are_queued(ctx):
    _users(ctx)
    _queue(ctx, ["ann", "boss"])
    assert _outbox(ctx) == [] and len(_outbox(ctx, "in_app")) == 2


def test_casework_users_add_takes_an_e_mail_address(tmp_path):
    from engine.store import Database, User
    from tests.test_cli import run

    result = run(tmp_path, "users", "add", "ann", "--password", "secret-pw", "--email", "ann@example.org")
    assert result.returncode == 0, result.stderr
    result = run(tmp_path, "users", "add", "bob", "--password", "secret-pw", "--email", "bob at home")
    assert result.returncode == 1 and "not an e-mail address" in result.stderr
    db = Database(f"sqlite:///{tmp_path / 'cli.db'}")
    with db.session() as session:
        assert [(u.username, u.email) for u in session.scalars(select(User))] == [("ann", "ann@example.org")]
    db.dispose()
