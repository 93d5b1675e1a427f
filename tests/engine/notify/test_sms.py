"""Text messages through the SMS gateway: a real HTTP conversation with a fake provider on 127.0.0.1. Notices
reach a person's phone when the service sends SMS, the person has a number and keeps SMS on; a provider
that is down loses nothing (the message waits and goes out when it is back); a refused number is not retried
for ever; the logging gateway is the default."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from engine import clock, identity
from engine.errors import Invalid
from engine.notify import channels, outbox, sms
from engine.store import Notification, OutboxMessage


class FakeGateway:
    """An SMS provider's HTTP endpoint: records what it is sent, answers with the status it is told."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if outer.status == 200:
                    outer.received.append(json.loads(body))
                    outer.headers.append(dict(self.headers))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if outer.status == 200 else b'{"error": "no"}')

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    fake = FakeGateway()
    yield fake
    fake.stop()


def _sms_on(ctx, url: str) -> None:
    ctx.config = ctx.config.replace(sms__enabled=True, sms__gateway="http", sms__url=url, sms__token="secret-token",
                                    sms__sender="区人大", sms__max_chars=40, sms__timeout_seconds=5.0)


def _people(ctx) -> None:
    with ctx.db.session() as session:
        identity.add_user(session, "deputy", "secret-pw", ["deputies"], "赵代表", phone="138 0013 8000")
        identity.add_user(session, "quiet", "secret-pw", ["deputies"], "钱代表", phone="13900139000").notify_sms = False
        identity.add_user(session, "nophone", "secret-pw", ["deputies"], "孙代表")


def _tell(ctx, *names: str, subject: str = "您的建议已交办", body: str = "已交区水务局主办，联系人韩办理员，电话 12345678，请保持联系，办理结果将另行告知。") -> None:
    with ctx.db.session() as session:
        channels.queue(ctx, session, [identity.get_user(session, n) for n in names], None, "assigned", subject, body)


def _rows(ctx, channel: str = "sms") -> list[OutboxMessage]:
    with ctx.db.session() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == channel)))


def test_a_notice_reaches_the_phone_of_whoever_keeps_sms_on(ctx, gateway):
    _sms_on(ctx, gateway.url)
    _people(ctx)
    _tell(ctx, "deputy", "quiet", "nophone")
    assert [r.recipient for r in _rows(ctx)] == ["deputy"]  # quiet turned SMS off, nophone has no number
    assert outbox.deliver_due(ctx) == 4  # three in the app, one text
    assert len(gateway.received) == 1
    message = gateway.received[0]
    assert message["to"] == "13800138000" and message["sender"] == "区人大"
    assert message["text"].startswith("您的建议已交办：已交区水务局主办") and len(message["text"]) <= 40
    assert message["text"].endswith("…")  # shortened to sms.max_chars, not cut off silently
    assert gateway.headers[0]["Authorization"] == "Bearer secret-token"
    assert [r.state for r in _rows(ctx)] == ["sent"]
    with ctx.db.session() as session:
        assert session.scalar(select(Notification.username).where(Notification.username == "quiet")) == "quiet"


def test_while_sms_is_off_texts_wait_and_go_out_when_it_is_switched_on(ctx, gateway):
    _people(ctx)
    _tell(ctx, "deputy")
    assert _rows(ctx) == []  # the service sends no SMS: none are queued
    _sms_on(ctx, gateway.url)
    _tell(ctx, "deputy")
    ctx.config = ctx.config.replace(sms__enabled=False)
    outbox.deliver_due(ctx)
    assert [r.state for r in _rows(ctx)] == ["pending"] and gateway.received == []
    ctx.config = ctx.config.replace(sms__enabled=True)
    outbox.deliver_due(ctx)
    assert [r.state for r in _rows(ctx)] == ["sent"] and len(gateway.received) == 1


def test_a_provider_that_is_down_loses_nothing_and_is_retried_later(ctx, gateway):
    _sms_on(ctx, gateway.url)
    _people(ctx)
    gateway.status = 503
    _tell(ctx, "deputy")
    outbox.deliver_due(ctx)
    (row,) = _rows(ctx)
    assert row.state == "pending" and row.attempts == 1 and "503" in row.last_error
    assert row.next_attempt_at > clock.now()  # backed off, not hammering the provider
    gateway.status = 200
    outbox.deliver_due(ctx, now=clock.now() + timedelta(hours=1))
    (row,) = _rows(ctx)
    assert row.state == "sent" and len(gateway.received) == 1


def test_a_refused_number_is_given_up_after_the_attempts(ctx, gateway):
    _sms_on(ctx, gateway.url)
    ctx.config = ctx.config.replace(outbox__max_attempts=2)
    _people(ctx)
    gateway.status = 400
    _tell(ctx, "deputy")
    outbox.deliver_due(ctx)
    outbox.deliver_due(ctx, now=clock.now() + timedelta(hours=1))
    (row,) = _rows(ctx)
    assert row.state == "failed" and row.attempts == 2 and "refused" in row.last_error


def test_an_unreachable_gateway_is_unavailable(ctx, gateway):
    url = gateway.url
    gateway.stop()
    with pytest.raises(sms.Unavailable):
        sms.HttpGateway(url, timeout=2.0).send("13800138000", "测试")


def test_the_logging_gateway_is_the_default_and_sends_nothing_out(ctx, caplog):
    ctx.config = ctx.config.replace(sms__enabled=True)
    _people(ctx)
    assert isinstance(sms.gateway(ctx.config), sms.LoggingGateway)
    before = len(sms.gateway(ctx.config).sent)
    with caplog.at_level("INFO", logger="engine.notify.sms"):
        _tell(ctx, "deputy", subject="请测评", body="")
        outbox.deliver_due(ctx)
    assert sms.gateway(ctx.config).sent[before:] == [("13800138000", "请测评")]
    assert "SMS to 13800138000" in caplog.text


@pytest.mark.parametrize("phone", ["12", "call me", "138001380001380013800", "+86 138 0013 8000 ext 5"])
def test_a_phone_number_that_cannot_be_one_is_refused(ctx, phone):
    with ctx.db.session() as session, pytest.raises(Invalid) as refused:
        identity.add_user(session, "x", "secret-pw", [], phone=phone)
    assert refused.value.details == [{"field": "phone", "message": "not a phone number"}]
