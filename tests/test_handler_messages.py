"""Refusals raised by the workflow handlers (并案 of a suggestion, names not in the directory) carry a code
and params, so the task page says them in the reader's language, not only in the engine's Chinese."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from engine.errors import Invalid
from webui.taskform import field_errors
from workflows import merging

FIELDS = [{"id": "merged_into", "label": "并入建议编号"}, {"id": "lead_unit", "label": "主办单位"}]
CASE = SimpleNamespace(process_key=merging.KEY, number="建议 2026-0007")
TASK = SimpleNamespace(element_id="pre_review")


def _refusal(merged_into: str) -> list[dict]:
    with pytest.raises(Invalid) as info:
        merging.check_merge(None, CASE, TASK, {"review_outcome": "merge", "merged_into": merged_into})
    return info.value.details


@pytest.mark.parametrize(("merged_into", "code", "zh", "en"), [
    ("", "merge_number_required", "并案须填写并入的建议编号。", "Enter the number of the suggestion this one is merged into."),
    ("建议 2026-0007", "merge_into_itself", "不能并入本案。", "A suggestion cannot be merged into itself."),
])
def test_a_merge_refusal_is_said_in_the_readers_language(app, merged_into, code, zh, en):
    details = _refusal(merged_into)
    assert details[0]["code"] == code and details[0]["message"]  # the API keeps the engine's words
    for language, words in (("zh_CN", zh), ("en", en)):
        with app.test_request_context(), force_locale(language):
            beside, general = field_errors(details, FIELDS)
        assert beside == {"merged_into": words} and general == []


def test_names_not_in_the_directory_are_said_in_english_to_an_english_reader(app):
    details = [{"field": "lead_unit", "code": "not_a_unit", "params": {"names": "甲局、乙局"},
                "message": "不是本组织的承办单位：甲局、乙局"}]
    with app.test_request_context(), force_locale("en"):
        assert field_errors(details, FIELDS)[0] == {"lead_unit": "Not a unit of this organisation: 甲局、乙局"}
    with app.test_request_context(), force_locale("zh_CN"):
        assert field_errors(details, FIELDS)[0] == {"lead_unit": "不是本组织的承办单位：甲局、乙局"}
