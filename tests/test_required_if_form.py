"""A field required by the choice made in another (camunda:validation `required_if`) is shown as such on the
task page: its hint names the condition in the reader's language, and the input carries it for scripts."""

from __future__ import annotations

from flask_babel import force_locale

from webui.taskform import field_views

FIELDS = [
    {"id": "disclosure", "label": "公开方式", "type": "enum", "required": True,
     "options": [{"id": "full", "name": "全文公开"}, {"id": "withheld", "name": "不公开"}]},
    {"id": "disclosure_reason", "label": "理由", "type": "string",
     "constraints": {"required_if": "disclosure=withheld", "maxlength": 500}},
    {"id": "implemented", "label": "已落实", "type": "boolean"},
    {"id": "rework_due", "label": "新节点日期", "type": "date", "constraints": {"required_if": "implemented=false"}},
]


def test_the_condition_is_shown_beside_the_field(app):
    with app.test_request_context(), force_locale("zh"):
        views = {v.id: v for v in field_views(FIELDS, {}, None, "zh")}
    reason = views["disclosure_reason"]
    assert "「公开方式」为「不公开」时必填" in reason.hint and not reason.required
    assert reason.attrs["data-required-if"] == "disclosure=withheld"
    assert "「已落实」为「未勾选」时必填" in views["rework_due"].hint
    assert "data-required-if" not in views["disclosure"].attrs


def test_in_english_too(app):
    with app.test_request_context(), force_locale("en"):
        views = {v.id: v for v in field_views(FIELDS, {}, None, "en")}
    assert "Required when 公开方式 is Do not publish" in views["disclosure_reason"].hint
