"""The case pages through the Flask test client: the list, one case with its tasks, diagram, timeline,
communications, comments and attachments, and who may see what."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from engine import identity, migrate
from engine.cases import runtime
from engine.context import EngineContext
from engine.store import Attachment, Case, CaseNote, TaskRow, User
from workflows import demo

from .conftest import make_config

NOISE = "关于规范夜间施工噪声管理的建议"  # overdue, waiting in unit_education's 办理并答复
ELEVATOR = "关于老旧小区加装电梯的建议"  # waiting in the liaison office's review


def demo_context(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EngineContext:
    """The demo district, with attachments kept in the test's folder and a small size limit (and cheap
    password hashes: the demo's people sign in many times)."""
    monkeypatch.setattr(identity, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    context = EngineContext.create(make_config(db_url, uploads__attachments_dir=str(tmp_path / "files"),
                                               uploads__max_attachment_bytes=2048))
    migrate.upgrade(context.db)
    demo.load_example(context, progress=lambda _message: None)
    return context


@pytest.fixture
def ctx(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineContext]:
    context = demo_context(db_url, tmp_path, monkeypatch)
    yield context
    context.db.dispose()


def case_id(ctx: EngineContext, title: str) -> int:
    with ctx.db.session() as session:
        return session.scalar(select(Case.id).where(Case.title == title))


def speak_english(ctx: EngineContext, *usernames: str) -> None:
    with ctx.db.session() as session:
        session.execute(update(User).where(User.username.in_(usernames)).values(language="en"))


def token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def signed_in(app, username: str):
    client = app.test_client()
    answer = client.post("/sign-in", data={"username": username, "password": demo.DEMO_PASSWORD,
                                           "csrf_token": token(client, "/sign-in")})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def section(html: str, element_id: str) -> str:
    """The HTML of the <section> with this id."""
    start = re.search(rf'<section[^>]*\bid="{element_id}"', html)
    assert start, f"no section #{element_id}"
    return html[start.start(): html.index("</section>", start.start())]


def test_case_list_shows_visible_cases_with_search_filters_and_marks(app, ctx):
    speak_english(ctx, "supervisor", "edu_clerk")
    web = signed_in(app, "supervisor")
    html = web.get("/cases").get_data(as_text=True)
    assert NOISE in html and ELEVATOR in html
    noise_row = re.search(rf'<tr data-case-id="{case_id(ctx, NOISE)}".*?</tr>', html, re.S).group(0)
    assert 'data-due="overdue"' in noise_row and f'href="/cases/{case_id(ctx, NOISE)}"' in noise_row
    searched = web.get("/cases", query_string={"q": "噪声"}).get_data(as_text=True)
    assert NOISE in searched and ELEVATOR not in searched
    number = ctx.db.sessions().get(Case, case_id(ctx, ELEVATOR)).number
    assert ELEVATOR in web.get("/cases", query_string={"q": number}).get_data(as_text=True)
    assert NOISE not in web.get("/cases", query_string={"status": "completed"}).get_data(as_text=True)
    assert NOISE in web.get("/cases", query_string={"status": "running", "type": "quick_reply"}).get_data(as_text=True)
    assert NOISE not in web.get("/cases", query_string={"type": "no_such_process"}).get_data(as_text=True)
    # a clerk sees only the cases that reach their unit
    clerk = signed_in(app, "edu_clerk").get("/cases").get_data(as_text=True)
    assert NOISE in clerk and ELEVATOR not in clerk and "关于增设学校周边交通信号灯的建议" not in clerk


def test_case_list_pages(app, ctx, monkeypatch):
    from webui import caselist as cases

    monkeypatch.setattr(cases, "PER_PAGE", 3)
    web = signed_in(app, "supervisor")
    first = web.get("/cases").get_data(as_text=True)
    assert 'id="next-page"' in first and 'id="prev-page"' not in first
    second = web.get("/cases", query_string={"page": 2}).get_data(as_text=True)
    assert 'id="prev-page"' in second and 'id="next-page"' not in second
    assert second.count("<tr data-case-id=") == 1


def test_case_page_shows_every_section(app, ctx):
    cid = case_id(ctx, NOISE)
    web = signed_in(app, "edu_clerk")
    web.post(f"/cases/{cid}/comments", data={"body": "已联系施工方", "csrf_token": token(web, f"/cases/{cid}")})
    web.post(f"/cases/{cid}/contacts", data={"kind": "contact_before", "date": "2026-03-02", "method": "phone",
                                             "participants": "赵代表、张办理员", "body": "电话了解诉求",
                                             "csrf_token": token(web, f"/cases/{cid}")})
    web.post(f"/cases/{cid}/attachments", data={"file": (io.BytesIO("答复草稿".encode()), "草稿.txt"),
                                                "csrf_token": token(web, f"/cases/{cid}")},
             content_type="multipart/form-data")
    answer = web.get(f"/cases/{cid}")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    for element_id in ("case-fields", "tasks", "diagram-section", "timeline", "communications", "comments",
                       "attachments"):
        assert f'id="{element_id}"' in html
    fields = section(html, "case-fields")
    assert NOISE in fields and "意见快速答复（示例）" in fields and 'data-version="1"' in fields
    assert 'data-due="overdue"' in fields and "赵代表" in fields  # due mark, started by (display name)
    assert 'data-key="unit"' in fields and "承办单位" in fields  # the data, with the form's label
    with ctx.db.session() as session:
        task = session.scalar(select(TaskRow).where(TaskRow.case_id == cid, TaskRow.state == "open"))
    held = section(html, "tasks")
    assert f'href="/tasks/{task.id}"' in held and "办理并答复" in held and 'data-group="unit_education"' in held
    assert "电话了解诉求" in section(html, "communications") and "赵代表、张办理员" in section(html, "communications")
    assert "已联系施工方" in section(html, "comments")
    assert "草稿.txt" in section(html, "attachments")
    kinds = re.findall(r'<li data-kind="(\w+)"', section(html, "timeline"))
    assert kinds[:4] == ["case_started", "task_created", "task_completed", "task_created"]
    assert {"note_added", "attachment_added"} <= set(kinds)
    assert 'id="flag-form"' not in html  # clerks do not flag


def test_a_case_one_may_not_see_is_not_there(app, ctx):
    cid = case_id(ctx, NOISE)
    web = signed_in(app, "transport_clerk")  # the noise case went to the education bureau
    for path in (f"/cases/{cid}", f"/cases/{cid}/diagram.svg", "/cases/999999"):
        answer = web.get(path)
        assert answer.status_code == 404, path
    assert NOISE not in web.get("/cases").get_data(as_text=True)
    answer = web.post(f"/cases/{cid}/comments", data={"body": "x", "csrf_token": token(web, "/cases")})
    assert answer.status_code == 404
    with ctx.db.session() as session:
        assert session.scalar(select(CaseNote).where(CaseNote.case_id == cid)) is None


def test_diagram_is_inlined_with_the_state_of_each_element(app, ctx):
    cid = case_id(ctx, NOISE)
    web = signed_in(app, "supervisor")
    html = web.get(f"/cases/{cid}").get_data(as_text=True)
    diagram = html[html.index('<div class="diagram"'):]
    assert diagram.split(">", 1)[1].lstrip().startswith("<svg") and "<?xml" not in html
    assert re.search(r'<g class="[^"]*state-active[^"]*" data-element-id="handle"', diagram)
    assert re.search(r'<g class="[^"]*state-completed[^"]*" data-element-id="review"', diagram)
    assert re.search(r'<g class="[^"]*state-waiting[^"]*" data-element-id="reply_overdue"', diagram)
    assert 'class="legend"' in html
    answer = web.get(f"/cases/{cid}/diagram.svg")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.get_data(as_text=True).startswith("<?xml") and 'data-element-id="handle"' in answer.get_data(
        as_text=True)


def test_a_process_without_a_diagram_gets_a_note(app, ctx):
    from .bpmn_util import one_task
    from .conftest import deploy_xml

    deploy_xml(ctx, one_task("plain", 'camunda:candidateGroups="supervisors"'))
    with ctx.db.session() as session:
        boss = session.scalar(select(User).where(User.username == "supervisor"))
        cid = runtime.start_case(ctx, session, boss, "plain", "无图流程").id
    web = signed_in(app, "supervisor")
    html = web.get(f"/cases/{cid}").get_data(as_text=True)
    assert 'id="no-diagram"' in html and "<svg" not in html
    assert web.get(f"/cases/{cid}/diagram.svg").status_code == 404


def test_timeline_tells_a_completion_and_the_data_it_changed(app, ctx):
    speak_english(ctx, "liaison")
    cid = case_id(ctx, ELEVATOR)
    with ctx.db.session() as session:
        liaison = session.scalar(select(User).where(User.username == "liaison"))
        task = session.scalar(select(TaskRow).where(TaskRow.case_id == cid, TaskRow.state == "open"))
        runtime.complete_task(ctx, session, liaison, task.id, {"decision": "return", "reason": "请补充小区名称"})
    web = signed_in(app, "liaison")
    timeline = section(web.get(f"/cases/{cid}").get_data(as_text=True), "timeline")
    done = re.search(r'<li data-kind="task_completed".*?</ul>', timeline, re.S).group(0)
    assert "Completed task “审核把关”" in done and "人大联络室 李干事" in done
    assert re.search(r"审核结果</span>:\s*<span class=\"old\">—</span> → <span class=\"new\">退回修改</span>", done)
    assert "请补充小区名称" in done
    assert 'data-kind="case_completed"' in timeline and "The case was completed" in timeline


def test_a_communication_is_recorded_and_an_incomplete_one_refused(app, ctx):
    speak_english(ctx, "edu_clerk")
    cid = case_id(ctx, NOISE)
    web = signed_in(app, "edu_clerk")
    answer = web.post(f"/cases/{cid}/contacts", data={
        "kind": "", "date": "not a date", "method": "", "participants": "赵代表", "body": "",
        "csrf_token": token(web, f"/cases/{cid}")})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    for name in ("kind", "date", "method", "body"):
        assert f'id="contact-{name}-error"' in html, name
    assert 'value="赵代表"' in html and 'value="not a date"' in html  # what was typed is kept
    answer = web.post(f"/cases/{cid}/contacts", data={
        "kind": "contact_during", "date": "2026-04-01", "method": "", "participants": "赵代表",
        "body": "走访施工现场", "csrf_token": token(web, f"/cases/{cid}")})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="contact-method-error"' in html and 'id="contact-body-error"' not in html
    assert "走访施工现场</textarea>" in html and '<option value="contact_during" selected' in html
    with ctx.db.session() as session:
        assert session.scalar(select(CaseNote).where(CaseNote.case_id == cid)) is None
    for kind, day, body in (("contact_during", "2026-04-01", "走访施工现场"), ("contact_before", "2026-03-01", "电话沟通")):
        answer = web.post(f"/cases/{cid}/contacts", data={
            "kind": kind, "date": day, "method": "visit", "participants": "赵代表", "body": body,
            "csrf_token": token(web, f"/cases/{cid}")})
        assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/cases/{cid}#communications")
    log = section(web.get(f"/cases/{cid}").get_data(as_text=True), "communications")
    assert log.index("电话沟通") < log.index("走访施工现场")  # in the order they took place
    assert "During handling" in log and "Visit" in log and "2026-04-01" in log
    # a comment cannot be slipped in through the communications form
    answer = web.post(f"/cases/{cid}/contacts", data={"kind": "comment", "body": "x", "method": "visit",
                                                      "date": "2026-04-01", "csrf_token": token(web, f"/cases/{cid}")})
    assert answer.status_code == 422 and 'id="contact-kind-error"' in answer.get_data(as_text=True)


def test_comments(app, ctx):
    cid = case_id(ctx, NOISE)
    web = signed_in(app, "edu_head")
    answer = web.post(f"/cases/{cid}/comments", data={"body": "   ", "csrf_token": token(web, f"/cases/{cid}")})
    assert answer.status_code == 422 and 'id="comment-body-error"' in answer.get_data(as_text=True)
    too_long = "长" * 5001
    answer = web.post(f"/cases/{cid}/comments", data={"body": too_long, "csrf_token": token(web, f"/cases/{cid}")})
    assert answer.status_code == 422 and too_long in answer.get_data(as_text=True)
    answer = web.post(f"/cases/{cid}/comments", data={"body": "请本周内答复", "csrf_token": token(web, f"/cases/{cid}")})
    assert answer.status_code == 302
    comments = section(web.get(f"/cases/{cid}").get_data(as_text=True), "comments")
    assert "请本周内答复" in comments and "区教育局 陈局长" in comments


def test_attachments_upload_download_and_refusals(app, ctx):
    cid = case_id(ctx, NOISE)
    web = signed_in(app, "edu_clerk")

    def upload(name: str, content: bytes):
        return web.post(f"/cases/{cid}/attachments", data={"file": (io.BytesIO(content), name),
                                                           "csrf_token": token(web, f"/cases/{cid}")},
                        content_type="multipart/form-data")

    answer = upload("答复函.txt", "关于夜间施工噪声的答复".encode())
    assert answer.status_code == 302
    with ctx.db.session() as session:
        row = session.scalar(select(Attachment).where(Attachment.case_id == cid))
    html = web.get(f"/cases/{cid}").get_data(as_text=True)
    assert f'href="/attachments/{row.id}"' in section(html, "attachments") and "张办理员" in section(html, "attachments")

    answer = web.get(f"/attachments/{row.id}")
    assert answer.status_code == 200 and answer.get_data() == "关于夜间施工噪声的答复".encode()
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"filename*=UTF-8''{quote('答复函.txt')}" in disposition
    assert signed_in(app, "supervisor").get(f"/attachments/{row.id}").status_code == 200
    assert signed_in(app, "transport_clerk").get(f"/attachments/{row.id}").status_code == 404
    assert web.get("/attachments/999999").status_code == 404

    for name, content, status, hint in (("tool.exe", b"MZ\x90\x00", 422, "pdf"),
                                        ("big.txt", b"a" * 4096, 413, "KB"),
                                        ("fake.pdf", b"not a pdf at all", 422, None),
                                        ("empty.txt", b"", 422, None)):
        answer = upload(name, content)
        assert answer.status_code == status, name
        html = answer.get_data(as_text=True)
        assert 'id="attachment-error"' in html, name
        if hint:
            assert hint in section(html, "attachments")
    answer = web.post(f"/cases/{cid}/attachments", data={"csrf_token": token(web, f"/cases/{cid}")},
                      content_type="multipart/form-data")
    assert answer.status_code == 422 and 'id="attachment-error"' in answer.get_data(as_text=True)
    with ctx.db.session() as session:
        assert len(list(session.scalars(select(Attachment).where(Attachment.case_id == cid)))) == 1
    assert len([p for p in (Path(ctx.config["uploads.attachments_dir"])).rglob("*") if p.is_file()]) == 1


def test_supervisors_see_a_stopped_case_error_and_flag_from_the_case_page(app, ctx):
    cid = case_id(ctx, NOISE)
    with ctx.db.session() as session:
        session.execute(update(Case).where(Case.id == cid).values(status="error",
                                                                  error_message="ZeroDivisionError in 计算期限"))
    boss = signed_in(app, "supervisor")
    html = boss.get(f"/cases/{cid}").get_data(as_text=True)
    assert 'id="case-error"' in html and "ZeroDivisionError in 计算期限" in html
    clerk_view = signed_in(app, "edu_clerk").get(f"/cases/{cid}").get_data(as_text=True)
    assert 'id="case-error"' in clerk_view and "ZeroDivisionError" not in clerk_view
    answer = boss.post(f"/cases/{cid}/flag", data={"flagged": "1", "reason": "群众反映强烈",
                                                   "csrf_token": token(boss, f"/cases/{cid}")})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/cases/{cid}")
    html = boss.get(f"/cases/{cid}").get_data(as_text=True)
    assert 'id="case-flagged"' in html and 'id="unflag-button"' in html
    assert 'data-kind="case_flagged"' in html and "群众反映强烈" in section(html, "timeline")


def test_forms_refuse_a_missing_csrf_token(app, ctx):
    cid = case_id(ctx, NOISE)
    web = signed_in(app, "supervisor")
    posts = {f"/cases/{cid}/comments": {"body": "x"},
             f"/cases/{cid}/contacts": {"kind": "contact_before", "date": "2026-01-01", "method": "phone", "body": "x"},
             f"/cases/{cid}/attachments": {"file": (io.BytesIO(b"hello"), "a.txt")},
             f"/cases/{cid}/flag": {"flagged": "1"}}
    for path, data in posts.items():
        answer = web.post(path, data=data)
        assert answer.status_code == 400, path
    with ctx.db.session() as session:
        case = session.get(Case, cid)
        assert not case.flagged
        assert session.scalar(select(CaseNote).where(CaseNote.case_id == cid)) is None
        assert session.scalar(select(Attachment).where(Attachment.case_id == cid)) is None


def test_pages_need_a_sign_in(client, ctx):
    cid = case_id(ctx, NOISE)
    for path in ("/cases", f"/cases/{cid}", f"/cases/{cid}/diagram.svg", "/attachments/1"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"], path


def test_a_supervisor_reassigns_an_open_task_from_the_case_page(app, ctx):
    noise = case_id(ctx, NOISE)
    clerk = signed_in(app, "edu_clerk")
    assert 'data-reassign=' not in clerk.get(f"/cases/{noise}").get_data(as_text=True)  # clerks do not
    boss = signed_in(app, "supervisor")
    html = boss.get(f"/cases/{noise}").get_data(as_text=True)
    form = re.search(r'<form method="post" action="(/tasks/[^"]+/assign)"[^>]*data-reassign=', html)
    assert form, "no reassign form for the supervisor"
    # offered only those who can hold the task: unit_education's people, not a deputy, the admin or another unit
    options = re.findall(r'<option value="(\w+)"', section(html, "tasks"))
    assert sorted(options) == ["edu_clerk", "edu_head"], options
    csrf = token(boss, f"/cases/{noise}")
    refused = boss.post(form.group(1), data={"user": "deputy_zhao", "next": f"/cases/{noise}#tasks",
                                             "csrf_token": csrf})
    assert refused.status_code == 302  # told on the page it came from; nothing changed
    answer = boss.post(form.group(1), data={"user": "edu_head", "next": f"/cases/{noise}#tasks",
                                            "csrf_token": csrf})
    assert answer.status_code == 302 and answer.headers["Location"].startswith(f"/cases/{noise}")
    with ctx.db.session() as session:
        task = session.scalars(select(TaskRow).where(TaskRow.case_id == noise, TaskRow.state == "open")).one()
        assert (task.assignee, task.assignment) == ("edu_head", "assigned")


def test_attachments_in_a_relative_folder_download_and_preview(db_url, tmp_path, monkeypatch):
    """The default folder is relative (var/attachments): a download reads it from where it was written, not
    from the web package's folder (it answered 500 before); PDFs and images open in the browser on ?inline=1."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(identity, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    context = EngineContext.create(make_config(db_url, uploads__attachments_dir="var/attachments"))
    migrate.upgrade(context.db)
    demo.load_example(context, progress=lambda _message: None)
    from webui.app import create_app

    app = create_app(ctx=context)
    cid = case_id(context, NOISE)
    web = signed_in(app, "edu_clerk")
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    for name, content in (("答复函.pdf", pdf), ("现场.png", png), ("说明.txt", "说明".encode())):
        answer = web.post(f"/cases/{cid}/attachments", data={"file": (io.BytesIO(content), name),
                                                             "csrf_token": token(web, f"/cases/{cid}")},
                          content_type="multipart/form-data")
        assert answer.status_code == 302, name
    with context.db.session() as session:
        rows = {a.file_name: a.id for a in session.scalars(select(Attachment).where(Attachment.case_id == cid))}
    download = web.get(f"/attachments/{rows['答复函.pdf']}")
    assert download.status_code == 200 and download.get_data() == pdf
    assert download.headers["Content-Disposition"].startswith("attachment")
    inline = web.get(f"/attachments/{rows['答复函.pdf']}?inline=1")
    assert inline.status_code == 200 and inline.mimetype == "application/pdf"
    assert inline.headers["Content-Disposition"].startswith("inline") and "sandbox" not in inline.headers[
        "Content-Security-Policy"]
    image = web.get(f"/attachments/{rows['现场.png']}?inline=1")
    assert image.headers["Content-Disposition"].startswith("inline") and "sandbox" in image.headers[
        "Content-Security-Policy"]
    text = web.get(f"/attachments/{rows['说明.txt']}?inline=1")  # only what a browser shows safely
    assert text.status_code == 200 and text.headers["Content-Disposition"].startswith("attachment")
    html = section(web.get(f"/cases/{cid}").get_data(as_text=True), "attachments")
    assert f'<img src="/attachments/{rows["现场.png"]}?inline=1"' in html
    assert f'data-preview="{rows["答复函.pdf"]}"' in html
    assert 'data-max-bytes="20971520"' in html and "20.0 MB" in html  # refused in the browser, limit named
    assert signed_in(app, "transport_clerk").get(f"/attachments/{rows['现场.png']}?inline=1").status_code == 404
    context.db.dispose()


def test_a_missing_case_is_told_in_the_readers_language(app, ctx):
    boss = signed_in(app, "supervisor")
    answer = boss.get("/cases/99999")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404 and "没有编号为 99999 的案件" in page
    assert "no case" not in page.split('<details class="technical">')[0]  # the engine's words only folded away
    speak_english(ctx, "supervisor")
    page = boss.get("/cases/99999").get_data(as_text=True)
    assert "There is no case 99999" in page and "没有" not in page
