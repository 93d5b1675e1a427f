"""Lint problems on the designer's pages in the reader's language, by code: a file with several kinds of
problems shows Chinese sentences to a Chinese reader and English ones to an English reader; every code the
lint modules can emit has its English sentence (engine) and its translation (web)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from engine import identity
from engine.bpmn import lintcodes
from tests.test_web_designer import Browser, drawn_bpmn
from webui import lintmessages

ROOT = Path(__file__).resolve().parent.parent
LINT_MODULES = ["engine/bpmn/lint.py", "engine/bpmn/lintexpr.py", "engine/bpmn/declarations.py",
                "engine/bpmn/parser.py", "engine/bpmn/library.py", "engine/bpmn/linttimer.py"]

FORM = ('<bpmn:userTask id="work" name="Do the work" camunda:candidateGroups="clerks"><bpmn:extensionElements>'
        '<camunda:formData>'
        '<camunda:formField id="colour" label="Colour" type="colour"/>'
        '<camunda:formField id="kind" label="Kind" type="enum"/>'
        '<camunda:formField id="urgent" label="Urgent" type="boolean" defaultValue="maybe"/>'
        '</camunda:formData></bpmn:extensionElements></bpmn:userTask>')
SEVERAL = drawn_bpmn("leave", "Leave", nodes=[("start", "startEvent", ""), ("work", "userTask", "Do the work"),
                                             ("lost", "userTask", "Lost"), ("done", "endEvent", "")],
                     flows=[("f1", "start", "work"), ("f2", "work", "nowhere"), ("f3", "lost", "done")])
SEVERAL = SEVERAL.replace('<bpmn:userTask id="work" name="Do the work" camunda:candidateGroups="clerks"/>', FORM)
KINDS = {"flow_ref_unknown", "unreachable_no_incoming", "field_type_unknown", "enum_without_values",
         "default_not_boolean"}
ENGLISH_WORDS = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}")  # three English words in a row: a sentence
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def readers(ctx):
    with ctx.db.session() as session:
        identity.add_user(session, "dora", "secret-pw", ["designers"], "设计员")
        identity.add_user(session, "dave", "secret-pw", ["designers"], "Dave", language="en")


def _messages(answer) -> dict[str, str]:
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    return dict(re.findall(r'<li class="lint-problem" data-code="([a-z0-9_]+)".*?<span class="message">(.*?)</span>',
                           page, re.S))


def test_a_chinese_reader_sees_the_problems_in_chinese(app, readers):
    shown = _messages(Browser(app, "dora").upload({"leave.bpmn": SEVERAL}, "deploy"))
    assert KINDS <= set(shown)
    for code, text in shown.items():
        assert CJK.search(text), (code, text)
        assert not ENGLISH_WORDS.search(text), (code, text)
    assert "表单字段 colour 的类型“colour”未知" in shown["field_type_unknown"]


def test_an_english_reader_sees_them_in_english(app, readers):
    shown = _messages(Browser(app, "dave").upload({"leave.bpmn": SEVERAL}, "deploy"))
    assert KINDS <= set(shown)
    for code, text in shown.items():
        assert not CJK.search(text), (code, text)
    assert shown["enum_without_values"] == "The choice field kind has no options."
    assert shown["flow_ref_unknown"] == "The sequence flow&#39;s targetRef nowhere is not an element of this process."


def _emitted_codes() -> set[str]:
    """The codes in the lint modules' source: the code argument of add / Problem.of / Problem /
    BpmnFileError, a `code = ...`, and the code of the (code, params) and (node, code, params, ...) tuples."""
    codes: set[str] = set()

    def strings(node):  # a literal, or the branches of `a if ... else b` (not its test)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            codes.add(node.value)
        elif isinstance(node, ast.IfExp):
            strings(node.body)
            strings(node.orelse)

    for path in LINT_MODULES:
        for node in ast.walk(ast.parse((ROOT / path).read_text())):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                slot = {"add": 1, "of": 3, "Problem": 4, "BpmnFileError": 0}.get(name)
                if slot is not None and len(node.args) > slot:
                    strings(node.args[slot])
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "code" for t in node.targets):
                strings(node.value)
            elif isinstance(node, ast.Tuple) and len(node.elts) >= 2:
                for first, second in zip(node.elts, node.elts[1:], strict=False):
                    takes_params = isinstance(second, ast.Dict) or (isinstance(second, ast.Name) and second.id == "params")
                    if takes_params and isinstance(first, ast.Constant | ast.IfExp):
                        strings(first)
    return codes


def test_every_code_the_lint_emits_is_said_in_english_and_translated():
    emitted = _emitted_codes()
    assert len(emitted) >= 60
    assert emitted - set(lintcodes.MESSAGES) == set(), "codes without an English sentence"
    assert set(lintcodes.MESSAGES) - emitted == set(), "codes no lint module emits"
    assert set(lintmessages.MESSAGES) == set(lintcodes.MESSAGES)
