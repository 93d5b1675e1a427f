"""engine.draw.render: every diagram of the MIWG corpus draws every DI element; notation, states, safety."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest
from lxml import etree

from engine.draw.render import RenderError, diagram_count, render_file, render_svg, text_width, wrap
from engine.draw.shapes import HIGHLIGHT, PALETTE

SVG = "http://www.w3.org/2000/svg"
MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _corpus() -> Path | None:
    here = Path(__file__).resolve().parents[3]
    candidates = [Path(os.environ["CASEWORK_BPMN_CORPUS"])] if os.environ.get("CASEWORK_BPMN_CORPUS") else []
    candidates += [here.parent / "shared" / "bpmn-corpus" / "miwg", Path("/work/shared/bpmn-corpus/miwg")]
    return next((c for c in candidates if (c / "reference").is_dir()), None)


CORPUS = _corpus()


def _cases() -> list:
    if CORPUS is None:
        return [pytest.param(None, 0, marks=pytest.mark.skip(reason="MIWG corpus (shared/bpmn-corpus) not found"))]
    files = sorted((CORPUS / "reference").glob("*.bpmn")) + sorted((CORPUS / "bpmn-io-export").glob("*.bpmn"))
    return [pytest.param(f, i, id=f"{f.parent.name}/{f.name}#{i}")
            for f in files for i in range(diagram_count(f.read_bytes()))]


def _local(node) -> str:
    return etree.QName(node).localname


def _groups(doc) -> dict[str, etree._Element]:
    return {g.get("data-element-id"): g for g in doc.iter(f"{{{SVG}}}g") if g.get("data-element-id") is not None}


def _classes(node) -> set[str]:
    return set((node.get("class") or "").split())


@pytest.mark.parametrize(("path", "index"), _cases())
def test_corpus_diagram_draws_every_di_element_inside_the_view_box(path: Path, index: int) -> None:
    data = path.read_bytes()
    doc = etree.fromstring(render_svg(data, diagram_index=index).encode("utf-8"))
    assert doc.tag == f"{{{SVG}}}svg"
    assert float(doc.get("width")) > 0 and float(doc.get("height")) > 0
    vx, vy, vw, vh = (float(v) for v in doc.get("viewBox").split())

    model = etree.fromstring(data, SAFE)
    plane = list(model.iter(f"{{{BPMNDI}}}BPMNDiagram"))[index].find(f"{{{BPMNDI}}}BPMNPlane")
    by_id = {n.get("id"): n for n in model.iter() if isinstance(n.tag, str) and etree.QName(n).namespace == MODEL}
    drawn = [g for g in doc.iter(f"{{{SVG}}}g") if g.get("data-element-id") is not None]
    groups = _groups(doc)
    di_elements = [n for n in plane.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")]
    assert len(drawn) == len(di_elements)
    for di in di_elements:
        ident = di.get("bpmnElement") or di.get("id")  # an edge without bpmnElement keeps its DI id
        assert ident in groups, f"{_local(di)} {ident} not drawn"
        g = groups[ident]
        semantic = by_id.get(ident)
        if semantic is not None:
            assert f"bpmn-{_local(semantic)}" in _classes(g)
        assert g[0].tag == f"{{{SVG}}}title" and g[0].text
        assert len(g) > 1 or not list(di), f"{ident} has a group but nothing in it"

    for node in plane.iter():
        if not isinstance(node.tag, str):
            continue
        if _local(node) == "Bounds":
            x, y = float(node.get("x")), float(node.get("y"))
            w, h = float(node.get("width")), float(node.get("height"))
            assert vx <= x and vy <= y and x + w <= vx + vw and y + h <= vy + vh, (node.getparent().get("id"), x, y)
        elif _local(node) == "waypoint":
            x, y = float(node.get("x")), float(node.get("y"))
            assert vx <= x <= vx + vw and vy <= y <= vy + vh

    ids = [m.get("id") for m in doc.iter(f"{{{SVG}}}marker")]
    assert len(ids) == len(set(ids))
    text = etree.tostring(doc, encoding="unicode")
    assert set(re.findall(r"url\(#([^)]+)\)", text)) <= set(ids)


@pytest.mark.skipif(CORPUS is None, reason="MIWG corpus not found")
def test_corpus_files_with_several_diagrams() -> None:
    assert diagram_count((CORPUS / "reference" / "C.4.0.bpmn").read_bytes()) == 4
    assert diagram_count((CORPUS / "reference" / "C.5.0.bpmn").read_bytes()) == 2
    names = set()
    for i in range(4):
        doc = etree.fromstring(render_file(CORPUS / "reference" / "C.4.0.bpmn", diagram_index=i).encode())
        names.add(doc.find(f"{{{SVG}}}title").text)
    assert names == {"Onboarding employee", "IT", "Payroll", "Facilities"}


# ---------------------------------------------------------------- small documents written here

def _doc(process: str, plane: str, before: str = "", plane_element: str = "P") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<bpmn:definitions xmlns:bpmn="{MODEL}" xmlns:bpmndi="{BPMNDI}" '
            f'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
            f'id="D" targetNamespace="http://example.org">{before}'
            f'<bpmn:process id="P" isExecutable="true">{process}</bpmn:process>'
            f'<bpmndi:BPMNDiagram id="Dia"><bpmndi:BPMNPlane id="Pl" bpmnElement="{plane_element}">{plane}'
            f'</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>').encode()


def _shape(ident: str, x: float, y: float, w: float, h: float, attrs: str = "") -> str:
    return (f'<bpmndi:BPMNShape id="{ident}_di" bpmnElement="{ident}" {attrs}>'
            f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/></bpmndi:BPMNShape>')


def _edge(ident: str, *points: tuple[float, float]) -> str:
    wps = "".join(f'<di:waypoint x="{x}" y="{y}"/>' for x, y in points)
    return f'<bpmndi:BPMNEdge id="{ident}_di" bpmnElement="{ident}">{wps}</bpmndi:BPMNEdge>'


FLOW = _doc(
    '<bpmn:startEvent id="S" name="开始"/>'
    '<bpmn:userTask id="T" name="办理建议" default="F2"/>'
    '<bpmn:serviceTask id="T2" name="Notify the unit"><bpmn:multiInstanceLoopCharacteristics/></bpmn:serviceTask>'
    '<bpmn:task id="T3" name="Review"><bpmn:multiInstanceLoopCharacteristics isSequential="true"/></bpmn:task>'
    '<bpmn:boundaryEvent id="B" name="72h" attachedToRef="T" cancelActivity="false">'
    '<bpmn:timerEventDefinition><bpmn:timeDuration>PT72H</bpmn:timeDuration></bpmn:timerEventDefinition>'
    '</bpmn:boundaryEvent>'
    '<bpmn:exclusiveGateway id="G"/>'
    '<bpmn:endEvent id="E"><bpmn:messageEventDefinition/></bpmn:endEvent>'
    '<bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="T"/>'
    '<bpmn:sequenceFlow id="F2" sourceRef="T" targetRef="T2"/>'
    '<bpmn:sequenceFlow id="F3" sourceRef="T" targetRef="T3">'
    '<bpmn:conditionExpression>${x}</bpmn:conditionExpression></bpmn:sequenceFlow>',
    _shape("S", 100, 122, 36, 36) + _shape("T", 200, 100, 100, 80) + _shape("T2", 360, 100, 100, 80)
    + _shape("T3", 360, 240, 100, 80) + _shape("B", 262, 162, 36, 36) + _shape("G", 520, 115, 50, 50)
    + _shape("E", 620, 122, 36, 36)
    + _edge("F1", (136, 140), (200, 140)) + _edge("F2", (300, 140), (360, 140))
    + _edge("F3", (250, 180), (250, 280), (360, 280)),
)


def test_chinese_names_are_drawn_as_text_and_titles() -> None:
    svg = render_svg(FLOW)
    assert svg.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    doc = etree.fromstring(svg.encode("utf-8"))
    task = _groups(doc)["T"]
    assert {"bpmn-shape", "bpmn-userTask"} <= _classes(task)
    assert task.find(f"{{{SVG}}}title").text == "办理建议"
    assert "办理建议" in "".join(t.text or "" for t in task.iter(f"{{{SVG}}}tspan"))
    assert "Noto Sans CJK SC" in doc.get("font-family") and "Microsoft YaHei" in doc.get("font-family")
    assert task.find(f".//{{{SVG}}}g[@class='marker icon-user']") is not None
    start = _groups(doc)["S"]  # an event's label goes below it
    label = start.find(f".//{{{SVG}}}text")
    assert float(label.find(f"{{{SVG}}}tspan").get("y")) > 158


def test_markup_in_names_is_escaped() -> None:
    xml = _doc('<bpmn:task id="T" name="a &lt;b&gt; &amp; &quot;c&quot;"/>', _shape("T", 0, 0, 100, 80))
    doc = etree.fromstring(render_svg(xml).encode())
    assert _groups(doc)["T"].find(f"{{{SVG}}}title").text == 'a <b> & "c"'


def test_multi_instance_and_loop_markers() -> None:
    doc = etree.fromstring(render_svg(FLOW).encode())
    groups = _groups(doc)
    parallel = groups["T2"].find(f".//{{{SVG}}}g[@class='marker marker-parallel']")
    assert parallel is not None
    lines = parallel.find(f"{{{SVG}}}path").get("d")
    assert lines.count("V") == 3  # three vertical bars: |||
    assert groups["T2"].find(f".//{{{SVG}}}g[@class='marker icon-service']") is not None
    assert groups["T3"].find(f".//{{{SVG}}}g[@class='marker marker-sequential']") is not None
    assert groups["T3"].find(f".//{{{SVG}}}g[@class='marker marker-parallel']") is None


def test_boundary_timer_is_drawn_on_its_host() -> None:
    doc = etree.fromstring(render_svg(FLOW).encode())
    groups = _groups(doc)
    boundary = groups["B"]
    assert boundary.get("data-attached-to") == "T"
    assert boundary.find(f".//{{{SVG}}}g[@class='marker marker-timer']") is not None
    circle = boundary.find(f"{{{SVG}}}circle")
    cx, cy = float(circle.get("cx")), float(circle.get("cy"))
    assert circle.get("stroke-dasharray")  # non-interrupting: dashed
    host = groups["T"].find(f"{{{SVG}}}rect[@class='body']")
    x, y, w, h = (float(host.get(a)) for a in ("x", "y", "width", "height"))
    on_border = min(abs(cx - x), abs(cx - x - w), abs(cy - y), abs(cy - y - h))
    assert x <= cx <= x + w and y <= cy <= y + h and on_border <= 1
    layer = list(doc.iter(f"{{{SVG}}}g"))
    assert layer.index(boundary) > layer.index(groups["T"])  # drawn over its host


def test_flows_gateways_and_events() -> None:
    doc = etree.fromstring(render_svg(FLOW).encode())
    groups = _groups(doc)
    f2 = groups["F2"]
    assert "bpmn-sequenceFlow" in _classes(f2) and "bpmn-edge" in _classes(f2)
    assert f2.find(f"{{{SVG}}}line[@class='default-marker']") is not None
    body = groups["F3"].find(f"{{{SVG}}}path[@class='body']")
    assert "diamond" in body.get("marker-start") and "arrow" in body.get("marker-end")
    assert groups["G"].find(f".//{{{SVG}}}polygon[@transform='rotate(45)']") is not None  # the X
    end = groups["E"]
    envelope = end.find(f".//{{{SVG}}}g[@class='marker marker-message']/{{{SVG}}}rect")
    assert envelope.get("fill") == PALETTE[None].stroke  # a throw event's marker is filled
    hidden = _doc('<bpmn:exclusiveGateway id="G"/>', _shape("G", 0, 0, 50, 50, 'isMarkerVisible="false"'))
    g = _groups(etree.fromstring(render_svg(hidden).encode()))["G"]
    assert g.find(f".//{{{SVG}}}g[@class='marker']") is not None
    assert len(g.find(f".//{{{SVG}}}g[@class='marker']")) == 0


def test_states_give_classes_and_colours() -> None:
    states = {"T": "completed", "T2": "active", "B": "waiting", "T3": "escalated", "G": "error", "E": "bogus",
              "F1": "completed"}
    doc = etree.fromstring(render_svg(FLOW, states).encode())
    groups = _groups(doc)
    for ident, state in states.items():
        if state == "bogus":
            assert not any(c.startswith("state-") for c in _classes(groups[ident]))
            continue
        assert f"state-{state}" in _classes(groups[ident])
        body = groups[ident].find(f".//{{{SVG}}}*[@class='body']")
        assert body.get("stroke") == PALETTE[state].stroke
    active = groups["T2"].find(f"{{{SVG}}}rect[@class='body']")
    assert float(active.get("stroke-width")) >= 4
    error = groups["G"].find(f"{{{SVG}}}polygon[@class='body']")
    assert error.get("stroke-dasharray")
    completed = groups["T"].find(f"{{{SVG}}}rect[@class='body']")
    assert completed.get("fill") == PALETTE["completed"].fill != PALETTE[None].fill
    colours = {PALETTE[s].stroke + PALETTE[s].fill + str(PALETTE[s].dash) for s in ("completed", "active",
                                                                                       "waiting", "escalated", "error")}
    assert len(colours) == 5


def test_highlight_outlines_shapes_and_edges() -> None:
    doc = etree.fromstring(render_svg(FLOW, highlight={"G", "F2"}).encode())
    groups = _groups(doc)
    for ident in ("G", "F2"):
        assert "highlight" in _classes(groups[ident])
        outline = groups[ident].find(f"{{{SVG}}}*[@class='highlight-outline']")
        assert outline is not None and outline.get("stroke") == HIGHLIGHT
    assert "highlight" not in _classes(groups["T"])


def test_unknown_elements_still_get_a_box() -> None:
    xml = _doc('<bpmn:task id="T"/>', _shape("T", 0, 0, 100, 80) + _shape("Missing", 200, 0, 80, 60)
               + _shape("C", 300, 0, 80, 60), before='<bpmn:choreography id="Ch"><bpmn:choreographyTask id="C"/>'
               '</bpmn:choreography>')
    groups = _groups(etree.fromstring(render_svg(xml).encode()))
    assert "bpmn-unknown" in _classes(groups["Missing"])
    assert groups["Missing"].find(f"{{{SVG}}}rect") is not None
    assert groups["C"].find(f"{{{SVG}}}rect") is not None


def test_pools_lanes_and_vertical_pools() -> None:
    xml = (f'<bpmn:definitions xmlns:bpmn="{MODEL}" xmlns:bpmndi="{BPMNDI}" '
           'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="D" targetNamespace="x">'
           '<bpmn:collaboration id="C"><bpmn:participant id="Pool" name="区人大" processRef="P"/>'
           '<bpmn:participant id="V" name="Vertical" processRef="P2"/>'
           '<bpmn:participant id="Black" name="代表"/></bpmn:collaboration>'
           '<bpmn:process id="P"><bpmn:laneSet><bpmn:lane id="L1" name="承办单位"><bpmn:childLaneSet>'
           '<bpmn:lane id="L11" name="经办人"/></bpmn:childLaneSet></bpmn:lane></bpmn:laneSet></bpmn:process>'
           '<bpmn:process id="P2"/>'
           '<bpmndi:BPMNDiagram><bpmndi:BPMNPlane bpmnElement="C">'
           + _shape("Pool", 0, 0, 600, 200, 'isHorizontal="true"') + _shape("L1", 30, 0, 570, 200)
           + _shape("L11", 60, 0, 540, 200, 'isHorizontal="true"') + _shape("V", 0, 300, 200, 400, 'isHorizontal="false"')
           + _shape("Black", 300, 300, 300, 60) + '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>')
    doc = etree.fromstring(render_svg(xml.encode()).encode())
    groups = _groups(doc)
    assert groups["Pool"].find(f"{{{SVG}}}text").get("transform").startswith("rotate(-90")
    assert groups["L11"].find(f"{{{SVG}}}text").get("transform").startswith("rotate(-90")
    assert groups["V"].find(f"{{{SVG}}}text").get("transform") is None
    assert groups["Black"].find(f"{{{SVG}}}path[@class='band']") is None
    assert groups["Pool"].find(f"{{{SVG}}}path[@class='band']") is not None
    order = list(doc.iter(f"{{{SVG}}}g"))
    assert order.index(groups["Pool"]) < order.index(groups["L1"]) < order.index(groups["L11"])


def test_expanded_sub_process_is_drawn_under_its_contents() -> None:
    xml = _doc('<bpmn:subProcess id="Sub" name="Handle" triggeredByEvent="true"><bpmn:task id="In"/>'
               '</bpmn:subProcess><bpmn:subProcess id="Closed"/><bpmn:transaction id="Tx"/>',
               _shape("In", 40, 40, 100, 80) + _shape("Sub", 0, 0, 300, 200, 'isExpanded="true"')
               + _shape("Closed", 400, 0, 100, 80, 'isExpanded="false"') + _shape("Tx", 600, 0, 100, 80))
    doc = etree.fromstring(render_svg(xml).encode())
    groups = _groups(doc)
    order = list(doc.iter(f"{{{SVG}}}g"))
    assert order.index(groups["Sub"]) < order.index(groups["In"])
    assert groups["Sub"].find(f"{{{SVG}}}rect").get("stroke-dasharray")  # event sub-process: dotted
    assert groups["Sub"].find(f".//{{{SVG}}}g[@class='marker marker-collapsed']") is None
    assert groups["Closed"].find(f".//{{{SVG}}}g[@class='marker marker-collapsed']") is not None
    assert len(groups["Tx"].findall(f"{{{SVG}}}rect")) == 2  # double border


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7f3a")
    xml = (f'<?xml version="1.0"?>\n<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
           + _doc('<bpmn:task id="T" name="&xxe;"/>', _shape("T", 0, 0, 100, 80)).decode().split("\n", 1)[1])
    try:
        svg = render_svg(xml.encode())
    except RenderError:
        return
    assert "TOP-SECRET" not in svg


def test_entity_expansion_bomb_is_refused() -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE bpmn:definitions [<!ENTITY l0 "lol">{lol}]>'
           + _doc('<bpmn:task id="T" name="&l9;"/>', _shape("T", 0, 0, 100, 80)).decode().split("\n", 1)[1])
    with pytest.raises(RenderError):
        render_svg(xml.encode())


@pytest.mark.parametrize("data", [b"not xml at all", b"<html><body/></html>",
                                  f'<bpmn:definitions xmlns:bpmn="{MODEL}"><bpmn:process id="P"/>'
                                  f'</bpmn:definitions>'.encode()])
def test_non_bpmn_or_diagram_less_files_raise(data: bytes) -> None:
    with pytest.raises(RenderError):
        render_svg(data)


def test_diagram_index_and_render_file(tmp_path: Path) -> None:
    path = tmp_path / "flow.bpmn"
    path.write_bytes(FLOW)
    assert diagram_count(FLOW) == 1
    assert render_file(path) == render_svg(FLOW)
    assert "state-active" in render_file(path, {"T": "active"})
    with pytest.raises(RenderError):
        render_svg(FLOW, diagram_index=1)
    assert RenderError("x").status == 422


def test_wrapping_counts_cjk_as_one_em() -> None:
    assert text_width("办理", 10) == 20 and math.isclose(text_width("ab", 10), 12)
    assert wrap("办理建议办理建议", 44, 11) == ["办理建议", "办理建议"]
    assert wrap("Prepare Bank Transfer", 70, 11) == ["Prepare", "Bank", "Transfer"]
    assert wrap("Invoice\napproved?", 500, 11) == ["Invoice", "approved?"]
    assert wrap("Itinerary", 30, 11) == ["Itin", "erar", "y"]
    assert wrap("Itinerary", 30, 11, break_words=False) == ["Itinerary"]
    assert wrap("请于三个月内，办结", 44, 11)[1].startswith("，") is False


def test_designer_colours_are_kept_and_sanitised() -> None:
    bioc = 'xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0"'
    xml = _doc('<bpmn:task id="T"/><bpmn:task id="U"/><bpmn:sequenceFlow id="F" sourceRef="T" targetRef="U"/>',
               _shape("T", 0, 0, 100, 80, f'{bioc} bioc:stroke="#e53935" bioc:fill="rgb(255, 205, 210)"')
               + _shape("U", 200, 0, 100, 80, f'{bioc} bioc:fill="url(http://example.org/x.svg#p)"')
               + _edge("F", (100, 40), (200, 40)).replace('bpmnElement="F"', f'bpmnElement="F" {bioc} '
                                                         'bioc:stroke="rgb(0, 0, 255)"'))
    doc = etree.fromstring(render_svg(xml).encode())
    groups = _groups(doc)
    body = groups["T"].find(f"{{{SVG}}}rect[@class='body']")
    assert (body.get("stroke"), body.get("fill")) == ("#e53935", "rgb(255, 205, 210)")
    assert groups["U"].find(f"{{{SVG}}}rect[@class='body']").get("fill") == PALETTE[None].fill
    assert groups["F"].find(f"{{{SVG}}}path[@class='body']").get("stroke") == "rgb(0, 0, 255)"
    assert all(re.fullmatch(r"[A-Za-z0-9-]+", m.get("id")) for m in doc.iter(f"{{{SVG}}}marker"))
    states = render_svg(xml, {"T": "active"})  # a state wins over the designer's colours
    body = _groups(etree.fromstring(states.encode()))["T"].find(f"{{{SVG}}}rect[@class='body']")
    assert body.get("stroke") == PALETTE["active"].stroke


@pytest.mark.parametrize("definition", ["message", "timer", "error", "escalation", "signal", "conditional", "link",
                                        "compensate", "cancel", "terminate"])
def test_every_event_definition_has_a_marker(definition: str) -> None:
    xml = _doc(f'<bpmn:intermediateCatchEvent id="C"><bpmn:{definition}EventDefinition/></bpmn:intermediateCatchEvent>'
               f'<bpmn:endEvent id="E"><bpmn:{definition}EventDefinition/></bpmn:endEvent>',
               _shape("C", 0, 0, 36, 36) + _shape("E", 100, 0, 36, 36))
    groups = _groups(etree.fromstring(render_svg(xml).encode()))
    for ident in ("C", "E"):
        marker = groups[ident].find(f".//{{{SVG}}}g[@class='marker marker-{definition}']")
        assert marker is not None and len(marker) > 0
    assert len(groups["C"].findall(f"{{{SVG}}}circle")) == 2  # intermediate: a double ring
    assert float(groups["E"].find(f"{{{SVG}}}circle").get("stroke-width")) >= 3  # end: thick


def test_multiple_and_parallel_multiple_events() -> None:
    two = "<bpmn:messageEventDefinition/><bpmn:signalEventDefinition/>"
    xml = _doc(f'<bpmn:startEvent id="M">{two}</bpmn:startEvent>'
               f'<bpmn:startEvent id="PM" parallelMultiple="true">{two}</bpmn:startEvent>',
               _shape("M", 0, 0, 36, 36) + _shape("PM", 100, 0, 36, 36))
    groups = _groups(etree.fromstring(render_svg(xml).encode()))
    assert groups["M"].find(f".//{{{SVG}}}g[@class='marker marker-multiple']") is not None
    assert groups["PM"].find(f".//{{{SVG}}}g[@class='marker marker-parallelMultiple']") is not None


def test_ad_hoc_compensation_and_data_markers() -> None:
    xml = _doc('<bpmn:adHocSubProcess id="A"/><bpmn:task id="C" isForCompensation="true">'
               '<bpmn:standardLoopCharacteristics/></bpmn:task>'
               '<bpmn:dataObject id="DO" isCollection="true"/><bpmn:dataObjectReference id="R" dataObjectRef="DO" '
               'name="建议"><bpmn:dataState name="已交办"/></bpmn:dataObjectReference>'
               '<bpmn:dataStoreReference id="DS" name="案卷"/>'
               '<bpmn:textAnnotation id="N"><bpmn:text>备注</bpmn:text></bpmn:textAnnotation>',
               _shape("A", 0, 0, 100, 80, 'isExpanded="false"') + _shape("C", 200, 0, 100, 80)
               + _shape("R", 400, 0, 36, 50) + _shape("DS", 500, 0, 50, 50) + _shape("N", 600, 0, 100, 30))
    groups = _groups(etree.fromstring(render_svg(xml).encode()))
    for ident, marker in (("A", "adhoc"), ("A", "collapsed"), ("C", "compensation"), ("C", "loop"),
                          ("R", "parallel")):
        assert groups[ident].find(f".//{{{SVG}}}g[@class='marker marker-{marker}']") is not None, (ident, marker)
    spans = [t.text for t in groups["R"].iter(f"{{{SVG}}}tspan")]
    assert spans == ["建议", "[已交办]"]
    assert groups["DS"].find(f"{{{SVG}}}ellipse") is not None
    assert [t.text for t in groups["N"].iter(f"{{{SVG}}}tspan")] == ["备注"]


# ---------------------------------------------------------------- every diagram of a file, by default

def _shape_ids(path: Path) -> list[str]:
    return [s.get("bpmnElement") for s in etree.parse(str(path), SAFE).iter(f"{{{BPMNDI}}}BPMNShape")]


@pytest.mark.skipif(CORPUS is None, reason="MIWG corpus not found")
@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS / "reference").glob("*.bpmn")) if CORPUS else [])
def test_render_command_draws_every_shape_of_every_diagram(name: str, tmp_path: Path) -> None:
    """`casework render` on a MIWG reference file: every BPMNShape of the file, whichever diagram holds it,
    is in the one SVG with its data-element-id (C.4.0 has four diagrams, C.5.0 two)."""
    from webui.cli import main

    out = tmp_path / "out.svg"
    assert main(["render", str(CORPUS / "reference" / name), "-o", str(out)]) == 0
    doc = etree.fromstring(out.read_bytes(), SAFE)
    drawn = {e.get("data-element-id") for e in doc.iter() if e.get("data-element-id")}
    missing = [s for s in _shape_ids(CORPUS / "reference" / name) if s not in drawn]
    assert not missing, f"{name}: shapes not drawn: {missing}"


@pytest.mark.skipif(CORPUS is None, reason="MIWG corpus not found")
def test_several_diagrams_stack_under_their_names_and_one_can_be_picked(tmp_path: Path) -> None:
    from webui.cli import main

    source = CORPUS / "reference" / "C.4.0.bpmn"
    doc = etree.fromstring(render_file(source).encode())
    headings = [t.text for t in doc.iter(f"{{{SVG}}}text") if "diagram-heading" in (t.get("class") or "")]
    assert headings == ["Onboarding employee", "IT", "Payroll", "Facilities"]
    pages = doc.findall(f"{{{SVG}}}svg")
    assert len(pages) == 4 and len({p.get("y") for p in pages}) == 4  # one below the other, not on top
    assert float(doc.get("height")) >= sum(float(p.get("height")) for p in pages)
    ids = [e.get("id") for e in doc.iter() if e.get("id")]
    assert len(ids) == len(set(ids))  # markers and clip paths of each page do not collide

    second = etree.parse(str(source), SAFE).findall(f".//{{{BPMNDI}}}BPMNDiagram")[1].get("id")
    out = tmp_path / "one.svg"
    assert main(["render", str(source), "-o", str(out), "--diagram", second]) == 0
    one = etree.fromstring(out.read_bytes())
    assert one.get("data-diagram-id") == second and one.find(f"{{{SVG}}}title").text == "IT"
    assert main(["render", str(source), "-o", str(out), "--diagram", "no_such_diagram"]) == 1


SUBPROCESS = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{MODEL}" xmlns:bpmndi="{BPMNDI}"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    id="defs" targetNamespace="t">
  <bpmn:process id="P" name="Main">
    <bpmn:startEvent id="S"/>
    <bpmn:subProcess id="Sub" name="Inside">
      <bpmn:startEvent id="S2"/>
      <bpmn:userTask id="Inner" name="Inner task"/>
    </bpmn:subProcess>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="main_page" name="Main page">
    <bpmndi:BPMNPlane id="p1" bpmnElement="P">
      <bpmndi:BPMNShape id="S_di" bpmnElement="S"><dc:Bounds x="0" y="0" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Sub_di" bpmnElement="Sub" isExpanded="false">
        <dc:Bounds x="100" y="0" width="100" height="80"/></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
  <bpmndi:BPMNDiagram id="sub_page">
    <bpmndi:BPMNPlane id="p2" bpmnElement="Sub">
      <bpmndi:BPMNShape id="S2_di" bpmnElement="S2"><dc:Bounds x="0" y="0" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Inner_di" bpmnElement="Inner"><dc:Bounds x="100" y="0" width="100" height="80"/>
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>""".encode()


def test_the_page_holding_the_open_work_is_chosen() -> None:
    from engine.draw.render import diagram_holding, diagrams

    pages = diagrams(SUBPROCESS)
    assert [(p.id, p.name) for p in pages] == [("main_page", "Main page"), ("sub_page", "Inside")]
    assert pages[1].elements == {"S2", "Inner"}
    assert diagram_holding(pages, {}) == 0  # nothing open: the first page
    assert diagram_holding(pages, {"S": "completed", "Sub": "active", "Inner": "active"}) == 1
    assert diagram_holding(pages, {"S": "completed", "Sub": "waiting"}) == 0
