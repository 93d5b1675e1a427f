"""The process models in bpmn/: they lint clean, deploy as one package, and are drawn so that a person
can read them in Camunda Modeler or bpmn.io — every node and flow placed, each node inside its lane,
nothing overlapping, no flow running through a shape that is not its own end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from engine.bpmn import library
from engine.draw.render import render_svg

BPMN_DIR = Path(__file__).resolve().parents[1] / "bpmn"
MODELS = sorted(BPMN_DIR.glob("*.bpmn"))
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
FLOW_NODES = ("task", "userTask", "serviceTask", "scriptTask", "manualTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "startEvent", "endEvent",
              "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
              "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway")


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box, margin: float = 1.0) -> bool:
        return (self.x + margin < other.x + other.w and other.x + margin < self.x + self.w
                and self.y + margin < other.y + other.h and other.y + margin < self.y + self.h)

    def contains(self, other: Box, slack: float = 1.0) -> bool:
        return (other.x >= self.x - slack and other.y >= self.y - slack
                and other.x + other.w <= self.x + self.w + slack and other.y + other.h <= self.y + self.h + slack)

    def near(self, px: float, py: float, slack: float = 6.0) -> bool:
        return self.x - slack <= px <= self.x + self.w + slack and self.y - slack <= py <= self.y + self.h + slack

    def crossed_by(self, a: tuple[float, float], b: tuple[float, float], inset: float = 3.0) -> bool:
        """Does segment a-b pass through the inside of the box (shrunk by `inset`)? Liang-Barsky clipping."""
        x0, y0, x1, y1 = self.x + inset, self.y + inset, self.x + self.w - inset, self.y + self.h - inset
        if x1 <= x0 or y1 <= y0:
            return False
        dx, dy = b[0] - a[0], b[1] - a[1]
        t0, t1 = 0.0, 1.0
        for p, q in ((-dx, a[0] - x0), (dx, x1 - a[0]), (-dy, a[1] - y0), (dy, y1 - a[1])):
            if p == 0:
                if q < 0:
                    return False
                continue
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
            if t0 > t1:
                return False
        return t1 - t0 > 1e-6


class Model:
    def __init__(self, path: Path):
        self.path = path
        self.root = etree.parse(str(path)).getroot()
        self.nodes = {el.get("id"): el for name in FLOW_NODES for el in self.root.iterfind(f".//bpmn:{name}", NS)}
        self.flows = {el.get("id"): el for el in self.root.iterfind(".//bpmn:sequenceFlow", NS)}
        self.shapes: dict[str, Box] = {}
        for shape in self.root.iterfind(".//bpmndi:BPMNShape", NS):
            bounds = shape.find("dc:Bounds", NS)
            if bounds is not None:
                self.shapes[shape.get("bpmnElement")] = Box(*(float(bounds.get(k)) for k in ("x", "y", "width", "height")))
        self.edges: dict[str, list[tuple[float, float]]] = {
            edge.get("bpmnElement"): [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
            for edge in self.root.iterfind(".//bpmndi:BPMNEdge", NS)}
        self.lanes = {lane.get("id"): [ref.text.strip() for ref in lane.iterfind("bpmn:flowNodeRef", NS)]
                      for lane in self.root.iterfind(".//bpmn:lane", NS)}

    def tag(self, element_id: str) -> str:
        return etree.QName(self.nodes[element_id]).localname

    def inside(self, element_id: str) -> set[str]:
        """Ids whose shapes may lie on this one: its boundary events, and (for a drawn sub-process) its content."""
        element = self.nodes[element_id]
        found = {bid for bid, b in self.nodes.items() if b.get("attachedToRef") == element_id}
        if etree.QName(element).localname == "subProcess":
            found |= {d.get("id") for d in element.iter() if d.get("id")}
        return found


def _ids(paths):
    return [p.name for p in paths]


def test_the_two_case_types_and_their_shared_parts_are_there():
    names = {p.name for p in MODELS}
    assert {"suggestion.bpmn", "proposal.bpmn"} <= names
    assert len(names) >= 3, "the shared parts (unit handling, evaluation) are call activities in their own files"


def test_the_models_lint_clean_and_deploy_as_one_package(ctx):
    files = library.read_files(MODELS)
    assert library.check(files) == []
    with ctx.db.session() as session:
        deployed = library.deploy(session, files, "test")
    assert {d.definition.key for d in deployed} == {"suggestion", "proposal", "year_end_selection"}


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_every_node_and_flow_is_drawn(path):
    model = Model(path)
    assert model.nodes
    assert [n for n in model.nodes if n not in model.shapes] == []
    assert [f for f in model.flows if len(model.edges.get(f, [])) < 2] == []


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_each_actor_has_a_lane_and_each_node_sits_in_its_lane(path):
    model = Model(path)
    assert len(model.lanes) >= 2, "one lane per actor"
    placed = {ref for refs in model.lanes.values() for ref in refs}
    top_level = {el.get("id") for process in model.root.iterfind("bpmn:process", NS)
                 for el in process if el.get("id") in model.nodes}
    assert sorted(top_level - placed) == [], "every node belongs to a lane"
    for lane, refs in model.lanes.items():
        for ref in refs:
            if ref in model.shapes and model.tag(ref) != "boundaryEvent":
                assert model.shapes[lane].contains(model.shapes[ref]), f"{ref} is drawn outside its lane {lane}"


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_no_two_shapes_overlap(path):
    model = Model(path)
    ids = [n for n in model.nodes if n in model.shapes]
    clashes = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if b in model.inside(a) or a in model.inside(b):
                continue
            if model.shapes[a].overlaps(model.shapes[b]):
                clashes.append((a, b))
    assert clashes == []


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_flows_start_and_end_at_their_nodes_and_cross_no_other_shape(path):
    model = Model(path)
    problems = []
    for fid, flow in model.flows.items():
        points = model.edges.get(fid, [])
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if len(points) < 2:
            continue
        if not model.shapes[source].near(*points[0]):
            problems.append(f"{fid} does not start at {source}")
        if not model.shapes[target].near(*points[-1]):
            problems.append(f"{fid} does not end at {target}")
        own = {source, target} | model.inside(source) | model.inside(target)
        host = model.nodes[source].get("attachedToRef")
        if host:
            own.add(host)
        for other, box in model.shapes.items():
            if other in own or other not in model.nodes or model.tag(other) == "subProcess":
                continue
            if any(box.crossed_by(a, b) for a, b in zip(points, points[1:], strict=False)):
                problems.append(f"{fid} ({source} -> {target}) runs through {other}")
    assert problems == []


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_the_drawing_shows_every_element(path):
    model = Model(path)
    svg = render_svg(path.read_bytes())
    missing = [i for i in list(model.nodes) + list(model.flows) if f'data-element-id="{i}"' not in svg]
    assert missing == []


@pytest.mark.parametrize("path", MODELS, ids=_ids(MODELS))
def test_labels_sit_clear_of_shapes_and_of_each_other(path):
    model = Model(path)
    labels = {}
    for di in [*model.root.iterfind(".//bpmndi:BPMNShape", NS), *model.root.iterfind(".//bpmndi:BPMNEdge", NS)]:
        bounds = di.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if bounds is not None:
            labels[di.get("bpmnElement")] = Box(*(float(bounds.get(k)) for k in ("x", "y", "width", "height")))
    covered = [(label, shape) for label, box in labels.items() for shape, other in model.shapes.items()
               if shape != label and shape in model.nodes and model.tag(shape) != "subProcess" and box.overlaps(other)]
    named = list(labels.items())
    crowded = [(a, b) for i, (a, box) in enumerate(named) for b, other in named[i + 1:] if box.overlaps(other)]
    assert covered == [] and crowded == []
