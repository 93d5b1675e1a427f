"""A file with several diagram pages (a collapsed sub-process drawn on its own): the case page shows the
page holding the case's open task and offers the others; the designer's version page offers them all."""

from __future__ import annotations

import re

from engine import identity
from engine.cases import runtime
from tests.bpmn_util import NAMESPACES
from tests.conftest import deploy_xml
from tests.test_web_designer import Browser

TWO_PAGES = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NAMESPACES} id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="paged" name="Paged process" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:subProcess id="handle" name="Handling">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:startEvent id="inner_start"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="inner_work" name="Inner work" camunda:candidateGroups="clerks">
        <bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2</bpmn:outgoing></bpmn:userTask>
      <bpmn:endEvent id="inner_end"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="g1" sourceRef="inner_start" targetRef="inner_work"/>
      <bpmn:sequenceFlow id="g2" sourceRef="inner_work" targetRef="inner_end"/>
    </bpmn:subProcess>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="handle"/>
    <bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="end"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="main_page" name="The whole process">
    <bpmndi:BPMNPlane id="plane_main" bpmnElement="paged">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="handle_di" bpmnElement="handle" isExpanded="false">
        <dc:Bounds x="200" y="78" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="360" y="100" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="136" y="118"/><di:waypoint x="200" y="118"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="300" y="118"/><di:waypoint x="360" y="118"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
  <bpmndi:BPMNDiagram id="handling_page" name="Inside the handling">
    <bpmndi:BPMNPlane id="plane_handle" bpmnElement="handle">
      <bpmndi:BPMNShape id="inner_start_di" bpmnElement="inner_start"><dc:Bounds x="100" y="100" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="inner_work_di" bpmnElement="inner_work"><dc:Bounds x="200" y="78" width="100" height="80"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="inner_end_di" bpmnElement="inner_end"><dc:Bounds x="360" y="100" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="g1_di" bpmnElement="g1"><di:waypoint x="136" y="118"/><di:waypoint x="200" y="118"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="g2_di" bpmnElement="g2"><di:waypoint x="300" y="118"/><di:waypoint x="360" y="118"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _drawn_ids(html: str) -> set[str]:
    drawing = html[html.index('id="diagram"'):]
    drawing = drawing[:drawing.index("</div>")]  # the drawing's own box: no div inside an SVG
    return set(re.findall(r'data-element-id="([^"]+)"', drawing))


def _setup(ctx) -> int:
    with ctx.db.session() as session:
        identity.add_user(session, "ann", "secret-pw", ["clerks"], "安")
        identity.add_user(session, "dora", "secret-pw", ["designers"], "设计员")
    deploy_xml(ctx, TWO_PAGES, "paged.bpmn")
    with ctx.db.session() as session:
        ann = identity.get_user(session, "ann")
        return runtime.start_case(ctx, session, ann, "paged", "A paged case").id


def test_the_case_page_shows_the_page_of_the_open_task_and_links_the_other(app, ctx):
    case_id = _setup(ctx)
    clerk = Browser(app, "ann")
    html = clerk.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "inner_work" in _drawn_ids(html)  # the open task is inside the collapsed sub-process
    assert "start" not in _drawn_ids(html)
    switcher = html[html.index('class="diagram-switcher"'):]
    assert 'href="?diagram=0#diagram-section"' in switcher and "The whole process" in switcher
    assert 'aria-current="page">Inside the handling' in switcher

    other = clerk.get(f"/cases/{case_id}?diagram=0").get_data(as_text=True)
    assert {"start", "handle", "end"} <= _drawn_ids(other) and "inner_work" not in _drawn_ids(other)
    # a page number the file does not have is ignored, not an error
    assert clerk.get(f"/cases/{case_id}?diagram=99999999999999999999").status_code == 200

    alone = clerk.get(f"/cases/{case_id}/diagram.svg").get_data(as_text=True)
    assert {"start", "handle", "end", "inner_start", "inner_work", "inner_end"} <= set(
        re.findall(r'data-element-id="([^"]+)"', alone))  # the drawing alone holds every page


def test_the_designer_version_page_offers_every_page(app, ctx):
    _setup(ctx)
    designer = Browser(app, "dora")
    html = designer.get("/designer/paged/1").get_data(as_text=True)
    assert "start" in _drawn_ids(html)  # the first page by default
    assert 'href="?diagram=1#diagram-section"' in html and "Inside the handling" in html
    assert "inner_work" in _drawn_ids(designer.get("/designer/paged/1?diagram=1").get_data(as_text=True))


def test_a_file_with_one_page_has_no_switcher(app, ctx):
    from tests.test_web_designer import drawn_bpmn

    with ctx.db.session() as session:
        identity.add_user(session, "dora", "secret-pw", ["designers"], "设计员")
    deploy_xml(ctx, drawn_bpmn("single"), "single.bpmn")
    html = Browser(app, "dora").get("/designer/single/1").get_data(as_text=True)
    assert 'id="diagram"' in html and "diagram-switcher" not in html
