"""The history and the in-app notifications are stored compactly (kinds as codes, a task event's name and
element on the task row, a notification's case number and title as a mark): what people read is the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, text

from engine.cases import queries, runtime, timeline
from engine.notify import notifications, outbox
from engine.schedule import timers
from engine.store import CaseTexts, EventRow, OutboxMessage, TaskRow
from tests.engine.cases.test_deadlines import DUE, DUE_TASK, _people, _rows, _start


@pytest.mark.parametrize("text_", ["", "plain", "案件编号：N-1\n案由：T\n", "\x01N\x01T\x01\x01 N-1 T", "N-1N-1TT\x01"])
@pytest.mark.parametrize(("number", "title"), [("N-1", "T"), (None, "T"), ("N-1", ""), ("T", "N-1"), ("N", "N-1")])
def test_a_case_text_reads_back_as_written(text_, number, title):
    assert CaseTexts.decode(CaseTexts.encode(text_, number, title), number, title) == text_


def test_the_notification_list_and_the_timeline_show_the_same_texts_as_were_written(ctx):
    _people(ctx)
    case_id = _start(ctx, DUE_TASK, "due_task", {"due": DUE.isoformat(), "helper": "helper"})
    first = _rows(ctx, case_id)[0]
    with time_machine.travel(first.due_at + timedelta(minutes=1), tick=False):
        assert timers.fire_due(ctx) == 1
        sent = {m.recipient: (m.subject, m.body) for m in _outbox(ctx, case_id)}
        outbox.deliver_due(ctx)
    with ctx.db.session() as session:
        shown = notifications.list_for(session, "bob")
        assert [(n.kind, n.title, n.body) for n in shown] == [("reminder", *sent["bob"])]
        number, title = session.execute(text("SELECT number, title FROM cases WHERE id = :id"), {"id": case_id}).one()
        assert number in shown[0].title and title in shown[0].body
        # stored without the case's number and title (the case row holds them), read unchanged after marking
        stored = session.execute(text("SELECT title, body FROM notifications WHERE id = :id"), {"id": shown[0].id}).one()
        assert number not in stored.title and title not in stored.body and len(stored.body) < len(shown[0].body)
        notifications.mark_read(session, "bob", shown[0].id)
    with ctx.db.session() as session:
        [again] = notifications.list_for(session, "bob")
        assert (again.title, again.body, again.read_at is not None) == (*sent["bob"], True)
        task = session.scalar(select(TaskRow).where(TaskRow.case_id == case_id))
        events = queries.case_history(session, case_id)
        created = [e for e in events if e.kind == "task_created"]
        reminder = [e for e in events if e.kind == "deadline_reminder"]
        assert [(e.message, e.element_id, e.task_id) for e in created] == [(task.name, task.element_id, task.id)]
        assert [(e.message, e.element_id, e.task_id) for e in reminder] == [
            ("答复代表：2026-05-08 17:00 到期", task.element_id, task.id)]
        entries = timeline.entries(session, session.get(runtime.Case, case_id), events)
        assert [(e.kind, e.subject, e.element_id) for e in entries][:2] == [
            ("case_started", "校门口增设红绿灯", None), ("task_created", "答复代表", "reply")]
        # the rows themselves hold neither the task's name nor its element, and the kind as a code
        raw = session.execute(text("SELECT kind, message, element_id FROM events WHERE case_id = :id ORDER BY id"),
                              {"id": case_id}).all()
        assert ("1", None, None) in [tuple(r) for r in raw]
        assert session.scalars(select(EventRow.id).where(EventRow.kind == "task_created")).all()
        # the API's answers read the history as plain rows: the same events, names and elements put back
        columns = ("id", "kind", "message", "element_id", "task_id", "actor", "data")
        assert [tuple(getattr(r, c) for c in columns) for r in queries.history_rows(session, case_id)] == \
            [tuple(getattr(e, c) for c in columns) for e in events]


def test_a_changed_case_title_leaves_the_notifications_saying_what_they_said(ctx):
    _people(ctx)
    case_id = _start(ctx, DUE_TASK, "due_task", {"due": DUE.isoformat(), "helper": "helper"})
    first = _rows(ctx, case_id)[0]
    with time_machine.travel(first.due_at + timedelta(minutes=1), tick=False):
        timers.fire_due(ctx)
        outbox.deliver_due(ctx)
    with ctx.db.session() as session:
        before = [(n.title, n.body) for n in notifications.list_for(session, "bob")]
        session.get(runtime.Case, case_id).title = "另一个案由"
    with ctx.db.session() as session:
        assert [(n.title, n.body) for n in notifications.list_for(session, "bob")] == before


def _outbox(ctx, case_id):
    with ctx.db.session() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case_id)))
