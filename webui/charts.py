"""Charts drawn on the server as inline SVG: horizontal bars (rates per unit, categories, re-handling),
grouped columns (the trend month by month) and one stacked bar (classes A-D).

Each chart scales to its box (viewBox, width 100%), so it reads on a phone and prints as vectors; it
carries a <title> and <desc> and role="img" for screen readers, and the page puts the same figures in
a table beside it. Labels are escaped here: unit names and categories come from data.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from itertools import count

from markupsafe import Markup

PALETTE = ("#2f6db5", "#e08a1e", "#3a9a5b", "#b8463c", "#7b5aa6", "#5b7083")
_ids = count(1)


def _open(width: int, height: int, title: str, desc: str) -> tuple[str, str]:
    uid = f"chart{next(_ids)}"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-labelledby="{uid}-t {uid}-d" preserveAspectRatio="xMinYMin meet">'
            f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>')
    return uid, head


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def bars(title: str, items: Sequence[tuple[str, float | None, str]], maximum: float = 1.0,
         color: str = PALETTE[0], empty: str = "—") -> Markup:
    """One bar per item: (label, value or None, the value as printed). None draws no bar, prints `empty`."""
    row, label_w, bar_w, width = 22, 150, 230, 440
    height = max(1, len(items)) * row + 8
    desc = "; ".join(f"{label}: {shown if value is not None else empty}" for label, value, shown in items)
    _uid, svg = _open(width, height, title, desc)
    parts = [svg]
    for index, (label, value, shown) in enumerate(items):
        y = 4 + index * row
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" class="chart-label">'
                     f'{escape(_cut(label, 11))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row - 8}" class="chart-track"/>')
        if value is not None and maximum:
            length = max(0.0, min(1.0, value / maximum)) * bar_w
            parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{color}">'
                         f'<title>{escape(label)}: {escape(shown)}</title></rect>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 15}" class="chart-value">'
                     f'{escape(shown if value is not None else empty)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]) -> Markup:
    """Grouped columns: one group per category (a month), one column per series, with a legend."""
    width, height, left, bottom, top = 560, 240, 34, 40, 28
    plot_w, plot_h = width - left - 8, height - bottom - top
    highest = max([v for _n, values in series for v in values] + [1])
    step = max(1, -(-highest // 4))  # four grid lines, whole numbers
    top_value = step * 4
    desc = "; ".join(f"{name}: " + ", ".join(f"{c} {v}" for c, v in zip(categories, values, strict=True))
                     for name, values in series)
    _uid, svg = _open(width, height, title, desc)
    parts = [svg]
    for line in range(5):
        y = top + plot_h - plot_h * line / 4
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" class="chart-grid"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">{step * line}</text>')
    group = plot_w / max(1, len(categories))
    bar = group * 0.8 / max(1, len(series))
    for ci, category in enumerate(categories):
        x0 = left + ci * group + group * 0.1
        for si, (name, values) in enumerate(series):
            value = values[ci]
            h = plot_h * value / top_value
            parts.append(f'<rect x="{x0 + si * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 1:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[si % len(PALETTE)]}"><title>{escape(category)} '
                         f'{escape(name)}: {value}</title></rect>')
        parts.append(f'<text x="{x0 + group * 0.4:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                     f'class="chart-axis">{escape(category)}</text>')
    for si, (name, _values) in enumerate(series):
        x = left + si * 150
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[si % len(PALETTE)]}"/>'
                     f'<text x="{x + 16}" y="16" class="chart-label">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked(title: str, parts_: Sequence[tuple[str, int]]) -> Markup:
    """One bar split into shares (classes A-D), with a legend giving each count and share."""
    width, height, bar_h = 440, 64, 24
    total = sum(v for _n, v in parts_)
    desc = "; ".join(f"{name}: {value}" + (f" ({value / total:.0%})" if total else "") for name, value in parts_)
    _uid, svg = _open(width, height, title, desc)
    out, x = [svg], 0.0
    out.append(f'<rect x="0" y="0" width="{width}" height="{bar_h}" class="chart-track"/>')
    for index, (name, value) in enumerate(parts_):
        w = width * value / total if total else 0
        if w:
            out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[index]}">'
                       f'<title>{escape(name)}: {value}</title></rect>')
        x += w
        lx = index * (width / max(1, len(parts_)))
        share = f" {value / total:.0%}" if total else ""
        out.append(f'<rect x="{lx:.1f}" y="{bar_h + 14}" width="12" height="12" fill="{PALETTE[index]}"/>'
                   f'<text x="{lx + 16:.1f}" y="{bar_h + 24}" class="chart-label">{escape(name)} {value}{share}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
