"""A clerk on a case page in a real browser: the list, the diagram, recording a communication (refused
when incomplete, the text kept), a comment and an attachment; the page fits a phone."""

from __future__ import annotations

from .conftest import sign_in

NOISE = "关于规范夜间施工噪声管理的建议"
# a 1x1 transparent PNG
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


def test_clerk_works_on_a_case_page(page, tmp_path):
    sign_in(page, "edu_clerk")
    page.goto(page.base + "/cases")
    page.fill("#q", "噪声")
    page.click("#case-filters button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("#case-list tr[data-case-id]")
    assert rows.count() == 1
    rows.first.locator("a.case-title").click()
    page.wait_for_load_state()
    assert page.locator("#case-title").inner_text() == NOISE
    assert page.locator("#diagram svg g.state-active").count() >= 1
    assert page.locator("#tasks tr[data-element-id=handle] a[data-open-task]").is_visible()

    # a communication without its method is refused, and what was typed stays
    page.click("#record-contact summary")
    page.select_option("#contact-kind", "contact_before")
    page.fill("#contact-date", "2026-03-02")
    page.fill("#contact-participants", "赵代表")
    page.fill("#contact-body", "电话了解夜间施工情况")
    page.click("#contact-submit")
    page.wait_for_load_state()
    assert page.locator("#contact-method-error").is_visible()
    assert page.input_value("#contact-body") == "电话了解夜间施工情况"
    assert page.input_value("#contact-participants") == "赵代表"
    page.select_option("#contact-method", "phone")
    page.click("#contact-submit")
    page.wait_for_load_state()
    assert page.locator("#communications li[data-kind=contact_before]", has_text="电话了解夜间施工情况").is_visible()

    page.fill("#comment-body", "已约施工方周五面谈")
    page.click("#comment-submit")
    page.wait_for_load_state()
    assert page.locator("#comments li", has_text="已约施工方周五面谈").is_visible()

    reply = tmp_path / "答复意见.txt"
    reply.write_text("关于夜间施工噪声的答复意见", encoding="utf-8")
    page.set_input_files("#attachment-file", str(reply))
    page.click("#attachment-submit")
    page.wait_for_load_state()
    link = page.locator("#attachments a.file-name", has_text="答复意见.txt")
    assert link.is_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "答复意见.txt"
    assert download.value.path().read_text(encoding="utf-8") == "关于夜间施工噪声的答复意见"  # not a 500 page
    assert page.locator("#timeline li[data-kind=attachment_added]").count() == 1

    # a photo shows inline; a file over the limit is refused before it is sent, the limit named
    photo = tmp_path / "现场.png"
    photo.write_bytes(PNG)
    page.set_input_files("#attachment-file", str(photo))
    page.click("#attachment-submit")
    page.wait_for_load_state()
    thumb = page.locator("#attachments img.thumb").first
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024 + 10))
    page.set_input_files("#attachment-file", str(big))
    warning = page.locator("#attachment-file-too-large")
    assert warning.is_visible() and "20.0 MB" in warning.inner_text() and "big.pdf" in warning.inner_text()
    uploads = []
    page.on("request", lambda r: uploads.append(r) if r.method == "POST" else None)
    page.click("#attachment-submit")
    page.wait_for_timeout(300)
    assert uploads == [] and page.locator("#attachments li[data-attachment-id]").count() == 2

    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
