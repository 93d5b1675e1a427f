"""The year's work in a real browser on the demo district: the supervisor's dashboard with its charts,
the search box ("水务" finds the water bureau's cases) and the battle map with 销号, in Chinese and
English, at desktop (1280 px) and phone (390 px) widths; screenshots in docs/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import migrate
from engine.context import EngineContext
from workflows import demo, install

from ..conftest import make_config
from .conftest import SIZES, LiveServer, shoot, sign_in


class DemoServer(LiveServer):
    """The whole demo district (a year of cases), loaded once for the module."""

    def __init__(self, tmp: Path):  # noqa: D107 - same shape as LiveServer, another loader
        config = make_config(f"sqlite:///{tmp / 'demo.db'}", uploads__attachments_dir=str(tmp / "files"))
        self.ctx = EngineContext.create(config)
        install(self.ctx)
        migrate.upgrade(self.ctx.db)
        demo.load(self.ctx, progress=lambda _message: None)
        self._serve()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[DemoServer]:
    running = DemoServer(tmp_path_factory.mktemp("yearwork"))
    yield running
    running.stop()


@pytest.fixture(params=["zh", "en"])
def tab(request, browser: Any, server: DemoServer) -> Iterator[Any]:
    locale = "zh-CN" if request.param == "zh" else "en-US"
    context = browser.new_context(viewport=SIZES["desktop"], locale=locale, timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base, page.lang = server.url, request.param
    yield page
    context.close()


def in_language(page: Any, username: str) -> None:
    """Sign in and switch the page language to the tab's (each person's choice is kept)."""
    sign_in(page, username)
    wanted = "en" if page.lang == "en" else "zh_CN"
    button = page.locator(f"button[name=language][value={wanted}]")
    if button.count():
        button.click()
        page.wait_for_load_state()


def fits_a_phone(page: Any) -> None:
    """At 390 px the page itself does not scroll sideways (wide tables scroll in their own box)."""
    page.set_viewport_size(SIZES["phone"])
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size(SIZES["desktop"])
    assert width <= SIZES["phone"]["width"] + 1, f"the page is {width} px wide on a phone"


def suffix(page: Any) -> str:
    return "" if page.lang == "zh" else "-en"


def test_the_supervisors_dashboard(tab):
    in_language(tab, "supervisor")
    tab.goto(tab.base + "/supervise")
    assert tab.locator("#year-compare").is_visible()
    assert tab.locator("#dashboard-charts svg.chart").count() == 4
    assert tab.locator("#late-milestones").is_visible()
    heading = "Late checklist milestones" if tab.lang == "en" else "逾期未销号的清单节点"
    assert heading in tab.locator("#late-milestones h2").inner_text()
    title = tab.locator("#dash-trend svg title").first.text_content()
    assert ("month by month" in title) if tab.lang == "en" else ("逐月" in title)
    fits_a_phone(tab)
    shoot(tab, "dashboard" + suffix(tab))
    tab.goto(tab.base + "/statistics")
    assert tab.locator("#statistics-charts svg.chart").count() == 10
    fits_a_phone(tab)
    shoot(tab, "statistics-charts" + suffix(tab))


def test_search_finds_the_water_bureaus_cases(tab):
    in_language(tab, "supervisor")
    tab.goto(tab.base + "/cases")
    tab.fill("#q", "水务")
    tab.click("#case-filters button[type=submit]")
    tab.wait_for_load_state()
    rows = tab.locator("#case-list tbody tr")
    assert rows.count() >= 3
    assert tab.locator("#case-list", has_text="区水务局").count() == 1
    tab.click("#case-list th a[data-sort=number]")
    tab.wait_for_load_state()
    numbers = tab.locator("#case-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.caseNumber)")
    assert numbers == sorted(numbers) and "q=" in tab.url
    assert tab.locator("#export-cases").is_visible()
    fits_a_phone(tab)
    shoot(tab, "search" + suffix(tab))


def test_the_battle_map_and_closing_out(tab, server):
    from sqlalchemy import select

    from workflows.battlemap import CaseMilestone

    with server.ctx.db.session() as session:
        open_rows = list(session.scalars(select(CaseMilestone).where(CaseMilestone.task_id.is_not(None))
                                         .order_by(CaseMilestone.due)))
    assert open_rows, "the demo leaves milestones open"
    row = open_rows[0]
    in_language(tab, "supervisor")
    tab.goto(tab.base + f"/battle-map?year={row.due.year}")
    assert tab.locator("#battle-map table").is_visible()
    assert tab.locator(f"#m-{row.case_id}-{row.seq}").is_visible()
    assert tab.locator("form.close-out").count() == 0  # supervisors watch the board
    fits_a_phone(tab)
    shoot(tab, "battle-map" + suffix(tab))
    tab.context.clear_cookies()
    clerk = {"unit_water": "water_clerk"}.get(row.unit) or next(
        f"{short}_clerk" for unit, (_n, short, _c, _h) in demo.UNITS.items() if unit == row.unit)
    in_language(tab, clerk)
    tab.goto(tab.base + f"/battle-map?year={row.due.year}")
    line = tab.locator(f"#m-{row.case_id}-{row.seq}")
    line.locator("input[name=result]").fill("已按期完成" if tab.lang == "zh" else "done on time")
    line.locator("button[type=submit]").click()
    tab.wait_for_load_state()
    assert tab.locator(".flash-info").is_visible()
    assert tab.locator(f"#m-{row.case_id}-{row.seq}").get_attribute("data-state") == "done"
