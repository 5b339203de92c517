"""Inline SVG charts drawn on the server: no chart library, no script, no CDN.

Each function takes plain numbers and returns escaped SVG markup sized by its viewBox, so
it scales with the page (CSS gives it ``width: 100%``). Every mark has a ``<title>`` so a
pointer or a screen reader can read the value behind it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 44


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float
    kind: str  # a CSS class suffix: "kiosk", "online", "mix" or "none"


def _nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 × 10^k) giving about ``ticks`` ticks over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return float(m * mag)
    return float(10 * mag)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _frame(body: list[str], label: str, x_label: str, y_label: str, W: int, H: int) -> Markup:
    parts = [
        f'<svg class="chart" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        *body,
        f'<text class="axis-label" x="{LEFT + (W - LEFT - RIGHT) / 2:.1f}" y="{H - 6}" '
        f'text-anchor="middle">{escape(x_label)}</text>',
        f'<text class="axis-label" x="12" y="{TOP + (H - TOP - BOTTOM) / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + (H - TOP - BOTTOM) / 2:.1f})">{escape(y_label)}</text>',
        "</svg>",
    ]
    return Markup("".join(parts))


def _y_axis(top_value: float, W: int, H: int) -> tuple[list[str], float]:
    """Horizontal grid lines and labels from 0 to a round top; returns (marks, top)."""
    step = _nice_step(top_value)
    top = step * max(1, math.ceil(top_value / step))
    out = []
    plot_h = H - TOP - BOTTOM
    v = 0.0
    while v <= top + 1e-9:
        y = TOP + plot_h * (1 - v / top)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
        v += step
    return out, top


def histogram(
    values: Sequence[float], edges: Sequence[float], *, label: str, x_label: str, y_label: str, kind: str,
    size: tuple[int, int] = (560, 260),
) -> Markup:
    """Counts of ``values`` in the bins ``[edges[i], edges[i+1])`` (the last bin closed)."""
    counts = [0] * (len(edges) - 1)
    for v in values:
        for i in range(len(counts)):
            last = i == len(counts) - 1
            if edges[i] <= v < edges[i + 1] or (last and v == edges[i + 1]):
                counts[i] += 1
                break
    W, H = size
    marks, top = _y_axis(max(counts, default=0) or 1, W, H)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    bw = plot_w / max(1, len(counts))
    for i, c in enumerate(counts):
        h = plot_h * c / top
        x = LEFT + i * bw
        rng = f"{_fmt(edges[i])}–{_fmt(edges[i + 1])}"
        marks.append(
            f'<rect class="bar {escape(kind)}" x="{x + 1:.1f}" y="{TOP + plot_h - h:.1f}" '
            f'width="{max(bw - 2, 1):.1f}" height="{h:.1f}"><title>{escape(rng)}: {c}</title></rect>'
        )
        if c:
            marks.append(
                f'<text class="value" x="{x + bw / 2:.1f}" y="{TOP + plot_h - h - 4:.1f}" '
                f'text-anchor="middle">{c}</text>'
            )
    every = max(1, math.ceil(len(edges) / 11))
    for i, e in enumerate(edges):
        if i % every == 0 or i == len(edges) - 1:
            x = LEFT + i * bw
            marks.append(f'<text class="tick" x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{_fmt(e)}</text>')
    marks.append(f'<line class="axis" x1="{LEFT}" x2="{W - RIGHT}" y1="{H - BOTTOM}" y2="{H - BOTTOM}"/>')
    return _frame(marks, label, x_label, y_label, W, H)


def score_edges(values: Sequence[float], *, top: float | None = None, bins: int = 10) -> list[float]:
    """Bin edges from 0 to ``top`` (default: a round number above the largest value); for
    small whole-number ranges (likes) one bin per value."""
    hi = top if top is not None else max(values, default=0.0)
    if top is None and hi <= 20 and all(float(v).is_integer() for v in values):
        return [float(i) for i in range(int(hi) + 2)]
    step = _nice_step(hi or 1.0, bins)
    n = max(1, math.ceil((hi or 1.0) / step))
    return [i * step for i in range(n + 1)]


def scatter(
    points: Sequence[Point], *, label: str, x_label: str, y_label: str, x_top: float | None = None,
    size: tuple[int, int] = (880, 320),
) -> Markup:
    """One dot per proposal at (x, y); the dot's class says how it was selected."""
    W, H = size
    y_marks, y_top = _y_axis(max((p.y for p in points), default=0) or 1, W, H)
    xs = max((p.x for p in points), default=0) or 1
    x_step = _nice_step(x_top if x_top is not None else xs)
    x_max = x_top if x_top is not None else x_step * math.ceil(xs / x_step)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    marks = list(y_marks)
    v = 0.0
    while v <= x_max + 1e-9:
        x = LEFT + plot_w * v / x_max
        marks.append(f'<text class="tick" x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{_fmt(v)}</text>')
        v += x_step
    marks.append(f'<line class="axis" x1="{LEFT}" x2="{W - RIGHT}" y1="{H - BOTTOM}" y2="{H - BOTTOM}"/>')
    marks.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{H - BOTTOM}"/>')
    for p in points:
        cx = LEFT + plot_w * p.x / x_max
        cy = TOP + plot_h * (1 - p.y / y_top)
        marks.append(
            f'<circle class="dot {escape(p.kind)}" cx="{cx:.1f}" cy="{cy:.1f}" r="5">'
            f"<title>{escape(p.label)}: {_fmt(round(p.x, 1))} / {_fmt(round(p.y, 1))}</title></circle>"
        )
    return _frame(marks, label, x_label, y_label, W, H)
