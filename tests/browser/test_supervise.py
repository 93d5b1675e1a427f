"""A supervisor in a real browser: the overdue case on the watchlist, its live diagram and timeline, the flag."""

from __future__ import annotations

from .conftest import shoot, sign_in

NOISE = "关于规范夜间施工噪声管理的建议"  # the demo's overdue case, waiting in unit_education


def test_supervisor_finds_the_overdue_case_and_flags_it(page):
    sign_in(page, "supervisor")
    page.goto(page.base + "/supervise")
    row = page.locator("section#overdue tr[data-case-id]", has_text=NOISE)
    assert row.count() == 1
    assert row.locator("[data-due=overdue]").is_visible()
    assert row.locator("[data-group=unit_education]").is_visible()
    assert page.locator("[data-section=overdue] .count").first.get_attribute("data-count") == "1"
    assert page.locator("section#flagged tr[data-case-id]").count() == 0
    shoot(page, "supervise")

    row.locator("a.case-title").click()
    page.wait_for_load_state()
    assert page.locator("#case-title").inner_text() == NOISE
    active = page.locator("#diagram svg g.state-active")
    assert active.count() >= 1
    assert page.locator('#diagram svg g.state-active[data-element-id="handle"]').count() == 1
    assert page.locator('#diagram svg g.state-completed[data-element-id="review"]').count() == 1
    assert page.locator("#timeline li[data-kind=task_completed]").count() == 1
    assert page.locator("#timeline li[data-kind=case_started] [data-actor=deputy_zhao]").is_visible()
    assert page.locator("#case-flagged").count() == 0

    page.fill("#flag-reason", "夜间施工投诉较多，挂牌督办")
    page.click("#flag-button")
    page.wait_for_load_state()
    assert page.locator("#case-flagged").is_visible()
    assert page.locator("#unflag-button").is_visible()
    assert page.locator("#timeline li[data-kind=case_flagged]", has_text="夜间施工投诉较多").is_visible()
    # the case page's screenshots are of a demo suggestion (test_accessibility), not of this example

    page.goto(page.base + "/supervise")
    assert page.locator("section#flagged tr[data-case-id]", has_text=NOISE).count() == 1


def test_watchlist_filters_and_fits_a_phone(page):
    sign_in(page, "supervisor")
    page.goto(page.base + "/supervise")
    page.select_option("#unit", "unit_transport")
    page.click("#watch-filters button[type=submit]")
    page.wait_for_load_state()
    assert "unit=unit_transport" in page.url
    assert page.locator("section#overdue tr[data-case-id]").count() == 0
    page.select_option("#unit", "unit_education")
    page.click("#watch-filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("section#overdue tr[data-case-id]", has_text=NOISE).count() == 1
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
