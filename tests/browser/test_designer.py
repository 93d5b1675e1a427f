"""A designer in a real browser: a broken file is checked (problems listed, the offending element
highlighted on the drawn diagram), then a good one is deployed and listed."""

from __future__ import annotations

from ..test_web_designer import drawn_bpmn
from .conftest import shoot, sign_in

NODES = [("start", "startEvent", "收到申请"), ("fill", "userTask", "填写请假单"),
         ("approve", "userTask", "部门负责人审批"), ("done", "endEvent", "办结")]
GOOD_FLOWS = [("f1", "start", "fill"), ("f2", "fill", "approve"), ("f3", "approve", "done")]
BROKEN_FLOWS = [("f1", "start", "fill"), ("f2", "fill", "approve"), ("f3", "approve", "archive")]


def test_check_a_broken_file_then_deploy_a_good_one(page, live, tmp_path):
    broken = tmp_path / "leave.bpmn"
    broken.write_text(drawn_bpmn("leave_request", "请假审批", nodes=NODES, flows=BROKEN_FLOWS), encoding="utf-8")
    sign_in(page, "designer")
    page.goto(page.base + "/designer")
    assert page.locator("[data-process-key=quick_reply]").is_visible()  # the demo's example process

    page.set_input_files("#bpmn-files", str(broken))
    page.click("#check-button")
    page.wait_for_load_state()
    assert page.locator("#problems").is_visible()
    problem = page.locator("#problems .lint-element[data-element-id=f3]")
    assert problem.is_visible() and "archive" in problem.inner_text()
    assert page.locator("#diagram-0 svg g.highlight[data-element-id=f3]").count() == 1
    assert page.locator("#diagram-0 svg g.highlight").count() >= 1
    # a problem's link shows its element on the diagram
    problem.locator("a.goto").click()
    assert "flash" in (page.locator("#diagram-0 g[data-element-id=f3]").get_attribute("class") or "")
    assert "selected" in (problem.get_attribute("class") or "")
    shoot(page, "designer-problems")
    with live.ctx.db.session() as session:
        from engine.bpmn import library

        assert library.latest(session, "leave_request") is None

    good = tmp_path / "fixed" / "leave.bpmn"
    good.parent.mkdir()
    good.write_text(drawn_bpmn("leave_request", "请假审批", nodes=NODES, flows=GOOD_FLOWS), encoding="utf-8")
    page.set_input_files("#bpmn-files", str(good))
    page.click("#deploy-button")
    page.wait_for_load_state()
    assert page.url.split("#")[0].endswith("/designer")
    listed = page.locator("[data-process-key=leave_request]")
    assert listed.is_visible() and "请假审批" in listed.inner_text()
    assert listed.locator("tr[data-version='1']").is_visible()
    assert page.locator(".flash-success").count() == 1
    shoot(page, "designer")

    listed.locator("tr[data-version='1'] a.version-link").click()
    page.wait_for_load_state()
    assert page.locator("#diagram svg g[data-element-id=approve]").count() == 1
    assert page.locator("#download").get_attribute("href").endswith("/designer/leave_request/1/file")
