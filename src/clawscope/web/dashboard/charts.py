"""Charts of the dashboard. Over time: stacked bars drawn in the browser by uPlot (a pinned copy served
from the package's static folder, nothing from a CDN) from a JSON document (`interactive`, data from
chartdata.py). Rankings and shares: inline SVG drawn here, horizontal bars and a donut, every mark with a
`<title>` (hover shows the value) and, given links, a click-through to the sessions behind it. Columns
(with spikes — values above mean + 2σ — marked) remain for the forecast's days.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

import orjson
from markupsafe import Markup

PALETTE = ("#4f7cff", "#22b07d", "#f29d38", "#d9534f", "#9b6cf0", "#2bb3c0", "#c9a227", "#8a8f98")
Fmt = Callable[[float], str]


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.4g}"


def interactive(doc: dict[str, Any], name: str) -> Markup:
    """A uPlot chart of a chartdata document (drawn by static/charts.js); says so when empty."""
    data = orjson.dumps(doc).decode().replace("</", "<\\/")
    empty = '<p class="empty">No data in this period.</p>' if doc.get("empty") else ""
    return Markup(
        f'<div class="uchart" data-chart="{escape(name)}"><script type="application/json">{data}</script>'
        f"{empty}</div>"
    )


def _linked(mark: str, link: str | None) -> str:
    return f'<a href="{escape(link)}">{mark}</a>' if link else mark


def bars(
    items: Sequence[tuple[str, float]],
    fmt: Fmt = _num,
    width: int = 560,
    links: Sequence[str | None] | None = None,
) -> Markup:
    """Horizontal bars, one row per item, longest first as given; `links[i]` opens item i's sessions."""
    if not items:
        return Markup('<p class="empty">No data in this period.</p>')
    row, label_w = 24, 170
    top = max((v for _, v in items), default=0) or 1
    h = row * len(items) + 4
    parts = [f'<svg class="chart bars" viewBox="0 0 {width} {h}" role="img" width="100%">']
    for i, (label, value) in enumerate(items):
        y = i * row + 2
        w = max(1.0, (width - label_w - 90) * value / top) if value > 0 else 0
        text = escape(label if len(label) <= 26 else label[:25] + "…")
        mark = (
            f"<g><title>{escape(label)}: {escape(fmt(value))}</title>"
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{text}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" rx="3" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{escape(fmt(value))}</text></g>'
        )
        parts.append(_linked(mark, links[i] if links and i < len(links) else None))
    parts.append("</svg>")
    return Markup("".join(parts))


def spikes(values: Sequence[float]) -> set[int]:
    """Indexes of values above mean + 2 standard deviations (with at least 4 points to judge by)."""
    if len(values) < 4:
        return set()
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return {i for i, v in enumerate(values) if sd > 0 and v > mean + 2 * sd}


def columns(
    points: Sequence[tuple[str, float]], fmt: Fmt = _num, width: int = 900, height: int = 200
) -> Markup:
    """Columns over time; spikes drawn in the alert colour and listed under the chart."""
    if not points:
        return Markup('<p class="empty">No data in this period.</p>')
    values = [v for _, v in points]
    marked = spikes(values)
    top = max(values) or 1
    pad_b, pad_l = 22, 8
    slot = (width - pad_l) / len(points)
    bar_w = max(1.0, slot * 0.8)
    parts = [f'<svg class="chart columns" viewBox="0 0 {width} {height}" role="img" width="100%">']
    parts.append(f'<line x1="0" y1="{height - pad_b}" x2="{width}" y2="{height - pad_b}" class="axis"/>')
    for i, (label, value) in enumerate(points):
        bh = (height - pad_b - 6) * value / top
        x = pad_l + i * slot
        cls = "spike" if i in marked else "col"
        parts.append(
            f'<rect class="{cls}" x="{x:.1f}" y="{height - pad_b - bh:.1f}" width="{bar_w:.1f}" '
            f'height="{bh:.1f}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
        )
    step = max(1, len(points) // 8)
    for i in range(0, len(points), step):
        x = pad_l + i * slot
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" class="tick">{escape(points[i][0])}</text>')
    parts.append("</svg>")
    if marked:
        names = ", ".join(f"{points[i][0]} ({fmt(points[i][1])})" for i in sorted(marked))
        parts.append(f'<p class="spikes">Spikes: {escape(names)}</p>')
    return Markup("".join(parts))


def donut(
    items: Sequence[tuple[str, float]],
    fmt: Fmt = _num,
    size: int = 220,
    link: Callable[[str], str] | None = None,
) -> Markup:
    """Shares of a whole, with a legend; the 7 largest slices and "other". `link(label)`: where a
    slice (and its legend entry) leads (not the lumped "other", which is many values; a value named
    "other", such as the trigger, is linked)."""
    items = [(k, v) for k, v in items if v > 0]
    total = sum(v for _, v in items)
    if total <= 0:
        return Markup('<p class="empty">No data in this period.</p>')
    lumped = len(items) > 8  # the last slice is then many values ("other"), not one to link to
    if lumped:
        items = [*items[:7], ("other", sum(v for _, v in items[7:]))]
    r, c = size / 2 - 14, size / 2
    circ = 2 * math.pi * r
    parts = [
        f'<div class="donut"><svg viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img">'
    ]
    offset = 0.0
    legend = []
    for i, (label, value) in enumerate(items):
        share = value / total
        color = PALETTE[i % len(PALETTE)]
        href = link(label) if link and not (lumped and i == len(items) - 1) else None
        parts.append(
            _linked(
                f'<circle r="{r:.1f}" cx="{c}" cy="{c}" fill="none" stroke="{color}" stroke-width="26" '
                f'stroke-dasharray="{share * circ:.2f} {circ:.2f}" stroke-dashoffset="{-offset * circ:.2f}" '
                f'transform="rotate(-90 {c} {c})"><title>{escape(label)}: {share:.1%}</title></circle>',
                href,
            )
        )
        offset += share
        legend.append(
            f'<li><span class="sw" style="background:{color}"></span>{_linked(escape(label), href)} '
            f"<b>{share:.1%}</b> <small>{escape(fmt(value))}</small></li>"
        )
    parts.append(f'</svg><ul class="legend">{"".join(legend)}</ul></div>')
    return Markup("".join(parts))
