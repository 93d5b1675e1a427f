"""Every case of the demo district reads as a document: its page and its open tasks' case summaries label
every value in the reader's language (no variable name like `sign_in_working_days` or `review_records`),
show people and units by their names (no `unit_transport`), and records as tables."""

from __future__ import annotations

import html as html_lib
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select, update

import workflows
from engine import migrate
from engine.bpmn import library
from engine.context import EngineContext
from engine.store import Case, TaskRow, User
from workflows import demo, views

from .conftest import _drop_postgres_database, _postgres_database, make_config

ROOT = Path(__file__).resolve().parents[1]
IDENTIFIER = re.compile(r"^[A-Za-z]+(_[A-Za-z0-9]+)+$|^[a-z]+$")  # review_records, term, flagged
CODE = re.compile(r"\b(unit_[a-z_]+|liaison_office|proposal_committee|supervision_office|[a-z]+_leaders)\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    postgres = os.environ.get("CASEWORK_TEST_BACKEND") == "postgresql"
    url = _postgres_database() if postgres else f"sqlite:///{tmp_path_factory.mktemp('docs') / 'demo.db'}"
    files = tmp_path_factory.mktemp('files')  # the demo's reply letters and site photos
    ctx = EngineContext.create(make_config(url, uploads__attachments_dir=str(files)))
    workflows.install(ctx)
    migrate.upgrade(ctx.db)
    with ctx.db.session() as session:
        library.deploy(session, library.read_files(sorted(str(p) for p in (ROOT / "bpmn").glob("*.bpmn"))), "init")
    demo.load(ctx, progress=lambda _line: None)
    from webui.app import create_app

    yield ctx, create_app(ctx=ctx)
    ctx.db.dispose()
    if postgres:
        _drop_postgres_database(url)


def signed_in(app, username: str):
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post("/sign-in", data={"username": username, "password": demo.DEMO_PASSWORD, "csrf_token": csrf})
    assert answer.status_code == 302
    return client


def labels(page: str) -> list[str]:
    """The texts that name a value: definition terms, table heads, the timeline's change labels."""
    found = re.findall(r"<(?:dt|th)\b[^>]*>(.*?)</(?:dt|th)>", page, re.S)
    found += re.findall(r'<span class="change-label">(.*?)</span>', page, re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in found]


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|svg|select)\b.*?</\1>", " ", page, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def cases_and_tasks(ctx) -> list[tuple[int, str, list[str]]]:
    with ctx.db.session() as session:
        cases = list(session.scalars(select(Case).where(Case.process_key.in_(tuple(views.PRESENTATIONS)))))
        tasks = {}
        for row in session.scalars(select(TaskRow).where(TaskRow.state == "open")):
            tasks.setdefault(row.case_id, []).append(row.id)
        return [(c.id, c.process_key, tasks.get(c.id, [])) for c in cases]


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_demo_case_page_labels_its_values_in_the_readers_language(district, language):
    ctx, app = district
    with ctx.db.session() as session:
        session.execute(update(User).where(User.username == "supervisor").values(language=language))
    web = signed_in(app, "supervisor")
    pages = tables = 0
    for case_id, _process_key, task_ids in cases_and_tasks(ctx):
        for path in [f"/cases/{case_id}", *(f"/tasks/{t}" for t in task_ids)]:
            answer = web.get(path)
            assert answer.status_code == 200, path
            page = answer.get_data(as_text=True)
            pages += 1
            raw = [text for text in labels(page) if IDENTIFIER.match(text)]
            assert raw == [], f"{path}: labels that are variable names: {raw}"
            codes = sorted(set(CODE.findall(visible_text(page))))
            assert codes == [], f"{path}: units or groups by their codes: {codes}"
            if language == "en":
                chinese = [text for text in labels(page) if CJK.search(text)]
                assert chinese == [], f"{path}: Chinese labels in English: {chinese}"
            else:
                english = [text for text in labels(page) if re.fullmatch(r"[A-Za-z][A-Za-z ,'()-]+", text)]
                assert english == [], f"{path}: English labels in Chinese: {english}"
            if path.startswith("/cases/"):
                tables += 'data-records="review_records"' in page  # records are tables, never "level: …"
                assert "level:" not in page and "outcome:" not in page
                for key in ("sign_in_working_days", "max_rehandling_rounds", "flagged", "term"):
                    assert f'data-key="{key}"' not in page, (path, key)
    assert pages >= 80 and tables >= 50
