"""A process diagram on a page: the page of a file's diagrams to show first, and the switcher to the others.

A file may hold several BPMNDiagram pages (a collapsed sub-process drawn on its own); the case page shows the
one that holds the case's open work, the designer's version page the first, and `?diagram=N` any other.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request
from markupsafe import Markup

from engine.draw.render import DiagramInfo, RenderError, diagram_holding, diagrams, render_svg


@dataclass
class DiagramView:
    svg: Markup  # inline SVG, without the XML declaration
    pages: list[DiagramInfo]  # every page of the file (the switcher lists them when there are several)
    current: int  # the page shown


def _chosen(pages: list[DiagramInfo]) -> int | None:
    """`?diagram=N` when it names a page of this file; anything else is ignored (the default page is shown)."""
    raw = request.args.get("diagram", "")
    if raw.isdigit() and len(raw) < 4 and int(raw) < len(pages):
        return int(raw)
    return None


def diagram_view(xml: str | bytes, states: dict[str, str] | None = None,
                 highlight: set[str] | None = None) -> DiagramView:
    """Raises RenderError when the file has nothing to draw."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    pages = diagrams(data)
    if not pages:
        raise RenderError("the file has no diagram (no bpmndi:BPMNDiagram): nothing to draw")
    current = _chosen(pages)
    if current is None:
        current = diagram_holding(pages, states or {})
    svg = render_svg(data, states, highlight=highlight, diagram=current)
    if svg.startswith("<?xml"):
        svg = svg.split("\n", 1)[1] if "\n" in svg else svg[svg.index("?>") + 2:]
    return DiagramView(Markup(svg), pages, current)  # noqa: S704  (built by lxml: text and attributes are escaped)
