"""axe-core over the main pages of the demo district, in Chinese and in English: no serious or critical
violation on sign-in, inbox, task form, case page (a supervisor's and the proposer's), supervision,
statistics, designer, new case, notifications and the portal (list and case), at 1280 and 390 px. The
load time of each page is printed (`pytest -s`); `python -m tests.browser.pages_table` prints the table of
counts and load times for the notes. Times are never asserted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

import workflows
from engine import migrate
from engine.context import EngineContext
from engine.store import Case, Notification, TaskRow, User
from workflows import demo

from ..conftest import make_config
from .axe import describe, load_ms, severe_violations
from .conftest import SCREENSHOTS, SIZES, LiveServer, sign_in


class DemoDistrictServer(LiveServer):
    """The whole demo district (a year of suggestions and proposals) on SQLite."""

    def __init__(self, tmp: Path):  # noqa: D107 - same shape as LiveServer, another loader
        config = make_config(f"sqlite:///{tmp / 'demo.db'}", uploads__attachments_dir=str(tmp / "files"))
        self.ctx = EngineContext.create(config)
        workflows.install(self.ctx)
        migrate.upgrade(self.ctx.db)
        demo.load(self.ctx, progress=lambda _message: None)
        self._serve()


@pytest.fixture(scope="module")
def district(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDistrictServer]:
    server = DemoDistrictServer(tmp_path_factory.mktemp("a11y"))
    yield server
    server.stop()


def demo_suggestion(ctx: EngineContext) -> tuple[int, str]:
    """A replied demo suggestion with the most to show: (case id, its proposer)."""
    with ctx.db.session() as session:
        cases = session.scalars(select(Case).where(Case.process_key == "suggestion")).all()
        best = max(cases, key=lambda c: (bool((c.data or {}).get("replied_at")), len(c.data or {})))
        return best.id, str((best.data or {}).get("proposer") or best.started_by)


def open_task(ctx: EngineContext, group: str) -> str:
    with ctx.db.session() as session:
        rows = session.scalars(select(TaskRow).where(TaskRow.state == "open")).all()
        return next(r.id for r in rows if group in (r.candidate_groups or []))


def someone_told(ctx: EngineContext) -> str:
    with ctx.db.session() as session:
        return session.scalar(select(Notification.username).order_by(Notification.id).limit(1)) or "edu_clerk"


def pages(ctx: EngineContext) -> list[tuple[str, str | None, str]]:
    """(name, who signs in, path) of each page axe looks at."""
    case_id, proposer = demo_suggestion(ctx)
    return [
        ("sign-in", None, "/sign-in"),
        ("inbox", "edu_clerk", "/inbox"),
        ("task form", "edu_clerk", f"/tasks/{open_task(ctx, 'unit_education')}"),
        ("case page", "supervisor", f"/cases/{case_id}"),
        ("case page (proposer)", proposer, f"/cases/{case_id}"),
        ("supervision", "supervisor", "/supervise"),
        ("statistics", "supervisor", "/statistics"),
        ("designer", "designer", "/designer"),
        ("new case", "deputy_zhao", "/cases/new/suggestion"),
        ("notifications", someone_told(ctx), "/notifications"),
        ("portal", proposer, "/portal/"),
        ("portal case", proposer, f"/portal/cases/{case_id}"),
    ]


def visit(browser: Any, server: DemoDistrictServer, who: str | None, path: str, viewport: dict,
          locale: str = "zh-CN") -> Any:
    context = browser.new_context(viewport=viewport, locale=locale, timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.base = server.url
    if who:
        sign_in(tab, who)
    tab.goto(server.url + path)
    tab.wait_for_load_state("load")
    return tab


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_no_serious_or_critical_violations(browser, district, language, size):
    with district.ctx.db.session() as session:
        session.execute(update(User).values(language=language))
    found, times = {}, {}
    for name, who, path in pages(district.ctx):
        tab = visit(browser, district, who, path, SIZES[size], "en-US" if language == "en" else "zh-CN")
        try:
            assert tab.evaluate("document.documentElement.lang").startswith(language[:2]), name
            times[name] = load_ms(tab)
            violations = severe_violations(tab)
            if violations:
                found[name] = describe(violations)
        finally:
            tab.context.close()
    print(f"\nload times ({language}, {size}, ms):", {k: round(v) for k, v in times.items()})
    assert not found, "\n\n".join(f"{page}:\n{text}" for page, text in found.items())


def test_the_case_page_of_a_demo_suggestion_fits_a_phone(browser, district):
    case_id, _proposer = demo_suggestion(district.ctx)
    with district.ctx.db.session() as session:
        session.execute(update(User).values(language="zh_CN"))
    for size, viewport in SIZES.items():  # each loaded at its width: a phone folds the sections on load
        tab = visit(browser, district, "supervisor", f"/cases/{case_id}", viewport)
        try:
            if size == "phone":
                assert tab.evaluate("document.documentElement.scrollWidth") <= 390
                assert severe_violations(tab) == []
            screenshot(tab, "case", size)
        finally:
            tab.context.close()
    tab = visit(browser, district, "edu_clerk", f"/tasks/{open_task(district.ctx, 'unit_education')}",
                SIZES["desktop"])
    try:
        screenshot(tab, "task-form", "desktop")
        tab.set_viewport_size(SIZES["phone"])
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(tab, "task-form", "phone")
    finally:
        tab.context.close()


def screenshot(tab: Any, name: str, size: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=True)
