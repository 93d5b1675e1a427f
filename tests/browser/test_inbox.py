"""A clerk's day in a real browser: claim a task from the group's list, open its form, send it with
the required reply missing (told beside the field, the rest kept), then correct it and land on the case."""

from __future__ import annotations

from sqlalchemy import select

from engine.store import TaskRow

from .conftest import shoot, sign_in

TITLE = "关于增设学校周边交通信号灯的建议"


def test_claim_a_task_and_submit_its_form_with_an_error_then_corrected(page, live):
    sign_in(page, "transport_clerk")
    page.goto(page.base + "/inbox")
    page.click("a[data-tab=groups]")
    row = page.locator(f'tr[data-case-title="{TITLE}"]')
    assert row.count() == 1
    case_id = row.get_attribute("data-case-id")
    assert row.locator("a.task-link").inner_text() == "办理并答复"
    row.locator("button[data-action=claim]").click()
    page.wait_for_load_state()
    assert "tab=groups" in page.url  # back on the same view
    assert page.locator(f'tr[data-case-title="{TITLE}"]').count() == 0

    page.click("a[data-tab=claimed]")
    row = page.locator(f'tr[data-case-title="{TITLE}"]')
    assert row.count() == 1 and page.locator("a[data-tab=claimed] .count").inner_text() == "1"
    shoot(page, "inbox")

    row.locator("a[data-action=open]").click()
    page.wait_for_load_state()
    assert page.locator("#task-form").is_visible()
    assert page.locator("h1.task-name").inner_text() == "办理并答复"
    page.select_option("#field-result_class", "B")
    page.click("#complete-task")
    page.wait_for_load_state()
    error = page.locator('[data-field=reply] .field-error')
    assert error.is_visible()
    assert page.locator("[data-field=reply]").get_attribute("class").split().count("has-error") == 1
    assert page.input_value("#field-result_class") == "B"  # what was chosen is kept
    # the task form's screenshots are of a demo suggestion's task (test_accessibility)

    page.fill("#field-reply", "已在学校周边路口增设信号灯两处，预计下月投入使用。")
    with page.expect_navigation() as navigation:
        page.click("#complete-task")
    assert page.url == f"{live.url}/cases/{case_id}"
    assert navigation.value.status == 200
    # the timeline has the completion with the reply, and the diagram moved on: the task is done
    done_entry = page.locator('#timeline li[data-kind=task_completed][data-element-id=handle]')
    assert done_entry.count() == 1 and "已在学校周边路口增设信号灯两处" in done_entry.inner_text()
    assert "state-completed" in page.locator('svg g[data-element-id=handle]').first.get_attribute("class")
    assert "state-completed" in page.locator('svg g[data-element-id=replied]').first.get_attribute("class")
    with live.ctx.db.session() as session:
        done = session.scalars(select(TaskRow).where(TaskRow.case_id == int(case_id),
                                                     TaskRow.element_id == "handle")).one()
        assert (done.state, done.completed_by) == ("completed", "transport_clerk")
