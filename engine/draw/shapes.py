"""Geometry of BPMN shapes as SVG: bodies and notation markers (no labels, no parsing).

`engine.draw.render` reads the model and the diagram interchange, fills a `ShapeInfo` per
DI shape and calls `draw_shape`; everything here only knows boxes, flags and colours
(`engine.draw.style`).
Markers are drawn in a small local frame (an event of radius 18, a gateway of 50) and
scaled to the shape, so that they keep their proportions at any size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lxml import etree

from engine.draw.style import HIGHLIGHT as HIGHLIGHT
from engine.draw.style import PALETTE as PALETTE
from engine.draw.style import Box, Style, el, fmt, plus_outline, regular_polygon, svg_points


@dataclass
class ShapeInfo:
    """What `draw_shape` needs to know of one element besides its box."""

    kind: str
    box: Box
    icon: str | None = None  # task type: user, service, script, send, receive, manual, businessRule
    events: tuple[str, ...] = ()  # event definitions: message, timer, error, ...
    parallel_multiple: bool = False
    throw: bool = False
    interrupting: bool = True
    loop: str | None = None  # loop, parallel, sequential
    compensation: bool = False
    expanded: bool = False
    collapsed_marker: bool = False
    event_sub: bool = False
    instantiate: bool = False
    collection: bool = False
    marker_visible: bool = True
    gateway_type: str | None = None
    horizontal: bool = True
    has_band: bool = True


def _body(st: Style, width: float, dash: str | None = None, fill: str | None = None) -> dict:
    return {
        "class_": "body",
        "fill": st.fill if fill is None else fill,
        "stroke": st.stroke,
        "stroke_width": max(width, st.width),
        "stroke_dasharray": st.dash or dash,
    }


def _frame(g: etree._Element, cx: float, cy: float, scale: float) -> etree._Element:
    return el(g, "g", class_="marker", transform=f"translate({fmt(cx)} {fmt(cy)}) scale({fmt(scale)})")


# ---------------------------------------------------------------- events

EVENT_KINDS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
               "implicitThrowEvent"}


def draw_event(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    b = s.box
    r = max(min(b.w, b.h) / 2, 1.0)
    dash = None if s.interrupting else "5 3"
    if s.kind == "startEvent":
        el(g, "circle", cx=b.cx, cy=b.cy, r=r, **_body(st, 1.5, dash))
    elif s.kind == "endEvent":
        el(g, "circle", cx=b.cx, cy=b.cy, r=r, **_body(st, 4))
    else:
        el(g, "circle", cx=b.cx, cy=b.cy, r=r, **_body(st, 1.2, dash))
        inner = _body(st, 1.2, dash, fill="none")
        inner["class_"] = "body-inner"
        el(g, "circle", cx=b.cx, cy=b.cy, r=max(r - 3, 0.5), **inner)
    kinds = s.events
    if len(kinds) > 1:
        kinds = ("parallelMultiple",) if s.parallel_multiple else ("multiple",)
    if kinds:
        draw_event_marker(g, kinds[0], s.throw, b.cx, b.cy, r / 18.0, st)


def draw_event_marker(g, kind: str, throw: bool, cx: float, cy: float, scale: float, st: Style) -> None:
    """One event-definition marker in an 18-radius frame; `throw` fills it."""
    m = _frame(g, cx, cy, scale)
    m.set("class", f"marker marker-{kind}")
    ink, paper = st.stroke, st.fill
    fill = ink if throw else paper
    line = {"stroke": ink, "stroke_width": 1.5, "stroke_linejoin": "round"}
    if kind == "message":
        el(m, "rect", x=-9, y=-6.5, width=18, height=13, fill=fill, **line)
        el(m, "polyline", points="-9,-6.5 0,0.5 9,-6.5", fill="none", stroke=paper if throw else ink,
           stroke_width=1.5)
    elif kind == "timer":
        el(m, "circle", r=11, fill=paper, **line)
        for i in range(12):
            a = math.radians(i * 30)
            el(m, "line", x1=8.5 * math.cos(a), y1=8.5 * math.sin(a), x2=11 * math.cos(a), y2=11 * math.sin(a),
               stroke=ink, stroke_width=1)
        el(m, "path", d="M0,0 L0.8,-7.5 M0,0 L5.5,2", fill="none", stroke=ink, stroke_width=1.5,
           stroke_linecap="round")
    elif kind == "error":
        el(m, "polygon", points="-8,8 -3,-7 1.5,1 8,-8 3.5,7 -1,-1", fill=fill, **line)
    elif kind == "escalation":
        el(m, "polygon", points="0,-10 7,9 0,2 -7,9", fill=fill, **line)
    elif kind == "signal":
        el(m, "polygon", points="0,-10.5 9.5,7 -9.5,7", fill=fill, **line)
    elif kind == "conditional":
        el(m, "rect", x=-7, y=-9, width=14, height=18, fill=paper, **line)
        el(m, "path", d="M-4.5,-5 H4.5 M-4.5,-1.7 H4.5 M-4.5,1.7 H4.5 M-4.5,5 H4.5", stroke=ink, stroke_width=1.2)
    elif kind == "link":
        el(m, "polygon", points="-9,-3.5 1,-3.5 1,-8.5 9.5,0 1,8.5 1,3.5 -9,3.5", fill=fill, **line)
    elif kind in ("compensate", "compensation"):
        el(m, "polygon", points="-9.5,0 -0.5,-7 -0.5,7", fill=fill, **line)
        el(m, "polygon", points="-0.5,0 8.5,-7 8.5,7", fill=fill, **line)
    elif kind == "cancel":
        el(m, "polygon", points=svg_points(plus_outline(2.4, 10)), transform="rotate(45)", fill=fill, **line)
    elif kind == "terminate":
        el(m, "circle", r=11, fill=ink, stroke=ink, stroke_width=1)
    elif kind == "multiple":
        el(m, "polygon", points=svg_points(regular_polygon(10.5, 5)), fill=fill, **line)
    elif kind == "parallelMultiple":
        el(m, "polygon", points=svg_points(plus_outline(3, 10)), fill=paper, **line)
    else:  # an event definition this renderer does not know: a question mark keeps it visible
        text = el(m, "text", x=0, y=5, font_size=14, text_anchor="middle", fill=ink)
        text.text = "?"


# ---------------------------------------------------------------- activities

ACTIVITY_KINDS = {"task", "userTask", "serviceTask", "scriptTask", "sendTask", "receiveTask", "manualTask",
                  "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
                  "callChoreography", "choreographyTask", "subChoreography"}
CONTAINER_KINDS = {"subProcess", "transaction", "adHocSubProcess", "callActivity", "subChoreography"}


def draw_activity(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    b = s.box
    rx = min(10.0, b.w / 4, b.h / 4)
    width, dash = 2.0, None
    if s.kind == "callActivity":
        width = 4.5
    if s.event_sub:
        width, dash = 1.5, "2 3"
    el(g, "rect", x=b.x, y=b.y, width=b.w, height=b.h, rx=rx, ry=rx, **_body(st, width, dash))
    if s.kind == "transaction":
        inner = _body(st, 1.5, fill="none")
        inner["class_"] = "body-inner"
        el(g, "rect", x=b.x + 3, y=b.y + 3, width=max(b.w - 6, 1), height=max(b.h - 6, 1), rx=max(rx - 3, 0),
           **inner)
    if s.icon:
        draw_task_icon(g, s.icon, b.x + 6, b.y + 6, st, instantiate=s.instantiate)
    markers = activity_markers(s)
    size, gap = 12.0, 4.0
    left = b.cx - (len(markers) * size + (len(markers) - 1) * gap) / 2
    for i, name in enumerate(markers):
        _activity_marker(g, name, left + i * (size + gap), b.y + b.h - size - 5, st)


def activity_markers(s: ShapeInfo) -> list[str]:
    """The markers centred at the bottom of an activity, left to right."""
    markers = [s.loop] if s.loop else []
    if s.compensation:
        markers.append("compensation")
    if s.kind == "adHocSubProcess":
        markers.append("adhoc")
    if s.collapsed_marker and not s.expanded:
        markers.append("collapsed")
    return markers


def draw_task_icon(g, icon: str, x: float, y: float, st: Style, instantiate: bool = False) -> None:
    """The task-type icon, about 18 by 18, with its top-left corner at (x, y)."""
    m = el(g, "g", class_=f"marker icon-{icon}", transform=f"translate({fmt(x)} {fmt(y)})")
    ink, paper = st.stroke, st.fill
    line = {"stroke": ink, "stroke_width": 1.2, "stroke_linejoin": "round"}
    if icon == "user":
        el(m, "path", d="M1.5,17 C1.5,12 4.5,10 9,10 C13.5,10 16.5,12 16.5,17 Z", fill=paper, **line)
        el(m, "circle", cx=9, cy=5.5, r=4, fill=paper, **line)
        el(m, "path", d="M5,5 C5.5,1.5 12.5,1.5 13,5 C11,3.5 7,3.5 5,5 Z", fill=ink, stroke="none")
        el(m, "path", d="M5.5,13 V17 M12.5,13 V17", fill="none", **line)
    elif icon == "service":
        for cx, cy in ((6.5, 6.5), (11.5, 11.5)):
            el(m, "path", d=_gear(cx, cy, 6.2, 4.6, 8), fill=paper, **line)
            el(m, "circle", cx=cx, cy=cy, r=2, fill=paper, **line)
    elif icon == "script":
        el(m, "path", d="M4,1 H16 C12.5,4.5 12.5,7.5 15,10 C17.5,12.5 17.5,15 14,18 H2 C5.5,15 5.5,12.5 3,10 "
                        "C0.5,7.5 0.5,4.5 4,1 Z", fill=paper, **line)
        el(m, "path", d="M5,5 H12 M6,8 H13 M6.5,12 H13.5 M6,15 H12.5", fill="none", stroke=ink, stroke_width=1)
    elif icon in ("send", "receive"):
        if icon == "receive" and instantiate:
            el(m, "circle", cx=9, cy=9, r=9, fill=paper, **line)
            x0, y0, w, h = 3.5, 5, 11, 8
        else:
            x0, y0, w, h = 0, 3, 18, 12
        filled = icon == "send"
        el(m, "rect", x=x0, y=y0, width=w, height=h, fill=ink if filled else paper, **line)
        el(m, "polyline", points=svg_points([(x0, y0), (x0 + w / 2, y0 + h * 0.55), (x0 + w, y0)]), fill="none",
           stroke=paper if filled else ink, stroke_width=1.2)
    elif icon == "manual":
        el(m, "path", d="M1,7 L6,3.5 H16.5 A1.4,1.4 0 0 1 16.5,6.3 H10.5 H17.5 A1.4,1.4 0 0 1 17.5,9.1 H10.5 "
                        "H16.5 A1.4,1.4 0 0 1 16.5,11.9 H10.5 H15 A1.4,1.4 0 0 1 15,14.7 H5 L1,13 Z",
           fill=paper, **line)
    elif icon == "businessRule":
        el(m, "rect", x=0.5, y=2, width=17, height=13, fill=paper, **line)
        el(m, "rect", x=0.5, y=2, width=17, height=4, fill=ink, stroke=ink, stroke_width=1.2)
        el(m, "path", d="M0.5,10.5 H17.5 M5.5,6 V15", fill="none", stroke=ink, stroke_width=1)


def _gear(cx: float, cy: float, outer: float, inner: float, teeth: int) -> str:
    pts = []
    step = 2 * math.pi / teeth
    for i in range(teeth):
        base = i * step
        for frac, radius in ((0.0, inner), (0.15, outer), (0.5, outer), (0.65, inner)):
            a = base + frac * step
            pts.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
    return "M" + " L".join(f"{fmt(x)},{fmt(y)}" for x, y in pts) + " Z"


def _activity_marker(g, name: str, x: float, y: float, st: Style) -> None:
    m = el(g, "g", class_=f"marker marker-{name}", transform=f"translate({fmt(x)} {fmt(y)})")
    ink, paper = st.stroke, st.fill
    if name == "parallel":
        el(m, "path", d="M2,0 V12 M6,0 V12 M10,0 V12", stroke=ink, stroke_width=2, fill="none")
    elif name == "sequential":
        el(m, "path", d="M0,2 H12 M0,6 H12 M0,10 H12", stroke=ink, stroke_width=2, fill="none")
    elif name == "loop":
        el(m, "path", d="M3.2,10.6 A5.2,5.2 0 1 1 8.8,10.6", fill="none", stroke=ink, stroke_width=1.5)
        el(m, "path", d="M8.8,10.6 L9.3,7.2 M8.8,10.6 L5.6,11.4", fill="none", stroke=ink, stroke_width=1.5,
           stroke_linecap="round")
    elif name == "compensation":
        el(m, "path", d="M0,6 L6,1 V11 Z M6,6 L12,1 V11 Z", fill=paper, stroke=ink, stroke_width=1.2,
           stroke_linejoin="round")
    elif name == "adhoc":
        el(m, "path", d="M0,7.5 C2,3 4,3 6,6 C8,9 10,9 12,4.5", fill="none", stroke=ink, stroke_width=1.8)
    elif name == "collapsed":
        el(m, "rect", x=0, y=0, width=12, height=12, fill=paper, stroke=ink, stroke_width=1.2)
        el(m, "path", d="M6,2.5 V9.5 M2.5,6 H9.5", stroke=ink, stroke_width=1.5)


# ---------------------------------------------------------------- gateways

GATEWAY_KINDS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
                 "complexGateway", "gateway"}


def draw_gateway(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    b = s.box
    diamond = [(b.cx, b.y), (b.x + b.w, b.cy), (b.cx, b.y + b.h), (b.x, b.cy)]
    el(g, "polygon", points=svg_points(diamond), **_body(st, 2))
    m = _frame(g, b.cx, b.cy, min(b.w, b.h) / 50.0)
    ink = st.stroke
    solid = {"fill": ink, "stroke": ink, "stroke_width": 0.5}
    if s.kind == "exclusiveGateway" and s.marker_visible:
        el(m, "polygon", points=svg_points(plus_outline(2.3, 11)), transform="rotate(45)", **solid)
    elif s.kind == "parallelGateway":
        el(m, "polygon", points=svg_points(plus_outline(2.3, 12.5)), **solid)
    elif s.kind == "inclusiveGateway":
        el(m, "circle", r=10.5, fill="none", stroke=ink, stroke_width=3)
    elif s.kind == "complexGateway":
        el(m, "polygon", points=svg_points(plus_outline(1.9, 12)), **solid)
        el(m, "polygon", points=svg_points(plus_outline(1.9, 12)), transform="rotate(45)", **solid)
    elif s.kind == "eventBasedGateway":
        el(m, "circle", r=12.5, fill="none", stroke=ink, stroke_width=1.2)
        if not s.instantiate:
            el(m, "circle", r=10, fill="none", stroke=ink, stroke_width=1.2)
        if s.gateway_type == "Parallel":
            el(m, "polygon", points=svg_points(plus_outline(2.5, 7.5)), fill="none", stroke=ink, stroke_width=1.3)
        else:
            el(m, "polygon", points=svg_points(regular_polygon(6.5, 5)), fill="none", stroke=ink, stroke_width=1.3)


# ---------------------------------------------------------------- data, artifacts

DATA_OBJECT_KINDS = {"dataObject", "dataObjectReference", "dataInput", "dataOutput"}
DATA_STORE_KINDS = {"dataStore", "dataStoreReference"}


def draw_data_object(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    b = s.box
    f = max(min(b.w * 0.35, b.h * 0.3, 14.0), 2.0)
    x2, y2 = b.x + b.w, b.y + b.h
    el(g, "path", d=f"M{fmt(b.x)},{fmt(b.y)} H{fmt(x2 - f)} L{fmt(x2)},{fmt(b.y + f)} V{fmt(y2)} H{fmt(b.x)} Z",
       stroke_linejoin="round", **_body(st, 1.5))
    el(g, "path", d=f"M{fmt(x2 - f)},{fmt(b.y)} V{fmt(b.y + f)} H{fmt(x2)}", fill="none", stroke=st.stroke,
       stroke_width=1.5, stroke_linejoin="round")
    if s.kind in ("dataInput", "dataOutput"):
        m = el(g, "g", class_="marker", transform=f"translate({fmt(b.x + 4)} {fmt(b.y + 4)})")
        el(m, "polygon", points="0,3 7,3 7,0 13,5 7,10 7,7 0,7", stroke=st.stroke, stroke_width=1.1,
           stroke_linejoin="round", fill=st.stroke if s.kind == "dataOutput" else st.fill)
    if s.collection:
        _activity_marker(g, "parallel", b.cx - 6, y2 - 15, st)


def draw_data_store(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    b = s.box
    e = max(min(b.h * 0.12, 10.0), 1.0)
    rx = b.w / 2
    x2, top, bottom = b.x + b.w, b.y + e, b.y + b.h - e
    arc = f"A{fmt(rx)},{fmt(e)} 0 0 0"
    el(g, "path", d=f"M{fmt(b.x)},{fmt(top)} V{fmt(bottom)} {arc} {fmt(x2)},{fmt(bottom)} V{fmt(top)} "
                    f"{arc} {fmt(b.x)},{fmt(top)} Z", **_body(st, 1.5))
    el(g, "ellipse", cx=b.cx, cy=top, rx=rx, ry=e, fill="none", stroke=st.stroke, stroke_width=1.5)
    for k in (4, 8):
        el(g, "path", d=f"M{fmt(b.x)},{fmt(top + k)} {arc} {fmt(x2)},{fmt(top + k)}", fill="none",
           stroke=st.stroke, stroke_width=1.5)


def draw_text_annotation(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    b = s.box
    arm = min(15.0, b.w)
    el(g, "rect", x=b.x, y=b.y, width=b.w, height=b.h, fill="#ffffff", fill_opacity=0, stroke="none",
       class_="hit")
    el(g, "path", d=f"M{fmt(b.x + arm)},{fmt(b.y)} H{fmt(b.x)} V{fmt(b.y + b.h)} H{fmt(b.x + arm)}",
       **_body(st, 1.2, fill="none"))


def draw_group(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    b = s.box
    el(g, "rect", x=b.x, y=b.y, width=b.w, height=b.h, rx=10, ry=10, **_body(st, 1.5, "8 4 2 4", fill="none"))


# ---------------------------------------------------------------- pools, lanes

BAND = 30.0


def draw_participant(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    b = s.box
    el(g, "rect", x=b.x, y=b.y, width=b.w, height=b.h, **_body(st, 1.5))
    if s.has_band:
        if s.horizontal:
            d = f"M{fmt(b.x + BAND)},{fmt(b.y)} V{fmt(b.y + b.h)}"
        else:
            d = f"M{fmt(b.x)},{fmt(b.y + BAND)} H{fmt(b.x + b.w)}"
        el(g, "path", d=d, fill="none", stroke=st.stroke, stroke_width=1.5, class_="band")
    if s.collection:
        _activity_marker(g, "parallel", b.cx - 6, b.y + b.h - 15, st)


def draw_lane(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    """A lane is its rectangle; its name sits in its first BAND units (nested lanes start after it)."""
    b = s.box
    el(g, "rect", x=b.x, y=b.y, width=b.w, height=b.h, **_body(st, 1, fill="none"))


# ---------------------------------------------------------------- the rest

def draw_conversation(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    b = s.box
    q = b.w / 4
    hexagon = [(b.x + q, b.y), (b.x + b.w - q, b.y), (b.x + b.w, b.cy), (b.x + b.w - q, b.y + b.h),
               (b.x + q, b.y + b.h), (b.x, b.cy)]
    el(g, "polygon", points=svg_points(hexagon), **_body(st, 4.5 if s.kind == "callConversation" else 1.5))
    if s.kind == "subConversation":
        _activity_marker(g, "collapsed", b.cx - 6, b.y + b.h - 15, st)


def draw_generic(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    """An element this renderer has no notation for: a plain box, never nothing."""
    b = s.box
    el(g, "rect", x=b.x, y=b.y, width=max(b.w, 1), height=max(b.h, 1), rx=3, **_body(st, 1, "4 2", fill="#f4f4f4"))


def draw_shape(g: etree._Element, s: ShapeInfo, st: Style) -> None:
    kind = s.kind
    if kind in EVENT_KINDS:
        draw_event(g, s, st)
    elif kind in ACTIVITY_KINDS:
        draw_activity(g, s, st)
    elif kind in GATEWAY_KINDS:
        draw_gateway(g, s, st)
    elif kind in DATA_OBJECT_KINDS:
        draw_data_object(g, s, st)
    elif kind in DATA_STORE_KINDS:
        draw_data_store(g, s, st)
    elif kind == "textAnnotation":
        draw_text_annotation(g, s, st)
    elif kind == "group":
        draw_group(g, s, st)
    elif kind == "participant":
        draw_participant(g, s, st)
    elif kind == "lane":
        draw_lane(g, s, st)
    elif kind in ("conversation", "callConversation", "subConversation"):
        draw_conversation(g, s, st)
    else:
        draw_generic(g, s, st)
