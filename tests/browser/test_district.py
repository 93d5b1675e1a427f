"""The real processes in a real browser: a deputy submits a suggestion on the New case page, the liaison
office finds it to pre-review, and a supervisor reads the statistics page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine import clock, migrate
from engine.context import EngineContext
from workflows import demo, install

from ..conftest import make_config
from .conftest import SIZES, LiveServer, shoot, sign_in

TITLE = "关于在老城区增设公共停车泊位的建议"


class DistrictServer(LiveServer):
    """The district's people and the models of bpmn/, without the demo's sixty cases (fast)."""

    def __init__(self, tmp: Path):  # noqa: D107 - same shape as LiveServer, another loader
        config = make_config(f"sqlite:///{tmp / 'district.db'}", uploads__attachments_dir=str(tmp / "files"))
        self.ctx = EngineContext.create(config)
        install(self.ctx)
        migrate.upgrade(self.ctx.db)
        demo.people(self.ctx, progress=lambda _message: None)
        demo.deploy_models(self.ctx, progress=lambda _message: None)
        self._serve()


@pytest.fixture
def district_page(browser: Any, tmp_path: Path) -> Iterator[Any]:
    server = DistrictServer(tmp_path)
    context = browser.new_context(viewport=SIZES["desktop"], locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.base = server.url
    yield tab
    context.close()
    server.stop()


def test_a_deputy_submits_and_the_liaison_office_reviews(district_page):
    page = district_page
    sign_in(page, "deputy_zhao")
    assert page.url.endswith("/portal/")  # a deputy lands on the portal; the office's new-case page is still theirs
    page.goto(page.base + "/cases/new")
    page.click("[data-process-key=suggestion] a")
    page.wait_for_load_state()
    page.fill("[data-field=title] input", TITLE)
    page.click("#start-case")  # without the body: refused, the title kept
    page.wait_for_load_state()
    assert page.locator("[data-field=body].has-error").is_visible()
    assert page.locator("[data-field=title] input").input_value() == TITLE
    page.fill("[data-field=body] textarea", "老城区停车难，建议利用边角地增设公共停车泊位。")
    page.select_option("[data-field=category] select", "交通")
    shoot(page, "new-case")
    page.click("#start-case")
    page.wait_for_load_state()
    assert page.locator("#case-title").inner_text() == TITLE
    year = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).year
    assert page.locator(".flash", has_text=f"建议 {year}-0001").is_visible()  # the case's number, told at once

    page.context.clear_cookies()
    sign_in(page, "liaison")
    page.goto(page.base + "/inbox?tab=groups")
    row = page.locator("tr[data-task-id]", has_text=TITLE)
    assert row.count() == 1


def test_a_supervisor_reads_the_statistics(district_page):
    page = district_page
    sign_in(page, "supervisor")
    page.click("nav a[href$='/statistics']")
    page.wait_for_load_state()
    assert page.locator("#unit-statistics").is_visible()
    assert page.locator("#statistics-filters select#year").is_visible()

