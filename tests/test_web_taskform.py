"""Task forms drawn from the BPMN form fields: the right input per type, required marks, read-only
fields, prefilled values and drafts; validation on the server with each message beside its field and
everything typed kept; a stale submission told plainly; attachments checked for size and type."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from engine import identity, migrate
from engine.cases import runtime, tasks
from engine.context import EngineContext
from engine.store import Attachment, Case, EventRow, TaskRow

from .bpmn_util import one_task
from .conftest import deploy_xml, make_config

LIMIT = 4096  # bytes an attachment may have in these tests

FORM = """
<camunda:formField id="reply" label="答复内容" type="string">
  <camunda:properties><camunda:property id="label_en" value="Reply" /></camunda:properties>
  <camunda:validation><camunda:constraint name="required" /><camunda:constraint name="maxlength" config="5000" />
  </camunda:validation>
</camunda:formField>
<camunda:formField id="contact" label="联系人" type="string">
  <camunda:validation><camunda:constraint name="minlength" config="2" /><camunda:constraint name="maxlength" config="20" />
  </camunda:validation>
</camunda:formField>
<camunda:formField id="note" label="备注" type="string">
  <camunda:properties><camunda:property id="multiline" value="true" /></camunda:properties>
</camunda:formField>
<camunda:formField id="visits" label="走访次数" type="long" defaultValue="1">
  <camunda:validation><camunda:constraint name="min" config="0" /><camunda:constraint name="max" config="10" />
  </camunda:validation>
</camunda:formField>
<camunda:formField id="public" label="同意公开" type="boolean" defaultValue="true" />
<camunda:formField id="replied_on" label="答复日期" type="date">
  <camunda:validation><camunda:constraint name="min" config="2020-01-01" />
    <camunda:constraint name="max" config="2035-12-31" /></camunda:validation>
</camunda:formField>
<camunda:formField id="result_class" label="答复分类" type="enum">
  <camunda:validation><camunda:constraint name="required" /></camunda:validation>
  <camunda:value id="A" name="A 已解决" /><camunda:value id="B" name="B 正在解决" />
</camunda:formField>
<camunda:formField id="unit" label="承办单位" type="string">
  <camunda:validation><camunda:constraint name="readonly" /></camunda:validation>
</camunda:formField>
"""

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[EngineContext]:
    context = EngineContext.create(make_config(db_url, uploads__attachments_dir=str(tmp_path / "files"),
                                               uploads__max_attachment_bytes=LIMIT))
    migrate.upgrade(context.db)
    yield context
    context.db.dispose()


def sign_in(app, username: str):
    client = app.test_client()
    answer = client.post("/sign-in", data={"username": username, "password": "secret-pw"})
    assert answer.status_code == 302
    return client


@pytest.fixture
def world(ctx, app, api, tmp_path):
    """ann and bob in clerks, carl outside; one case of a process whose task has every kind of field."""
    app.config["WTF_CSRF_ENABLED"] = False
    api.user("ann", ("clerks",))
    api.user("bob", ("clerks",))
    api.user("carl", ("unit_b",))
    deploy_xml(ctx, one_task("reply", 'camunda:candidateGroups="clerks"', FORM,
                             declare={"start:inputs": "unit, contact, proposer"}), "reply.bpmn")
    with ctx.db.session() as session:
        case = runtime.start_case(ctx, session, identity.get_user(session, "carl"), "reply", "关于路灯的建议",
                                  {"unit": "unit_transport", "contact": "王先生", "proposer": "赵代表"})
        case_id = case.id
        task_id = session.scalars(select(TaskRow.id).where(TaskRow.case_id == case_id)).one()
    return SimpleNamespace(ann=sign_in(app, "ann"), app=app, api=api, case_id=case_id, task_id=task_id,
                           files=tmp_path / "files")


def field_html(page: str, field_id: str) -> str:
    match = re.search(rf'<div class="field[^"]*" data-field="{field_id}".*?\n</div>', page, re.S)
    assert match, f"no field {field_id}"
    return match.group(0)


def case_of(ctx, case_id: int) -> Case:
    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        session.expunge(case)
        return case


def task_row(ctx, task_id: str) -> TaskRow:
    with ctx.db.session() as session:
        row = session.get(TaskRow, task_id)
        session.expunge(row)
        return row


def attachments(ctx) -> int:
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).select_from(Attachment))


def files_on_disk(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


GOOD = {"field.reply": "已安排施工", "field.contact": "李女士", "field.note": "", "field.visits": "3",
        "field.public": ["false", "true"], "field.replied_on": "2026-03-01", "field.result_class": "A"}


def test_each_field_type_gets_its_input(world):
    page = world.ann.get(f"/tasks/{world.task_id}").get_data(as_text=True)
    reply = field_html(page, "reply")
    assert "<textarea" in reply and 'name="field.reply"' in reply  # maxlength 5000: a text area
    assert '<span class="required"' in reply and "答复内容" in reply
    contact = field_html(page, "contact")
    assert 'type="text"' in contact and 'minlength="2"' in contact and '<span class="required"' not in contact
    assert "<textarea" in field_html(page, "note")  # property multiline
    visits = field_html(page, "visits")
    assert 'type="number"' in visits and 'min="0"' in visits and 'max="10"' in visits and 'value="1"' in visits
    public = field_html(page, "public")
    assert 'type="hidden" name="field.public" value="false"' in public
    assert 'type="checkbox"' in public and 'value="true"' in public and " checked" in public
    replied = field_html(page, "replied_on")
    assert 'type="date"' in replied and 'min="2020-01-01"' in replied and 'max="2035-12-31"' in replied
    result = field_html(page, "result_class")
    assert "<select" in result and '<option value="A"' in result and "B 正在解决" in result
    assert '<span class="required"' in result
    unit = field_html(page, "unit")  # read-only: shown with the case's value, never sent
    assert "readonly" in unit and 'value="unit_transport"' in unit and "name=" not in unit
    # the case data prefills, the case and task are named above the form
    assert 'value="王先生"' in contact
    assert "关于路灯的建议" in page and "Do the work" in page and "赵代表" in page
    assert f'href="/cases/{world.case_id}"' in page
    # attachments: a file input accepting the configured types
    assert 'type="file"' in page and 'accept=".pdf,.doc,' in page


def test_labels_follow_the_readers_language(ctx, world):
    with ctx.db.session() as session:
        identity.get_user(session, "ann").language = "en"
    page = world.ann.get(f"/tasks/{world.task_id}").get_data(as_text=True)
    assert ">Reply<" in field_html(page, "reply")
    assert "联系人" in field_html(page, "contact")  # no label_en: the model's label


def test_invalid_submission_keeps_everything_typed(ctx, world):
    before = case_of(ctx, world.case_id).data
    typed = {**GOOD, "field.reply": "", "field.visits": "99", "field.contact": "我的联系人",
             "field.note": "第一行\n第二行 <b>", "field.result_class": "B"}
    answer = world.ann.post(f"/tasks/{world.task_id}", data={**typed, "action": "complete"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="form-errors"' in page
    reply = field_html(page, "reply")
    assert "has-error" in reply and 'id="error-reply"' in reply
    visits = field_html(page, "visits")
    assert "has-error" in visits and 'id="error-visits"' in visits and 'value="99"' in visits
    assert "10" in re.search(r'id="error-visits"[^>]*>(.*?)</p>', visits).group(1)
    assert "has-error" not in field_html(page, "contact")
    assert 'value="我的联系人"' in page and "第一行\n第二行 &lt;b&gt;" in page
    assert '<option value="B" selected>' in page
    assert 'value="2026-03-01"' in page and " checked" in field_html(page, "public")
    # nothing changed on the case
    assert task_row(ctx, world.task_id).state == "open"
    assert case_of(ctx, world.case_id).data == before


@pytest.mark.parametrize("language, words", [
    ("zh_CN", {"reply": "此项必填", "visits": "10", "contact": "2", "replied_on": "2020-01-01"}),
    ("en", {"reply": "This field is required.", "visits": "Enter 10 or less.", "contact": "at least 2 characters",
            "replied_on": "Choose 2020-01-01 or later."})])
def test_field_errors_are_told_by_their_code_in_the_readers_language(ctx, world, language, words):
    with ctx.db.session() as session:
        identity.get_user(session, "ann").language = language
    typed = {**GOOD, "field.reply": "", "field.visits": "99", "field.contact": "王", "field.replied_on": "2019-05-01"}
    page = world.ann.post(f"/tasks/{world.task_id}", data={**typed, "action": "complete"}).get_data(as_text=True)
    for field_id, text in words.items():
        said = re.search(rf'id="error-{field_id}"[^>]*>(.*?)</p>', page, re.S).group(1)
        assert text in said, (field_id, said)
        assert not said.startswith(("must", "is ")), said  # never the engine's own English words
        assert bool(re.search(r"[\u4e00-\u9fff]", said)) == (language == "zh_CN"), said


def test_complete_goes_to_the_case_page(ctx, world):
    answer = world.ann.post(f"/tasks/{world.task_id}", data={**GOOD, "action": "complete",
                                                             "field.unit": "changed"})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/cases/{world.case_id}"
    row = task_row(ctx, world.task_id)
    assert (row.state, row.completed_by) == ("completed", "ann")
    data = case_of(ctx, world.case_id).data
    assert data["reply"] == "已安排施工" and data["visits"] == 3 and data["public"] is True
    assert data["replied_on"] == "2026-03-01" and data["result_class"] == "A"
    assert data["unit"] == "unit_transport"  # read-only: a posted value is ignored
    # the page of a completed task says so and has no form
    page = world.ann.get(f"/tasks/{world.task_id}").get_data(as_text=True)
    assert 'id="task-closed"' in page and 'id="task-form"' not in page


def test_an_unticked_box_is_sent_as_false(ctx, world):
    data = {**GOOD, "field.public": "false", "action": "complete"}
    assert world.ann.post(f"/tasks/{world.task_id}", data=data).status_code == 302
    assert case_of(ctx, world.case_id).data["public"] is False


def test_a_draft_is_saved_and_resumed(ctx, world):
    answer = world.ann.post(f"/tasks/{world.task_id}", data={"field.reply": "写了一半", "field.visits": "7",
                                                             "field.public": "false", "field.result_class": "",
                                                             "action": "draft"})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/tasks/{world.task_id}"
    row = task_row(ctx, world.task_id)
    assert row.state == "open" and row.draft["reply"] == "写了一半" and row.draft_saved_at is not None
    page = world.ann.get(f"/tasks/{world.task_id}").get_data(as_text=True)
    assert 'id="draft-note"' in page and "flash-info" in page
    assert "写了一半" in field_html(page, "reply") and 'value="7"' in field_html(page, "visits")
    assert " checked" not in field_html(page, "public")  # the draft's unticked box wins over the default
    assert 'value="王先生"' in field_html(page, "contact")  # not in the draft: the case data
    assert "draft" not in case_of(ctx, world.case_id).data


def test_a_stale_submission_is_told_plainly(ctx, world):
    bob = world.api.post(f"/tasks/{world.task_id}/complete", "bob",
                         {"data": {"reply": "bob 答复了", "result_class": "B"}})
    assert bob.status_code == 200, bob.get_json()
    answer = world.ann.post(f"/tasks/{world.task_id}", data={**GOOD, "action": "complete"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/inbox"
    page = world.ann.get("/inbox").get_data(as_text=True)
    message = re.search(r'<p class="flash flash-error"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "bob" in message and "Do the work" in message
    assert case_of(ctx, world.case_id).data["reply"] == "bob 答复了"
    # a draft on a task that is gone, or opening it again: told the same way
    answer = world.ann.post(f"/tasks/{world.task_id}", data={**GOOD, "action": "draft"})
    assert answer.headers["Location"] == "/inbox"
    assert world.ann.get(f"/tasks/{world.task_id}").headers["Location"] == "/inbox"
    assert "bob" in world.ann.get("/inbox").get_data(as_text=True)


def test_a_task_claimed_meanwhile_is_told_plainly(ctx, world):
    assert world.api.post(f"/tasks/{world.task_id}/claim", "bob").status_code == 200
    answer = world.ann.post(f"/tasks/{world.task_id}", data={**GOOD, "action": "complete"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/inbox"
    assert "bob" in world.ann.get("/inbox").get_data(as_text=True)
    assert task_row(ctx, world.task_id).state == "open"
    # the task page explains why there is no form
    page = world.ann.get(f"/tasks/{world.task_id}").get_data(as_text=True)
    assert 'data-reason="held"' in page and 'id="task-form"' not in page


def test_who_may_not_complete_is_told_why_and_offered_a_claim(world):
    carl = sign_in(world.app, "carl")  # started the case, so may see it, but is not a clerk
    page = carl.get(f"/tasks/{world.task_id}").get_data(as_text=True)
    assert 'data-reason="outsider"' in page and 'id="task-form"' not in page and 'data-action="claim"' not in page
    answer = carl.post(f"/tasks/{world.task_id}", data={**GOOD, "action": "complete"})
    assert answer.status_code == 302 and answer.headers["Location"] == f"/tasks/{world.task_id}"
    page = world.ann.get(f"/tasks/{world.task_id}").get_data(as_text=True)
    assert 'data-action="claim"' in page and 'id="task-form"' in page  # a candidate: claim, or just do it
    answer = world.ann.post(f"/tasks/{world.task_id}/claim", data={"next": f"/tasks/{world.task_id}"})
    assert answer.headers["Location"] == f"/tasks/{world.task_id}"
    assert 'data-standing="holder"' in world.ann.get(f"/tasks/{world.task_id}").get_data(as_text=True)


def test_an_unknown_task_is_a_message_on_the_inbox(world):
    answer = world.ann.get("/tasks/nope")
    assert answer.status_code == 302 and answer.headers["Location"] == "/inbox"
    assert "flash-error" in world.ann.get("/inbox").get_data(as_text=True)
    answer = world.ann.post("/tasks/nope", data={"action": "complete"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/inbox"


def test_a_reply_document_is_attached_with_the_form(ctx, world):
    data = {**GOOD, "field.reply": "", "action": "draft", "attachment": (io.BytesIO(PDF), "答复函.pdf")}
    answer = world.ann.post(f"/tasks/{world.task_id}", data=data, content_type="multipart/form-data")
    assert answer.status_code == 302
    with ctx.db.session() as session:
        stored = session.scalars(select(Attachment)).one()
        assert (stored.task_id, stored.case_id, stored.file_name) == (world.task_id, world.case_id, "答复函.pdf")
    page = world.ann.get(f"/tasks/{world.task_id}").get_data(as_text=True)
    assert 'id="task-files"' in page and "答复函.pdf" in page
    # sent with a form that is then refused: the file is kept, and listed
    data = {**GOOD, "field.reply": "", "action": "complete", "attachment": (io.BytesIO(PDF + b"2"), "附件二.pdf")}
    answer = world.ann.post(f"/tasks/{world.task_id}", data=data, content_type="multipart/form-data")
    assert answer.status_code == 422 and "附件二.pdf" in answer.get_data(as_text=True)
    assert attachments(ctx) == 2
    data = {**GOOD, "action": "complete", "attachment": (io.BytesIO(b"plain text reply"), "reply.txt")}
    answer = world.ann.post(f"/tasks/{world.task_id}", data=data, content_type="multipart/form-data")
    assert answer.status_code == 302 and attachments(ctx) == 3


@pytest.mark.parametrize("name, content, words", [
    ("big.pdf", PDF + b"x" * LIMIT, "4 KB"),
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, "pdf"),
    ("fake.pdf", b"this is no pdf at all", ".pdf"),
    ("empty.pdf", b"", "empty"),
])
def test_a_refused_file_is_told_beside_the_input_and_nothing_is_kept(ctx, world, name, content, words):
    events_before = _events(ctx, world.case_id)
    data = {**GOOD, "field.contact": "刚输入的", "action": "complete", "attachment": (io.BytesIO(content), name)}
    answer = world.ann.post(f"/tasks/{world.task_id}", data=data, content_type="multipart/form-data")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    attachment = field_html(page, "attachment")
    message = re.search(r'id="error-attachment"[^>]*>(.*?)</p>', attachment).group(1)
    assert "has-error" in attachment and words in message and name in message
    assert 'value="刚输入的"' in page and "已安排施工" in page  # everything typed is kept
    assert attachments(ctx) == 0 and files_on_disk(world.files) == []
    assert task_row(ctx, world.task_id).state == "open"  # the form was not submitted either
    assert _events(ctx, world.case_id) == events_before


def _events(ctx, case_id: int) -> int:
    with ctx.db.session() as session:
        return session.scalar(select(func.count()).select_from(EventRow).where(EventRow.case_id == case_id))


def test_a_request_beyond_the_upload_limit_gets_the_413_page(world):
    size = world.app.config["MAX_CONTENT_LENGTH"] + 1
    data = {"action": "draft", "attachment": (io.BytesIO(b"%PDF-" + b"x" * size), "huge.pdf")}
    answer = world.ann.post(f"/tasks/{world.task_id}", data=data, content_type="multipart/form-data")
    assert answer.status_code == 413


def test_the_task_form_refuses_a_missing_csrf_token(ctx, world):
    world.app.config["WTF_CSRF_ENABLED"] = True
    answer = world.ann.post(f"/tasks/{world.task_id}", data={**GOOD, "action": "complete"})
    assert answer.status_code == 400
    assert task_row(ctx, world.task_id).state == "open"
    page = world.ann.get(f"/tasks/{world.task_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = world.ann.post(f"/tasks/{world.task_id}", data={**GOOD, "action": "complete", "csrf_token": token})
    assert answer.status_code == 302 and task_row(ctx, world.task_id).state == "completed"


def test_a_task_without_a_form_is_completed_with_one_button(ctx, world):
    deploy_xml(ctx, one_task("plain", 'camunda:candidateGroups="clerks"'), "plain.bpmn")
    with ctx.db.session() as session:
        case = runtime.start_case(ctx, session, identity.get_user(session, "ann"), "plain", "无表单")
        task_id = tasks.open_tasks_of_case(session, case.id)[0].id
    page = world.ann.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="complete-task"' in page and 'data-field="' not in page.replace('data-field="attachment"', "")
    assert world.ann.post(f"/tasks/{task_id}", data={"action": "complete"}).status_code == 302
    assert task_row(ctx, task_id).state == "completed"
