"""The supervisor's first page through the Flask test client: the watchlist's sections, its filters,
and flagging cases (挂牌督办) — for supervisors only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from engine import clock
from engine.context import EngineContext
from engine.notify import outbox
from engine.store import Case, OutboxMessage, TaskCandidate, TaskRow

from .test_web_cases import ELEVATOR, NOISE, case_id, demo_context, section, signed_in, token

SIGNALS = "关于增设学校周边交通信号灯的建议"  # waiting in unit_transport, due in three months


@pytest.fixture
def ctx(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineContext]:
    context = demo_context(db_url, tmp_path, monkeypatch)
    yield context
    context.db.dispose()


def rows(html: str) -> list[str]:
    """The case titles listed in a piece of the page."""
    return re.findall(r'class="case-title">([^<]+)</a>', html)


def test_the_overdue_case_is_listed_with_its_unit_and_the_counts(app, ctx):
    web = signed_in(app, "supervisor")
    answer = web.get("/supervise")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    overdue = section(html, "overdue")
    assert rows(overdue) == [NOISE]
    cid = case_id(ctx, NOISE)
    row = re.search(rf'<tr data-case-id="{cid}".*?</tr>', overdue, re.S).group(0)
    assert f'href="/cases/{cid}"' in row and 'data-group="unit_education"' in row and 'data-due="overdue"' in row
    assert "办理并答复" in row and 'data-action="flag"' in row
    assert re.search(r'data-section="overdue">[^<]*<span class="count" data-count="1">', html)
    for name in ("due_soon", "escalated", "flagged", "error"):
        assert rows(section(html, name)) == [] and 'class="muted empty"' in section(html, name), name


def test_filters_by_unit_and_case_type(app, ctx):
    web = signed_in(app, "supervisor")
    page = web.get("/supervise").get_data(as_text=True)
    units = re.findall(r'<option value="(unit_\w+)"', page)
    assert {"unit_education", "unit_transport"} <= set(units)
    assert rows(section(web.get("/supervise?unit=unit_education").get_data(as_text=True), "overdue")) == [NOISE]
    assert rows(section(web.get("/supervise?unit=unit_transport").get_data(as_text=True), "overdue")) == []
    assert rows(section(web.get("/supervise?type=quick_reply").get_data(as_text=True), "overdue")) == [NOISE]
    assert rows(section(web.get("/supervise?type=other_process").get_data(as_text=True), "overdue")) == []
    both = web.get("/supervise?unit=unit_education&type=quick_reply").get_data(as_text=True)
    assert rows(section(both, "overdue")) == [NOISE]
    assert '<option value="unit_education" selected' in both and '<option value="quick_reply" selected' in both


def test_due_soon_escalated_and_stopped_cases(app, ctx):
    with ctx.db.session() as session:
        session.execute(update(Case).where(Case.title == ELEVATOR).values(due_at=clock.now() + timedelta(days=1)))
        session.execute(update(Case).where(Case.title == SIGNALS).values(overdue=True))
        session.execute(update(Case).where(Case.title == "关于扩大课后服务覆盖面的建议").values(
            status="error", error_message="NameError: name 'unit' is not defined"))
    html = signed_in(app, "supervisor").get("/supervise").get_data(as_text=True)
    assert rows(section(html, "due_soon")) == [ELEVATOR]
    assert 'data-due="soon"' in section(html, "due_soon")
    assert rows(section(html, "escalated")) == [SIGNALS]
    stopped = section(html, "error")
    assert rows(stopped) == ["关于扩大课后服务覆盖面的建议"] and "NameError: name &#39;unit&#39; is not defined" in stopped


def test_flag_and_unflag_from_the_watchlist(app, ctx):
    cid = case_id(ctx, NOISE)
    web = signed_in(app, "supervisor")
    answer = web.post(f"/cases/{cid}/flag", data={"flagged": "1", "reason": "重点督办",
                                                  "next": "/supervise?unit=unit_education#overdue",
                                                  "csrf_token": token(web, "/supervise")})
    assert answer.status_code == 302 and answer.headers["Location"] == "/supervise?unit=unit_education#overdue"
    html = web.get("/supervise").get_data(as_text=True)
    flagged = section(html, "flagged")
    assert rows(flagged) == [NOISE] and 'data-flagged="1"' in flagged and 'data-action="unflag"' in flagged
    assert 'data-flagged="1"' in section(html, "overdue")
    answer = web.post(f"/cases/{cid}/flag", data={"flagged": "0", "next": "https://evil.example/",
                                                  "csrf_token": token(web, "/supervise")})
    assert answer.status_code == 302 and "evil.example" not in answer.headers["Location"]
    assert rows(section(web.get("/supervise").get_data(as_text=True), "flagged")) == []
    kinds = re.findall(r'<li data-kind="(case_\w*flagged)"', web.get(f"/cases/{cid}").get_data(as_text=True))
    assert kinds == ["case_flagged", "case_unflagged"]


def test_only_supervisors_watch_and_flag(app, ctx):
    cid = case_id(ctx, NOISE)
    clerk = signed_in(app, "edu_clerk")
    assert clerk.get("/supervise").status_code == 403
    assert 'href="/supervise"' not in clerk.get("/cases").get_data(as_text=True)
    answer = clerk.post(f"/cases/{cid}/flag", data={"flagged": "1", "csrf_token": token(clerk, f"/cases/{cid}")})
    assert answer.status_code == 403
    with ctx.db.session() as session:
        assert session.scalar(select(Case.flagged).where(Case.id == cid)) is False
    assert 'href="/supervise"' in signed_in(app, "supervisor").get("/cases").get_data(as_text=True)


def test_flagging_needs_the_form_token(app, ctx):
    cid = case_id(ctx, NOISE)
    web = signed_in(app, "supervisor")
    assert web.post(f"/cases/{cid}/flag", data={"flagged": "1", "next": "/supervise"}).status_code == 400
    with ctx.db.session() as session:
        assert session.scalar(select(Case.flagged).where(Case.id == cid)) is False


def test_the_watchlist_needs_a_sign_in(client):
    answer = client.get("/supervise")
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


def test_flagging_asks_why_and_tells_the_unit(app, ctx):
    cid = case_id(ctx, NOISE)  # its open task is offered to unit_education
    web = signed_in(app, "supervisor")
    # no reason from the case page: the page says so beside the field, nothing is flagged, no one is told
    answer = web.post(f"/cases/{cid}/flag", data={"flagged": "1", "reason": "  ",
                                                  "csrf_token": token(web, f"/cases/{cid}")})
    assert answer.status_code == 422
    assert 'id="flag-error"' in answer.get_data(as_text=True)
    # and from the watchlist: told there
    answer = web.post(f"/cases/{cid}/flag", data={"flagged": "1", "next": "/supervise#overdue",
                                                  "csrf_token": token(web, "/supervise")})
    assert answer.status_code == 302 and answer.headers["Location"] == "/supervise#overdue"
    assert "flash-error" in web.get("/supervise").get_data(as_text=True)
    with ctx.db.session() as session:
        assert session.scalar(select(Case.flagged).where(Case.id == cid)) is False
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "flagged")).all() == []
    answer = web.post(f"/cases/{cid}/flag", data={"flagged": "1", "reason": "群众反映强烈，请两周内答复",
                                                  "csrf_token": token(web, f"/cases/{cid}")})
    assert answer.status_code == 302
    with ctx.db.session() as session:
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "flagged",
                                                           OutboxMessage.channel == "in_app")).all()
        assert sorted(m.recipient for m in told) == ["edu_clerk", "edu_head"]
        assert all("群众反映强烈，请两周内答复" in m.body and m.case_id == cid for m in told)
    outbox.deliver_due(ctx)
    page = signed_in(app, "edu_clerk").get("/notifications").get_data(as_text=True)
    assert 'data-kind="flagged"' in page and "群众反映强烈" in page


def test_the_unit_filter_lists_units_only(app, ctx):
    with ctx.db.session() as session:  # a head's and a leaders' group hold open tasks too
        task = session.scalars(select(TaskRow).where(TaskRow.state == "open")).first()
        session.add_all([TaskCandidate(task_id=task.id, kind="group", name="unit_education_head"),
                         TaskCandidate(task_id=task.id, kind="group", name="congress_leaders")])
    page = signed_in(app, "supervisor").get("/supervise").get_data(as_text=True)
    units = re.findall(r'<option value="(\w+)"', section_of_filter(page))
    assert "unit_education" in units and "unit_transport" in units
    assert not [u for u in units if u.endswith("_head") or u.endswith("_leaders")], units
    assert ">区教育局<" in page  # by name


def section_of_filter(html: str) -> str:
    return html[html.index('<select id="unit"'): html.index("</select>", html.index('<select id="unit"'))]


def test_the_calendar_warning_says_what_to_do(app, ctx, monkeypatch):
    monkeypatch.setattr(type(ctx.calendar), "missing_years_ahead", lambda self, today: [2031])
    html = signed_in(app, "supervisor").get("/supervise").get_data(as_text=True)
    warning = re.search(r'data-missing-years="2031">(.*?)</p>', html, re.S).group(1)
    assert "系统管理员" in warning and "config.yaml" not in warning and "calendar.years" not in warning
