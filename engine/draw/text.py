"""Labels of the SVG renderer: text width estimates, line wrapping and where each label goes.

There is no font at hand on the server, so widths are estimates: a CJK (wide) character is one em,
a space 0.3 em, anything else 0.6 em. CJK text breaks between characters, Latin text between words,
after a hyphen or a slash; closing punctuation never starts a line. The placement functions only
compute lines and positions (a `Placement`); `engine.draw.render` writes them out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from engine.draw.shapes import ACTIVITY_KINDS, BAND, ShapeInfo, activity_markers
from engine.draw.style import Box, fmt, midpoint

FONT_FAMILY = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', 'Helvetica Neue', Arial, sans-serif"
FONT_SIZE = 11.0
_NO_LINE_START = set("，。、；：！？）》」』】,.;:!?)")
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _char_width(ch: str, size: float) -> float:
    if unicodedata.combining(ch):
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return size
    return size * (0.3 if ch == " " else 0.6)


def text_width(text: str, size: float = FONT_SIZE) -> float:
    return sum(_char_width(ch, size) for ch in text)


def _tokens(paragraph: str) -> list[str]:
    out: list[str] = []
    word = ""
    for ch in paragraph:
        if ch in _NO_LINE_START and (word or out):
            if word:
                word += ch
            else:
                out[-1] += ch
        elif ch.isspace() or unicodedata.east_asian_width(ch) in ("W", "F"):
            if word:
                out.append(word)
                word = ""
            out.append(" " if ch.isspace() else ch)
        else:
            word += ch
            if ch in "-/" and len(word) > 2:  # a word may break after a hyphen or a slash
                out.append(word)
                word = ""
    if word:
        out.append(word)
    return out


def wrap(text: str, max_width: float, size: float = FONT_SIZE, break_words: bool = True) -> list[str]:
    """Lines of `text` at most `max_width` wide (estimated); CJK breaks between characters.

    A Latin word wider than the line is cut only with `break_words` (inside a shape); a free label
    lets it stick out instead."""
    max_width = max(max_width, size * 1.5)
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = ""
        for tok in _tokens(paragraph.replace("\t", " ")):
            if tok == " ":
                line = line + " " if line else line
                continue
            if text_width((line + tok).rstrip(), size) <= max_width:
                line += tok
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = ""
            if not break_words:
                line = tok
                continue
            for ch in tok:  # a word wider than the line: break it anywhere
                if line and text_width(line + ch, size) > max_width:
                    lines.append(line)
                    line = ""
                line += ch
        lines.append(line.rstrip())
    while len(lines) > 1 and not lines[-1]:
        lines.pop()
    return lines


def clean(text: str) -> str:
    """`text` without the control characters XML cannot hold."""
    return _BAD_CHARS.sub("", text)


def label_text(node: etree._Element | None, kind: str, ref: Callable[[str | None], etree._Element | None]) -> str:
    """The text of a model element's label (its name, or what stands for it); `ref` resolves an id."""
    if node is None:
        return ""
    if kind == "textAnnotation":
        text = _child(node, "text")
        return clean("".join(text.itertext()).strip()) if text is not None else ""
    name = node.get("name") or ""
    if kind == "group" and not name:
        value = ref(node.get("categoryValueRef"))
        name = value.get("value") or "" if value is not None else ""
    if kind == "dataObjectReference" and not name:
        target = ref(node.get("dataObjectRef"))
        name = target.get("name") or "" if target is not None else ""
    data_state = _child(node, "dataState")
    if data_state is not None and data_state.get("name") and f"[{data_state.get('name')}]" not in name:
        name = f"{name}\n[{data_state.get('name')}]"
    return clean(name.strip())


def _child(node: etree._Element, local: str) -> etree._Element | None:
    return next((c for c in node if isinstance(c.tag, str) and etree.QName(c).localname == local), None)


# ---------------------------------------------------------------- placement

@dataclass(frozen=True)
class Placement:
    """A label's lines, its anchor's x, the top of its first line, and the SVG text-anchor."""

    lines: list[str]
    x: float
    top: float
    anchor: str = "middle"
    transform: str | None = None


def shape_label(info: ShapeInfo, name: str, size: float, lb: Box | None) -> Placement:
    """Where the name of a shape goes; `lb` is its BPMNLabel's bounds, if the DI gives them."""
    b, kind = info.box, info.kind
    if lb is not None and (lb.w <= 0 or lb.h <= 0):
        lb = None
    lh = size * 1.2
    if kind in ("participant", "lane"):
        if not info.has_band:
            lines = wrap(name, b.w - 20, size)
            return Placement(lines, b.cx, b.cy - lh * len(lines) / 2)
        if info.horizontal:
            lines = wrap(name, b.h - 10, size)[: max(int((BAND - 4) // lh), 1)]
            cx, cy = b.x + BAND / 2, b.cy
            return Placement(lines, cx, cy - lh * len(lines) / 2, transform=f"rotate(-90 {fmt(cx)} {fmt(cy)})")
        lines = wrap(name, b.w - 10, size)[: max(int((BAND - 4) // lh), 1)]
        return Placement(lines, b.cx, b.y + BAND / 2 - lh * len(lines) / 2)
    if kind == "textAnnotation":
        return Placement(wrap(name, b.w - 10, size), b.x + 6, b.y + 4, "start")
    if kind in ACTIVITY_KINDS and info.expanded:
        x, top = (lb.x, lb.y) if lb is not None else (b.x + 8, b.y + 6)
        return Placement(wrap(name, b.x + b.w - x - 8, size), x, top, "start")
    if kind in ACTIVITY_KINDS or kind == "unknown":
        return inside_label(info, name, size)
    if lb is not None:
        return centred_label(name, lb, size)
    if kind == "group":
        return Placement(wrap(name, b.w - 20, size), b.cx, b.y + 5)
    # events, gateways, data: below the shape
    return Placement(wrap(name, max(90.0, b.w), size, break_words=False), b.cx, b.y + b.h + 4)


def inside_label(info: ShapeInfo, name: str, size: float) -> Placement:
    """A task's name: centred, below the type icon and above the markers where there is room."""
    b, lh = info.box, size * 1.2
    lines = wrap(name, b.w - 12, size)
    top_limit = b.y + 3
    bottom = b.y + b.h - (19 if activity_markers(info) else 3)
    fit = max(int((bottom - top_limit) // lh), 1)
    if info.icon and lh * len(lines) > bottom - b.y - 24:  # too tall to start below the icon:
        narrow = wrap(name, b.w - 52, size)  # keep clear of it sideways instead
        if len(narrow) <= fit:
            lines = narrow
    if len(lines) > fit:
        lines = lines[:fit]
        lines[-1] = lines[-1][: max(len(lines[-1]) - 1, 0)] + "…"
    height = lh * len(lines)
    top = max((top_limit + bottom - height) / 2, top_limit)
    if info.icon and top < b.y + 24 and b.y + 24 + height <= bottom:
        top = b.y + 24
    return Placement(lines, b.cx, top)


def centred_label(name: str, lb: Box, size: float) -> Placement:
    """A name in the label bounds the DI gives, centred in them."""
    lines = wrap(name, lb.w * 1.25 + 8, size, break_words=False)  # the tool measured with its own font
    height = size * 1.2 * len(lines)
    return Placement(lines, lb.cx, lb.y + max(0.0, (lb.h - height) / 2))


def edge_label(name: str, pts: list[tuple[float, float]], size: float, lb: Box | None) -> Placement:
    """The name of a flow: in its label bounds, else above the middle of its (non-empty) waypoints."""
    if lb is not None and lb.w > 0 and lb.h > 0:
        return centred_label(name, lb, size)
    mx, my, _ = midpoint(pts)
    lines = wrap(name, 90, size, break_words=False)
    return Placement(lines, mx, my - 4 - size * 1.2 * len(lines))
