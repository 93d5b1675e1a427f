"""What the SVG renderer's modules share: SVG output, boxes and extents, colours and element states.

`engine.draw.render` reads the model, `engine.draw.shapes` draws the notation and `engine.draw.text`
lays out labels; all of them write SVG with `el`, measure with `Box` and colour with a `Style`.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
MARGIN = 20.0
STATES = ("completed", "active", "waiting", "escalated", "error")
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,24}|rgba?\([0-9.,%\s]{5,40}\)")
_OMG_COLOUR = "http://www.omg.org/spec/BPMN/non-normative/color/1.0"
_COLOUR_ATTRS = {  # BPMN in Color (OMG, non-normative) and bpmn.io's bioc: (fill, stroke, text)
    _OMG_COLOUR: ("background-color", "border-color", "color"),
    "http://bpmn.io/schema/bpmn/biocolor/1.0": ("fill", "stroke", None),
}


def fmt(value: float) -> str:
    """A number for an SVG attribute: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def el(parent: etree._Element, tag: str, **attrs: object) -> etree._Element:
    """Append an SVG element; `class_` -> class, `stroke_width` -> stroke-width, None is skipped."""
    node = etree.SubElement(parent, f"{{{SVG_NS}}}{tag}")
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            node.set(name, fmt(value))
        else:
            node.set(name, str(value))
    return node


# ---------------------------------------------------------------- geometry

@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def grow(self, d: float) -> Box:
        return Box(self.x - d, self.y - d, self.w + 2 * d, self.h + 2 * d)


class Extent:
    """The area everything drawn so far covers; `box` is the drawing's viewBox, with a margin."""

    def __init__(self) -> None:
        self.x0 = self.y0 = math.inf
        self.x1 = self.y1 = -math.inf

    def add(self, x: float, y: float, w: float = 0.0, h: float = 0.0) -> None:
        self.x0, self.y0 = min(self.x0, x), min(self.y0, y)
        self.x1, self.y1 = max(self.x1, x + w), max(self.y1, y + h)

    def box(self) -> Box:
        if self.x0 > self.x1:
            return Box(0, 0, 100, 100)
        return Box(self.x0 - MARGIN, self.y0 - MARGIN, self.x1 - self.x0 + 2 * MARGIN,
                   self.y1 - self.y0 + 2 * MARGIN)


def midpoint(pts: list[tuple[float, float]]) -> tuple[float, float, float]:
    """The point halfway along a polyline, and the polyline's length."""
    seglens = [math.hypot(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(pts)]
    total = sum(seglens)
    if total == 0:
        return pts[0][0], pts[0][1], 0.0
    left = total / 2
    for (a, b), seg in zip(itertools.pairwise(pts), seglens, strict=True):
        if left <= seg and seg > 0:
            t = left / seg
            return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, total
        left -= seg
    return pts[-1][0], pts[-1][1], total


def svg_points(pts: list[tuple[float, float]]) -> str:
    """The `points` attribute of a polygon or polyline."""
    return " ".join(f"{fmt(x)},{fmt(y)}" for x, y in pts)


def plus_outline(arm: float, length: float) -> list[tuple[float, float]]:
    """The outline of a plus sign around the origin: arms `length` long and `2 * arm` thick."""
    a, n = arm, length
    return [(-a, -n), (a, -n), (a, -a), (n, -a), (n, a), (a, a), (a, n), (-a, n), (-a, a), (-n, a), (-n, -a), (-a, -a)]


def regular_polygon(radius: float, corners: int, start: float = -90.0) -> list[tuple[float, float]]:
    """The corners of a regular polygon around the origin, the first at angle `start` (degrees)."""
    out = []
    for i in range(corners):
        angle = math.radians(start + 360.0 * i / corners)
        out.append((radius * math.cos(angle), radius * math.sin(angle)))
    return out


# ---------------------------------------------------------------- colours and states

@dataclass(frozen=True)
class Style:
    """Colours of one element; `width` is a minimum stroke width for the body (0: the shape's own)."""

    stroke: str = "#22242a"
    fill: str = "#ffffff"
    text: str = "#22242a"
    width: float = 0.0
    dash: str | None = None


PALETTE: dict[str | None, Style] = {
    None: Style(),
    "completed": Style(stroke="#5b7f5b", fill="#dcebd6", text="#2f4a2f"),
    "active": Style(stroke="#1565c0", fill="#e8f1fc", text="#0d3c75", width=4),
    "waiting": Style(stroke="#b7791f", fill="#fff0c2", text="#5c3d00", width=2.5),
    "escalated": Style(stroke="#c62828", fill="#fde0dc", text="#7f1d1d", width=3),
    "error": Style(stroke="#c62828", fill="#ffffff", text="#7f1d1d", width=2.5, dash="6 3"),
}
HIGHLIGHT = "#e600e6"


def element_style(state: str | None, di: etree._Element,
                  label: etree._Element | None) -> tuple[str | None, Style]:
    """An element's state and colours: the state's, else the designer's colours in the DI, else black.

    `di` is the element's BPMNShape or BPMNEdge, `label` its BPMNLabel (None if it has none)."""
    if state in STATES:
        return state, PALETTE[state]
    base = PALETTE[None]
    colours = {"fill": base.fill, "stroke": base.stroke, "text": base.text}
    for namespace, names in _COLOUR_ATTRS.items():
        for key, attr in zip(("fill", "stroke", "text"), names, strict=True):
            value = (di.get(f"{{{namespace}}}{attr}") or "").strip() if attr else ""
            if _COLOUR.fullmatch(value):
                colours[key] = value
    if label is not None and _COLOUR.fullmatch(label.get(f"{{{_OMG_COLOUR}}}color") or ""):
        colours["text"] = label.get(f"{{{_OMG_COLOUR}}}color")
    return None, Style(stroke=colours["stroke"], fill=colours["fill"], text=colours["text"])
