"""The designer's pages: processes with every version and its cases, upload to check or deploy (lint
problems listed by file and element, the offending element highlighted on the drawn diagram), one
version's diagram, running cases and file. Only designers (and admins) may use them."""

from __future__ import annotations

import io
import re

import pytest

from engine import identity
from engine.bpmn import library
from engine.cases import runtime
from engine.store import ProcessDefinition, TaskRow
from tests.bpmn_util import NAMESPACES

# ---------------------------------------------------------------- small BPMN with a diagram

EVENT, TASK = (36, 36), (100, 80)


def drawn_bpmn(process_id: str = "p", name: str = "Test process", *,
               nodes: list[tuple[str, str, str]] | None = None,
               flows: list[tuple[str, str, str]] | None = None,
               task_attrs: str = 'camunda:candidateGroups="clerks"', prolog: str = "") -> str:
    """A process with diagram interchange: `nodes` (id, BPMN tag, name) laid out left to right,
    `flows` (id, source, target) drawn as edges; a flow to or from a missing node still gets an edge."""
    nodes = nodes if nodes is not None else [("start", "startEvent", ""), ("work", "userTask", "Do the work"),
                                             ("done", "endEvent", "")]
    flows = flows if flows is not None else [("f1", "start", "work"), ("f2", "work", "done")]
    boxes, body, shapes = {}, [], []
    for i, (ident, tag, label) in enumerate(nodes):
        w, h = TASK if tag.endswith("Task") else EVENT
        x, y = 100 + 160 * i, 140 - h // 2
        boxes[ident] = (x, y, w, h)
        attrs = f' {task_attrs}' if tag == "userTask" else ""
        body.append(f'<bpmn:{tag} id="{ident}" name="{label}"{attrs}/>')
        shapes.append(f'<bpmndi:BPMNShape id="{ident}_di" bpmnElement="{ident}">'
                      f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>')
    for ident, src, dst in flows:
        body.append(f'<bpmn:sequenceFlow id="{ident}" sourceRef="{src}" targetRef="{dst}"/>')
        sx, sy, sw, sh = boxes.get(src, (60, 300, 0, 0))
        tx, ty, _tw, th = boxes.get(dst, (420, 300, 0, 0))
        shapes.append(f'<bpmndi:BPMNEdge id="{ident}_di" bpmnElement="{ident}">'
                      f'<di:waypoint x="{sx + sw}" y="{sy + sh // 2}"/><di:waypoint x="{tx}" y="{ty + th // 2}"/>'
                      f'</bpmndi:BPMNEdge>')
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}'
            f'<bpmn:definitions {NAMESPACES} id="defs_{process_id}" targetNamespace="http://bpmn.io/schema/bpmn">\n'
            f'<bpmn:process id="{process_id}" name="{name}" isExecutable="true">\n' + "\n".join(body) +
            '\n</bpmn:process>\n'
            f'<bpmndi:BPMNDiagram id="d_{process_id}"><bpmndi:BPMNPlane id="pl_{process_id}" bpmnElement="{process_id}">'
            + "".join(shapes) + '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n</bpmn:definitions>\n')


GOOD = drawn_bpmn("leave", "请假审批")
BROKEN_FLOW = drawn_bpmn("leave", "请假审批", flows=[("f1", "start", "work"), ("f2", "work", "nowhere")])
MALFORMED = "<bpmn:definitions><bpmn:process id='x'>"
WITH_ENTITY = drawn_bpmn("leave", "请假审批", prolog='<!DOCTYPE d [<!ENTITY boom "x">]>\n')


# ---------------------------------------------------------------- signing in

def _token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


class Browser:
    """A test client signed in as one person, holding the form token of its session."""

    def __init__(self, app, username: str):
        self.client = app.test_client()
        answer = self.client.post("/sign-in", data={"username": username, "password": "secret-pw",
                                                    "csrf_token": _token(self.client, "/sign-in")})
        assert answer.status_code == 302, answer.get_data(as_text=True)
        self.token = _token(self.client, "/settings")

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def upload(self, files: dict[str, str | bytes], action: str = "check", token: bool = True, **extra):
        data: dict = {"action": action, **extra}
        if token:
            data["csrf_token"] = self.token
        data["files"] = [(io.BytesIO(c.encode() if isinstance(c, str) else c), n) for n, c in files.items()]
        return self.client.post("/designer/upload", data=data, content_type="multipart/form-data")


@pytest.fixture
def people(ctx):
    with ctx.db.session() as session:
        identity.add_user(session, "dora", "secret-pw", ["designers"], "设计员")
        identity.add_user(session, "ann", "secret-pw", ["clerks"], "安")
        identity.add_user(session, "sam", "secret-pw", ["supervisors"], "督查")


@pytest.fixture
def designer(app, people) -> Browser:
    return Browser(app, "dora")


def _versions(ctx, key: str) -> list[int]:
    with ctx.db.session() as session:
        return [d.version for d in library.versions(session, key)]


def _body(answer) -> str:
    return answer.get_data(as_text=True)


# ---------------------------------------------------------------- who may

@pytest.mark.parametrize("who", ["ann", "sam"])
def test_only_designers_may_use_the_designer_pages(app, ctx, people, who):
    with ctx.db.session() as session:
        library.deploy(session, {"leave.bpmn": GOOD.encode()}, "test")
    someone = Browser(app, who)
    for path in ("/designer", "/designer/leave/1", "/designer/leave/1/file", "/designer/leave/9"):
        assert someone.get(path).status_code == 403, path
    answer = someone.upload({"leave.bpmn": GOOD}, "deploy")
    assert answer.status_code == 403
    assert _versions(ctx, "leave") == [1]
    assert "/designer" not in re.findall(r'class="mainnav".*?</nav>', _body(someone.get("/settings")), re.S)[0]


def test_signed_out_people_are_sent_to_sign_in(client):
    answer = client.get("/designer")
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]


def test_an_admin_is_a_designer(app, ctx):
    with ctx.db.session() as session:
        identity.add_user(session, "root", "secret-pw", ["admins"])
    assert Browser(app, "root").get("/designer").status_code == 200


# ---------------------------------------------------------------- the list

def test_the_list_shows_every_version_with_its_cases(ctx, designer):
    with ctx.db.session() as session:
        library.deploy(session, {"leave.bpmn": GOOD.encode()}, "dora")
        ann = identity.get_user(session, "ann")
        first = runtime.start_case(ctx, session, ann, "leave", "一号")
        runtime.start_case(ctx, session, ann, "leave", "二号")
        task = session.query(TaskRow).filter_by(case_id=first.id, state="open").one()
        runtime.complete_task(ctx, session, ann, task.id, {})  # one case of v1 finished
        library.deploy(session, {"leave.bpmn": drawn_bpmn("leave", "请假审批（新）").encode()}, "dora")
        runtime.start_case(ctx, session, ann, "leave", "三号")
    page = _body(designer.get("/designer"))
    assert 'data-process-key="leave"' in page and "请假审批（新）" in page
    rows = dict(re.findall(r'<tr data-version="(\d+)" (data-running="\d+" data-total="\d+")', page))
    assert rows == {"2": 'data-running="1" data-total="1"', "1": 'data-running="1" data-total="2"'}
    assert page.index('data-version="2"') < page.index('data-version="1"')  # newest first
    assert 'href="/designer/leave/1"' in page and 'href="/designer/leave/2"' in page
    assert "leave.bpmn" in page and ">dora<" in page
    with ctx.db.session() as session:
        digest = library.get_version(session, "leave", 2).content_hash
    assert digest[:12] in page
    assert 'name="files"' in page and "multiple" in page and 'value="check"' in page and 'value="deploy"' in page


def test_an_empty_library_invites_an_upload(designer):
    page = _body(designer.get("/designer"))
    assert 'id="no-processes"' in page and 'id="upload-form"' in page


# ---------------------------------------------------------------- problems

def test_a_flow_to_a_missing_element_is_listed_and_highlighted(ctx, designer):
    answer = designer.upload({"leave.bpmn": BROKEN_FLOW}, "deploy")
    assert answer.status_code == 422
    page = _body(answer)
    problems = re.search(r'<section class="card lint" id="problems">(.*?)</section>', page, re.S).group(1)
    assert 'data-file="leave.bpmn"' in problems
    flow = re.search(r'<li class="lint-element" data-element-id="f2".*?</ul>', problems, re.S).group(0)
    assert "nowhere" in flow  # the message
    line = next(i for i, text in enumerate(BROKEN_FLOW.splitlines(), 1) if 'id="f2"' in text)
    assert f'<span class="line">{line}</span>' in flow
    assert 'href="#diagram-0"' in flow and 'class="goto"' in flow
    # the drawn diagram marks the flow, and only elements with a problem
    diagram = re.search(r'<div class="diagram" id="diagram-0"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert diagram.startswith("<svg")
    marked = re.findall(r'<g class="[^"]*\bhighlight\b[^"]*" data-element-id="([^"]+)"', diagram)
    assert "f2" in marked and "start" not in marked
    assert "<script>" in page  # the list-to-diagram links
    assert _versions(ctx, "leave") == []  # nothing deployed


def test_a_malformed_file_is_listed_and_not_drawn(ctx, designer):
    answer = designer.upload({"broken.bpmn": MALFORMED, "leave.bpmn": GOOD}, "check")
    assert answer.status_code == 422
    page = _body(answer)
    assert re.search(r'<li class="lint-element" data-file="broken.bpmn">', page)  # the file as a whole
    assert re.search(r'<span class="where">broken.bpmn:<span class="line">1</span></span>', page)
    assert "well-formed" in page
    assert re.search(r'<p class="flash flash-warning draw-error" id="diagram-0">', page)
    assert re.search(r'<div class="diagram" id="diagram-1"[^>]*><svg', page)  # the good file is still drawn
    assert _versions(ctx, "leave") == []


def test_a_file_with_an_entity_declaration_is_refused(ctx, designer):
    answer = designer.upload({"leave.bpmn": WITH_ENTITY}, "deploy")
    assert answer.status_code == 422
    page = _body(answer)
    problems = re.search(r'id="problems">(.*?)</section>', page, re.S).group(1)
    assert re.search(r'<span class="message">[^<]*DOCTYPE', problems)
    assert re.search(r'draw-error" id="diagram-0">[^<]*entit', page)
    assert _versions(ctx, "leave") == []


def test_an_element_with_several_problems_is_listed_once(designer):
    broken = drawn_bpmn("leave", nodes=[("start", "startEvent", ""), ("work", "userTask", "甲"),
                                        ("other", "userTask", "乙"), ("done", "endEvent", "")],
                        flows=[("f1", "start", "work"), ("f2", "work", "done"), ("f3", "work", "other"),
                               ("f4", "other", "done")])
    page = _body(designer.upload({"leave.bpmn": broken}))
    work = re.findall(r'<li class="lint-element" data-element-id="work"', page)
    assert len(work) == 1  # two outgoing flows without a gateway: one element, its problems under it
    assert re.search(r'data-element-id="work"[^>]*><span class="element-name">甲</span> <code>work</code>', page)


# ---------------------------------------------------------------- check, deploy, versions

def test_check_finds_no_problems_and_offers_to_deploy_the_same_files(ctx, designer):
    answer = designer.upload({"leave.bpmn": GOOD}, "check")
    assert answer.status_code == 200
    page = _body(answer)
    assert 'id="lint-summary" data-problems="0"' in page
    assert re.search(r'<li data-process-key="leave" data-next-version="1" data-unchanged="false"', page)
    assert re.search(r'<div class="diagram" id="diagram-0"[^>]*><svg', page)
    assert _versions(ctx, "leave") == []  # only checked
    kept = dict(zip(re.findall(r'name="kept_name" value="([^"]*)"', page),
                    re.findall(r'name="kept_data" value="([^"]*)"', page), strict=True))
    assert list(kept) == ["leave.bpmn"]
    answer = designer.client.post("/designer/upload", data={"csrf_token": designer.token, "action": "deploy",
                                                            "kept_name": "leave.bpmn", "kept_data": kept["leave.bpmn"]})
    assert answer.status_code == 302
    assert _versions(ctx, "leave") == [1]
    with ctx.db.session() as session:  # the very bytes that were checked
        assert library.get_version(session, "leave", 1).bpmn_xml == GOOD


def test_deploy_then_again_unchanged_then_a_changed_file(ctx, designer):
    answer = designer.upload({"leave.bpmn": GOOD}, "deploy")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/designer#process-leave")
    page = _body(designer.get("/designer"))
    assert re.search(r'flash-success[^>]*>[^<]*leave[^<]*1', page)
    assert _versions(ctx, "leave") == [1]
    with ctx.db.session() as session:
        assert library.get_version(session, "leave", 1).deployed_by == "dora"

    answer = designer.upload({"leave.bpmn": GOOD}, "deploy")
    assert answer.status_code == 302
    page = _body(designer.get("/designer"))
    assert re.search(r'flash-info[^>]*>[^<]*leave[^<]*1', page)
    assert _versions(ctx, "leave") == [1]
    page = _body(designer.upload({"leave.bpmn": GOOD}, "check"))  # a check says so too
    assert re.search(r'data-process-key="leave" data-next-version="1" data-unchanged="true"', page)

    changed = drawn_bpmn("leave", "请假审批", nodes=[("start", "startEvent", ""), ("work", "userTask", "审批"),
                                                    ("done", "endEvent", "")])
    assert designer.upload({"leave.bpmn": changed}, "deploy").status_code == 302
    assert _versions(ctx, "leave") == [1, 2]
    page = _body(designer.get("/designer"))
    assert 'data-version="2"' in page and 'data-version="1"' in page


def test_a_package_of_several_files(ctx, designer):
    answer = designer.upload({"leave.bpmn": GOOD, "trip.bpmn": drawn_bpmn("trip", "出差")}, "deploy")
    assert answer.status_code == 302
    assert _versions(ctx, "leave") == [1] and _versions(ctx, "trip") == [1]
    with ctx.db.session() as session:
        assert library.get_version(session, "trip", 1).file_name == "trip.bpmn"


# ---------------------------------------------------------------- one version

def test_a_version_page_shows_its_diagram_counts_and_file(ctx, designer):
    chinese_name = "请假.bpmn"
    content = GOOD.replace("Do the work", "审批请假").encode()
    with ctx.db.session() as session:
        library.deploy(session, {chinese_name: content}, "dora")
        case = runtime.start_case(ctx, session, identity.get_user(session, "ann"), "leave", "张三请假")
        case_id = case.id
    page = _body(designer.get("/designer/leave/1"))
    assert re.search(r'<div class="diagram" id="diagram"[^>]*tabindex="0"[^>]*><svg', page)  # scrollable: reachable by keyboard
    assert 'data-element-id="work"' in page and "审批请假" in page
    # a designer sees how many cases wait where, not the cases themselves (they may not see them otherwise)
    assert f'href="/cases/{case_id}"' not in page and "张三请假" not in page
    assert re.search(r'data-element-id="work">.*?class="num waiting-count">1<', page, re.S)
    assert 'id="running-count">1<' in page
    assert 'href="/designer/leave/1/file"' in page
    answer = designer.get("/designer/leave/1/file")
    assert answer.status_code == 200 and answer.mimetype == "application/xml"
    assert answer.data == content
    disposition = answer.headers["Content-Disposition"]
    assert "attachment" in disposition and "%E8%AF%B7%E5%81%87.bpmn" in disposition  # 请假.bpmn, RFC 5987


def test_an_unknown_version_is_not_found(designer):
    assert designer.get("/designer/leave/3").status_code == 404
    assert designer.get("/designer/leave/3/file").status_code == 404


def test_a_version_without_a_diagram_says_so(ctx, designer):
    from tests.bpmn_util import one_task

    with ctx.db.session() as session:
        library.deploy(session, {"plain.bpmn": one_task("plain").encode()}, "dora")
    answer = designer.get("/designer/plain/1")
    assert answer.status_code == 200
    assert re.search(r'draw-error" id="diagram">', _body(answer))


# ---------------------------------------------------------------- bad uploads

def test_a_too_large_file_gets_a_clear_message(ctx, designer):
    ctx.config = ctx.config.replace(uploads__max_bpmn_bytes=len(GOOD) - 1)
    answer = designer.upload({"leave.bpmn": GOOD}, "deploy")
    assert answer.status_code == 413
    page = _body(answer)
    assert 'id="upload-error"' in page and f"{len(GOOD) - 1:,}" in page and "leave.bpmn" in page
    assert _versions(ctx, "leave") == []


def test_only_bpmn_files_are_taken(ctx, designer):
    answer = designer.upload({"leave.txt": GOOD}, "deploy")
    assert answer.status_code == 422
    assert 'id="upload-error"' in _body(answer) and "leave.txt" in _body(answer)
    assert _versions(ctx, "leave") == []


def test_no_file_chosen(designer):
    answer = designer.client.post("/designer/upload", data={"csrf_token": designer.token, "action": "check"},
                                  content_type="multipart/form-data")
    assert answer.status_code == 400 and 'id="upload-error"' in _body(answer)


def test_carried_files_that_do_not_decode_are_refused(ctx, designer):
    answer = designer.client.post("/designer/upload", data={"csrf_token": designer.token, "action": "deploy",
                                                            "kept_name": "leave.bpmn", "kept_data": "not base64!"})
    assert answer.status_code == 422 and 'id="upload-error"' in _body(answer)
    assert _versions(ctx, "leave") == []


def test_an_upload_without_the_form_token_is_refused(ctx, designer):
    answer = designer.upload({"leave.bpmn": GOOD}, "deploy", token=False)
    assert answer.status_code == 400
    with ctx.db.session() as session:
        assert session.query(ProcessDefinition).count() == 0


def test_a_file_that_is_not_utf8_is_a_problem_not_a_crash(ctx, designer):
    gbk = drawn_bpmn("leave", "请假审批").replace('encoding="UTF-8"', 'encoding="GBK"').encode("gbk")
    answer = designer.upload({"leave.bpmn": gbk}, "deploy")
    assert answer.status_code == 422
    assert re.search(r'<span class="message">文件不是 UTF-8 文本', _body(answer))  # the reader's language
    assert _versions(ctx, "leave") == []


def test_a_checked_package_too_large_to_carry_is_chosen_again(designer, monkeypatch):
    from webui import designer as pages

    monkeypatch.setattr(pages, "CARRY_MAX", 1000)  # the file (base64) is larger than a form field may hold
    page = _body(designer.upload({"leave.bpmn": GOOD}, "check"))
    assert 'id="deploy-checked"' in page and 'id="again-files"' in page and 'name="kept_data"' not in page
