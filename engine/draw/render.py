"""Draw BPMN diagrams as standalone SVG from the BPMN Diagram Interchange (DI), server-side with lxml.

    svg = render_svg(xml_bytes, {"Task_1": "completed", "Task_2": "active"}, highlight={"Gateway_3"})

Every drawn element is a ``<g>`` with ``data-element-id`` (the DI ``bpmnElement``), a class naming its
kind (``bpmn-userTask``, ``bpmn-sequenceFlow``, ...) and a ``<title>`` for tooltips. Elements named in
``states`` get ``state-<name>`` and colours; those in ``highlight`` get ``highlight`` and a magenta outline.
The shapes' notation is in `engine.draw.shapes`, label text and layout in `engine.draw.text`,
colours and geometry in `engine.draw.style`; this module reads the XML and draws with them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from engine.draw.shapes import ACTIVITY_KINDS, CONTAINER_KINDS, EVENT_KINDS, GATEWAY_KINDS, ShapeInfo, draw_shape
from engine.draw.style import HIGHLIGHT, SVG_NS, Box, Extent, Style, el, element_style, fmt, midpoint
from engine.draw.text import FONT_FAMILY, FONT_SIZE, Placement, clean, edge_label, label_text, shape_label, text_width
from engine.draw.text import wrap as wrap
from engine.errors import Invalid

MODEL_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
_DI_NAMESPACES = {BPMNDI_NS, "http://www.omg.org/spec/DD/20100524/DC", "http://www.omg.org/spec/DD/20100524/DI"}
TASK_ICONS = {"userTask": "user", "serviceTask": "service", "scriptTask": "script", "sendTask": "send",
              "receiveTask": "receive", "manualTask": "manual", "businessRuleTask": "businessRule",
              "globalUserTask": "user", "globalScriptTask": "script", "globalManualTask": "manual",
              "globalBusinessRuleTask": "businessRule"}


class RenderError(Invalid):
    """The file is not BPMN XML, or has no diagram to draw."""


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _parse(xml: bytes | str) -> etree._Element:
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(xml, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise RenderError(f"not well-formed XML: {exc}") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        raise RenderError("entity declarations are not allowed in a BPMN file")
    if root.tag != f"{{{MODEL_NS}}}definitions":
        raise RenderError(f"not a BPMN 2.0 file: the root element is {root.tag!r}, not bpmn:definitions")
    return root


def _diagrams(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(f"{{{BPMNDI_NS}}}BPMNDiagram"))


def diagram_count(xml: bytes) -> int:
    """How many BPMNDiagram elements (drawable pages) the file has."""
    return len(_diagrams(_parse(xml)))


@dataclass(frozen=True)
class DiagramInfo:
    """One page of a file's diagram interchange: where it is, what it is called, which elements it draws."""

    index: int
    id: str
    name: str
    elements: frozenset[str]


def diagrams(xml: bytes | str) -> list[DiagramInfo]:
    """Every BPMNDiagram of the file, in file order (a collapsed sub-process is often drawn on its own page)."""
    root = _parse(xml)
    pages = []
    for index, diagram in enumerate(_diagrams(root)):
        plane = diagram.find(f"{{{BPMNDI_NS}}}BPMNPlane")
        drawn = frozenset(di.get("bpmnElement") for di in (plane.iter() if plane is not None else ())
                          if _local(di) in ("BPMNShape", "BPMNEdge") and di.get("bpmnElement"))
        pages.append(DiagramInfo(index, diagram.get("id") or f"diagram-{index + 1}",
                                 _diagram_name(root, diagram, plane, index), drawn))
    return pages


def diagram_holding(pages: list[DiagramInfo], states: dict[str, str]) -> int:
    """The page to show first for these element states: the one drawing most of the case's open work
    (active, escalated or failed elements first, then waiting ones); on a tie the later page, which in a
    file is the one drawing the inside of a collapsed sub-process (where the open task is). With no
    open work, the first page."""
    active = {e for e, state in states.items() if state in ("active", "escalated", "error")}
    waiting = {e for e, state in states.items() if state == "waiting"}
    if not pages or not any(page.elements & (active | waiting) for page in pages):
        return 0
    return max(pages, key=lambda page: (len(page.elements & active), len(page.elements & waiting), page.index)).index


def _diagram_name(root: etree._Element, diagram: etree._Element, plane, index: int) -> str:
    if diagram.get("name"):
        return clean(diagram.get("name"))
    shown = plane.get("bpmnElement") if plane is not None else None
    for node in root.iter():
        if isinstance(node.tag, str) and shown and node.get("id") == shown and etree.QName(node).namespace \
                not in _DI_NAMESPACES:
            return clean(node.get("name") or shown)
    return shown or f"Diagram {index + 1}"


def render_file(path: str | Path, states: dict[str, str] | None = None, **kwargs) -> str:
    return render_svg(Path(path).read_bytes(), states, **kwargs)


def render_svg(xml: bytes, states: dict[str, str] | None = None, *, highlight: set[str] | None = None,
               diagram: int | str | None = None, diagram_index: int | None = None) -> str:
    """A BPMN file as one standalone SVG document.

    `diagram` picks one page by its index or its BPMNDiagram id; by default every page of the file is drawn,
    one below the other, each under its name as a heading (a file with one page is drawn as that page alone).
    `diagram_index` is the older name of an index choice."""
    if diagram is None and diagram_index is not None:
        diagram = diagram_index
    root = _parse(xml)
    pages = _diagrams(root)
    if not pages:
        raise RenderError("the file has no diagram (no bpmndi:BPMNDiagram): nothing to draw")
    digest = hashlib.sha1(xml if isinstance(xml, bytes) else xml.encode("utf-8"))  # ids unique per drawing
    digest.update(repr((diagram, sorted((states or {}).items(), key=str), sorted(highlight or (), key=str)))
                  .encode())
    prefix = "bpmn" + digest.hexdigest()[:8]
    if diagram is not None or len(pages) == 1:
        index = _page_index(pages, 0 if diagram is None else diagram)
        drawn = _draw_page(root, pages, index, states, highlight, prefix)
    else:
        drawn = _draw_pages(root, pages, states, highlight, prefix)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(drawn, encoding="unicode")


def _page_index(pages: list[etree._Element], choice: int | str) -> int:
    if isinstance(choice, int):
        if not 0 <= choice < len(pages):
            raise RenderError(f"diagram {choice} does not exist: the file has {len(pages)}")
        return choice
    for index, page in enumerate(pages):
        if page.get("id") == choice:
            return index
    known = ", ".join(p.get("id") or f"#{i}" for i, p in enumerate(pages))
    raise RenderError(f"no diagram has the id {choice!r}; the file has: {known}")


def _draw_page(root, pages, index: int, states, highlight, prefix: str) -> etree._Element:
    plane = pages[index].find(f"{{{BPMNDI_NS}}}BPMNPlane")
    if plane is None:
        raise RenderError(f"diagram {pages[index].get('id') or index} has no bpmndi:BPMNPlane")
    return _Renderer(root, pages[index], plane, states or {}, set(highlight or ()), prefix).render()


HEADING_SIZE = 16.0
PAGE_GAP = 40.0


def _draw_pages(root, pages, states, highlight, prefix: str) -> etree._Element:
    """Every page stacked in one SVG: each page's own drawing nested at its offset, under a heading."""
    outer = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
    outer.set("version", "1.1")
    outer.set("class", "bpmn-diagram bpmn-diagrams")
    outer.set("font-family", FONT_FAMILY)
    title = el(outer, "title")
    y, width, names = 0.0, 0.0, []
    for index in range(len(pages)):
        page = _draw_page(root, pages, index, states, highlight, f"{prefix}p{index}")
        name = page.find(f"{{{SVG_NS}}}title").text or f"Diagram {index + 1}"
        names.append(name)
        w, h = float(page.get("width")), float(page.get("height"))
        heading = el(outer, "text", x="0", y=fmt(y + HEADING_SIZE), class_="diagram-heading",
                     font_size=HEADING_SIZE, font_weight="bold", data_diagram_id=page.get("data-diagram-id"))
        heading.text = name
        y += HEADING_SIZE + 8
        page.set("x", "0")
        page.set("y", fmt(y))
        outer.append(page)
        y += h + PAGE_GAP
        width = max(width, w, text_width(name, HEADING_SIZE))
    title.text = " · ".join(names)
    height = max(y - PAGE_GAP, 0.0)
    outer.set("viewBox", f"0 0 {fmt(math.ceil(width))} {fmt(math.ceil(height))}")
    outer.set("width", fmt(math.ceil(width)))
    outer.set("height", fmt(math.ceil(height)))
    return outer


# ---------------------------------------------------------------- the renderer

def _num(value: str | None) -> float:
    try:
        number = float(value or 0)
    except ValueError:
        return 0.0
    return number if math.isfinite(number) else 0.0


def _bounds(node: etree._Element | None) -> Box | None:
    if node is None:
        return None
    for child in node:
        if _local(child) == "Bounds":
            return Box(_num(child.get("x")), _num(child.get("y")), max(_num(child.get("width")), 0.0),
                       max(_num(child.get("height")), 0.0))
    return None


def _label(di: etree._Element) -> etree._Element | None:
    return next((c for c in di if _local(c) == "BPMNLabel"), None)


class _Renderer:
    def __init__(self, root, diagram, plane, states: dict[str, str], highlight: set[str], prefix: str):
        self.plane, self.states, self.highlight, self.prefix = plane, states, highlight, prefix
        self.diagram = diagram
        self.extent = Extent()
        self.by_id: dict[str, etree._Element] = {}
        for node in root.iter():  # model elements win over extension elements that reuse an id
            if not isinstance(node.tag, str) or not node.get("id"):
                continue
            namespace = etree.QName(node).namespace
            if namespace in _DI_NAMESPACES:
                continue
            known = self.by_id.get(node.get("id"))
            if known is None or (namespace == MODEL_NS and etree.QName(known).namespace != MODEL_NS):
                self.by_id[node.get("id")] = node
        self.font_sizes: dict[str, float] = {}
        for style in root.iter(f"{{{BPMNDI_NS}}}BPMNLabelStyle"):
            font = next((c for c in style if _local(c) == "Font"), None)
            if style.get("id") and font is not None and font.get("size"):
                self.font_sizes[style.get("id")] = min(max(_num(font.get("size")), 6.0), 24.0)
        self.markers: dict[tuple[str, str], str] = {}

    # -- model look-ups

    def ref(self, value: str | None) -> etree._Element | None:
        if not value:
            return None
        value = value.strip()
        return self.by_id.get(value) if value in self.by_id else self.by_id.get(value.rpartition(":")[2])

    def style_of(self, ident: str, di: etree._Element) -> tuple[str | None, Style]:
        """The element's state and colours: the state's, else the designer's colours in the DI, else black."""
        return element_style(self.states.get(ident), di, _label(di))

    def font_size(self, di: etree._Element) -> float:
        label = _label(di)
        return self.font_sizes.get(label.get("labelStyle") or "", FONT_SIZE) if label is not None else FONT_SIZE

    # -- output primitives

    def group(self, parent, ident: str, kind: str, family: str, state: str | None, name: str):
        classes = [family, f"bpmn-{kind}"]
        if state:
            classes.append(f"state-{state}")
        if ident in self.highlight:
            classes.append("highlight")
        g = el(parent, "g", class_=" ".join(classes))
        g.set("data-element-id", ident)
        title = el(g, "title")
        title.text = " ".join(name.split()) if name else f"{kind} {ident}"
        return g

    def text(self, g, place: Placement, size: float, colour: str) -> None:
        if not place.lines:
            return
        x, top, lh = place.x, place.top, size * 1.2
        node = el(g, "text", class_="label", x=x, y=top, font_size=size, text_anchor=place.anchor, fill=colour,
                  transform=place.transform)
        widest = 0.0
        for i, line in enumerate(place.lines):
            span = el(node, "tspan", x=x, y=top + (i + 1) * lh - 0.3 * size)
            span.text = line
            widest = max(widest, text_width(line, size))
        if place.transform is None:
            left = {"start": x, "middle": x - widest / 2, "end": x - widest}[place.anchor]
            self.extent.add(left, top, widest, lh * len(place.lines))

    def marker(self, name: str, colour: str) -> str:
        key = (name, colour)
        if key not in self.markers:
            ident = f"{self.prefix}-{name}-{len(self.markers)}"
            w, h, rx, ry, tag, attrs = {
                "arrow": (12, 10, 11, 5, "path", {"d": "M1,1 L11,5 L1,9 Z", "fill": colour}),
                "open-arrow": (12, 10, 11, 5, "path", {"d": "M1,1 L11,5 L1,9", "fill": "none"}),
                "hollow-arrow": (12, 10, 11, 5, "path", {"d": "M1,1 L11,5 L1,9 Z", "fill": "#ffffff"}),
                "circle": (10, 10, 5, 5, "circle", {"cx": 5, "cy": 5, "r": 3.5, "fill": "#ffffff"}),
                "diamond": (15, 10, 1, 5, "path", {"d": "M1,5 L7.5,1 L14,5 L7.5,9 Z", "fill": "#ffffff"}),
            }[name]
            m = el(self.defs, "marker", id=ident, viewBox=f"0 0 {w} {h}", markerWidth=w, markerHeight=h,
                   refX=rx, refY=ry, orient="auto", markerUnits="userSpaceOnUse")
            el(m, tag, stroke=colour, stroke_width=1.2, stroke_linejoin="round", **attrs)
            self.markers[key] = ident
        return f"url(#{self.markers[key]})"

    # -- the drawing

    def render(self) -> etree._Element:
        svg = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
        svg.set("version", "1.1")
        svg.set("class", "bpmn-diagram")
        svg.set("font-family", FONT_FAMILY)
        svg.set("data-diagram-id", self.diagram.get("id") or "")
        title = el(svg, "title")
        shown = self.ref(self.plane.get("bpmnElement"))
        title.text = clean(self.diagram.get("name") or (shown.get("name") if shown is not None else None)
                           or self.plane.get("bpmnElement") or "BPMN diagram")
        self.defs = el(svg, "defs")
        layers = {name: el(svg, "g", class_=f"layer-{name}") for name in ("pools", "shapes", "edges", "artifacts")}
        shapes = [s for s in self.plane.iter(f"{{{BPMNDI_NS}}}BPMNShape")]
        boxes = [_bounds(s) or Box(0, 0, 0, 0) for s in shapes]
        infos = [self.shape_info(s, b, boxes) for s, b in zip(shapes, boxes, strict=True)]
        order = sorted(range(len(shapes)), key=lambda i: self.layer(infos[i], i))
        for i in order:
            info = infos[i]
            parent = layers["pools" if info.kind in ("participant", "lane") else
                            "artifacts" if info.kind == "group" else "shapes"]
            self.draw_shape(parent, shapes[i], info)
        for di_edge in self.plane.iter(f"{{{BPMNDI_NS}}}BPMNEdge"):
            self.draw_edge(layers["edges"], di_edge)
        view = self.extent.box()
        svg.set("viewBox", f"{fmt(view.x)} {fmt(view.y)} {fmt(view.w)} {fmt(view.h)}")
        svg.set("width", fmt(math.ceil(view.w)))
        svg.set("height", fmt(math.ceil(view.h)))
        return svg

    @staticmethod
    def layer(info: ShapeInfo, index: int) -> tuple:
        area = -info.box.w * info.box.h
        if info.kind == "participant":
            return (0, area, index)
        if info.kind == "lane":
            return (1, area, index)
        if info.kind in ACTIVITY_KINDS and info.expanded:
            return (2, area, index)
        return (4 if info.kind in ("boundaryEvent", "group") else 3, 0, index)

    def shape_info(self, di: etree._Element, box: Box, boxes: list[Box]) -> ShapeInfo:
        node = self.by_id.get(di.get("bpmnElement") or "")
        kind = _local(node) if node is not None else "unknown"
        info = ShapeInfo(kind=kind, box=box)
        if node is None:
            return info
        horizontal = di.get("isHorizontal")
        info.horizontal = horizontal != "false" if horizontal else box.w >= box.h or kind == "lane"
        if kind in EVENT_KINDS:
            for child in node:
                local = _local(child)
                if local == "eventDefinitionRef":
                    target = self.ref(child.text)
                    local = _local(target) if target is not None else ""
                if local.endswith("EventDefinition"):
                    info.events += (local[: -len("EventDefinition")],)
            info.throw = kind in ("intermediateThrowEvent", "endEvent", "implicitThrowEvent")
            info.parallel_multiple = node.get("parallelMultiple") == "true"
            info.interrupting = not (node.get("isInterrupting") == "false" or node.get("cancelActivity") == "false")
        elif kind in ACTIVITY_KINDS:
            info.icon = TASK_ICONS.get(kind)
            info.instantiate = node.get("instantiate") == "true"
            info.compensation = node.get("isForCompensation") == "true"
            info.event_sub = node.get("triggeredByEvent") == "true"
            for child in node:
                if _local(child) == "standardLoopCharacteristics":
                    info.loop = "loop"
                elif _local(child) == "multiInstanceLoopCharacteristics":
                    info.loop = "sequential" if child.get("isSequential") == "true" else "parallel"
            called = self.ref(node.get("calledElement")) if kind == "callActivity" else None
            if called is not None and _local(called).startswith("global"):
                info.icon = TASK_ICONS.get(_local(called))
            info.collapsed_marker = kind in CONTAINER_KINDS and not (called is not None and info.icon)
            expanded = di.get("isExpanded")
            if expanded:
                info.expanded = expanded == "true" and kind in CONTAINER_KINDS
            elif kind in CONTAINER_KINDS:  # not said: expanded when other shapes lie inside it
                info.expanded = any(o is not box and o.w * o.h < box.w * box.h and o.x >= box.x and o.y >= box.y
                                    and o.x + o.w <= box.x + box.w and o.y + o.h <= box.y + box.h
                                    for o in boxes)
        elif kind in GATEWAY_KINDS:
            info.marker_visible = di.get("isMarkerVisible") != "false"
            info.instantiate = node.get("instantiate") == "true"
            info.gateway_type = node.get("eventGatewayType")
        elif kind in ("dataObject", "dataInput", "dataOutput", "dataObjectReference"):
            target = self.ref(node.get("dataObjectRef")) if kind == "dataObjectReference" else node
            info.collection = target is not None and target.get("isCollection") == "true"
        elif kind == "participant":
            info.has_band = bool(node.get("processRef"))
            multiplicity = next((c for c in node if _local(c) == "participantMultiplicity"), None)
            info.collection = multiplicity is not None and _num(multiplicity.get("maximum") or "2") > 1
        return info

    def draw_shape(self, parent, di: etree._Element, info: ShapeInfo) -> None:
        ident = di.get("bpmnElement") or di.get("id") or ""
        node = self.by_id.get(ident)
        name = label_text(node, info.kind, self.ref)
        state, st = self.style_of(ident, di)
        g = self.group(parent, ident, info.kind, "bpmn-shape", state, name)
        if info.kind == "boundaryEvent" and node is not None and node.get("attachedToRef"):
            g.set("data-attached-to", node.get("attachedToRef"))
        if info.expanded:
            g.set("class", g.get("class") + " bpmn-expanded")
        b = info.box
        self.extent.add(b.x, b.y, b.w, b.h)
        self.add_label_bounds(di)
        if ident in self.highlight:
            o = b.grow(5)
            el(g, "rect", x=o.x, y=o.y, width=o.w, height=o.h, rx=8, fill="none", stroke=HIGHLIGHT,
               stroke_width=4, class_="highlight-outline")
        draw_shape(g, info, st)
        if name:
            size = self.font_size(di)
            self.text(g, shape_label(info, name, size, _bounds(_label(di))), size, st.text)

    def add_label_bounds(self, di: etree._Element) -> None:
        lb = _bounds(_label(di))
        if lb is not None:
            self.extent.add(lb.x, lb.y, lb.w, lb.h)

    def draw_edge(self, parent, di: etree._Element) -> None:
        ident = di.get("bpmnElement") or di.get("id") or ""
        node = self.by_id.get(ident)
        kind = _local(node) if node is not None else "unknown"
        name = label_text(node, kind, self.ref)
        state, st = self.style_of(ident, di)
        g = self.group(parent, ident, kind, "bpmn-edge", state, name)
        pts = [(_num(p.get("x")), _num(p.get("y"))) for p in di if _local(p) == "waypoint"]
        for x, y in pts:
            self.extent.add(x, y)
        self.add_label_bounds(di)
        if not pts:
            return
        d = "M" + " L".join(f"{fmt(x)},{fmt(y)}" for x, y in pts)
        if ident in self.highlight:
            el(g, "path", d=d, fill="none", stroke=HIGHLIGHT, stroke_width=8, stroke_opacity=0.6,
               stroke_linejoin="round", stroke_linecap="round", class_="highlight-outline")
        el(g, "path", d=d, fill="none", stroke="#ffffff", stroke_opacity=0, stroke_width=10, class_="hit")
        ink = st.stroke
        attrs = {"class_": "body", "d": d, "fill": "none", "stroke": ink, "stroke_linejoin": "round",
                 "stroke_width": max(1.5, min(st.width, 3.0))}
        if kind == "sequenceFlow":
            attrs["marker_end"] = self.marker("arrow", ink)
            source = self.ref(node.get("sourceRef"))
            source_kind = _local(source) if source is not None else ""
            has_condition = any(_local(c) == "conditionExpression" for c in node)
            if has_condition and source_kind in ACTIVITY_KINDS:
                attrs["marker_start"] = self.marker("diamond", ink)
            if source is not None and source.get("default") == ident:
                self.default_slash(g, pts, ink)
        elif kind == "messageFlow":
            attrs.update(stroke_dasharray="7 4", marker_start=self.marker("circle", ink),
                         marker_end=self.marker("hollow-arrow", ink), stroke_width=1.2)
        elif kind in ("association", "dataInputAssociation", "dataOutputAssociation"):
            attrs.update(stroke_dasharray="1.5 3.5", stroke_linecap="round", stroke_width=1.3)
            direction = node.get("associationDirection") if kind == "association" else "One"
            if direction in ("One", "Both"):
                attrs["marker_end"] = self.marker("open-arrow", ink)
            if direction == "Both":
                attrs["marker_start"] = self.marker("open-arrow", ink)
        else:  # not a flow this renderer knows (or no bpmnElement at all): a thin dotted line
            attrs.update(stroke_width=1.0, stroke_dasharray="1.5 3.5")
        if st.dash:
            attrs["stroke_dasharray"] = st.dash
        el(g, "path", **attrs)
        if di.get("messageVisibleKind") and len(pts) > 1:
            mx, my, _ = midpoint(pts)
            paper = "#ffffff" if di.get("messageVisibleKind") == "initiating" else "#c8c8c8"
            el(g, "rect", x=mx - 9, y=my - 6, width=18, height=12, fill=paper, stroke=ink, stroke_width=1.2)
            el(g, "polyline", points=f"{fmt(mx - 9)},{fmt(my - 6)} {fmt(mx)},{fmt(my + 1)} {fmt(mx + 9)},{fmt(my - 6)}",
               fill="none", stroke=ink, stroke_width=1.2)
        if name:
            size = self.font_size(di)
            self.text(g, edge_label(name, pts, size, _bounds(_label(di))), size, st.text)

    def default_slash(self, g, pts: list[tuple[float, float]], colour: str) -> None:
        if len(pts) < 2:
            return
        (x0, y0), (x1, y1) = pts[0], pts[1]
        length = math.hypot(x1 - x0, y1 - y0)
        if length == 0:
            return
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        at = min(12.0, length / 2)
        px, py = x0 + ux * at, y0 + uy * at
        dx, dy = (ux - uy) * 0.7071 * 6, (uy + ux) * 0.7071 * 6  # the flow's direction turned by 45 degrees
        el(g, "line", class_="default-marker", x1=px - dx, y1=py - dy, x2=px + dx, y2=py + dy, stroke=colour,
           stroke_width=1.5)
